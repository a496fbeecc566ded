import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { environmentKey, specHash, type EnvironmentSpec } from "./environment-spec.js";

/** Where one environment's files are. @private */
export interface EnvironmentLayout {
  key: string;
  /** Full hash of the canonical spec (the key is its prefix). */
  specHash: string;
  envRoot: string;
  /** `<envRoot>/<key>`: the environment's uv project. */
  envDir: string;
  pyproject: string;
  /** uv's working lockfile inside the project. */
  uvLock: string;
  /** The user's committed copy, next to the manifest. */
  lockFile: string;
  venv: string;
  python: string;
  marker: string;
}

/** Options that decide an environment's location. @private */
export interface LayoutOptions {
  projectDir: string;
  lockFile?: string;
  envRoot?: string;
}

/** The default environments root: `<projectDir>/.bridge/envs`. @private */
export function defaultEnvRoot(projectDir: string): string {
  return join(resolve(projectDir), ".bridge", "envs");
}

/** The interpreter inside a virtual environment. @private */
export function venvPython(venv: string): string {
  return process.platform === "win32" ? join(venv, "Scripts", "python.exe") : join(venv, "bin", "python");
}

/** A virtual environment's site-packages directory, if it exists. @private */
export function sitePackagesOf(venv: string): string | undefined {
  if (process.platform === "win32") {
    const dir = join(venv, "Lib", "site-packages");
    return existsSync(dir) ? dir : undefined;
  }
  try {
    for (const entry of readdirSync(join(venv, "lib"))) {
      const dir = join(venv, "lib", entry, "site-packages");
      if (entry.startsWith("python") && existsSync(dir)) return dir;
    }
  } catch {
    // No lib/: not a virtual environment (yet).
  }
  return undefined;
}

/** Computes every path of the environment for `spec`. @private */
export function environmentLayout(spec: EnvironmentSpec, workerRequirements: readonly string[], options: LayoutOptions): EnvironmentLayout {
  const projectDir = resolve(options.projectDir);
  const envRoot = resolve(projectDir, options.envRoot ?? defaultEnvRoot(projectDir));
  const key = environmentKey(spec, workerRequirements);
  const envDir = join(envRoot, key);
  const venv = join(envDir, ".venv");
  return {
    key,
    specHash: specHash(spec, workerRequirements),
    envRoot,
    envDir,
    pyproject: join(envDir, "pyproject.toml"),
    uvLock: join(envDir, "uv.lock"),
    lockFile: resolve(projectDir, options.lockFile ?? `${spec.name}.bridge.lock`),
    venv,
    python: venvPython(venv),
    marker: join(envDir, ".bridge-env.json"),
  };
}
