import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { BridgeError, createBridge, type PyRef } from "../src/index.js";

const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));

describe("setup", () => {
  it("prepares every worker, and each replacement, before it takes calls", async () => {
    const seen: string[] = [];
    await using bridge = await createBridge({
      workers: 2,
      env: { PYTHONPATH: fixtures },
      setup: async (worker) => {
        seen.push(worker.worker.id);
        const account = await worker.call<PyRef>("bridge_fixtures.Account", [worker.worker.id]);
        await worker.call("bridge_fixtures.configure", [], { account, pid: await worker.call("os.getpid") });
      },
    });
    expect(seen.sort()).toEqual(["w1", "w2"]);
    // Each worker answers with its own configuration.
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => bridge.call<{ pid: number; account: PyRef }>("bridge_fixtures.settings")),
    );
    for (const answer of answers) {
      expect(answer.account.type).toBe("bridge_fixtures.Account");
      expect(await answer.account.get("owner")).toBe(answer.account.workerId);
    }
    const victim = bridge.pool.workers[0]!;
    process.kill(victim.pid, "SIGKILL");
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(3);
    await expect.poll(() => bridge.pool.workers.length, { timeout: 10_000 }).toBe(2);
    const replacement = bridge.pool.workers.find((w) => w.id === seen[2])!;
    const settings = await Promise.all(Array.from({ length: 20 }, () => bridge.call<{ pid: number }>("bridge_fixtures.settings")));
    expect(settings.map((s) => s.pid)).toContain(replacement.pid);
  });

  it("a failing setup fails createBridge with the Python error", async () => {
    const error = (await createBridge({
      env: { PYTHONPATH: fixtures },
      setup: async (worker) => {
        await worker.call("json.loads", ["{"]);
      },
    }).catch((e: unknown) => e)) as BridgeError;
    expect(error).toBeInstanceOf(BridgeError);
    expect(error.code).toBe("unavailable");
    expect(error.message).toContain("setup of worker w1 failed");
    expect(error.message).toContain("Expecting property name");
  });
});
