import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { withDirLock } from "./dir-lock.js";
import { plainEnv, type Env } from "./env.js";
import type { ProgressListener } from "./progress.js";
import { runTool } from "./run-tool.js";
import { stderrExcerpt } from "./uv-diagnostics.js";
import { UvError } from "./uv-error.js";
import { findExecutable, isExecutableFile } from "./which.js";

/** The uv versions a bootstrap installs: new enough for every flag used here. */
const UV_REQUIREMENT = "uv>=0.5,<1";

/** The uv executable inside a `pip install --target <dir> uv`. */
function uvInTarget(dir: string): string {
  return process.platform === "win32" ? join(dir, "Scripts", "uv.exe") : join(dir, "bin", "uv");
}

/** Where a bootstrapped uv lives inside the tools directory. @private */
export function bootstrappedUvPath(toolsDir: string): string {
  return uvInTarget(join(toolsDir, "uv"));
}

/** How to bootstrap uv. @private */
export interface BootstrapUvOptions {
  toolsDir: string;
  env: Env;
  emit: ProgressListener;
  signal?: AbortSignal | undefined;
}


/**
 * Installs uv into `<toolsDir>/uv` with the system Python's pip
 * (`pip install --target`, a binary wheel only; pip's own index settings apply).
 * The install goes to a temporary directory renamed into place, under a lock, so
 * concurrent bootstraps neither collide nor leave half an install behind.
 * @private
 */
export async function bootstrapUv(options: BootstrapUvOptions): Promise<string> {
  const { toolsDir, env, emit, signal } = options;
  const target = bootstrappedUvPath(toolsDir);
  const python = findExecutable("python3", env) ?? findExecutable("python", env);
  const fix =
    "install uv yourself (https://docs.astral.sh/uv/getting-started/installation/, or `pipx install uv`) and put it on PATH or in the UV variable";
  if (!python) {
    throw new UvError("bootstrap_failed", `uv was not found and there is no python3 on PATH to install it with; ${fix}`);
  }
  const childEnv = { ...plainEnv(env), PIP_DISABLE_PIP_VERSION_CHECK: "1", PIP_NO_INPUT: "1" };
  const pip = await runTool(python, ["-m", "pip", "--version"], { env: childEnv, signal, timeoutMs: 30_000 });
  if (pip.exitCode !== 0) {
    throw new UvError("bootstrap_failed", `uv was not found and ${python} has no pip to install it with; ${fix}`, {
      stderr: pip.stderr,
      command: pip.command,
    });
  }

  await mkdir(toolsDir, { recursive: true });
  const uvDir = join(toolsDir, "uv");
  return withDirLock(
    join(toolsDir, "uv-bootstrap"),
    {
      what: `the uv bootstrap in ${toolsDir}`,
      timeoutMs: 10 * 60_000,
      signal,
      onWait: () => emit({ phase: "uv", message: `waiting for another process bootstrapping uv into ${toolsDir}` }),
    },
    async () => {
      if (isExecutableFile(target)) return target;
      emit({
        phase: "uv",
        message: `uv was not found: installing it into ${toolsDir} with ${python} -m pip (once, about 20 MB)`,
      });
      const staging = join(toolsDir, `.uv-staging-${process.pid}-${Date.now()}`);
      await rm(staging, { recursive: true, force: true });
      try {
        const args = [
          "-m", "pip", "install",
          "--target", staging,
          "--only-binary", ":all:",
          "--no-input", "--disable-pip-version-check", "--progress-bar", "off", "--no-warn-script-location",
          UV_REQUIREMENT,
        ];
        const result = await runTool(python, args, { env: childEnv, signal, timeoutMs: 10 * 60_000 });
        if (result.exitCode !== 0) {
          throw new UvError(
            "bootstrap_failed",
            `uv was not found and installing it with pip failed (${python} -m pip install ${UV_REQUIREMENT}); ${fix}:\n${stderrExcerpt(result.stderr || result.stdout)}`,
            { stderr: result.stderr, command: result.command },
          );
        }
        const staged = uvInTarget(staging);
        if (!isExecutableFile(staged)) {
          throw new UvError("bootstrap_failed", `pip installed uv into ${staging} but no executable appeared at ${staged}; ${fix}`, {
            stderr: result.stderr,
            command: result.command,
          });
        }
        await rm(uvDir, { recursive: true, force: true });
        await rename(staging, uvDir);
      } finally {
        await rm(staging, { recursive: true, force: true });
      }
      emit({ phase: "uv", message: `installed uv into ${uvDir}` });
      return target;
    },
  );
}
