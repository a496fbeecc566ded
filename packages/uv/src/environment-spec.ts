import { createHash } from "node:crypto";

/**
 * What a Python environment must contain, as the CLI maps it from a manifest.
 * This package does not read manifests: anything that can produce this shape can
 * build an environment.
 */
export interface EnvironmentSpec {
  /** Names the environment in its pyproject (`bridge-env-<name>`), its lockfile and messages, e.g. `dspy`. */
  name: string;
  /** PEP 440 specifier the interpreter must satisfy, e.g. `>=3.10` (a bare `3.11` means `==3.11.*`). */
  pythonVersion: string;
  /** PEP 508 requirement strings, e.g. `dspy>=3`. */
  dependencies: string[];
  /** The default index, already resolved (no secret objects); overrides the user's uv/pip settings. */
  indexUrl?: string;
  /** Extra indexes, already resolved; when non-empty, they replace the user's configured extras. */
  extraIndexUrls?: string[];
}

/** Bump when the layout or generated files change, so old environments are not reused. */
const LAYOUT_VERSION = 1;

function unique(values: readonly string[]): string[] {
  return [...new Set(values.map((v) => v.trim()).filter((v) => v !== ""))];
}

/**
 * The canonical form of a spec: what decides the environment's identity. Order of
 * dependencies does not matter; order of extra indexes does (it is their priority).
 * @private
 */
export function canonicalSpec(spec: EnvironmentSpec, workerRequirements: readonly string[]): string {
  return JSON.stringify({
    layout: LAYOUT_VERSION,
    name: spec.name,
    python: requiresPython(spec.pythonVersion),
    dependencies: unique(spec.dependencies).sort(),
    indexUrl: spec.indexUrl ?? null,
    extraIndexUrls: unique(spec.extraIndexUrls ?? []),
    worker: unique(workerRequirements).sort(),
  });
}

/** The full sha256 of the canonical spec, recorded in the environment's marker. @private */
export function specHash(spec: EnvironmentSpec, workerRequirements: readonly string[]): string {
  return createHash("sha256").update(canonicalSpec(spec, workerRequirements)).digest("hex");
}

/**
 * A short, stable hash naming the environment directory (`.bridge/envs/<key>`): it
 * changes whenever the name, Python constraint, dependencies, indexes or the worker's
 * requirements change, so a changed spec gets a fresh environment.
 */
export function environmentKey(spec: EnvironmentSpec, workerRequirements: readonly string[]): string {
  return specHash(spec, workerRequirements).slice(0, 16);
}

/** `3.11` -> `==3.11.*`, `3.11.7` -> `==3.11.7`; a specifier is kept as written. @private */
export function requiresPython(version: string): string {
  const v = version.trim();
  if (/^\d+\.\d+$/.test(v)) return `==${v}.*`;
  if (/^\d+(\.\d+){2,}$/.test(v)) return `==${v}`;
  return v;
}

/** The project name in the generated pyproject: `bridge-env-<name>`, normalized per PEP 503. @private */
export function projectName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return slug ? `bridge-env-${slug}` : "bridge-env";
}

/** The spec's dependencies followed by the worker's, without duplicates. @private */
export function allDependencies(spec: EnvironmentSpec, workerRequirements: readonly string[]): string[] {
  return unique([...spec.dependencies, ...workerRequirements]);
}

/** The PEP 503-normalized distribution name at the start of a PEP 508 requirement. @private */
export function requirementName(requirement: string): string {
  const match = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)/.exec(requirement);
  return normalizeName(match?.[1] ?? requirement);
}

/** PEP 503 name normalization: `Foo_Bar.baz` -> `foo-bar-baz`. @private */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}
