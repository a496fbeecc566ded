import { existsSync, readFileSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { EnsureEnvironmentOptions } from "./ensure-environment.js";
import type { Env } from "./env.js";
import { fileHash, readMarker, writeFileAtomic, writeMarker, type EnvMarker } from "./env-marker.js";
import { sitePackagesOf, type EnvironmentLayout } from "./environment-layout.js";
import { allDependencies, requiresPython, type EnvironmentSpec } from "./environment-spec.js";
import { findPython } from "./find-python.js";
import { findUv, type UvInfo } from "./find-uv.js";
import { resolveIndexSettings } from "./index-settings.js";
import { UvProgressParser, type ProgressListener } from "./progress.js";
import { renderPyproject } from "./pyproject.js";
import { runTool, type ToolResult } from "./run-tool.js";
import { diagnoseUvFailure } from "./uv-diagnostics.js";
import { UvError } from "./uv-error.js";
import { hermeticUvEnv, hermeticUvFlags } from "./uv-environment.js";
import { installWorker, workerFingerprint } from "./worker-install.js";

function readOptional(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

async function writeIfChanged(path: string, data: string | Buffer): Promise<boolean> {
  const current = readOptional(path);
  const next = typeof data === "string" ? Buffer.from(data) : data;
  if (current && current.equals(next)) return false;
  await writeFileAtomic(path, next);
  return true;
}

/** uv commands that fail on the network are tried this many times in all. */
const NETWORK_ATTEMPTS = 3;
const NETWORK_BACKOFF_MS = 1500;
const TRANSIENT_NETWORK = /error sending request|client error \(Connect\)|operation timed out|connection (reset|refused|closed)|dns error|temporary failure in name resolution|broken pipe/i;

/** Whether uv failed because the index could not be reached, not because of what it said. @private */
export function isTransientNetworkFailure(stderr: string): boolean {
  return TRANSIENT_NETWORK.test(stderr);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/**
 * The slow path of {@link ensureEnvironment}, run under the environment's lock:
 * check or write the lock, sync, install the worker, verify, write the marker.
 * @private
 */
export async function buildEnvironment(
  spec: EnvironmentSpec,
  options: EnsureEnvironmentOptions,
  layout: EnvironmentLayout,
  emit: ProgressListener,
): Promise<EnvMarker> {
  const env: Env = options.env ?? process.env;
  const signal = options.signal;
  const { worker } = options;
  // Fails early (install_failed) when the worker source is not a worker package.
  const workerHash = workerFingerprint(worker.source);
  const dependencies = allDependencies(spec, worker.requirements);
  const requires = requiresPython(spec.pythonVersion);

  const previous = readMarker(layout.marker);
  const userLock = readOptional(layout.lockFile);
  const userLockHash = fileHash(layout.lockFile);
  // The lock was verified against this very spec and synced before: only the worker changed.
  const lockVerified =
    userLock !== undefined &&
    previous?.specHash === layout.specHash &&
    previous.lockHash === userLockHash &&
    fileHash(layout.uvLock) === userLockHash;
  const mustSync = !lockVerified || !existsSync(layout.python);

  let uvState: { uv: UvInfo; interpreter: string; uvEnv: Record<string, string> } | undefined;
  const prepareUv = async () => {
    if (uvState) return uvState;
    emit({ phase: "uv", message: "finding uv" });
    const uv = await findUv({
      ...(options.uv === undefined ? {} : { uv: options.uv }),
      ...(options.toolsDir === undefined ? {} : { toolsDir: options.toolsDir }),
      onProgress: emit,
      ...(signal ? { signal } : {}),
      env,
    });
    emit({ phase: "uv", message: `using uv ${uv.version} (${uv.path})` });
    const interpreter = await findPython(uv.path, requires, hermeticUvEnv(env), signal);
    const index = resolveIndexSettings(spec, env);
    uvState = { uv, interpreter, uvEnv: hermeticUvEnv(env, { index, projectEnvironment: layout.venv }) };
    return uvState;
  };
  if (mustSync) await prepareUv();
  const flags = [...hermeticUvFlags({ offline: options.offline === true }), "--project", layout.envDir];
  const parser = new UvProgressParser(emit);
  const uvRun = async (args: string[], onLine?: (line: string) => void): Promise<ToolResult> => {
    const { uv, interpreter, uvEnv } = await prepareUv();
    for (let attempt = 1; ; attempt++) {
      const result = await runTool(uv.path, [...args, "--python", interpreter, ...flags], {
        env: uvEnv,
        cwd: layout.envDir,
        ...(signal ? { signal } : {}),
        ...(onLine ? { onStderrLine: onLine } : {}),
      });
      // A dropped connection to the index is worth another try; a real resolution error is not.
      if (result.exitCode === 0 || options.offline || attempt >= NETWORK_ATTEMPTS || !isTransientNetworkFailure(result.stderr)) {
        return result;
      }
      emit({ phase: "resolve", message: `the package index did not answer (attempt ${attempt} of ${NETWORK_ATTEMPTS}); retrying` });
      await sleep(NETWORK_BACKOFF_MS * attempt, signal);
    }
  };
  const failure = (result: ToolResult, during: "lock" | "sync"): UvError => {
    if (result.spawnError) {
      return new UvError("uv_not_found", `${result.command[0]} could not be started: ${result.spawnError}`, {
        command: result.command,
      });
    }
    const d = diagnoseUvFailure(result.stderr, during, dependencies);
    const what =
      d.code === "resolution_failed"
        ? `could not lock the dependencies of "${spec.name}"`
        : d.code === "install_failed"
          ? `could not install the locked packages of "${spec.name}"`
          : `\`uv ${during}\` failed for "${spec.name}"`;
    return new UvError(d.code, `${what}: ${d.summary}\n${d.excerpt}`, {
      ...(d.requirement === undefined ? {} : { requirement: d.requirement }),
      stderr: result.stderr,
      command: result.command,
    });
  };

  await writeIfChanged(layout.pyproject, renderPyproject(spec, worker.requirements));

  const relock = async (why: string): Promise<void> => {
    emit({ phase: "resolve", message: why });
    const result = await uvRun(["lock"], (line) => parser.line(line));
    if (result.exitCode !== 0) throw failure(result, "lock");
    const locked = readOptional(layout.uvLock);
    if (!locked) throw new UvError("resolution_failed", `uv lock succeeded but wrote no ${layout.uvLock}`, { command: result.command });
    await mkdir(dirname(layout.lockFile), { recursive: true });
    await writeIfChanged(layout.lockFile, locked);
  };

  if (!lockVerified) {
    if (userLock !== undefined) {
      await writeIfChanged(layout.uvLock, userLock);
      emit({ phase: "resolve", message: `checking ${layout.lockFile} against the dependencies of "${spec.name}"` });
      const check = await uvRun(["lock", "--locked"], (line) => parser.line(line));
      if (check.exitCode !== 0) {
        const d = diagnoseUvFailure(check.stderr, "lock", dependencies);
        if (d.code !== "lock_stale") throw failure(check, "lock");
        if (options.frozen) {
          throw new UvError(
            "lock_stale",
            `${layout.lockFile} no longer matches the dependencies of "${spec.name}" and frozen is set: re-lock without frozen (\`bridge env sync\`) and commit the lockfile`,
            { stderr: check.stderr, command: check.command },
          );
        }
        await relock(`${layout.lockFile} is out of date: re-locking (pins of unchanged packages are kept)`);
      }
    } else {
      if (options.frozen) {
        throw new UvError(
          "lock_stale",
          `there is no lockfile at ${layout.lockFile} and frozen is set: create it without frozen (\`bridge env sync\`) and commit it`,
        );
      }
      // A stale working copy would act as preferences; no user lockfile means resolve afresh.
      await rm(layout.uvLock, { force: true });
      await relock(`resolving the dependencies of "${spec.name}"`);
    }
  }

  // From here the environment changes: an interruption must not leave a marker that
  // vouches for it (the user could restore the lockfile it names).
  await rm(layout.marker, { force: true });
  if (mustSync) {
    const syncArgs = ["sync", "--frozen"];
    if (options.onProgress) {
      const plan = await uvRun([...syncArgs, "--dry-run"]);
      if (plan.exitCode === 0) parser.planned(plan.stderr.split("\n"));
    }
    const result = await uvRun(syncArgs, (line) => parser.line(line));
    if (result.exitCode !== 0) throw failure(result, "sync");
  }

  const sitePackages = sitePackagesOf(layout.venv);
  if (!sitePackages) {
    throw new UvError("install_failed", `uv sync finished but ${layout.venv} has no site-packages directory`);
  }
  let workerVersion = previous?.workerVersion ?? "";
  if (mustSync || previous?.workerHash !== workerHash || !existsSync(join(sitePackages, "bridge_worker", "__init__.py"))) {
    emit({ phase: "install", done: 0, total: 1, name: "bridge-worker" });
    workerVersion = (await installWorker(worker, sitePackages)).version;
    emit({ phase: "install", done: 1, total: 1, name: "bridge-worker" });
  }

  const probe = await runTool(
    layout.python,
    ["-I", "-B", "-c", "import platform, bridge_worker; print(platform.python_version())"],
    { env: hermeticUvEnv(env), ...(signal ? { signal } : {}), timeoutMs: 60_000 },
  );
  if (probe.exitCode !== 0) {
    throw new UvError(
      "install_failed",
      `the environment's interpreter ${layout.python} cannot import bridge_worker:\n${probe.stderr.trim() || probe.spawnError || ""}`,
      { stderr: probe.stderr, command: probe.command },
    );
  }

  const marker: EnvMarker = {
    format: 1,
    name: spec.name,
    key: layout.key,
    specHash: layout.specHash,
    lockHash: fileHash(layout.lockFile) ?? "",
    workerHash,
    workerVersion,
    python: layout.python,
    pythonVersion: probe.stdout.trim(),
    uv: uvState ? { path: uvState.uv.path, version: uvState.uv.version } : { ...(previous?.uv ?? { path: "", version: "" }) },
    syncedAt: new Date().toISOString(),
  };
  await writeMarker(layout.marker, marker);
  return marker;
}
