import { existsSync, mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { copyFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileHash, readMarker } from "./env-marker.js";
import { environmentLayout, sitePackagesOf } from "./environment-layout.js";
import { allDependencies, type EnvironmentSpec } from "./environment-spec.js";
import { findUv } from "./find-uv.js";
import type { Env } from "./env.js";
import { resolveIndexSettings } from "./index-settings.js";
import { renderPyproject } from "./pyproject.js";
import { runTool } from "./run-tool.js";
import { diagnoseUvFailure } from "./uv-diagnostics.js";
import { hermeticUvEnv, hermeticUvFlags } from "./uv-environment.js";
import { workerFingerprint, type WorkerSource } from "./worker-install.js";

/** Options for {@link inspectEnvironment}: where the environment is, as for `ensureEnvironment`. */
export interface InspectEnvironmentOptions {
  projectDir: string;
  lockFile?: string;
  envRoot?: string;
  worker: WorkerSource;
  /** Check the lockfile using only uv's cache. */
  offline?: boolean;
  /** An explicit uv executable (uv is never bootstrapped by an inspection). */
  uv?: string;
  toolsDir?: string;
  signal?: AbortSignal;
  env?: Readonly<Record<string, string | undefined>>;
}

/** One installed distribution. */
export interface InstalledPackage {
  name: string;
  version: string;
}

/** What `inspectEnvironment` found; it never changes anything to find it. */
export interface EnvironmentStatus {
  /** The environment's directory holds a virtual environment. */
  exists: boolean;
  envDir: string;
  key: string;
  lockFile: string;
  lockPresent: boolean;
  /** The lockfile satisfies the spec (uv would not change it). False when absent or when it could not be checked. */
  lockMatchesSpec: boolean;
  /** `ensureEnvironment` would return at once with `changed: false`. */
  fresh: boolean;
  python?: string;
  pythonVersion?: string;
  /** `python -c "import bridge_worker"` succeeds in the environment. */
  workerImportable: boolean;
  /** The installed worker is the one in `worker.source`. */
  workerCurrent: boolean;
  /** Installed distributions, sorted by name (read from site-packages). */
  packages?: InstalledPackage[];
  /** Why something could not be determined (uv missing, network...). */
  problems: string[];
}

/** Installed distributions, from each `*.dist-info/METADATA`. */
function installedPackages(sitePackages: string): InstalledPackage[] {
  const out: InstalledPackage[] = [];
  for (const entry of readdirSync(sitePackages)) {
    if (!entry.endsWith(".dist-info")) continue;
    try {
      const metadata = readFileSync(join(sitePackages, entry, "METADATA"), "utf8");
      const name = /^Name:\s*(.+)$/m.exec(metadata)?.[1]?.trim();
      const version = /^Version:\s*(.+)$/m.exec(metadata)?.[1]?.trim();
      if (name && version) out.push({ name, version });
    } catch {
      // A dist-info without METADATA is broken; skip it rather than fail the inspection.
    }
  }
  return out.sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()));
}

/** The `version_info` uv writes into pyvenv.cfg. */
function venvVersion(venv: string): string | undefined {
  try {
    return /^version_info\s*=\s*(\S+)/m.exec(readFileSync(join(venv, "pyvenv.cfg"), "utf8"))?.[1];
  } catch {
    return undefined;
  }
}

/**
 * Reports the state of the environment for `spec` (for `bridge doctor` and
 * `bridge env info`) without modifying the project, the environment or the tools
 * directory. Whether the lockfile matches the spec is answered from the marker
 * when it can be; otherwise `uv lock --locked` runs on copies in a temporary
 * directory (using uv's cache and, unless `offline`, the network).
 */
export async function inspectEnvironment(
  spec: EnvironmentSpec,
  options: InspectEnvironmentOptions,
): Promise<EnvironmentStatus> {
  const env: Env = options.env ?? process.env;
  const layout = environmentLayout(spec, options.worker.requirements, options);
  const problems: string[] = [];
  const marker = readMarker(layout.marker);
  const lockHash = fileHash(layout.lockFile);
  const lockPresent = lockHash !== undefined;
  const exists = existsSync(layout.python);

  let lockMatchesSpec = false;
  if (!lockPresent) {
    lockMatchesSpec = false;
  } else if (marker?.specHash === layout.specHash && marker.lockHash === lockHash) {
    lockMatchesSpec = true;
  } else {
    try {
      const uv = await findUv({
        bootstrap: false,
        env,
        ...(options.uv === undefined ? {} : { uv: options.uv }),
        ...(options.toolsDir === undefined ? {} : { toolsDir: options.toolsDir }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const scratch = mkdtempSync(join(tmpdir(), "bridge-uv-inspect-"));
      try {
        await writeFile(join(scratch, "pyproject.toml"), renderPyproject(spec, options.worker.requirements));
        await copyFile(layout.lockFile, join(scratch, "uv.lock"));
        const index = resolveIndexSettings(spec, env);
        const result = await runTool(
          uv.path,
          ["lock", "--locked", ...hermeticUvFlags({ offline: options.offline === true }), "--project", scratch],
          {
            env: hermeticUvEnv(env, { index, projectEnvironment: join(scratch, ".venv") }),
            cwd: scratch,
            ...(options.signal ? { signal: options.signal } : {}),
          },
        );
        if (result.exitCode === 0) {
          lockMatchesSpec = true;
        } else {
          const d = diagnoseUvFailure(result.stderr, "lock", allDependencies(spec, options.worker.requirements));
          if (d.code !== "lock_stale") problems.push(`could not check ${layout.lockFile}: ${d.excerpt}`);
        }
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    } catch (error) {
      problems.push(`could not check ${layout.lockFile}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  let workerCurrent = false;
  try {
    workerCurrent = marker?.workerHash === workerFingerprint(options.worker.source);
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }

  const status: EnvironmentStatus = {
    exists,
    envDir: layout.envDir,
    key: layout.key,
    lockFile: layout.lockFile,
    lockPresent,
    lockMatchesSpec,
    fresh: false,
    workerImportable: false,
    workerCurrent,
    problems,
  };
  if (!exists) return status;

  status.python = layout.python;
  const version = venvVersion(layout.venv);
  if (version) status.pythonVersion = version;
  const probe = await runTool(layout.python, ["-I", "-B", "-c", "import platform, bridge_worker; print(platform.python_version())"], {
    env: hermeticUvEnv(env),
    ...(options.signal ? { signal: options.signal } : {}),
    timeoutMs: 60_000,
  });
  status.workerImportable = probe.exitCode === 0;
  if (probe.exitCode === 0 && probe.stdout.trim()) status.pythonVersion = probe.stdout.trim();
  const sitePackages = sitePackagesOf(layout.venv);
  if (sitePackages) status.packages = installedPackages(sitePackages);
  status.fresh =
    marker !== undefined &&
    marker.specHash === layout.specHash &&
    marker.lockHash === lockHash &&
    workerCurrent;
  return status;
}
