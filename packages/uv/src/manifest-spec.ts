import { basename } from "node:path";
import { resolveSecret, type LoadedManifest } from "@bridge/manifest";
import type { EnvironmentSpec } from "./environment-spec.js";

/** `dspy.bridge.yaml` -> `dspy`: the name a manifest gives its environment and lockfile. */
export function manifestName(file: string): string {
  return basename(file).replace(/\.bridge\.(ya?ml|json)$/, "") || "bridge";
}

/**
 * The environment a manifest asks for: its Python constraint, dependencies and
 * indexes, with `{ env: NAME }` secrets resolved from `env` now (never stored).
 */
export function specFromManifest(loaded: LoadedManifest, env: NodeJS.ProcessEnv = process.env): EnvironmentSpec {
  const { python } = loaded.manifest;
  return {
    name: manifestName(loaded.file),
    pythonVersion: python.version,
    dependencies: [...python.dependencies],
    ...(python.indexUrl === undefined ? {} : { indexUrl: resolveSecret(python.indexUrl, "python.indexUrl", env) }),
    extraIndexUrls: python.extraIndexUrls.map((url, i) => resolveSecret(url, `python.extraIndexUrls[${i}]`, env)),
  };
}
