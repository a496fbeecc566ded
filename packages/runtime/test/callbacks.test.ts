import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { PythonError, createBridge, type Bridge, type PyRef } from "../src/index.js";

// TypeScript functions handed to Python: real workers, real callbacks over the channel.
const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));

let bridge: Bridge;
beforeAll(async () => {
  // One worker: every nested call and every concurrent call meets on the same process.
  bridge = await createBridge({ workers: 1, env: { PYTHONPATH: fixtures } });
});
afterAll(() => bridge?.close());

const cb = (name: string) => `bridge_callbacks.${name}`;

/** A promise and its resolver, to hold a callback open until the test says so. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Host values (functions, iterables) Python holds now: the host's side of the table. */
function hostValueCount(b: Bridge): number {
  return (b as unknown as { hostValues: { size: number } }).hostValues.size;
}

describe("host values handed back and held", () => {
  it("a function or iterable Python returns is the original, even when Python dropped it in that call", async () => {
    const f = (x: number) => x + 1;
    const items = [1, 2, 3];
    for (let i = 0; i < 20; i++) {
      expect(await bridge.call(cb("same"), [f])).toBe(f);
      expect(await bridge.call(cb("same"), [[f, { f }]])).toEqual([f, { f }]);
      expect(await bridge.call(cb("same"), [items.values()])).toBeDefined();
    }
    await expect.poll(() => hostValueCount(bridge)).toBe(0);
  });

  it("what a worker held is released when the worker dies", async () => {
    await using own = await createBridge({ workers: 1, env: { PYTHONPATH: fixtures } });
    for (let i = 0; i < 5; i++) await own.call(cb("keep"), [() => i]);
    expect(hostValueCount(own)).toBe(5);
    const victim = own.pool.workers[0]!;
    process.kill(victim.pid, "SIGKILL");
    await expect.poll(() => hostValueCount(own), { timeout: 10_000 }).toBe(0);
    // A call lost with its worker releases what it carried.
    let called = false;
    const hang = () => {
      called = true;
      return new Promise(() => undefined);
    };
    const lost = own.call(cb("apply"), [hang]).catch((e: unknown) => e);
    await expect.poll(() => called, { timeout: 10_000 }).toBe(true);
    expect(hostValueCount(own)).toBe(1);
    process.kill(own.pool.workers[0]!.pid, "SIGKILL");
    expect(((await lost) as { code: string }).code).toBe("worker_crashed");
    await expect.poll(() => hostValueCount(own), { timeout: 10_000 }).toBe(0);
  });
});

