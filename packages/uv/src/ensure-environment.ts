import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { buildEnvironment } from "./build-environment.js";
import { withDirLock } from "./dir-lock.js";
import { fileHash, readMarker, type EnvMarker } from "./env-marker.js";
import { environmentLayout, type EnvironmentLayout } from "./environment-layout.js";
import type { EnvironmentSpec } from "./environment-spec.js";
import { emitter, type ProgressListener } from "./progress.js";
import { throwIfAborted } from "./uv-error.js";
import { workerFingerprint, type WorkerSource } from "./worker-install.js";

/** Options for {@link ensureEnvironment}. */
export interface EnsureEnvironmentOptions {
  /** The manifest's directory: `.bridge/` lives here, and so does the lockfile. */
  projectDir: string;
  /** The committed copy of uv.lock (default `<projectDir>/<spec.name>.bridge.lock`). */
  lockFile?: string;
  /** Where environments live (default `<projectDir>/.bridge/envs`). */
  envRoot?: string;
  /** The worker to install: its source directory and its runtime requirements. */
  worker: WorkerSource;
  /** CI mode: fail with `lock_stale` instead of (re)writing a lockfile that is missing or out of date. */
  frozen?: boolean;
  /** Use only uv's cache: no network. */
  offline?: boolean;
  /** An explicit uv executable. */
  uv?: string;
  /** Where uv is bootstrapped when none is found (default `$BRIDGE_TOOLS_DIR` or `~/.cache/bridge/tools`). */
  toolsDir?: string;
  /** Receives progress events; the last one of a successful call is `{ phase: "done" }`. */
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** How long to wait for another process building the same environment (default 10 minutes). */
  lockTimeoutMs?: number;
  /** The environment to read PATH, index settings... from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** A ready environment. */
export interface Environment {
  /** Absolute path of the environment's interpreter: run workers with it. */
  python: string;
  /** The environment's directory (`<envRoot>/<key>`). */
  envDir: string;
  /** The lockfile it was synced from (absolute). */
  lockFile: string;
  /** The interpreter's version, e.g. `3.11.7`. */
  pythonVersion: string;
  /** The uv that built it. */
  uv: { path: string; version: string };
  /** False when nothing had to be done (the fast path: no uv process ran). */
  changed: boolean;
  /** How long the call took. */
  durationMs: number;
  /** The environment's key, as {@link environmentKey} computes it. */
  key: string;
  /** The installed bridge_worker's version. */
  workerVersion: string;
}

const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60_000;

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

/**
 * Whether the environment is exactly what the marker says it was built from: same
 * spec, same lockfile bytes, same worker files, interpreter still present. Only
 * reads a few small files: no process is started.
 */
function freshMarker(layout: EnvironmentLayout, worker: WorkerSource): EnvMarker | undefined {
  const marker = readMarker(layout.marker);
  if (!marker || marker.specHash !== layout.specHash || marker.python !== layout.python) return undefined;
  if (fileHash(layout.lockFile) !== marker.lockHash) return undefined;
  if (!existsSync(layout.python)) return undefined;
  try {
    if (workerFingerprint(worker.source) !== marker.workerHash) return undefined;
  } catch {
    return undefined;
  }
  return marker;
}

/**
 * Makes sure the Python environment for `spec` exists, matches its lockfile and
 * has the worker installed, and returns its interpreter.
 *
 * The environment is a uv project in `<envRoot>/<key>` (`.venv` inside). With a
 * lockfile next to the manifest, it is checked against the spec (`uv lock --locked`)
 * and installed as locked (`uv sync --frozen`); when missing or out of date it is
 * (re)written by `uv lock`, unless `frozen`. The worker is installed from
 * `worker.source`. When nothing changed since the last success, the call reads a
 * marker, the lockfile and the worker's files and returns in milliseconds without
 * starting uv. Concurrent calls for the same environment, from any process,
 * serialize on a file lock.
 */
export async function ensureEnvironment(spec: EnvironmentSpec, options: EnsureEnvironmentOptions): Promise<Environment> {
  const started = performance.now();
  const emit = emitter(options.onProgress);
  const layout = environmentLayout(spec, options.worker.requirements, options);
  const done = (marker: EnvMarker, changed: boolean): Environment => {
    const durationMs = elapsed(started);
    emit({ phase: "done", changed, durationMs });
    return {
      python: marker.python,
      envDir: layout.envDir,
      lockFile: layout.lockFile,
      pythonVersion: marker.pythonVersion,
      uv: { ...marker.uv },
      changed,
      durationMs,
      key: layout.key,
      workerVersion: marker.workerVersion,
    };
  };

  const fresh = freshMarker(layout, options.worker);
  if (fresh) return done(fresh, false);

  throwIfAborted(options.signal, `building the environment for "${spec.name}"`);
  await mkdir(layout.envDir, { recursive: true });
  // Environments are machine-specific: keep them out of version control, as uv does for .venv.
  await writeFile(join(layout.envRoot, ".gitignore"), "# Created by @bridge/uv: environments are machine-specific.\n*\n", { flag: "wx" }).catch(
    () => undefined,
  );
  return withDirLock(
    layout.envDir,
    {
      what: `the environment of "${spec.name}" (${layout.envDir})`,
      timeoutMs: options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS,
      signal: options.signal,
      onWait: () => emit({ phase: "resolve", message: `waiting for another process building ${layout.envDir}` }),
    },
    async () => {
      // Whoever held the lock may have just built exactly this.
      const built = freshMarker(layout, options.worker);
      if (built) return done(built, false);
      const marker = await buildEnvironment(spec, options, layout, emit);
      return done(marker, true);
    },
  );
}
