export { ensureEnvironment } from "./ensure-environment.js";
export type { EnsureEnvironmentOptions, Environment } from "./ensure-environment.js";
export type { EnvironmentSpec } from "./environment-spec.js";
export type { WorkerSource } from "./worker-install.js";
export type { ProgressEvent, ProgressListener } from "./progress.js";
export { UvError } from "./uv-error.js";
export type { UvErrorCode, UvErrorOptions } from "./uv-error.js";

// For tools built on this package (the CLI's env, doctor and clean commands).
export { inspectEnvironment } from "./inspect-environment.js";
export type { InspectEnvironmentOptions, EnvironmentStatus, InstalledPackage } from "./inspect-environment.js";
export { removeEnvironments } from "./remove-environments.js";
export type { RemoveEnvironmentsOptions, RemoveEnvironmentsResult } from "./remove-environments.js";
export { environmentKey } from "./environment-spec.js";
export { findUv, MIN_UV_VERSION } from "./find-uv.js";
export type { FindUvOptions, UvInfo, UvSource } from "./find-uv.js";
export { specFromManifest, manifestName } from "./manifest-spec.js";