describe("TypeScript functions in Python", () => {
  it("a function at the top level, inside an object or an array arrives as a callable", async () => {
    const f = (x: unknown) => x;
    expect(await bridge.call(cb("kinds"), [{ top: f, list: [1, f], nested: { deep: [{ g: f }] } }])).toEqual({
      top: "callable",
      list: ["int", "callable"],
      nested: { deep: [{ g: "callable" }] },
    });
    const calls: unknown[] = [];
    const result = await bridge.call(cb("apply_all"), [
      {
        fns: [(i: number) => (calls.push(i), `a${i}`), (i: number) => (calls.push(i), `b${i}`)],
        nested: { fn: (s: string) => s.toUpperCase() },
      },
    ]);
    expect(result).toEqual(["a0", "b1", "NESTED"]);
    expect(calls).toEqual([0, 1]);
  });

  it("passes positional and keyword arguments and returns values both ways, refs included", async () => {
    const seen: unknown[][] = [];
    const fn = bridge.fn((a: number, b: number, c = 0) => (seen.push([a, b, c]), a * 100 + b * 10 + c), {
      parameters: [{ name: "a" }, { name: "b" }, { name: "c", default: 0 }],
    });
    expect(await bridge.call(cb("apply"), [fn, 1], { b: 2 })).toBe(120);
    expect(await bridge.call(cb("apply"), [fn, 1, 2, 3])).toBe(123);
    expect(await bridge.call(cb("apply"), [fn], { a: 4, b: 5, c: 6 })).toBe(456);
    expect(seen).toEqual([
      [1, 2, 0],
      [1, 2, 3],
      [4, 5, 6],
    ]);
    // A Python object given to TS comes as a ref, and a ref returned goes back as the object.
    await using account = await bridge.call<PyRef>("bridge_fixtures.Account", ["ada"]);
    const same = await bridge.call(cb("apply"), [(ref: PyRef) => ref, account]);
    expect(same).toBeInstanceOf(Object);
    expect(await bridge.call("bridge_fixtures.same", [same, account])).toBe(true);
  });

  it("sync Python code blocks only its own thread while the host answers", async () => {
    const held = deferred<string>();
    let entered = false;
    const slow = bridge.call(cb("apply"), [
      () => {
        entered = true;
        return held.promise;
      },
    ]);
    await expect.poll(() => entered).toBe(true);
    // The worker's other calls are served while that thread waits for the host.
    expect(await bridge.call("operator.add", [2, 3])).toBe(5);
    expect(await bridge.call(cb("parallel_calls"), [(i: number) => i * 2, 4])).toEqual([0, 2, 4, 6]);
    let settled = false;
    void slow.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    held.resolve("answered");
    expect(await slow).toBe("answered");
  });

  it("async Python code awaits it, without blocking the worker's event loop", async () => {
    expect(await bridge.call(cb("apply_async"), [(x: number) => Promise.resolve(x + 1), 41])).toBe(42);
    // Five calls from one coroutine are all in flight before any is answered.
    const waiting: ReturnType<typeof deferred<number>>[] = [];
    let inFlight = 0;
    const gathered = bridge.call(cb("gather_calls"), [
      (i: number) => {
        inFlight++;
        const d = deferred<number>();
        waiting.push(d);
        return d.promise.then(() => i * i);
      },
      5,
    ]);
    await expect.poll(() => inFlight).toBe(5);
    expect(await bridge.call("operator.mul", [6, 7])).toBe(42);
    for (const d of waiting) d.resolve(0);
    expect(await gathered).toEqual([0, 1, 4, 9, 16]);
  });

  it("calls nest TS -> Python -> TS -> Python... 4 levels deep, the worker serving other calls meanwhile", async () => {
    const path: string[] = [];
    const level = (depth: number): ((x: number) => Promise<number>) =>
      async (x: number) => {
        path.push(`ts${depth}`);
        // Each level checks the worker still answers an unrelated call.
        expect(await bridge.call("operator.add", [depth, 0])).toBe(depth);
        if (depth === 4) return x;
        const inner = await bridge.call<number>(cb("apply"), [level(depth + 1), x * 2]);
        path.push(`ts${depth} back`);
        return inner + 1;
      };
    expect(await bridge.call(cb("apply"), [level(1), 1])).toBe(8 + 3);
    expect(path).toEqual(["ts1", "ts2", "ts3", "ts4", "ts3 back", "ts2 back", "ts1 back"]);
    // The same through async Python at every level.
    const alevel = (depth: number): ((x: number) => Promise<number>) =>
      async (x: number) => (depth === 4 ? x : (await bridge.call<number>(cb("apply_async"), [alevel(depth + 1), x + 1])) * 2);
    expect(await bridge.call(cb("apply_async"), [alevel(1), 0])).toBe(24);
  });

  it("nesting needs no spare threads: a worker allowed one thread of user code still nests 3 deep", async () => {
    await using narrow = await createBridge({ workers: 1, threads: 1, env: { PYTHONPATH: fixtures } });
    const level = (depth: number): ((x: number) => Promise<number>) =>
      async (x: number) => {
        // While the Python frames above wait for this TS code, the one thread serves other calls.
        expect(await narrow.call("operator.add", [x, 0])).toBe(x);
        return depth === 3 ? x : (await narrow.call<number>(cb("apply"), [level(depth + 1), x + 1])) + 10;
      };
    expect(await narrow.call(cb("apply"), [level(1), 1])).toBe(3 + 20);
  });

  it("a TS exception is a catchable bridge_worker.host.HostError with the message, name and stack", async () => {
    function failing(): never {
      throw new TypeError("bad input from TS");
    }
    const caught = await bridge.call<Record<string, unknown>>(cb("catch_host_error"), [failing]);
    expect(caught).toMatchObject({
      type: "bridge_worker.host.HostError",
      str: "TypeError: bad input from TS",
      name: "TypeError",
      is_exception: true,
    });
    expect(caught.stack).toContain("bad input from TS");
    expect(caught.stack).toContain("callbacks.test.ts");
    // Not caught in Python: it reaches the caller as a PythonError naming HostError.
    const error = await bridge.call(cb("apply"), [failing]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PythonError);
    expect((error as PythonError).pythonType).toBe("bridge_worker.host.HostError");
    expect((error as PythonError).pythonMessage).toBe("TypeError: bad input from TS");
    // A rejected promise is the same as a throw.
    const rejected = await bridge.call(cb("catch_host_error"), [() => Promise.reject(new RangeError("async no"))]);
    expect(rejected).toMatchObject({ name: "RangeError", str: "RangeError: async no" });
  });

  it("a Python exception in a nested call reaches TS as PythonError with its cause chain", async () => {
    let inner: unknown;
    const fn = async () => {
      try {
        return await bridge.call("bridge_fixtures.fail_with_cause");
      } catch (error) {
        inner = error;
        throw error;
      }
    };
    const outer = await bridge.call(cb("apply"), [fn]).catch((e: unknown) => e);
    expect(inner).toBeInstanceOf(PythonError);
    expect((inner as PythonError).pythonType).toBe("builtins.RuntimeError");
    expect((inner as PythonError).cause).toBeInstanceOf(PythonError);
    expect(((inner as PythonError).cause as PythonError).pythonType).toBe("builtins.KeyError");
    // Rethrown by the TS function, it travels on through Python to the outer caller.
    expect(outer).toBeInstanceOf(PythonError);
    expect((outer as PythonError).pythonType).toBe("bridge_worker.host.HostError");
    expect((outer as PythonError).pythonMessage).toContain("lookup failed");
  });
});

