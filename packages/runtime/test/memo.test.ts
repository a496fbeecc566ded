import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PythonError, createBridge, type Bridge, type PyRef } from "../src/index.js";

const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));

let bridge: Bridge;
beforeAll(async () => {
  bridge = await createBridge({ env: { PYTHONPATH: fixtures }, memo: { maxEntries: 3 } });
});
afterAll(async () => {
  await bridge?.close();
});

const ran = () => bridge.call<number>("values_fixtures.counted_calls");

describe("memoized calls (CallOptions.memo)", () => {
  it("answers a repeat of a pure call from the table, by argument value", async () => {
    bridge.memo.clear();
    const before = await ran();
    expect(await bridge.call("values_fixtures.counted", [21], {}, { memo: true })).toBe(42);
    expect(await bridge.call("values_fixtures.counted", [21], {}, { memo: true })).toBe(42);
    // Another value, another type with the same JSON (21.5 vs 21), other kwargs: calls.
    expect(await bridge.call("values_fixtures.counted", [21.5], {}, { memo: true })).toBe(43);
    expect(await bridge.call("values_fixtures.counted", [], { x: 21 }, { memo: true })).toBe(42);
    expect((await ran()) - before).toBe(3);
    expect(bridge.memo.stats()).toMatchObject({ hits: 1, misses: 3, bypassed: 0, entries: 3 });
  });

  it("gives every caller its own copy of the result", async () => {
    bridge.memo.clear();
    const first = await bridge.call<{ got: { list: number[] } }>("values_fixtures.counted", [{ list: [1, 2] }], {}, { memo: true });
    first.got.list.push(99);
    const second = await bridge.call<{ got: { list: number[] } }>("values_fixtures.counted", [{ list: [1, 2] }], {}, { memo: true });
    expect(second.got.list).toEqual([1, 2]);
    const bytes = await bridge.call<Uint8Array>("builtins.bytes", [4], {}, { memo: true });
    bytes[0] = 7;
    expect([...(await bridge.call<Uint8Array>("builtins.bytes", [4], {}, { memo: true }))]).toEqual([0, 0, 0, 0]);
  });

  it("reuses a cacheable result for its TTL only", async () => {
    bridge.memo.clear();
    const before = await ran();
    await bridge.call("values_fixtures.counted", [1], {}, { memo: { ttlMs: 150 } });
    await bridge.call("values_fixtures.counted", [1], {}, { memo: { ttlMs: 150 } });
    expect((await ran()) - before).toBe(1);
    await new Promise((r) => setTimeout(r, 200));
    await bridge.call("values_fixtures.counted", [1], {}, { memo: { ttlMs: 150 } });
    expect((await ran()) - before).toBe(2);
  });

  it("never memoizes arguments holding refs or functions, nor results holding refs, nor errors", async () => {
    bridge.memo.clear();
    const ref = await bridge.call<PyRef>("builtins.object");
    const before = await ran();
    await bridge.call("values_fixtures.counted", [ref], {}, { memo: true });
    await bridge.call("values_fixtures.counted", [ref], {}, { memo: true });
    const fn = () => 1;
    await bridge.call("values_fixtures.counted", [[fn]], {}, { memo: true });
    await bridge.call("values_fixtures.counted", [[fn]], {}, { memo: true });
    expect((await ran()) - before).toBe(4);
    expect(bridge.memo.stats()).toMatchObject({ bypassed: 4, hits: 0 });
    // A result holding a ref is a live object: each call makes its own.
    const a = await bridge.call<PyRef>("builtins.object", [], {}, { memo: true });
    const b = await bridge.call<PyRef>("builtins.object", [], {}, { memo: true });
    expect(a.id).not.toBe(b.id);
    // An error is not kept.
    await expect(bridge.call("values_fixtures.counted", ["fail"], {}, { memo: true })).rejects.toBeInstanceOf(PythonError);
    const failedBefore = await ran();
    await expect(bridge.call("values_fixtures.counted", ["fail"], {}, { memo: true })).rejects.toBeInstanceOf(PythonError);
    expect((await ran()) - failedBefore).toBe(1);
    expect(bridge.memo.stats()).toMatchObject({ hits: 0, entries: 0 });
  });

  it("stays within its bounds, least recently used out first", async () => {
    bridge.memo.clear();
    for (const x of [1, 2, 3]) await bridge.call("values_fixtures.counted", [x], {}, { memo: true });
    await bridge.call("values_fixtures.counted", [1], {}, { memo: true }); // 1 is now the most recent
    await bridge.call("values_fixtures.counted", [4], {}, { memo: true }); // evicts 2
    expect(bridge.memo.stats()).toMatchObject({ entries: 3, evictions: 1, hits: 1 });
    const before = await ran();
    await bridge.call("values_fixtures.counted", [1], {}, { memo: true });
    await bridge.call("values_fixtures.counted", [2], {}, { memo: true });
    expect((await ran()) - before).toBe(1);
  });

  it("is off unless asked for", async () => {
    bridge.memo.clear();
    const before = await ran();
    await bridge.call("values_fixtures.counted", [5]);
    await bridge.call("values_fixtures.counted", [5]);
    await bridge.call("values_fixtures.counted", [5], {}, { memo: false });
    expect((await ran()) - before).toBe(3);
    expect(bridge.memo.stats()).toMatchObject({ hits: 0, misses: 0, entries: 0 });
  });
});
