import { fileURLToPath } from "node:url";
import { workerHolds } from "./helpers.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BridgeError, PythonError, createBridge, type Bridge, type PyRef } from "../src/index.js";

// Python iterators streamed to TS over stream frames, and TS iterables pulled by Python.
const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));

let bridge: Bridge;
beforeAll(async () => {
  bridge = await createBridge({ workers: 1, env: { PYTHONPATH: fixtures } });
});
afterAll(() => bridge?.close());

interface Stats {
  produced: number;
  finally_ran: number;
  closed_by_exit: number;
  distinct_tasks: number;
  steps: number;
  exits: boolean[];
}

async function probe(): Promise<{ ref: PyRef; stats: () => Promise<Stats> }> {
  const ref = await bridge.call<PyRef>("bridge_streams.Probe");
  return { ref, stats: () => ref.call<Stats>("stats") };
}


describe("Python generators as AsyncIterables", () => {
  it("a generator abandoned after 3 of 1e9 items runs its finally, and the worker drops it", async () => {
    const p = await probe();
    const gen = await p.ref.call<PyRef>("numbers", [1e9]);
    const seen: number[] = [];
    for await (const n of gen.iterate<number>({ highWaterMark: 8 })) {
      seen.push(n);
      if (seen.length === 3) break;
    }
    expect(seen).toEqual([0, 1, 2]);
    await expect.poll(async () => (await p.stats()).finally_ran).toBe(1);
    const stats = await p.stats();
    expect(stats.closed_by_exit).toBe(1); // closed at its yield (GeneratorExit), not run out
    expect(stats.produced).toBeLessThanOrEqual(3 + 8);
    expect(gen.released).toBe(true);
    await expect.poll(() => workerHolds(bridge, gen)).toBe(false);
  });

  it("a slow consumer keeps the producer at most highWaterMark items ahead", async () => {
    const p = await probe();
    const gen = await p.ref.call<PyRef>("numbers", [200]);
    const highWaterMark = 4;
    let consumed = 0;
    let maxAhead = 0;
    for await (const n of gen.iterate<number>({ highWaterMark })) {
      expect(n).toBe(consumed);
      consumed++;
      if (consumed === 1) {
        // The producer runs ahead up to its credit, and no further...
        await expect.poll(async () => (await p.stats()).produced).toBe(highWaterMark);
      }
      // ...at every step: each round trip to the worker gives it time to run further if it could.
      const { produced } = await p.stats();
      maxAhead = Math.max(maxAhead, produced - consumed);
      expect(produced).toBeLessThanOrEqual(consumed + highWaterMark);
    }
    expect(consumed).toBe(200);
    expect(maxAhead).toBeGreaterThan(0); // it did work ahead: items were pipelined
    expect((await p.stats()).finally_ran).toBe(1);
  });

  it("an exception mid-stream reaches the consumer after the items before it", async () => {
    const p = await probe();
    const gen = await p.ref.call<PyRef>("failing", [2]);
    const seen: number[] = [];
    const error = await (async () => {
      for await (const n of gen.iterate<number>()) seen.push(n);
    })().catch((e: unknown) => e);
    expect(seen).toEqual([0, 1]);
    expect(error).toBeInstanceOf(PythonError);
    expect((error as PythonError).pythonType).toBe("builtins.ValueError");
    expect((error as PythonError).pythonMessage).toBe("broke after 2 items");
    expect((error as PythonError).traceback).toContain("failing");
    expect((await p.stats()).finally_ran).toBe(1);
    expect(gen.released).toBe(true);
  });

  it("an abort signal ends the stream with canceled and closes the generator", async () => {
    const p = await probe();
    const gen = await p.ref.call<PyRef>("numbers", [1e9]);
    const controller = new AbortController();
    const seen: number[] = [];
    const error = await (async () => {
      for await (const n of gen.iterate<number>({ signal: controller.signal, highWaterMark: 16 })) {
        seen.push(n);
        if (seen.length === 2) controller.abort();
      }
    })().catch((e: unknown) => e);
    expect(seen).toEqual([0, 1]);
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe("canceled");
    await expect.poll(async () => (await p.stats()).finally_ran).toBe(1);
    expect((await p.stats()).closed_by_exit).toBe(1);
  });

  it("an already aborted signal never opens the stream", async () => {
    const p = await probe();
    const gen = await p.ref.call<PyRef>("numbers", [10]);
    const iterator = gen.iterate<number>({ signal: AbortSignal.abort() })[Symbol.asyncIterator]();
    const error = await iterator.next().catch((e: unknown) => e);
    expect((error as BridgeError).code).toBe("canceled");
    expect((await p.stats()).produced).toBe(0);
  });

  it("iterates a plain iterable (a list, a dict's keys) too", async () => {
    await using counter = await bridge.call<PyRef>("collections.Counter", ["abracadabra"]);
    const keys = await counter.call<PyRef>("keys");
    const seen: string[] = [];
    for await (const key of keys.iterate<string>()) seen.push(key);
    expect(seen).toEqual(["a", "b", "r", "c", "d"]);
  });
});

