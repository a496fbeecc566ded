import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createBridge, type Bridge, type PyRef } from "../src/index.js";

const support = fileURLToPath(new URL("../../../python/tests/support", import.meta.url));
let bridge: Bridge;
beforeAll(async () => {
  bridge = await createBridge({ env: { PYTHONPATH: support } });
});
afterAll(() => bridge?.close());

it("iterates a Python generator in batches and releases it at the end", async () => {
  const gen = await bridge.call<PyRef>("itertools.count", [10]).then((count) =>
    bridge.call<PyRef>("itertools.islice", [count, 150]),
  );
  const seen: number[] = [];
  for await (const n of gen.iterate<number>({ batchSize: 64 })) seen.push(n);
  expect(seen).toHaveLength(150);
  expect(seen[0]).toBe(10);
  expect(seen.at(-1)).toBe(159);
  expect(gen.released).toBe(true);
});

it("iterates an async generator, and breaking out releases it", async () => {
  const agen = await bridge.call<PyRef>("bridge_testlib_streams.countdown", [1000]);
  const seen: number[] = [];
  for await (const n of agen.iterate<number>({ batchSize: 10 })) {
    seen.push(n);
    if (seen.length === 3) break;
  }
  expect(seen).toEqual([1000, 999, 998]);
  expect(agen.released).toBe(true);
});
