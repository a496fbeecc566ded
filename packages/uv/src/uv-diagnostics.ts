import { normalizeName, requirementName } from "./environment-spec.js";
import type { UvErrorCode } from "./uv-error.js";

/** What a failed uv run means. @private */
export interface UvDiagnosis {
  code: UvErrorCode;
  /** The failing requirement: the spec's own string when it names a direct dependency. */
  requirement?: string;
  /** One line for the message: what went wrong with what. */
  summary: string;
  /** The first meaningful lines of uv's stderr, for the message. */
  excerpt: string;
}

const NAME = "([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)";

/** Patterns naming the package a resolution failed on, most specific first. */
const UNSATISFIABLE: RegExp[] = [
  new RegExp(`Because ${NAME}\\S* was not found in the package registry`),
  new RegExp(`Because ${NAME}\\S* was not found in the provided package locations`),
  new RegExp(`Because ${NAME}\\S* was not found in the cache`),
  new RegExp(`Because there (?:is|are) no versions? of ${NAME}`),
  new RegExp(`Because only ${NAME}`),
  new RegExp(`Because all versions of ${NAME}`),
  new RegExp(`Because (?!your\\b|the\\b|we\\b)${NAME}`),
  new RegExp(`Package \`${NAME}\` was not found`),
];

/** A distribution uv could not fetch (index unreachable, TLS, HTTP error). */
const FETCH_FAILED: RegExp[] = [
  new RegExp(`Failed to fetch: \`?[^\\s\`]*/simple/${NAME}/?`),
  /Failed to (?:download|fetch)[^`\n]*`([^`]+)`/,
  new RegExp(`Failed to fetch wheel: ${NAME}`),
];

/** A distribution uv could not build or install. */
const BUILD_FAILED: RegExp[] = [/Failed to (?:build|install|prepare|extract|read|unzip)[^`\n]*`([^`]+)`/];

/** Drops blank lines and uv's chatter ("Using CPython...", "Resolved..."), keeps the first `max` of the rest. @private */
export function stderrExcerpt(stderr: string, max = 12): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== "" && !/^(Using CPython|Using Python|Resolved \d|Creating virtual environment)/.test(l.trim()));
  const shown = lines.slice(0, max);
  if (lines.length > max) shown.push(`  ... (${lines.length - max} more lines)`);
  return shown.join("\n");
}

/** The spec's requirement whose name is `name`, or `fallback`. */
function matchRequirement(name: string, dependencies: readonly string[], fallback?: string): string {
  const wanted = normalizeName(name);
  return dependencies.find((d) => requirementName(d) === wanted) ?? fallback ?? name;
}

/**
 * Reads a failed uv run's stderr: is it a stale lock, a missing interpreter, an
 * unsatisfiable requirement, a failed fetch or a failed build, and of which
 * requirement? `during` decides the code when nothing more specific is recognised
 * (`resolution_failed` for lock, `install_failed` for sync).
 * @private
 */
export function diagnoseUvFailure(
  stderr: string,
  during: "lock" | "sync",
  dependencies: readonly string[],
): UvDiagnosis {
  const excerpt = stderrExcerpt(stderr);
  const fallback = during === "lock" ? "resolution_failed" : "install_failed";
  if (/needs to be updated, but `--(locked|check)` was provided/.test(stderr)) {
    return { code: "lock_stale", summary: "the lockfile does not match the dependencies", excerpt };
  }
  if (/No interpreter found|Failed to inspect Python interpreter|No Python at|not satisfy the project's Python requirement/.test(stderr)) {
    return { code: "python_not_found", summary: "no suitable Python interpreter", excerpt };
  }
  if (/No solution found when resolving/.test(stderr)) {
    for (const pattern of UNSATISFIABLE) {
      const name = pattern.exec(stderr)?.[1];
      if (!name) continue;
      const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const direct = new RegExp(`your project depends on (${escaped}[^,\\s]*)`, "i").exec(stderr)?.[1];
      const requirement = matchRequirement(name, dependencies, direct);
      return { code: "resolution_failed", requirement, summary: `${requirement} cannot be satisfied`, excerpt };
    }
    const direct = /your project depends on ([^,\s]+)/.exec(stderr)?.[1];
    if (direct) {
      const requirement = matchRequirement(requirementName(direct), dependencies, direct);
      return { code: "resolution_failed", requirement, summary: `${requirement} cannot be satisfied`, excerpt };
    }
    return { code: "resolution_failed", summary: "no solution", excerpt };
  }
  for (const [patterns, verb] of [
    [FETCH_FAILED, "fetching"],
    [BUILD_FAILED, "building"],
  ] as const) {
    for (const pattern of patterns) {
      const found = pattern.exec(stderr)?.[1];
      if (!found) continue;
      const requirement = matchRequirement(requirementName(found), dependencies, found);
      const hint = verb === "fetching" ? " (is the index reachable? behind a TLS-inspecting proxy, set SSL_CERT_FILE or UV_NATIVE_TLS=1; for offline use, its files must be in uv's cache)" : "";
      return { code: fallback, requirement, summary: `${verb} ${requirement} failed${hint}`, excerpt };
    }
  }
  return { code: fallback, summary: `uv ${during} failed`, excerpt };
}
