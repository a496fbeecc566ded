import { homedir } from "node:os";
import { join } from "node:path";
import { bootstrapUv, bootstrappedUvPath } from "./bootstrap-uv.js";
import { plainEnv, type Env } from "./env.js";
import { emitter, type ProgressListener } from "./progress.js";
import { runTool } from "./run-tool.js";
import { UvError } from "./uv-error.js";
import { findExecutable, findExecutables, isExecutableFile } from "./which.js";

/** How long `uv --version` or a `python -m uv` lookup may take. */
const PROBE_TIMEOUT_MS = 20_000;

/** Where a uv came from, in the order they are tried. */
export type UvSource = "option" | "env" | "path" | "python-module" | "bootstrapped";

/** A usable uv. */
export interface UvInfo {
  /** Absolute path of the uv executable. */
  path: string;
  /** Its version, e.g. `0.13.8`. */
  version: string;
  /** How it was found. */
  source: UvSource;
}

/** Options for {@link findUv}. */
export interface FindUvOptions {
  /** An explicit uv executable; when given, nothing else is tried. */
  uv?: string;
  /** Where uv is bootstrapped (default `$BRIDGE_TOOLS_DIR` or `~/.cache/bridge/tools`). */
  toolsDir?: string;
  /** Install uv with the system Python's pip when none is found (default true). */
  bootstrap?: boolean;
  /** Receives `{ phase: "uv" }` messages while bootstrapping. */
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /** The environment to read PATH, UV, HOME... from (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
}

/** The oldest uv whose command line this package relies on. */
export const MIN_UV_VERSION = "0.5.0";

/** `$BRIDGE_TOOLS_DIR`, else `~/.cache/bridge/tools` (under `$XDG_CACHE_HOME` when set). @private */
export function defaultToolsDir(env: Env): string {
  if (env.BRIDGE_TOOLS_DIR) return env.BRIDGE_TOOLS_DIR;
  const cache = env.XDG_CACHE_HOME || join(env.HOME || homedir(), ".cache");
  return join(cache, "bridge", "tools");
}

function olderThan(version: string, minimum: string): boolean {
  const parts = (v: string) => v.split(/[.+-]/).slice(0, 3).map((p) => Number.parseInt(p, 10) || 0);
  const [a, b] = [parts(version), parts(minimum)];
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0);
  }
  return false;
}

/**
 * Runs `<path> --version`: the version when it is a uv this package can use, or why not.
 * @private
 */
export async function probeUv(
  path: string,
  env: Env,
  signal?: AbortSignal,
): Promise<{ version: string } | { problem: string }> {
  const result = await runTool(path, ["--version"], { env: plainEnv(env), signal, timeoutMs: PROBE_TIMEOUT_MS });
  const match = /^uv (\d+\.\d+\.\d+\S*)/.exec(result.stdout.trim());
  if (result.exitCode !== 0 || !match) {
    const err = result.stderr.trim().split("\n")[0] ?? "";
    return { problem: `\`${path} --version\` failed${err ? `: ${err}` : ""}` };
  }
  const version = match[1]!;
  if (olderThan(version, MIN_UV_VERSION)) {
    return { problem: `${path} is uv ${version}, older than the ${MIN_UV_VERSION} Bridge needs` };
  }
  return { version };
}

/** `python -m uv` installs: the binary the `uv` module points at. */
async function uvFromPythonModule(env: Env, signal?: AbortSignal): Promise<string[]> {
  const found: string[] = [];
  for (const name of ["python3", "python"]) {
    const python = findExecutable(name, env);
    if (!python) continue;
    const result = await runTool(python, ["-c", "import sys, uv; sys.stdout.write(uv.find_uv_bin())"], {
      env: plainEnv(env),
      signal,
      timeoutMs: PROBE_TIMEOUT_MS,
    });
    const out = result.stdout.trim();
    if (result.exitCode === 0 && out && !found.includes(out)) found.push(out);
  }
  return found;
}

const found = new Map<string, UvInfo>();

/**
 * Finds a usable uv: the `uv` option, then the `UV` environment variable, then
 * `uv` on PATH, then the one `python -m uv` would run, then a copy bootstrapped
 * earlier into the tools directory; if none, installs uv there with the system
 * Python's pip (`bootstrap: false` turns that into UvError("uv_not_found")).
 * uv older than {@link MIN_UV_VERSION} is skipped. Results are remembered per process.
 */
export async function findUv(options: FindUvOptions = {}): Promise<UvInfo> {
  const env = options.env ?? process.env;
  const toolsDir = options.toolsDir ?? defaultToolsDir(env);
  const signal = options.signal;
  const memoKey = JSON.stringify([options.uv, env.UV, env.PATH, toolsDir]);
  const memo = found.get(memoKey);
  if (memo && isExecutableFile(memo.path)) return memo;

  const remember = (info: UvInfo): UvInfo => {
    found.set(memoKey, info);
    return info;
  };
  const problems: string[] = [];
  const attempt = async (path: string, source: UvSource): Promise<UvInfo | undefined> => {
    const probe = await probeUv(path, env, signal);
    if ("version" in probe) return remember({ path, version: probe.version, source });
    problems.push(probe.problem);
    return undefined;
  };

  if (options.uv !== undefined) {
    const info = await attempt(options.uv, "option");
    if (info) return info;
    throw new UvError("uv_not_found", `the uv given explicitly cannot be used: ${problems.join("; ")}`);
  }
  if (env.UV) {
    const info = await attempt(env.UV, "env");
    if (info) return info;
  }
  for (const path of findExecutables("uv", env)) {
    const info = await attempt(path, "path");
    if (info) return info;
  }
  for (const path of await uvFromPythonModule(env, signal)) {
    const info = await attempt(path, "python-module");
    if (info) return info;
  }
  const bootstrapped = bootstrappedUvPath(toolsDir);
  if (isExecutableFile(bootstrapped)) {
    const info = await attempt(bootstrapped, "bootstrapped");
    if (info) return info;
  }
  if (options.bootstrap === false) {
    throw new UvError(
      "uv_not_found",
      `uv was not found (tried the UV variable, PATH, \`python3 -m uv\` and ${bootstrapped})${
        problems.length ? `: ${problems.join("; ")}` : ""
      }; install it (\`python3 -m pip install uv\`, or https://docs.astral.sh/uv/getting-started/installation/) or let Bridge bootstrap it`,
    );
  }
  const path = await bootstrapUv({ toolsDir, env, emit: emitter(options.onProgress), signal });
  const info = await attempt(path, "bootstrapped");
  if (info) return info;
  throw new UvError("bootstrap_failed", `uv was installed into ${toolsDir} but does not run: ${problems.join("; ")}`);
}
