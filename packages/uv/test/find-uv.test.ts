import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { UvError, ensureEnvironment, findUv, type ProgressEvent } from "../src/index.js";
import { findExecutables } from "../src/which.js";
import { WORKER, runPython, spec, tempDir } from "./helpers.js";

const withoutUv = { ...process.env, UV: undefined };

/**
 * A system Python with pip but without the `uv` module (so `python -m uv` cannot
 * stand in for a bootstrap), or undefined.
 */
async function pythonWithoutUv(): Promise<string | undefined> {
  for (const candidate of ["/usr/bin/python3", "/usr/local/bin/python3", ...findExecutables("python3", process.env)]) {
    if (!existsSync(candidate)) continue;
    const pip = await execa(candidate, ["-m", "pip", "--version"], { reject: false });
    const uv = await execa(candidate, ["-c", "import uv"], { reject: false });
    if (pip.exitCode === 0 && uv.exitCode !== 0) return candidate;
  }
  return undefined;
}

/** A PATH holding only `python3` (a link to `python`) and the shell basics, never uv. */
function pathWithOnly(python: string): string {
  const bin = tempDir("bridge-uv-bin-");
  symlinkSync(python, join(bin, "python3"));
  return bin;
}

describe("findUv", () => {
  it("finds uv on PATH, through UV, or as given", async () => {
    const onPath = await findUv({ env: withoutUv, bootstrap: false });
    expect(onPath.source).toBe("path");
    expect(onPath.version).toMatch(/^\d+\.\d+\.\d+/);

    const viaEnv = await findUv({ env: { ...process.env, UV: onPath.path }, bootstrap: false });
    expect(viaEnv).toEqual({ ...onPath, source: "env" });

    expect(await findUv({ uv: onPath.path })).toEqual({ ...onPath, source: "option" });
    const wrong = await findUv({ uv: "/nonexistent/uv" }).catch((e: unknown) => e);
    expect(wrong).toBeInstanceOf(UvError);
    expect(wrong).toMatchObject({ code: "uv_not_found" });
  });

  it("fails with uv_not_found when uv is nowhere and bootstrapping is off", async () => {
    const error = await findUv({ env: { PATH: tempDir("bridge-uv-empty-path-") }, toolsDir: tempDir(), bootstrap: false }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UvError);
    expect(error).toMatchObject({ code: "uv_not_found" });
    expect((error as UvError).message).toContain("pip install uv");
  });

  it("bootstraps uv into the tools directory with the system Python's pip when it is missing", async (context) => {
    const python = await pythonWithoutUv();
    if (!python) return context.skip("no Python with pip and without the uv module on this machine");
    const bin = pathWithOnly(python);
    // Everything else (TLS certificates, HOME...) as the machine has it.
    const env = { ...process.env, PATH: bin, UV: undefined };
    expect(findExecutables("uv", env)).toEqual([]);
    const toolsDir = join(tempDir(), "tools");
    mkdirSync(toolsDir);

    const events: ProgressEvent[] = [];
    const started = performance.now();
    const uv = await findUv({ env, toolsDir, onProgress: (e) => events.push(e) });
    console.log(`bootstrap of uv ${uv.version} with ${python}: ${(performance.now() - started).toFixed(0)} ms`);
    expect(uv.source).toBe("bootstrapped");
    expect(uv.path.startsWith(toolsDir)).toBe(true);
    expect(events.map((e) => e.phase)).toEqual(["uv", "uv"]);
    expect(events[0]).toMatchObject({ message: expect.stringContaining("installing it into") });
    expect((await execa(uv.path, ["--version"])).stdout).toContain(uv.version);

    // Found there from now on, without pip; also when bootstrapping is off.
    const again = await findUv({ env, toolsDir, bootstrap: false });
    expect(again).toEqual(uv);

    // And an environment builds with it, on a machine whose PATH has no uv.
    const built = await ensureEnvironment(spec(["six"]), { projectDir: tempDir(), worker: WORKER, toolsDir, env });
    expect(built.uv).toEqual({ path: uv.path, version: uv.version });
    expect(await runPython(built.python, "import six, bridge_worker; print('ok')")).toBe("ok");
  }, 120_000);
});
