export { parseManifest, positionIn } from "./parse-manifest.js";
export type { ParseManifestOptions, ManifestFormat } from "./parse-manifest.js";
export { loadManifest, findManifest } from "./load-manifest.js";
export type { LoadedManifest } from "./load-manifest.js";
export type { Manifest, LibraryConfig, MemberOverride, SecretRef } from "./manifest-schema.js";
export { ManifestError } from "./manifest-error.js";
export type { ManifestIssue, ManifestIssueCode, ManifestErrorOptions } from "./manifest-error.js";
export { resolveSecret } from "./secrets.js";
export { manifestHash } from "./manifest-hash.js";
export { manifestJsonSchema } from "./json-schema.js";

// For other Bridge packages (uv, cli, codegen): secrets in bulk, rendering of issues,
// the canonical form behind the hash, and the PEP 440 / PEP 508 checks.
export { resolveSecrets, isSecretRef, manifestSecrets } from "./secrets.js";
export type { ManifestSecret } from "./secrets.js";
export { formatIssue, formatPath } from "./manifest-error.js";
export { canonicalManifest } from "./manifest-hash.js";
export { isPep440SpecifierSet, isPep440Version } from "./pep440.js";
export { isPep508Requirement } from "./pep508.js";
