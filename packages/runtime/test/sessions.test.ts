import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { workerHolds } from "./helpers.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BridgeError, createBridge, type Bridge, type PyRef, type Session } from "../src/index.js";
import { decode } from "../src/codec.js";

// Sessions: calls pinned to one worker, their objects released together.
const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));

let bridge: Bridge;
let gates: string;
beforeAll(async () => {
  bridge = await createBridge({ workers: 2, env: { PYTHONPATH: fixtures } });
  gates = mkdtempSync(join(tmpdir(), "bridge-session-gates-"));
});
afterAll(async () => {
  await bridge?.close();
  rmSync(gates, { recursive: true, force: true });
});

/** Calls a module function on one worker, outside any session (asked of that worker). */
async function onWorker<T>(workerId: string, target: string): Promise<T> {
  const { value } = await bridge.pool.invoke({ op: "call", target }, { workerId });
  const noRefs = () => {
    throw new Error("no refs expected");
  };
  return decode(value.data, value.buffers, { ref: noRefs, callback: noRefs, iterator: noRefs, tableFromIPC: undefined }, () => target) as T;
}

const alive = (s: Session | string) => onWorker<number>(typeof s === "string" ? s : s.workerId, "bridge_sessions:alive");


describe("sessions", () => {
  it("pin one worker, so module-level state carries from call to call", async () => {
    await using session = await bridge.session();
    const first = await session.call<{ pid: number; count: number }>("bridge_sessions.bump");
    for (let i = 1; i <= 5; i++) {
      const next = await session.call<{ pid: number; count: number }>("bridge_sessions.bump");
      expect(next).toEqual({ pid: first.pid, count: first.count + i });
    }
    expect(await session.module("os").call("getpid")).toBe(first.pid);
    expect(bridge.pool.workers.map((w) => w.id)).toContain(session.workerId);
  });

  it("calls outside a session route freely over every worker", async () => {
    await using session = await bridge.session();
    await session.call("bridge_sessions.Thing", ["held"]);
    const pids = new Set(await Promise.all(Array.from({ length: 16 }, () => bridge.call<number>("os.getpid"))));
    expect(pids.size).toBe(2);
  });

  it("close() releases every object made in it: by its calls, by calls on its objects, nested in results", async () => {
    const session = await bridge.session();
    const baseline = await alive(session);
    const a = await session.call<PyRef>("bridge_sessions.Thing", ["a"]);
    const b = await session.call<PyRef>("bridge_sessions.Thing", ["b"]);
    const child = await a.call<PyRef>("child", ["c"]); // a call on a session's object
    const pair = await b.call<PyRef[]>("pair"); // refs nested in a list
    const refs = [a, b, child, ...pair];
    expect(refs.map((r) => r.workerId)).toEqual(refs.map(() => session.workerId));
    expect(await child.get("label")).toBe("a/c");
    expect(session.size).toBe(5);
    expect(await alive(session)).toBe(baseline + 5);

    await session.close();
    expect(refs.every((r) => r.released)).toBe(true);
    expect(session.size).toBe(0);
    // Asked of the worker: the ids are gone and so are the objects.
    await expect.poll(() => alive(session)).toBe(baseline);
    for (const ref of refs) expect(await workerHolds(bridge, ref)).toBe(false);
    // The session and its objects refuse further use, clearly.
    const afterClose = (await session.call("bridge_sessions.alive").catch((e: unknown) => e)) as BridgeError;
    expect(afterClose.code).toBe("unavailable");
    expect(afterClose.message).toContain("is closed");
    const onRef = (await a.get("label").catch((e: unknown) => e)) as BridgeError;
    expect(onRef.code).toBe("not_found");
    await session.close(); // idempotent
  });

  it("objects Python hands to a TS function during a session's call belong to the session", async () => {
    const session = await bridge.session();
    const baseline = await alive(session);
    let handed: PyRef | undefined;
    const label = await session.call("bridge_sessions.hand_over", [
      async (thing: PyRef) => {
        handed = thing;
        return thing.get("label");
      },
    ]);
    expect(label).toBe("handed");
    expect(session.size).toBe(1);
    expect(await alive(session)).toBe(baseline + 1);
    await session.close();
    expect(handed!.released).toBe(true);
    await expect.poll(() => alive(session)).toBe(baseline);
  });

  it("a stream over a session's object keeps going after close(); what it yields then is released at once", async () => {
    const session = await bridge.session();
    const baseline = await alive(session);
    const gen = await session.call<PyRef>("bridge_sessions.things", [6]);
    const seen: PyRef[] = [];
    for await (const thing of gen.iterate<PyRef>({ highWaterMark: 1 })) {
      seen.push(thing);
      if (seen.length === 2) await session.close();
    }
    expect(seen).toHaveLength(6);
    expect(seen.every((t) => t.released)).toBe(true);
    await expect.poll(() => alive(session)).toBe(baseline);
  });

  it("await using closes it at the end of the scope", async () => {
    let workerId: string;
    let baseline: number;
    {
      await using session = await bridge.session();
      workerId = session.workerId;
      baseline = await alive(session);
      await session.call("bridge_sessions.Thing", ["scoped"]);
      await session.call("bridge_sessions.Thing", ["scoped"]);
      expect(await alive(session)).toBe(baseline + 2);
    }
    await expect.poll(() => alive(workerId)).toBe(baseline);
  });

  it("a release made by a ref is not repeated by close(), and objects outside the session stay", async () => {
    const session = await bridge.session();
    const baseline = await alive(session);
    const inside = await session.call<PyRef>("bridge_sessions.Thing", ["inside"]);
    // Made outside the session, on its worker (a call with a session's ref as an argument).
    const outside = await bridge.call<PyRef>("bridge_sessions.sibling", [inside, "outside"]);
    expect(outside.workerId).toBe(session.workerId);
    await inside.release();
    expect(session.size).toBe(0);
    await session.close();
    expect(outside.released).toBe(false);
    expect(await outside.get("label")).toBe("outside");
    await outside.release();
    await expect.poll(() => alive(session)).toBe(baseline);
  });

  it("past maxRefs a call fails with resource_exhausted; close() still releases everything", async () => {
    const session = await bridge.session({ maxRefs: 2 });
    const baseline = await alive(session);
    await session.call("bridge_sessions.Thing", ["1"]);
    await session.call("bridge_sessions.Thing", ["2"]);
    const error = (await session.call("bridge_sessions.Thing", ["3"]).catch((e: unknown) => e)) as BridgeError;
    expect(error).toBeInstanceOf(BridgeError);
    expect(error.code).toBe("resource_exhausted");
    expect(error.message).toContain("maxRefs");
    // Plain values are not refs: they still work.
    expect(await session.call("bridge_sessions.alive")).toBe(baseline + 3);
    await session.close();
    await expect.poll(() => alive(session)).toBe(baseline);
  });

  it("close() waits for a call in flight, and releases the object it returns too", async () => {
    const session = await bridge.session();
    const baseline = await alive(session);
    const gate = join(gates, "in-flight");
    const pending = session.call<PyRef>("bridge_sessions.make_after", [gate]);
    await expect.poll(() => existsSync(`${gate}.started`)).toBe(true);
    let closed = false;
    const closing = session.close().then(() => (closed = true));
    // New calls are refused at once, while the one in flight goes on.
    expect(((await session.call("bridge_sessions.alive").catch((e: unknown) => e)) as BridgeError).code).toBe("unavailable");
    expect(closed).toBe(false);
    writeFileSync(gate, "");
    const made = await pending;
    await closing;
    expect(made.released).toBe(true);
    await expect.poll(() => alive(session)).toBe(baseline);
    expect(await workerHolds(bridge, made)).toBe(false);
  });
});
