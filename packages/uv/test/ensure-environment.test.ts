import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { lock } from "proper-lockfile";
import { describe, expect, it } from "vitest";
import {
  UvError,
  ensureEnvironment,
  environmentKey,
  inspectEnvironment,
  removeEnvironments,
  type Environment,
  type ProgressEvent,
} from "../src/index.js";
import { WORKER, childScriptArgs, lockedVersion, runPython, spec, tempDir, uvSpy } from "./helpers.js";

/** Rejects with the UvError `fn` throws, or fails. */
async function uvError(fn: () => Promise<unknown>): Promise<UvError> {
  try {
    await fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UvError);
    return error as UvError;
  }
  throw new Error("expected a UvError");
}

describe("ensureEnvironment", () => {
  it("creates a locked environment, then returns at once without running uv", async () => {
    const projectDir = tempDir();
    const uv = await uvSpy();
    const events: ProgressEvent[] = [];
    const cold = await ensureEnvironment(spec(["packaging"]), {
      projectDir,
      worker: WORKER,
      uv: uv.path,
      onProgress: (e) => events.push(e),
    });
    console.log(`cold creation (packaging + the worker's requirements): ${cold.durationMs.toFixed(0)} ms`);

    expect(cold.changed).toBe(true);
    expect(cold.envDir).toBe(join(projectDir, ".bridge", "envs", environmentKey(spec(["packaging"]), WORKER.requirements)));
    expect(cold.python).toBe(join(cold.envDir, ".venv", "bin", "python"));
    expect(cold.pythonVersion).toMatch(/^3\.\d+\.\d+/);
    expect(await runPython(cold.python, "import packaging, grpc, bridge_worker; print(bridge_worker.__version__)")).toBe(
      cold.workerVersion,
    );

    // The lockfile sits next to the manifest, is hashed, and carries no machine paths.
    expect(cold.lockFile).toBe(join(projectDir, "demo.bridge.lock"));
    const lock = readFileSync(cold.lockFile, "utf8");
    expect(lock).toContain('name = "packaging"');
    expect(lock).toMatch(/hash = "sha256:[0-9a-f]{64}"/);
    expect(lock).not.toContain(projectDir);
    expect(lock).not.toContain(WORKER.source);
    expect(readFileSync(join(projectDir, ".bridge", "envs", ".gitignore"), "utf8")).toContain("*");

    expect(events.some((e) => e.phase === "resolve" && (e.packages ?? 0) > 0)).toBe(true);
    expect(events.some((e) => e.phase === "install" && e.done === e.total && e.total > 1)).toBe(true);
    expect(events.at(-1)).toEqual({ phase: "done", changed: true, durationMs: cold.durationMs });

    const callsAfterCold = uv.calls().length;
    expect(uv.calls().map((call) => call.split(" ")[0])).toEqual(expect.arrayContaining(["lock", "sync"]));
    const warmEvents: ProgressEvent[] = [];
    const warm = await ensureEnvironment(spec(["packaging"]), {
      projectDir,
      worker: WORKER,
      uv: uv.path,
      onProgress: (e) => warmEvents.push(e),
    });
    // "At once" is checked as a cause, not a clock: no uv process ran. Its speed is in `pnpm bench`.
    expect(warm).toMatchObject({ changed: false, python: cold.python, lockFile: cold.lockFile, pythonVersion: cold.pythonVersion });
    expect(warmEvents).toEqual([{ phase: "done", changed: false, durationMs: warm.durationMs }]);
    expect(uv.calls().length).toBe(callsAfterCold); // no uv process at all

    const status = await inspectEnvironment(spec(["packaging"]), { projectDir, worker: WORKER, uv: uv.path });
    expect(status).toMatchObject({
      exists: true,
      fresh: true,
      lockPresent: true,
      lockMatchesSpec: true,
      workerImportable: true,
      workerCurrent: true,
      python: cold.python,
      pythonVersion: cold.pythonVersion,
      problems: [],
    });
    expect(status.packages?.map((p) => p.name)).toEqual(expect.arrayContaining(["packaging", "bridge-worker", "grpcio"]));
    expect(uv.calls().length).toBe(callsAfterCold);
  });

  it("installs the pins of the lockfile, re-locks a changed spec keeping them, and fails frozen on a stale lock", async () => {
    const projectDir = tempDir();
    const options = { projectDir, worker: WORKER };
    const first = await ensureEnvironment(spec(["six"]), options);
    const lockFile = first.lockFile;
    const latest = lockedVersion(lockFile, "six")!;
    expect(await runPython(first.python, "import six; print(six.__version__)")).toBe(latest);

    // Hand-edit the lockfile: replace six's entry (version, URLs, hashes) with 1.16.0's,
    // taken from a lock of another project.
    const other = await ensureEnvironment(spec(["six==1.16.0"]), { projectDir: tempDir(), worker: WORKER });
    const sixBlock = (text: string) => /\[\[package\]\]\nname = "six"\n[\s\S]*?(?=\n\[\[package\]\]|\n*$)/.exec(text)![0];
    const edited = readFileSync(lockFile, "utf8").replace(sixBlock(readFileSync(lockFile, "utf8")), sixBlock(readFileSync(other.lockFile, "utf8")));
    expect(edited).toContain('name = "six"\nversion = "1.16.0"');
    writeFileSync(lockFile, edited);

    const pinned = await ensureEnvironment(spec(["six"]), options);
    expect(pinned).toMatchObject({ changed: true, envDir: first.envDir });
    expect(await runPython(pinned.python, "import six; print(six.__version__)")).toBe("1.16.0");
    expect(readFileSync(lockFile, "utf8")).toBe(edited); // still satisfies the spec: left as the user wrote it

    // A changed spec makes the lock stale: frozen refuses, and leaves the lockfile alone...
    const changed = spec(["six", "packaging"]);
    const stale = await uvError(() => ensureEnvironment(changed, { ...options, frozen: true }));
    expect(stale.code).toBe("lock_stale");
    expect(stale.message).toContain(lockFile);
    expect(readFileSync(lockFile, "utf8")).toBe(edited);
    expect((await inspectEnvironment(changed, options)).lockMatchesSpec).toBe(false);

    // ...otherwise a new environment is built from a re-lock that keeps six's pin.
    const relocked = await ensureEnvironment(changed, options);
    expect(relocked.changed).toBe(true);
    expect(relocked.envDir).not.toBe(first.envDir);
    expect(lockedVersion(lockFile, "six")).toBe("1.16.0");
    expect(lockedVersion(lockFile, "packaging")).toBeDefined();
    expect(await runPython(relocked.python, "import six, packaging; print(six.__version__)")).toBe("1.16.0");
    expect((await ensureEnvironment(changed, { ...options, frozen: true })).changed).toBe(false);
  });

  it("names the requirement that cannot be resolved, and the Python that cannot be found", async () => {
    const projectDir = tempDir();
    const missing = await uvError(() =>
      ensureEnvironment(spec(["six", "nonexistent-pkg-xyz-bridge>=1"]), { projectDir, worker: WORKER }),
    );
    expect(missing.code).toBe("resolution_failed");
    expect(missing.requirement).toBe("nonexistent-pkg-xyz-bridge>=1");
    expect(missing.message).toContain("nonexistent-pkg-xyz-bridge");
    expect(missing.command).toContain("lock");
    expect(missing.stderr).toContain("No solution found");
    expect(existsSync(join(projectDir, "demo.bridge.lock"))).toBe(false);

    const noPython = await uvError(() =>
      ensureEnvironment(spec(["six"], { pythonVersion: ">=3.99" }), { projectDir, worker: WORKER }),
    );
    expect(noPython.code).toBe("python_not_found");
    expect(noPython.message).toContain(">=3.99");
    expect(noPython.message).toMatch(/found \d+\.\d+\.\d+/);
  });

  it("reinstalls a changed worker without running uv lock or sync", async () => {
    const projectDir = tempDir();
    const source = tempDir("bridge-uv-worker-");
    cpSync(join(WORKER.source, "bridge_worker"), join(source, "bridge_worker"), {
      recursive: true,
      filter: (src) => !src.includes("__pycache__"),
    });
    const worker = { source, requirements: WORKER.requirements };
    const uv = await uvSpy();
    const first = await ensureEnvironment(spec(["six"]), { projectDir, worker, uv: uv.path });

    writeFileSync(join(source, "bridge_worker", "extra_for_test.py"), "MARK = 42\n");
    expect((await inspectEnvironment(spec(["six"]), { projectDir, worker })).workerCurrent).toBe(false);
    const before = uv.calls().length;
    const second = await ensureEnvironment(spec(["six"]), { projectDir, worker, uv: uv.path });
    expect(second.changed).toBe(true);
    expect(uv.calls().slice(before)).toEqual([]);
    expect(await runPython(second.python, "from bridge_worker.extra_for_test import MARK; print(MARK)")).toBe("42");
    expect(second.python).toBe(first.python);

    // uv's view of the environment agrees: the worker is an installed distribution.
    const list = await execa(uv.path, ["pip", "list", "--python", second.python, "--format", "json", "--no-config"]);
    expect(JSON.parse(list.stdout)).toEqual(expect.arrayContaining([{ name: "bridge-worker", version: second.workerVersion }]));
  });

  it("is hermetic: a user's uv config and resolution variables do not leak in; index variables do", async () => {
    const projectDir = tempDir();
    const config = tempDir("bridge-uv-xdg-");
    // Would break every resolution if uv read it.
    mkdirSync(join(config, "uv"));
    writeFileSync(join(config, "uv", "uv.toml"), 'index-url = "http://127.0.0.1:9/simple"\n');
    const env = {
      ...process.env,
      XDG_CONFIG_HOME: config,
      UV_CONSTRAINT: join(config, "does-not-exist.txt"),
      UV_PYTHON: "3.99",
      UV_EXCLUDE_NEWER: "2000-01-01T00:00:00Z",
    };
    const ok = await ensureEnvironment(spec(["six"]), { projectDir, worker: WORKER, env });
    expect(ok.changed).toBe(true);

    // The user's index settings are honored (here: one that refuses connections).
    for (const variable of ["UV_DEFAULT_INDEX", "PIP_INDEX_URL"]) {
      const failed = await uvError(() =>
        ensureEnvironment(spec(["six", "packaging<26"]), {
          projectDir: tempDir(),
          worker: WORKER,
          env: { ...process.env, [variable]: "http://127.0.0.1:9/simple", UV_HTTP_RETRIES: "0" },
        }),
      );
      expect(failed.code).toBe("resolution_failed");
      expect(failed.stderr).toContain("127.0.0.1:9");
    }
  });

  it("builds offline from uv's cache, and says so when the cache is not enough", async () => {
    // six and the worker's requirements are in uv's cache from the tests above.
    const env = await ensureEnvironment(spec(["six"], { name: "offline" }), { projectDir: tempDir(), worker: WORKER, offline: true });
    expect(env.changed).toBe(true);
    expect(await runPython(env.python, "import six; print('ok')")).toBe("ok");

    const uncached = await uvError(() =>
      ensureEnvironment(spec(["nonexistent-pkg-xyz-bridge"], { name: "offline" }), { projectDir: tempDir(), worker: WORKER, offline: true }),
    );
    expect(uncached).toMatchObject({ code: "resolution_failed", requirement: "nonexistent-pkg-xyz-bridge" });
    expect(uncached.command).toContain("--offline");
    expect(uncached.message).toContain("network was disabled");
  });

  it("serializes concurrent builds of one environment, across processes, into one valid environment", async () => {
    const projectDir = tempDir();
    const target = spec(["six", "packaging"], { name: "shared" });
    const options = { projectDir, worker: WORKER };
    const envDir = join(projectDir, ".bridge", "envs", environmentKey(target, WORKER.requirements));
    mkdirSync(envDir, { recursive: true });

    // Hold the environment's lock until every contender is waiting for it, so the
    // race is certain rather than a matter of timing.
    const release = await lock(envDir, { realpath: false });
    const waiting = new Set<string>();
    const waitedFor = (who: string) => (e: ProgressEvent) => {
      if (e.phase === "resolve" && e.message.startsWith("waiting for another process")) waiting.add(who);
    };
    let childEvents = "";
    const child = execa(process.execPath, [...childScriptArgs(), JSON.stringify(target), JSON.stringify(options)]);
    child.stderr.on("data", (chunk: Buffer) => {
      childEvents += chunk.toString();
      if (childEvents.includes("waiting for another process")) waiting.add("child");
    });
    const fromChild = child.then((r) => JSON.parse(r.stdout) as Environment);
    const all = Promise.all([
      ensureEnvironment(target, { ...options, onProgress: waitedFor("a") }),
      ensureEnvironment(target, { ...options, onProgress: waitedFor("b") }),
      fromChild,
    ]);
    // Bounded: a contender that never waits fails the test instead of hanging it.
    await expect.poll(() => waiting.size, { timeout: 30_000, interval: 50 }).toBe(3);
    await release();

    const results = await all;
    expect(new Set(results.map((r) => r.python)).size).toBe(1);
    expect(results.filter((r) => r.changed)).toHaveLength(1);
    expect(await runPython(results[0].python, "import six, packaging, bridge_worker; print('ok')")).toBe("ok");
    expect(existsSync(`${envDir}.lock`)).toBe(false);
    expect((await ensureEnvironment(target, options)).changed).toBe(false);
  });

  it("cancels on abort, leaving the environment buildable", async () => {
    const projectDir = tempDir();
    const controller = new AbortController();
    const canceled = await uvError(() =>
      ensureEnvironment(spec(["six"], { name: "cancel" }), {
        projectDir,
        worker: WORKER,
        signal: controller.signal,
        onProgress: (e) => {
          // uv has printed its resolution: it is running (or just finishing) `uv lock`.
          if (e.phase === "resolve" && e.packages !== undefined) controller.abort();
        },
      }),
    );
    expect(canceled.code).toBe("canceled");
    const env = await ensureEnvironment(spec(["six"], { name: "cancel" }), { projectDir, worker: WORKER });
    expect(env.changed).toBe(true);
    expect(await runPython(env.python, "import six; print('ok')")).toBe("ok");
  });

  it("removes a project's environments and keeps its lockfiles", async () => {
    const projectDir = tempDir();
    const env = await ensureEnvironment(spec(["six"]), { projectDir, worker: WORKER });
    const status = await inspectEnvironment(spec(["six"]), { projectDir, worker: WORKER });
    expect(status.exists).toBe(true);
    const { removed, skipped } = await removeEnvironments(projectDir);
    expect(removed).toEqual([env.envDir]);
    expect(skipped).toEqual([]);
    expect(existsSync(env.envDir)).toBe(false);
    expect(existsSync(env.lockFile)).toBe(true);
    expect(existsSync(join(projectDir, ".bridge", "envs"))).toBe(false);
    expect(await inspectEnvironment(spec(["six"]), { projectDir, worker: WORKER })).toMatchObject({
      exists: false,
      lockPresent: true,
      workerImportable: false,
    });
  });
});