describe("async generators", () => {
  it("every step and the finally run in one task", async () => {
    const p = await probe();
    const agen = await p.ref.call<PyRef>("anumbers", [20]);
    const seen: number[] = [];
    for await (const n of agen.iterate<number>({ highWaterMark: 3 })) seen.push(n);
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(await p.stats()).toMatchObject({ produced: 20, finally_ran: 1, distinct_tasks: 1, steps: 21 });
  });

  it("broken out of, it is closed in that same task", async () => {
    const p = await probe();
    const agen = await p.ref.call<PyRef>("anumbers", [1e9]);
    const seen: number[] = [];
    for await (const n of agen.iterate<number>({ highWaterMark: 4 })) {
      seen.push(n);
      if (seen.length === 3) break;
    }
    await expect.poll(async () => (await p.stats()).finally_ran).toBe(1);
    const stats = await p.stats();
    expect(stats.distinct_tasks).toBe(1);
    expect(stats.produced).toBeLessThanOrEqual(3 + 4);
  });

  it("a signal or a deadline cancels one waiting inside an await; its finally runs", async () => {
    for (const options of [{ signal: AbortSignal.timeout(200) }, { timeoutMs: 200 }]) {
      const p = await probe();
      const agen = await p.ref.call<PyRef>("forever");
      const seen: number[] = [];
      const error = await (async () => {
        for await (const n of agen.iterate<number>(options)) seen.push(n);
      })().catch((e: unknown) => e);
      expect(seen).toEqual([0]);
      expect((error as BridgeError).code).toBe("deadline_exceeded");
      await expect.poll(async () => (await p.stats()).finally_ran).toBe(1);
    }
  });

  it("a task-bound context held across yields (as anyio's cancel scopes) exits cleanly", async () => {
    const p = await probe();
    const agen = await p.ref.call<PyRef>("scoped", [5]);
    const seen: number[] = [];
    for await (const n of agen.iterate<number>({ highWaterMark: 1 })) seen.push(n);
    expect(seen).toEqual([0, 1, 2, 3, 4]);
    expect(await p.stats()).toMatchObject({ finally_ran: 1, exits: [true] });
  });

  it("an inner generator an early break leaves suspended is closed in the stream's task too", async () => {
    // dspy.streamify's shape: asyncio would close the inner one in a new task, where its
    // cancel scope cannot exit ("Attempted to exit cancel scope in a different task").
    const p = await probe();
    const agen = await p.ref.call<PyRef>("wrapped", [1e9]);
    const seen: number[] = [];
    for await (const n of agen.iterate<number>({ highWaterMark: 1 })) {
      seen.push(n);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual([0, 1]);
    await expect.poll(async () => (await p.stats()).exits).toEqual([true]);
  });
});

describe("TS iterables in Python", () => {
  it("an AsyncIterable arrives as an iterator and an async iterator", async () => {
    async function* letters() {
      yield "a";
      await new Promise((r) => setTimeout(r, 1));
      yield "b";
      yield "c";
    }
    expect(await bridge.call("bridge_streams.iterator_kinds", [letters()])).toEqual({ iter: true, aiter: true });
    expect(await bridge.call("bridge_streams.consume", [letters()])).toEqual(["a", "b", "c"]);
    expect(await bridge.call("bridge_streams.aconsume", [letters()])).toEqual(["a", "b", "c"]);
  });

  it("a sync generator, pulled in batches, all of it", async () => {
    function* upTo(n: number) {
      for (let i = 0; i < n; i++) yield i;
    }
    const all = await bridge.call<number[]>("bridge_streams.consume", [upTo(300)]);
    expect(all).toHaveLength(300);
    expect(all.at(-1)).toBe(299);
    expect(await bridge.call("builtins.sum", [upTo(101)])).toBe(5050);
  });

  it("Python stopping early runs the TS generator's finally", async () => {
    let finallyRan = 0;
    let pulled = 0;
    async function* endless() {
      try {
        for (let i = 0; ; i++) {
          pulled++;
          yield await Promise.resolve(i);
        }
      } finally {
        finallyRan++;
      }
    }
    expect(await bridge.call("bridge_streams.consume", [endless(), 3])).toEqual([0, 1, 2]);
    expect(finallyRan).toBe(1);
    expect(await bridge.call("bridge_streams.aconsume", [endless(), 2])).toEqual([0, 1]);
    expect(finallyRan).toBe(2);
    expect(pulled).toBeLessThan(200); // batches, not the whole endless thing
    // Dropped without close(): the host is told it is gone, and stops it too.
    expect(await bridge.call("bridge_streams.take", [endless(), 2])).toEqual([0, 1]);
    await expect.poll(() => finallyRan).toBe(3);
  });

  it("a TS iterable that throws raises HostError in Python", async () => {
    async function* broken() {
      yield await Promise.resolve(1);
      throw new Error("the source broke");
    }
    const error = (await bridge.call("bridge_streams.consume", [broken()]).catch((e: unknown) => e)) as PythonError;
    expect(error).toBeInstanceOf(PythonError);
    expect(error.pythonType).toBe("bridge_worker.host.HostError");
    expect(error.pythonMessage).toContain("the source broke");
  });
});
