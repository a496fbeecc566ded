import { ManifestError, formatPath, type ManifestIssue } from "./manifest-error.js";
import type { Manifest, SecretRef } from "./manifest-schema.js";

/** Where a secret reference is written in its manifest. */
interface SecretOrigin {
  file: string;
  line: number;
  column: number;
  path: Array<string | number>;
}

// A WeakMap rather than a property, so the origin never shows in JSON, hashes or equality.
const origins = new WeakMap<SecretRef, SecretOrigin>();

/**
 * Remembers where a parsed secret reference was written, so a missing variable is
 * reported at its line in the manifest.
 * @private
 */
export function rememberSecretOrigin(ref: SecretRef, origin: SecretOrigin): void {
  origins.set(ref, origin);
}

/** True when `value` is a `{ env: NAME }` secret reference. */
export function isSecretRef(value: unknown): value is SecretRef {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { env?: unknown }).env === "string"
  );
}

/** A secret reference in a manifest and where it is. */
export interface ManifestSecret {
  /** Path in the manifest, e.g. `["pool", "env", "OPENAI_API_KEY"]`. */
  path: Array<string | number>;
  /** The same path as text, e.g. `pool.env.OPENAI_API_KEY`, for `resolveSecret`'s `where`. */
  where: string;
  ref: SecretRef;
}

/**
 * Every `{ env: NAME }` in a manifest (index URLs, pool environment), so a tool can
 * check them all up front, e.g. `bridge doctor`.
 */
export function manifestSecrets(manifest: Manifest): ManifestSecret[] {
  const found: ManifestSecret[] = [];
  const add = (path: Array<string | number>, value: string | SecretRef | undefined): void => {
    if (isSecretRef(value)) found.push({ path, where: formatPath(path), ref: value });
  };
  add(["python", "indexUrl"], manifest.python.indexUrl);
  manifest.python.extraIndexUrls.forEach((value, index) => add(["python", "extraIndexUrls", index], value));
  for (const [name, value] of Object.entries(manifest.pool.env)) add(["pool", "env", name], value);
  return found;
}

function missingIssue(ref: SecretRef, where: string, value: string | undefined): ManifestIssue {
  const origin = origins.get(ref);
  return {
    code: "missing_secret",
    file: origin?.file ?? "",
    line: origin?.line ?? 1,
    column: origin?.column ?? 1,
    path: origin?.path ?? [],
    expected: `environment variable ${ref.env} to be set`,
    found: value === undefined ? "nothing (the variable is unset)" : '""',
    message: `environment variable ${ref.env} is ${value === undefined ? "not set" : "empty"} (needed for ${where})`,
    hint: `export ${ref.env}=... before running Bridge`,
  };
}

/**
 * The value of a plain string or of a `{ env: NAME }` secret, read from `env` (default
 * `process.env`) at the moment it is needed. Throws a ManifestError naming the variable
 * and `where` (and the manifest line, for parsed manifests) when it is unset or empty.
 * Resolved values belong in memory only: never in caches, hashes or generated code.
 */
export function resolveSecret(
  value: string | SecretRef,
  where: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (typeof value === "string") return value;
  const resolved = env[value.env];
  if (resolved === undefined || resolved === "") throw new ManifestError([missingIssue(value, where, resolved)]);
  return resolved;
}

/**
 * Resolves a whole mapping of strings and secrets (such as `manifest.pool.env`),
 * reporting every missing variable at once. `where` prefixes each key, e.g. `pool.env`.
 */
export function resolveSecrets(
  values: Readonly<Record<string, string | SecretRef>>,
  where: string,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const out: Record<string, string> = {};
  const issues: ManifestIssue[] = [];
  for (const [key, value] of Object.entries(values)) {
    const member = formatPath([key]);
    const keyWhere = member.startsWith("[") ? `${where}${member}` : `${where}.${member}`;
    if (typeof value === "string") {
      out[key] = value;
      continue;
    }
    const resolved = env[value.env];
    if (resolved === undefined || resolved === "") issues.push(missingIssue(value, keyWhere, resolved));
    else out[key] = resolved;
  }
  if (issues.length > 0) throw new ManifestError(issues);
  return out;
}