describe("what Python sees of a TS function", () => {
  it("a declared parameter list: name, docstring and inspect.signature", async () => {
    const search = bridge.fn((query: string, limit = 5) => [query, limit], {
      name: "search",
      description: "Search the docs.",
      parameters: [
        { name: "query", type: "string", description: "what to look for" },
        { name: "limit", type: "integer", default: 5 },
      ],
    });
    expect(await bridge.call(cb("describe_function"), [search])).toEqual({
      name: "search",
      doc: "Search the docs.",
      signature: "(query: str, limit: int = 5)",
      parameters: [
        { name: "query", kind: "POSITIONAL_OR_KEYWORD", default: null, annotation: "str" },
        { name: "limit", kind: "POSITIONAL_OR_KEYWORD", default: "5", annotation: "int" },
      ],
      annotations: ["limit", "query"],
    });
    expect(await bridge.call(cb("apply"), [search, "x"])).toEqual(["x", 5]);
    expect(await bridge.call(cb("apply"), [search], { query: "y", limit: 2 })).toEqual(["y", 2]);
  });

  it("a zod object schema: one object argument, validated", async () => {
    const book = bridge.fn((input: { title: string; nights?: number }) => `${input.title}:${input.nights ?? 1}`, {
      name: "book_hotel",
      description: "Book a hotel.",
      parameters: z.object({ title: z.string().describe("the hotel"), nights: z.number().int().optional() }),
    });
    const seen = await bridge.call<Record<string, unknown>>(cb("describe_function"), [book]);
    expect(seen).toMatchObject({ name: "book_hotel", doc: "Book a hotel.", signature: "(title: str, nights: int | None = None)" });
    expect(await bridge.call(cb("apply"), [book], { title: "Ritz", nights: 2 })).toBe("Ritz:2");
    expect(await bridge.call(cb("apply"), [book, "Savoy"])).toBe("Savoy:1");
    // Optional fields declared first still make a valid signature (required ones go first).
    const late = bridge.fn((input: { nights?: number; title: string }) => input.title, {
      parameters: z.object({ nights: z.number().optional(), title: z.string() }),
    });
    expect(await bridge.call(cb("describe_function"), [late])).toMatchObject({ signature: "(title: str, nights: float | None = None)" });
    expect(await bridge.call(cb("apply"), [late, "first"])).toBe("first");
    // The schema's validation error is a HostError in Python.
    const bad = await bridge.call<Record<string, unknown>>(cb("catch_host_error"), [book, 42]);
    expect(bad).toMatchObject({ type: "bridge_worker.host.HostError", name: "TypeError" });
    expect(String(bad.str)).toContain("book_hotel: invalid arguments");
  });

  it("a JSON Schema object, and a bare function's own arity", async () => {
    const weather = bridge.fn((input: { city: string }) => `sunny in ${input.city}`, {
      name: "weather",
      parameters: { type: "object", properties: { city: { type: "string" }, unit: { type: "string" } }, required: ["city"] },
    });
    expect(await bridge.call(cb("describe_function"), [weather])).toMatchObject({
      name: "weather",
      doc: null,
      signature: "(city: str, unit: str | None = None)",
    });
    expect(await bridge.call(cb("apply"), [weather, "Oslo"])).toBe("sunny in Oslo");
    function add(a: number, b: number) {
      return a + b;
    }
    expect(await bridge.call(cb("describe_function"), [add])).toMatchObject({ name: "add", doc: null, signature: "(arg0, arg1)" });
    // Arity 0 may be ...rest: Python sees a function taking anything.
    expect(await bridge.call(cb("describe_function"), [() => 1])).toMatchObject({ name: "host_function", signature: "(*args, **kwargs)", annotations: [] });
  });
});

