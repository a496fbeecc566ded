import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { BridgeError, createPool, type Pool, type PoolEvent } from "../src/index.js";

const python = process.env.BRIDGE_PYTHON!;
const env = { PYTHONPATH: fileURLToPath(new URL("./fixtures", import.meta.url)) };
// msgpack [[2, 3], {}] and the answer 5, written by hand: the pool moves bytes, not values.
const raw = (data: Uint8Array) => ({ data, buffers: [] });
const ADD_2_3 = raw(new Uint8Array([0x92, 0x92, 0x02, 0x03, 0x80]));
const sleepArgs = (seconds: number) => raw(new Uint8Array([0x92, 0x91, 0xcb, ...float64(seconds), 0x80]));
/** msgpack [[path], {}]: one str argument (shorter than 256 bytes). */
const pathArgs = (path: string) => {
  const utf8 = new TextEncoder().encode(path);
  return raw(new Uint8Array([0x92, 0x91, 0xd9, utf8.length, ...utf8, 0x80]));
};

function float64(value: number): number[] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return [...new Uint8Array(view.buffer)];
}

const gates = mkdtempSync(join(tmpdir(), "bridge-pool-gates-"));
let gateCount = 0;
/** A file pool_fixtures.wait_for_file blocks on until the test creates it. */
function gate() {
  const path = join(gates, `g${++gateCount}`);
  return { path, started: () => existsSync(`${path}.started`), open: () => writeFileSync(path, "") };
}

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});
afterAll(() => rmSync(gates, { recursive: true, force: true }));

describe.each(["auto", "grpc"] as const)("createPool (transport: %s)", (transport) => {
  it("starts the workers and reports them after the handshake", async () => {
    pool = await createPool({ python, size: 2, transport });
    expect(pool.workers.map((w) => w.slot)).toEqual([0, 1]);
    for (const worker of pool.workers) {
      expect(worker.transport).toBe(transport === "auto" ? "lane" : "grpc");
      expect(() => process.kill(worker.pid, 0)).not.toThrow(); // a live process
      expect(worker.pythonVersion).toMatch(/^3\.\d+/);
    }
  });

  it("runs a call on a worker and returns the encoded result", async () => {
    pool = await createPool({ python, transport });
    const result = await pool.invoke({ op: "call", target: "operator.add", args: ADD_2_3 });
    expect([...result.value.data]).toEqual([0x05]);
    expect(result.workerId).toBe(pool.workers[0]!.id);
  });

  it("routes to the least-loaded worker", async () => {
    pool = await createPool({ python, size: 2, transport, env });
    const busy = gate();
    const slow = pool.invoke({ op: "call", target: "pool_fixtures.wait_for_file", args: pathArgs(busy.path) });
    await expect.poll(busy.started, { timeout: 5000 }).toBe(true);
    // Two quick calls, one after the other, while one worker is busy: both go to the idle one.
    const first = await pool.invoke({ op: "call", target: "operator.add", args: ADD_2_3 });
    const second = await pool.invoke({ op: "call", target: "operator.add", args: ADD_2_3 });
    busy.open();
    const slowResult = await slow;
    expect([...slowResult.value.data]).toEqual([0xc3]); // True: it ended because the gate opened
    expect(first.workerId).not.toBe(slowResult.workerId);
    expect(second.workerId).toBe(first.workerId);
  });

  it("an aborted call is cancelled in the worker, not only on the host", async () => {
    pool = await createPool({ python, transport, env });
    const counter = async (name: string) => (await pool!.invoke({ op: "get", target: `pool_fixtures.${name}` })).value.data[0];
    const controller = new AbortController();
    const pending = pool.invoke({ op: "call", target: "pool_fixtures.sleep_counted", args: sleepArgs(3600) }, { signal: controller.signal });
    await expect.poll(() => counter("started"), { timeout: 5000 }).toBe(1);
    controller.abort();
    const error = (await pending.catch((e: unknown) => e)) as BridgeError;
    expect(error.code).toBe("canceled");
    // The coroutine saw CancelledError in Python: the Cancel frame reached the worker.
    await expect.poll(() => counter("cancelled"), { timeout: 5000 }).toBe(1);
  });

  it("rejects calls held by a killed worker with worker_crashed and restarts it", async () => {
    const events: PoolEvent[] = [];
    pool = await createPool({ python, transport, onEvent: (e) => events.push(e) });
    const victim = pool.workers[0]!;
    const held = pool.invoke({ op: "call", target: "time.sleep", args: sleepArgs(5) }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    process.kill(victim.pid, "SIGKILL");
    const error = (await held) as BridgeError;
    expect(error).toBeInstanceOf(BridgeError);
    expect(error.code).toBe("worker_crashed");
    expect(error.details.pid).toBe(victim.pid);
    // A call made while the replacement starts waits for it.
    const next = await pool.invoke({ op: "call", target: "operator.add", args: ADD_2_3 });
    expect([...next.value.data]).toEqual([0x05]);
    expect(pool.workers[0]!.id).not.toBe(victim.id);
    expect(events.map((e) => e.type)).toEqual(["worker_started", "worker_exited", "worker_started"]);
  });

  it("fails a call pinned to a worker that is gone with not_found", async () => {
    pool = await createPool({ python, transport });
    const error = (await pool.invoke({ op: "call", target: "operator.add", args: ADD_2_3 }, { workerId: "w99" }).catch((e: unknown) => e)) as BridgeError;
    expect(error.code).toBe("not_found");
  });

  it("close() lets calls in flight finish, then stops the workers", async () => {
    pool = await createPool({ python, transport });
    const pid = pool.workers[0]!.pid;
    const inFlight = pool.invoke({ op: "call", target: "time.sleep", args: sleepArgs(0.2) });
    await pool.close();
    expect([...(await inFlight).value.data]).toEqual([0xc0]); // None: time.sleep finished
    expect(() => process.kill(pid, 0)).toThrow();
    const after = (await pool.invoke({ op: "call", target: "operator.add", args: ADD_2_3 }).catch((e: unknown) => e)) as BridgeError;
    expect(after.code).toBe("unavailable");
  });

  it("rejects a bad pool size", async () => {
    await expect(createPool({ python, size: 0, transport })).rejects.toThrow(/pool size/);
  });
});
