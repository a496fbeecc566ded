import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { workerHolds } from "./helpers.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BridgeError, createBridge, type Bridge, type PyRef } from "../src/index.js";

// A release never overtakes a call still in flight on that ref.
const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));

let bridge: Bridge;
let gates: string;
beforeAll(async () => {
  bridge = await createBridge({ workers: 1, env: { PYTHONPATH: fixtures } });
  gates = mkdtempSync(join(tmpdir(), "bridge-ref-gates-"));
});
afterAll(async () => {
  await bridge?.close();
  rmSync(gates, { recursive: true, force: true });
});


it("`await using p = ...; return p.call('peek')` (no await on the return) gets its answer (the peekable repro)", async () => {
  let made: PyRef | undefined;
  async function peekFirst(): Promise<unknown> {
    await using p = await bridge.call<PyRef>("bridge_fixtures.Peekable", [[1, 2, 3]]);
    made = p;
    // eslint-disable-next-line @typescript-eslint/return-await -- the repro: p is disposed before the call is answered
    return p.call("peek");
  }
  expect(await peekFirst()).toBe(1);
  expect(made!.released).toBe(true);
  await expect.poll(() => workerHolds(bridge, made!)).toBe(false); // and released after all
});

it("a release waits for the call in flight, then reaches the worker", async () => {
  const gate = join(gates, "in-flight");
  const obj = await bridge.call<PyRef>("bridge_fixtures.FileGate", [gate]);
  const pending = obj.call<boolean>("wait");
  await expect.poll(() => existsSync(`${gate}.started`)).toBe(true);
  await obj.release();
  expect(obj.released).toBe(true);
  // Further use fails at once on the host; the worker still holds the object for the call.
  expect(((await obj.call("ping", [1]).catch((e: unknown) => e)) as BridgeError).code).toBe("not_found");
  expect(await workerHolds(bridge, obj)).toBe(true);
  writeFileSync(gate, "");
  expect(await pending).toBe(true);
  await expect.poll(() => workerHolds(bridge, obj)).toBe(false);
});

it("a ref passed as an argument is kept until the call using it is answered", async () => {
  let made: PyRef | undefined;
  async function sameTwice(): Promise<unknown> {
    await using account = await bridge.call<PyRef>("bridge_fixtures.Account", ["ada"]);
    made = account;
    // eslint-disable-next-line @typescript-eslint/return-await -- disposed while the call is in flight, on purpose
    return bridge.call("bridge_fixtures.same", [account, account]);
  }
  expect(await sameTwice()).toBe(true);
  await expect.poll(() => workerHolds(bridge, made!)).toBe(false);
});

it("many calls in flight on one ref: the release goes after the last", async () => {
  const gate = join(gates, "many");
  const obj = await bridge.call<PyRef>("bridge_fixtures.FileGate", [gate]);
  const slow = obj.call<boolean>("wait");
  const quick = Array.from({ length: 20 }, (_, i) => obj.call<number>("ping", [i]));
  await obj.release();
  expect(await Promise.all(quick)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  expect(await workerHolds(bridge, obj)).toBe(true); // the slow call still runs
  writeFileSync(gate, "");
  expect(await slow).toBe(true);
  await expect.poll(() => workerHolds(bridge, obj)).toBe(false);
});
