import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BridgeError, createBridge, type Bridge, type PyRef } from "../src/index.js";

// Cancellation of sync Python code: an exception raised in its thread, or, for code that
// cannot be stopped, a worker marked stuck and recycled.
const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));

let bridge: Bridge;
let gates: string;
beforeAll(async () => {
  bridge = await createBridge({ workers: 1, env: { PYTHONPATH: fixtures } });
  gates = mkdtempSync(join(tmpdir(), "bridge-cancel-gates-"));
});
afterAll(async () => {
  await bridge?.close();
  rmSync(gates, { recursive: true, force: true });
});

interface Report {
  count: number;
  ran_s: number;
  stopped: boolean;
  stopped_by: string;
}

async function rejection(promise: Promise<unknown>): Promise<BridgeError> {
  const error = await promise.then(
    () => new Error("expected a rejection"),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(BridgeError);
  return error as BridgeError;
}

/** Threads of the worker running user code, from its own accounting (this call is one). */
const busyThreads = () => bridge.call<number>("bridge_cancel.busy_threads");

describe("sync Python code is interrupted in its thread", () => {
  it("`while True` with timeoutMs: 1000 stops burning CPU within 1.5 s, and its thread is free again", async () => {
    await using spinner = await bridge.call<PyRef>("bridge_cancel.Spinner");
    const error = await rejection(spinner.call("spin", [], {}, { timeoutMs: 1000 }));
    expect(error.code).toBe("deadline_exceeded");
    // Asked of the worker: the loop ended, by the interrupt, and how long it ran.
    await expect.poll(async () => (await spinner.call<Report>("report")).stopped, { timeout: 10_000 }).toBe(true);
    const report = await spinner.call<Report>("report");
    expect(report.stopped_by).toBe("bridge_worker.interrupt.CallInterrupted");
    expect(report.ran_s).toBeLessThan(1.5);
    // The counter no longer moves, and the worker's budget has its thread back.
    expect(await busyThreads()).toBe(1);
    expect((await spinner.call<Report>("report")).count).toBe(report.count);
  });

  it("an abort signal stops it the same way", async () => {
    await using spinner = await bridge.call<PyRef>("bridge_cancel.Spinner");
    const controller = new AbortController();
    const spinning = spinner.call("spin", [], {}, { signal: controller.signal });
    await expect.poll(async () => (await spinner.call<Report>("report")).count).toBeGreaterThan(0);
    controller.abort();
    expect((await rejection(spinning)).code).toBe("canceled");
    await expect.poll(async () => (await spinner.call<Report>("report")).stopped, { timeout: 10_000 }).toBe(true);
    expect((await spinner.call<Report>("report")).stopped_by).toBe("bridge_worker.interrupt.CallInterrupted");
    expect(await busyThreads()).toBe(1);
  });

  it("`except Exception` in user code does not swallow the interrupt", async () => {
    await using spinner = await bridge.call<PyRef>("bridge_cancel.Spinner");
    expect((await rejection(bridge.call("bridge_cancel.swallow_everything", [spinner], {}, { timeoutMs: 300 }))).code).toBe("deadline_exceeded");
    await expect.poll(async () => (await spinner.call<Report>("report")).stopped, { timeout: 10_000 }).toBe(true);
    expect(await busyThreads()).toBe(1);
  });

  it("a generator spinning inside next() is interrupted when its stream's deadline passes", async () => {
    const gen = await bridge.call<PyRef>("bridge_streams.spin_items");
    const seen: number[] = [];
    const error = await rejection(
      (async () => {
        for await (const n of gen.iterate<number>({ timeoutMs: 500 })) seen.push(n);
      })(),
    );
    expect(seen).toEqual([0]);
    expect(error.code).toBe("deadline_exceeded");
    await expect.poll(busyThreads, { timeout: 10_000 }).toBe(1);
  });

  it("a thread waiting for a TS callback stops waiting when its call is cancelled", async () => {
    let called = false;
    let release!: () => void;
    const never = new Promise<void>((r) => (release = r));
    const error = await rejection(
      bridge.call(
        "bridge_callbacks.apply",
        [
          () => {
            called = true;
            return never;
          },
        ],
        {},
        { timeoutMs: 300 },
      ),
    );
    expect(called).toBe(true);
    expect(error.code).toBe("deadline_exceeded");
    await expect.poll(busyThreads, { timeout: 10_000 }).toBe(1);
    release(); // a late answer to an abandoned callback is dropped
    expect(await bridge.call("operator.add", [1, 1])).toBe(2);
  });
});

describe("code that cannot be stopped", () => {
  it("marks its worker stuck; the worker is recycled after stuckGraceMs, its other calls finishing", async () => {
    await using own = await createBridge({ workers: 1, stuckGraceMs: 300, heartbeatMs: 100, env: { PYTHONPATH: fixtures } });
    const oldPid = await own.call<number>("os.getpid");
    const oldWorker = own.pool.workers[0]!.id;
    const gate = join(gates, "other-call");
    const other = own.call<boolean>("bridge_fixtures.wait_for_file", [gate]);
    await expect.poll(() => existsSync(`${gate}.started`)).toBe(true);
    // time.sleep blocks in C: the exception raised in its thread cannot land until it returns.
    expect((await rejection(own.call("bridge_cancel.block_in_c", [60], {}, { timeoutMs: 200 }))).code).toBe("deadline_exceeded");
    await expect.poll(() => own.pool.stats().workers.find((w) => w.id === oldWorker)?.stuckThreads ?? 0, { timeout: 10_000 }).toBe(1);
    await expect.poll(() => own.pool.stats().recycled, { timeout: 10_000 }).toBe(1);
    // New calls go to the replacement; the call still running on the old worker finishes there.
    await expect.poll(() => own.call<number>("os.getpid"), { timeout: 20_000 }).not.toBe(oldPid);
    writeFileSync(gate, "");
    expect(await other).toBe(true);
    // The old process goes away, its stuck thread with it.
    await expect
      .poll(
        () => {
          try {
            process.kill(oldPid, 0);
            return true;
          } catch {
            return false;
          }
        },
        { timeout: 20_000 },
      )
      .toBe(false);
  });
});
