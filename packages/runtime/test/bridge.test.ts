import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { rejection } from "./helpers.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BridgeError, PyRef, PythonError, createBridge, type Bridge } from "../src/index.js";

const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));

let bridge: Bridge;
let gates: string;

beforeAll(async () => {
  bridge = await createBridge({ workers: 2, env: { PYTHONPATH: fixtures } });
  gates = mkdtempSync(join(tmpdir(), "bridge-gates-"));
});

afterAll(async () => {
  await bridge?.close();
  rmSync(gates, { recursive: true, force: true });
});

/**
 * A file a Python call blocks on (bridge_fixtures.wait_for_file) until the test creates it:
 * what the test sees before open() happened while that call was still running.
 */
function gate(name: string) {
  const path = join(gates, name);
  return {
    path,
    started: () => existsSync(`${path}.started`),
    open: () => writeFileSync(path, ""),
  };
}


function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("calls", () => {
  it("passes positional and keyword arguments", async () => {
    expect(await bridge.call("math.sqrt", [16])).toBe(4);
    expect(await bridge.call("builtins.sorted", [[3, 1, 2]], { reverse: true })).toEqual([3, 2, 1]);
    expect(await bridge.call("bridge_fixtures.echo_args", [1, "two"], { three: 3 })).toEqual({
      args: [1, "two"],
      kwargs: { three: 3 },
    });
  });

  it("calls through a module handle and reads module values", async () => {
    const json = bridge.module("json");
    expect(await json.call("dumps", [{ a: [1, 2] }], { sort_keys: true })).toBe('{"a": [1, 2]}');
    expect(await bridge.module("os.path").call("join", ["a", "b"])).toBe("a/b");
    expect(await bridge.get("math.pi")).toBeCloseTo(Math.PI, 12);
  });
});