describe("the tools registry", () => {
  it("bridge.tools.register exposes a function to Python as bridge_worker.host.tools[name]", async () => {
    await bridge.tools.register("shout", (s: string) => `${s}!`, {
      description: "Shout it.",
      parameters: [{ name: "text", type: "string" }],
    });
    expect(bridge.tools.names).toContain("shout");
    expect(await bridge.call(cb("tool_names"))).toContain("shout");
    expect(await bridge.call(cb("call_tool"), ["shout", "hey"])).toBe("hey!");
    expect(await bridge.call(cb("call_tool"), ["shout"], { text: "kw" })).toBe("kw!");
    expect(await bridge.call(cb("tool_info"), ["shout"])).toMatchObject({ name: "shout", doc: "Shout it.", signature: "(text: str)" });
    await bridge.tools.unregister("shout");
    expect(await bridge.call(cb("tool_names"))).not.toContain("shout");
    const missing = (await bridge.call(cb("call_tool"), ["shout"]).catch((e: unknown) => e)) as PythonError;
    expect(missing.pythonType).toBe("builtins.KeyError");
    expect(missing.pythonMessage).toContain("no host tool named 'shout'");
  });

  it("tools reach a replacement worker (setup registers them)", async () => {
    await using own = await createBridge({ workers: 1, env: { PYTHONPATH: fixtures } });
    await own.tools.register("twice", (n: number) => n * 2);
    const first = await own.call<number>("bridge_fixtures.pid");
    expect(await own.call(cb("call_tool"), ["twice", 4])).toBe(8);
    process.kill(first, "SIGKILL");
    await expect.poll(() => own.call<number>("bridge_fixtures.pid").catch(() => first), { timeout: 20_000 }).not.toBe(first);
    expect(await own.call(cb("call_tool"), ["twice", 5])).toBe(10);
  });
});

describe("lifetime", () => {
  it("when Python drops a function, the host drops its side", async () => {
    const before = hostValueCount(bridge);
    await using holder = await bridge.call<PyRef>(cb("Holder"), [(x: number) => x + 1]);
    expect(await holder.call("call", [1])).toBe(2);
    expect(hostValueCount(bridge)).toBe(before + 1);
    expect(await holder.call("drop")).toBe(true); // gone in Python
    await expect.poll(() => hostValueCount(bridge)).toBe(before);
    // Functions passed for one call only are dropped once the call returns.
    for (let i = 0; i < 5; i++) await bridge.call(cb("apply"), [() => i]);
    await expect.poll(() => hostValueCount(bridge)).toBe(before);
  });
});
