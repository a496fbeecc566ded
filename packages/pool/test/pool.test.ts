import { afterEach, describe, expect, it } from "vitest";
import { BridgeError, createPool, type Pool, type PoolEvent } from "../src/index.js";

const python = process.env.BRIDGE_PYTHON!;
// msgpack [[2, 3], {}] and the answer 5, written by hand: the pool moves bytes, not values.
const ADD_2_3 = { data: new Uint8Array([0x92, 0x92, 0x02, 0x03, 0x80]), buffers: [] };
const sleepArgs = (seconds: number) => ({ data: new Uint8Array([0x92, 0x91, 0xcb, ...float64(seconds), 0x80]), buffers: [] });

function float64(value: number): number[] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  return [...new Uint8Array(view.buffer)];
}

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

describe.each(["auto", "grpc"] as const)("createPool (transport: %s)", (transport) => {
  it("starts the workers and reports them after the handshake", async () => {
    pool = await createPool({ python, size: 2, transport });
    expect(pool.workers.map((w) => w.slot)).toEqual([0, 1]);
    for (const worker of pool.workers) {
      expect(worker.transport).toBe(transport === "auto" ? "lane" : "grpc");
      expect(worker.pid).toBeGreaterThan(0);
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
    pool = await createPool({ python, size: 2, transport });
    const slow = pool.invoke({ op: "call", target: "time.sleep", args: sleepArgs(0.3) });
    await new Promise((r) => setTimeout(r, 20));
    const fast = await pool.invoke({ op: "call", target: "operator.add", args: ADD_2_3 });
    const slowResult = await slow;
    expect(fast.workerId).not.toBe(slowResult.workerId);
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
    expect((await inFlight).value.data.length).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow();
    const after = (await pool.invoke({ op: "call", target: "operator.add", args: ADD_2_3 }).catch((e: unknown) => e)) as BridgeError;
    expect(after.code).toBe("unavailable");
  });

  it("rejects a bad pool size", async () => {
    await expect(createPool({ python, size: 0, transport })).rejects.toThrow(/pool size/);
  });
});