describe("values round-trip", () => {
  const cases: Array<[string, unknown, string]> = [
    ["str", "héllo ✓", "str"],
    ["int", 42, "int"],
    ["negative int", -7, "int"],
    ["big int", 2n ** 100n, "int"],
    ["negative big int", -(2n ** 70n), "int"],
    ["float", 1.5, "float"],
    ["bool", true, "bool"],
    ["None", null, "NoneType"],
    ["bytes", new Uint8Array([0, 1, 254, 255]), "bytes"],
    ["list", [1, "a", [null]], "list"],
    ["dict", { a: 1, b: { c: [2] } }, "dict"],
    ["dict with null values", { a: 1, b: null, c: { d: null } }, "dict"],
    ["list of nulls", [null, { x: null }, [null]], "list"],
    ["map with a null value", new Map<unknown, unknown>([[1, null], ["s", null]]), "dict"],
    ["set", new Set([1, 2, 3]), "set"],
    ["map with int keys", new Map([[1, "one"], [2, "two"]]), "dict"],
    ["map with array keys", new Map([[[1, [2, 3]], "a"]]), "dict"],
    ["datetime", new Date("2024-05-06T07:08:09.123Z"), "datetime"],
  ];
  it.each(cases)("%s", async (_name, value, pythonType) => {
    expect(await bridge.call("bridge_fixtures.describe", [value])).toBe(pythonType);
    expect(await bridge.call("bridge_fixtures.identity", [value])).toEqual(value);
  });

  it("null values are kept in dicts, lists and kwargs, both ways", async () => {
    // What Python received, as its repr: nothing is decoded by the host on the way back.
    expect(await bridge.call("bridge_fixtures.python_repr", [{ a: 1, b: null }])).toBe("{'a': 1, 'b': None}");
    expect(await bridge.call("bridge_fixtures.python_repr", [[null, { x: null }]])).toBe("[None, {'x': None}]");
    expect(await bridge.call("bridge_fixtures.kwargs_repr", [], { a: 1, b: null })).toBe("{'a': 1, 'b': None}");
    // What Python sends back, built in Python.
    expect(await bridge.call("builtins.dict.fromkeys", [["x", "y"]])).toStrictEqual({ x: null, y: null });
    expect(await bridge.call("builtins.dict", [], { a: 1, b: null })).toStrictEqual({ a: 1, b: null });
    // And the whole way.
    expect(await bridge.call("bridge_fixtures.echo_args", [null, { n: null }], { a: 1, b: null })).toStrictEqual({
      args: [null, { n: null }],
      kwargs: { a: 1, b: null },
    });
  });

  it("NaN and infinities stay floats", async () => {
    expect(await bridge.call("builtins.float", ["nan"])).toBeNaN();
    expect(await bridge.call("builtins.float", ["-inf"])).toBe(-Infinity);
    expect(await bridge.call("bridge_fixtures.identity", [Number.NaN])).toBeNaN();
  });

  it("integers: numbers when safe, bigint beyond 2^53 - 1", async () => {
    expect(await bridge.call("builtins.pow", [2, 53])).toBe(2n ** 53n);
    expect(await bridge.call("operator.sub", [2 ** 53, 1])).toBe(2 ** 53 - 1);
    expect(await bridge.call("builtins.pow", [2, 63])).toBe(2n ** 63n);
    expect(await bridge.call("builtins.pow", [2, 64])).toBe(2n ** 64n);
    expect(await bridge.call("math.factorial", [30])).toBe(265252859812191058636308480000000n);
    expect(await bridge.call("builtins.pow", [-3, 41])).toBe((-3n) ** 41n);
  });

  it("tuples arrive as arrays, dicts with non-string keys as Maps", async () => {
    expect(await bridge.call("builtins.divmod", [17, 5])).toEqual([3, 2]);
    expect(await bridge.call("builtins.dict", [[[1, "a"], [2, "b"]]])).toEqual(new Map([[1, "a"], [2, "b"]]));
    expect(await bridge.call("builtins.frozenset", [[1, 2]])).toEqual(new Set([1, 2]));
  });

  it("a symbol is refused with a clear error naming where it is", async () => {
    const error = await bridge.call("bridge_fixtures.identity", [{ a: [Symbol("s")] }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgeError);
    expect((error as BridgeError).code).toBe("invalid_argument");
    expect((error as BridgeError).message).toContain("args[0].a[0] is a symbol");
  });
});

describe("errors", () => {
  it("a Python exception arrives as PythonError with type and traceback", async () => {
    const error = await bridge.call("json.loads", ["{"]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PythonError);
    const py = error as PythonError;
    expect(py.code).toBe("python_exception");
    expect(py.pythonType).toBe("json.decoder.JSONDecodeError");
    expect(py.pythonMessage).toContain("Expecting property name");
    expect(py.traceback).toContain("json/decoder.py");
    expect(py.message).toContain("[python_exception]");
  });

  it("keeps the cause chain", async () => {
    const error = (await bridge.call("bridge_fixtures.fail_with_cause").catch((e: unknown) => e)) as PythonError;
    expect(error.pythonType).toBe("builtins.RuntimeError");
    expect(error.pythonMessage).toBe("lookup failed");
    expect(error.cause).toBeInstanceOf(PythonError);
    expect((error.cause as PythonError).pythonType).toBe("builtins.KeyError");
  });

  it("an unknown target is not_found and names it", async () => {
    const missingModule = (await bridge.call("no_such_module_xyz.f").catch((e: unknown) => e)) as BridgeError;
    expect(missingModule.code).toBe("not_found");
    expect(missingModule.message).toContain("no_such_module_xyz");
    const missingAttr = (await bridge.call("math.no_such_function").catch((e: unknown) => e)) as BridgeError;
    expect(missingAttr.code).toBe("not_found");
    expect(missingAttr.message).toContain("no_such_function");
  });
});

describe("remote refs", () => {
  it("a returned object arrives as a ref whose methods and attributes work", async () => {
    const counter = await bridge.call<PyRef>("collections.Counter", [["a", "b", "a"]]);
    expect(counter).toBeInstanceOf(PyRef);
    expect(counter.type).toBe("collections.Counter");
    expect(await counter.call("most_common", [1])).toEqual([["a", 2]]);
    expect(await counter.call("total")).toBe(3);
    await counter.release();
    const error = (await counter.call("total").catch((e: unknown) => e)) as BridgeError;
    expect(error.code).toBe("not_found");
  });

  it("release() frees the object in the worker: the worker no longer knows its id", async () => {
    await using tracker = await bridge.call<PyRef>("bridge_fixtures.Tracker");
    const obj = await tracker.call<PyRef>("make");
    expect(obj.workerId).toBe(tracker.workerId);
    expect(await tracker.call("alive")).toBe(1);
    // Asked of the worker directly, past the PyRef (whose own flag would answer not_found).
    const raw = () => bridge.pool.invoke({ op: "get", target: "owner", ref: obj.id }, { workerId: obj.workerId });
    expect((await raw()).workerId).toBe(obj.workerId);
    await obj.release();
    await expect.poll(() => tracker.call("alive"), { timeout: 5000 }).toBe(0);
    const error = await rejection(raw());
    expect(error.code).toBe("not_found");
    expect(error.message).toContain(obj.id); // the worker's answer: the pool knows no ref ids
  });

  it("objects keep state, take attribute writes, are callable and can be passed back", async () => {
    await using account = await bridge.call<PyRef>("bridge_fixtures.Account", ["ada"], { balance: 10 });
    expect(await account.call("deposit", [5])).toBe(15);
    expect(await account.get("balance")).toBe(15);
    await account.set("owner", "grace");
    expect(await account.call("", ["!"])).toBe("grace!");
    expect(await bridge.call("bridge_fixtures.same", [account, account])).toBe(true);
    const failure = (await account.call("deposit", [-1]).catch((e: unknown) => e)) as PythonError;
    expect(failure.pythonType).toBe("builtins.ValueError");
  });

  it("refs nested inside data come back as refs", async () => {
    const result = await bridge.call<{ value: PyRef }>("builtins.dict", [], { value: await bridge.get("bridge_fixtures.Account") });
    expect(result.value).toBeInstanceOf(PyRef);
    expect(result.value.type).toBe("builtins.type");
  });
});

describe("deadlines and cancellation", () => {
  it("a deadline rejects with deadline_exceeded", async () => {
    const g = gate("deadline"); // opened only after the answer: the deadline gave it
    const error = await rejection(bridge.call("bridge_fixtures.wait_for_file", [g.path], {}, { timeoutMs: 100 }));
    expect(error.code).toBe("deadline_exceeded");
    g.open();
  });

  it("an abort signal rejects with canceled, and the worker cancels the coroutine", async () => {
    await using probe = await bridge.call<PyRef>("bridge_fixtures.CancelProbe");
    const controller = new AbortController();
    const pending = probe.call("wait", [3600], {}, { signal: controller.signal });
    await expect.poll(() => probe.get("started"), { timeout: 5000 }).toBe(1);
    controller.abort();
    expect((await rejection(pending)).code).toBe("canceled");
    // Python-side: the coroutine saw CancelledError; the host did not just stop waiting.
    await expect.poll(() => probe.get("cancelled"), { timeout: 5000 }).toBe(1);
    expect(await probe.get("finished")).toBe(0);
  });

  it("a slow call does not block others on its worker", async () => {
    const g = gate("slow");
    await using slowGate = await bridge.call<PyRef>("bridge_fixtures.FileGate", [g.path]);
    let slowDone = false;
    const slow = slowGate.call("wait").then((r) => {
      slowDone = true;
      return r;
    });
    await expect.poll(g.started, { timeout: 5000 }).toBe(true);
    // Calls on the same ref run on the same worker, beside the blocked one.
    const fast = await Promise.all(Array.from({ length: 20 }, (_, i) => slowGate.call("ping", [i])));
    expect(fast).toEqual(Array.from({ length: 20 }, (_, i) => i));
    // The slow call cannot end before its gate opens.
    expect(slowDone).toBe(false);
    g.open();
    expect(await slow).toBe(true);
  });
});

describe("supervision", () => {
  it("spreads concurrent calls over the workers", async () => {
    // Issued in one tick, so each pick sees the others' load: 20 on each worker.
    const pids = await Promise.all(Array.from({ length: 40 }, () => bridge.call<number>("bridge_fixtures.pid")));
    const counts = new Map<number, number>();
    for (const pid of pids) counts.set(pid, (counts.get(pid) ?? 0) + 1);
    expect([...counts.values()]).toEqual([20, 20]);
  });

  it("a worker killed mid-call rejects that call with worker_crashed; the next call succeeds", async () => {
    const pid = await bridge.call<number>("os.getpid");
    // Four calls, two per worker (least-loaded routing), each blocked until its gate opens.
    const held = Array.from({ length: 4 }, (_, i) => gate(`crash-${i}`));
    const pending = Promise.all(
      held.map((g) => bridge.call("bridge_fixtures.wait_for_file", [g.path]).catch((e: unknown) => e)),
    );
    await expect.poll(() => held.every((g) => g.started()), { timeout: 5000 }).toBe(true);
    process.kill(pid, "SIGKILL");
    await expect.poll(() => bridge.pool.workers.some((w) => w.pid === pid), { timeout: 5000 }).toBe(false);
    for (const g of held) g.open();
    const outcomes = await pending;
    const crashed = outcomes.filter((e) => e instanceof BridgeError && e.code === "worker_crashed") as BridgeError[];
    expect(crashed).toHaveLength(2);
    expect(crashed[0]!.message).toContain("SIGKILL");
    expect(outcomes.filter((o) => o === true)).toHaveLength(2); // the other worker's two
    expect(await bridge.call("operator.add", [2, 3])).toBe(5);
    // The replacement comes up and both slots serve again.
    await expect.poll(() => bridge.pool.workers.length, { timeout: 10_000 }).toBe(2);
    expect(bridge.pool.workers.map((w) => w.pid)).not.toContain(pid);
  });

  it("a ref from a crashed worker fails with not_found", async () => {
    const account = await bridge.call<PyRef>("bridge_fixtures.Account", ["x"]);
    const worker = bridge.pool.workers.find((w) => w.id === account.workerId)!;
    process.kill(worker.pid, "SIGKILL");
    await expect.poll(() => bridge.pool.workers.some((w) => w.id === account.workerId)).toBe(false);
    const error = (await account.call("deposit", [1]).catch((e: unknown) => e)) as BridgeError;
    expect(error.code).toBe("not_found");
    await expect.poll(() => bridge.pool.workers.length, { timeout: 10_000 }).toBe(2);
  });
});

describe("lifecycle", () => {
  it("close() leaves no Python process behind", async () => {
    const local = await createBridge({ workers: 2 });
    const pids = local.pool.workers.map((w) => w.pid);
    expect(pids.every(alive)).toBe(true);
    await local.close();
    expect(pids.some(alive)).toBe(false);
  });

  it("a Node process that exits without close() leaves no Python process behind", () => {
    const script = `
      const { createBridge } = await import(${JSON.stringify(new URL("../src/index.ts", import.meta.url).href)});
      const bridge = await createBridge({ workers: 2 });
      console.log(JSON.stringify(bridge.pool.workers.map((w) => w.pid)));
      await bridge.call("operator.add", [1, 2]);
    `;
    // The event loop must empty on its own: workers hold no handle while idle.
    const out = execFileSync(process.execPath, ["--conditions=@bridge/source", "--import", "tsx", "--input-type=module", "-e", script], {
      encoding: "utf8",
      timeout: 20_000,
      env: process.env,
    });
    const pids = JSON.parse(out.trim().split("\n").at(-1)!) as number[];
    expect(pids).toHaveLength(2);
    return expect.poll(() => pids.some(alive), { timeout: 5000 }).toBe(false);
  });

  it("a Python without the worker's dependencies fails with a readable error", async () => {
    const error = (await createBridge({ python: "/usr/bin/env", workerPath: false, startTimeoutMs: 5000 }).catch(
      (e: unknown) => e,
    )) as BridgeError;
    expect(error).toBeInstanceOf(BridgeError);
    expect(error.code).toBe("unavailable");
    expect(error.message).toContain("could not start");
  });

  it("a missing interpreter is named in the error", async () => {
    const error = (await createBridge({ python: "/nonexistent/python3" }).catch((e: unknown) => e)) as BridgeError;
    expect(error.code).toBe("unavailable");
    expect(error.message).toContain("/nonexistent/python3");
  });
});
