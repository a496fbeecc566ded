export { introspect, describeLibraries, describeModule } from "./introspect.js";
export type { IntrospectOptions, IntrospectResult } from "./introspect.js";
export { diffApi, apiSurface, renderSignature, renderType } from "./api-diff.js";
export type { ApiChange } from "./api-diff.js";
export { readSnapshot, writeSnapshot, snapshotPath, currentKey, sameKey } from "./api-snapshot.js";
export type { ApiSnapshot, SnapshotKey } from "./api-snapshot.js";
export { agentFingerprint } from "./agent-fingerprint.js";
