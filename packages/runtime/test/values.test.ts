/**
 * The value table (docs/PROTOCOL.md), row by row, against real workers: one regression
 * test per corruption issue 7 found, and the numpy / Arrow / datetime mappings.
 */
import { fileURLToPath } from "node:url";
import { rejection } from "./helpers.js";
import { tableFromArrays, type Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NDArray, PyDate, PyDateTime, PyRef, PyTimedelta, createBridge, type Bridge } from "../src/index.js";

const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));

let bridge: Bridge;

beforeAll(async () => {
  bridge = await createBridge({ env: { PYTHONPATH: fixtures } });
});

afterAll(async () => {
  await bridge?.close();
});


const hex = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");

describe("a ref followed by more values", () => {
  it("decodes the values after a ref whose qualified name is long (DSPy's lm.history shape)", async () => {
    const entry = await bridge.call<Record<string, unknown>>("values_fixtures.lm_history_entry");
    expect(Object.keys(entry)).toEqual(["response", "outputs", "usage", "cost"]);
    expect(entry.response).toBeInstanceOf(PyRef);
    expect((entry.response as PyRef).type).toBe("bridge_fixtures_pkg._vendor.lm15.types.Response");
    expect(await (entry.response as PyRef).get("text")).toBe("4");
    expect(entry.outputs).toEqual(["[[ ## answer ## ]]\n4"]);
    expect(entry.usage).toEqual({
      prompt_tokens: 0,
      completion_tokens: 0,
      total_tokens: 0,
      prompt_tokens_details: null,
      completion_tokens_details: null,
    });
    expect(entry.cost).toBeNull();
  });

  it("keeps many refs interleaved with strings in one value", async () => {
    const refs = await bridge.call<PyRef[]>("builtins.list", [[]]);
    expect(refs).toEqual([]);
    const mixed = await bridge.call<unknown[]>("values_fixtures.echo", [
      Array.from({ length: 50 }, (_, i) => (i % 2 ? `s${i}`.repeat(i) : { n: i })),
    ]);
    expect(mixed).toEqual(Array.from({ length: 50 }, (_, i) => (i % 2 ? `s${i}`.repeat(i) : { n: i })));
  });
});

describe("typed arrays", () => {
  it("sends a Float64Array's own bytes", async () => {
    const bytes = await bridge.call<Uint8Array>("builtins.bytes", [new Float64Array([1.5, 2.5])]);
    expect(hex(bytes)).toBe("000000000000f83f0000000000000440");
  });

  const kinds = [
    new Int8Array([-1, 2, -128]),
    new Uint8Array([1, 2, 255]),
    new Uint8ClampedArray([0, 9, 255]),
    new Int16Array([-2, 300, 32767]),
    new Uint16Array([1, 65535]),
    new Int32Array([-5, 2 ** 31 - 1]),
    new Uint32Array([7, 2 ** 32 - 1]),
    new Float32Array([0.5, -2.25]),
    new Float64Array([Math.PI, -0]),
    new BigInt64Array([-(2n ** 63n), 1n]),
    new BigUint64Array([2n ** 64n - 1n]),
  ];
  for (const array of kinds) {
    it(`sends a ${array.constructor.name} exactly, as its own bytes`, async () => {
      const got = await bridge.call<Uint8Array>("builtins.bytes", [array]);
      expect(hex(got)).toBe(hex(new Uint8Array(array.buffer, array.byteOffset, array.byteLength)));
    });
  }

  it("sends a subarray's bytes, not its whole buffer's", async () => {
    const whole = new Int16Array([1, 2, 3, 4, 5, 6]);
    const part = whole.subarray(2, 4);
    expect(hex(await bridge.call<Uint8Array>("builtins.bytes", [part]))).toBe("03000400");
    const unaligned = new Uint8Array([9, 8, 7, 6, 5]).subarray(1, 4);
    expect([...(await bridge.call<Uint8Array>("builtins.bytes", [unaligned]))]).toEqual([8, 7, 6]);
  });

  it("sends a DataView's and an ArrayBuffer's bytes", async () => {
    const buffer = new Uint8Array([1, 2, 3, 4, 5, 6]).buffer;
    expect([...(await bridge.call<Uint8Array>("builtins.bytes", [new DataView(buffer, 1, 3)]))]).toEqual([2, 3, 4]);
    expect([...(await bridge.call<Uint8Array>("builtins.bytes", [buffer]))]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("a typed array arrives in numpy as an ndarray of its dtype", async () => {
    expect(await bridge.call("values_fixtures.numpy_summary", [new Float32Array([1.5, 2])])).toEqual(["float32", [2], true, [1.5, 2]]);
    expect(await bridge.call("values_fixtures.numpy_summary", [new BigInt64Array([-3n])])).toEqual(["int64", [1], true, [-3]]);
  });

  it("bytes arrive as a Uint8Array; bytearray and memoryview too", async () => {
    const sent = new Uint8Array([0, 1, 254, 255]);
    const back = await bridge.call<Uint8Array>("values_fixtures.echo", [sent]);
    expect(back).toBeInstanceOf(Uint8Array);
    expect([...back]).toEqual([0, 1, 254, 255]);
    expect([...(await bridge.call<Uint8Array>("builtins.bytearray", [sent]))]).toEqual([0, 1, 254, 255]);
    expect([...(await bridge.call<Uint8Array>("builtins.memoryview", [sent]))]).toEqual([0, 1, 254, 255]);
    expect(await bridge.call("values_fixtures.number_kind", [1])).toEqual(["int", 1]);
  });
});

describe("numbers", () => {
  it("integral numbers beyond int32 arrive as int", async () => {
    const range = await bridge.call<PyRef>("builtins.range", [2 ** 32]);
    expect(await bridge.call("builtins.len", [range])).toBe(2 ** 32);
    expect(await bridge.call("values_fixtures.number_kind", [2 ** 40])).toEqual(["int", 1]);
    expect(await bridge.call("values_fixtures.number_kind", [Number.MAX_SAFE_INTEGER])).toEqual(["int", 1]);
    expect(await bridge.call("values_fixtures.number_kind", [-(2 ** 53) + 1])).toEqual(["int", -1]);
  });

  it("-0, fractions and numbers beyond 2**53 arrive as float; NaN and the infinities exactly", async () => {
    expect(await bridge.call("values_fixtures.number_kind", [-0])).toEqual(["float", -1]);
    expect(await bridge.call("values_fixtures.number_kind", [0.5])).toEqual(["float", 1]);
    expect(await bridge.call("values_fixtures.number_kind", [2 ** 60])).toEqual(["float", 1]);
    expect(Object.is(await bridge.call("values_fixtures.echo", [-0]), -0)).toBe(true);
    expect(await bridge.call("values_fixtures.echo", [[NaN, Infinity, -Infinity]])).toEqual([NaN, Infinity, -Infinity]);
  });

  it("bigint is int at any size; ints beyond 2**53 come back as bigint", async () => {
    expect(await bridge.call("values_fixtures.number_kind", [5n])).toEqual(["int", 1]);
    expect(await bridge.call("values_fixtures.echo", [2n ** 53n + 1n])).toBe(2n ** 53n + 1n);
    expect(await bridge.call("values_fixtures.echo", [-(2n ** 200n)])).toBe(-(2n ** 200n));
    expect(await bridge.call("values_fixtures.echo", [5n])).toBe(5);
  });
});

describe("keys", () => {
  it('"__proto__" is an own key, both ways', async () => {
    const sent = JSON.parse('{"__proto__": 1, "a": {"__proto__": {"x": 2}}}') as Record<string, unknown>;
    const keys = await bridge.call<string[]>("builtins.list", [sent]);
    expect(keys).toEqual(["__proto__", "a"]);
    const back = await bridge.call<Record<string, unknown>>("values_fixtures.echo", [sent]);
    expect(Object.keys(back)).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(back)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(back, "__proto__")?.value).toBe(1);
    const inner = back.a as Record<string, unknown>;
    expect(Object.getOwnPropertyDescriptor(inner, "__proto__")?.value).toEqual({ x: 2 });
    const fromPython = await bridge.call<Record<string, unknown>>("builtins.dict", [], JSON.parse('{"__proto__": 3}') as Record<string, unknown>);
    expect(Object.getOwnPropertyDescriptor(fromPython, "__proto__")?.value).toBe(3);
  });

  it("distinct JS keys that are one Python key are refused, not merged", async () => {
    for (const map of [new Map<unknown, unknown>([[1, "a"], [1n, "b"]]), new Map<unknown, unknown>([[true, "a"], [1, "b"]]), new Map<unknown, unknown>([[[1], "a"], [[1], "b"]])]) {
      const error = await rejection(bridge.call("values_fixtures.echo", [map]));
      expect(error.code).toBe("invalid_argument");
      expect(error.message).toMatch(/equal as Python dict keys/);
    }
    expect((await rejection(bridge.call("values_fixtures.echo", [new Set<unknown>([0, false])]))).message).toMatch(/one would be lost/);
  });

  it("dicts with non-string keys arrive as Maps", async () => {
    const map = await bridge.call<Map<unknown, unknown>>("values_fixtures.echo", [new Map<unknown, unknown>([[1, "a"], [2n ** 70n, "b"]])]);
    expect(map).toBeInstanceOf(Map);
    expect([...map]).toEqual([[1, "a"], [2n ** 70n, "b"]]);
  });
});

describe("huge values", () => {
  it("a 64 MiB bytes result arrives as a Uint8Array", async () => {
    const bytes = await bridge.call<Uint8Array>("values_fixtures.big_bytearray", [64 << 20]);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(bytes.byteLength).toBe(64 << 20);
  });

  it("a result larger than the host takes is refused as resource_exhausted, never a ref", async () => {
    await using small = await createBridge({ env: { PYTHONPATH: fixtures }, maxBufferBytes: 1 << 20 });
    const error = await rejection(small.call("values_fixtures.big_bytearray", [(1 << 20) + 1]));
    expect(error.code).toBe("resource_exhausted");
    expect(error.message).toMatch(/1048577 bytes/);
    expect(error.message).toMatch(/limit of 1048576 bytes/);
    // The worker is fine afterwards, and a value at the limit crosses.
    expect((await small.call<Uint8Array>("values_fixtures.big_bytearray", [1 << 20])).byteLength).toBe(1 << 20);
  });
});

describe("inline size", () => {
  it("arguments too large to travel inline are refused before they are sent", async () => {
    const error = await rejection(bridge.call("builtins.len", ["x".repeat(256 * 2 ** 20)]));
    expect(error.code).toBe("resource_exhausted");
    expect(error.message).toMatch(/268435\d+ bytes inline/);
    expect(await bridge.call("builtins.len", ["ok"])).toBe(2);
  });

  it("a result too large to travel inline is refused in the worker, which keeps serving", async () => {
    const error = await rejection(bridge.call("operator.mul", ["x", 256 * 2 ** 20]));
    expect(error.code).toBe("resource_exhausted");
    expect(error.message).toMatch(/bytes inline/);
    expect(await bridge.call("builtins.len", ["ok"])).toBe(2);
  });
});

describe("over gRPC", () => {
  it("values larger than a chunk travel in pieces, both ways, byte for byte", async () => {
    await using grpc = await createBridge({ env: { PYTHONPATH: fixtures }, transport: "grpc" });
    expect(grpc.pool.workers[0]!.transport).toBe("grpc");
    const sent = Uint8Array.from({ length: (5 << 20) + 3 }, (_, i) => (i * 7) % 256);
    const back = await grpc.call<Uint8Array>("values_fixtures.echo", [sent]);
    expect(back.byteLength).toBe(sent.byteLength);
    expect(Buffer.from(back).equals(Buffer.from(sent))).toBe(true);
    const array = new NDArray(Float64Array.from({ length: 1 << 20 }, (_, i) => i / 3), [1024, 1024]);
    const transposed = await grpc.call<NDArray<"float64">>("numpy.transpose", [array]);
    expect(transposed.shape).toEqual([1024, 1024]);
    expect(transposed.at(3, 2)).toBe(array.at(2, 3));
    const made = await grpc.call<Uint8Array>("values_fixtures.big_bytearray", [3 << 20]);
    expect(made.byteLength).toBe(3 << 20);
  });
});

describe("what has no Python form is refused with its path", () => {
  class User {
    #secret = 1;
    constructor(readonly name: string) {}
    get upper(): string {
      return this.name.toUpperCase() + String(this.#secret);
    }
  }

  it("a class instance", async () => {
    const error = await rejection(bridge.call("values_fixtures.echo", [{ user: { avatar: new User("ada") } }]));
    expect(error.code).toBe("invalid_argument");
    expect(error.message).toMatch(/args\[0\]\.user\.avatar/);
    expect(error.message).toMatch(/User/);
  });

  it("a symbol, a symbol key, and a function where functions are not passed", async () => {
    expect((await rejection(bridge.call("values_fixtures.echo", [[1, Symbol("s")]]))).message).toMatch(/args\[0\]\[1\].*symbol/);
    expect((await rejection(bridge.call("values_fixtures.echo", [{ [Symbol("k")]: 1 }]))).message).toMatch(/args\[0\].*symbol-keyed/);
    const kw = await rejection(bridge.call("bridge_fixtures.echo_args", [], { opts: { when: new WeakMap() } }));
    expect(kw.message).toMatch(/kwargs\.opts\.when/);
  });

  it("a circular structure and a 10,000-deep one, with clear messages", async () => {
    const a: Record<string, unknown> = { x: 1 };
    a.self = { again: a };
    const circular = await rejection(bridge.call("values_fixtures.echo", [a]));
    expect(circular.code).toBe("invalid_argument");
    expect(circular.message).toMatch(/args\[0\]\.self\.again/);
    expect(circular.message).toMatch(/circular/);
    let deep: unknown[] = [];
    for (let i = 0; i < 10_000; i++) deep = [deep];
    const tooDeep = await rejection(bridge.call("values_fixtures.echo", [deep]));
    expect(tooDeep.code).toBe("invalid_argument");
    expect(tooDeep.message).toMatch(/deeper than \d+ levels/);
    expect(tooDeep.message).not.toMatch(/call stack/);
    // The same object twice (not circular) is fine.
    const shared = { n: 1 };
    expect(await bridge.call("values_fixtures.echo", [[shared, shared]])).toEqual([{ n: 1 }, { n: 1 }]);
  });
});

describe("dates and times", () => {
  it("a Date is an aware UTC datetime; datetimes keep their offset and microseconds", async () => {
    const when = new Date(Date.UTC(2024, 1, 29, 12, 30, 15, 250));
    expect(await bridge.call("builtins.str", [when])).toBe("2024-02-29 12:30:15.250000+00:00");
    const parsed = await bridge.call<PyDateTime>("datetime.datetime.fromisoformat", ["2024-02-29T12:30:15.123456+05:30"]);
    expect(parsed).toBeInstanceOf(PyDateTime);
    expect(parsed).toBeInstanceOf(Date);
    expect(parsed.toISOString()).toBe("2024-02-29T07:00:15.123Z");
    expect(parsed.extraMicroseconds).toBe(456);
    expect(parsed.utcOffsetSeconds).toBe(330 * 60);
    expect(await bridge.call("builtins.str", [parsed])).toBe("2024-02-29 12:30:15.123456+05:30");
  });

  it("date and timedelta", async () => {
    const date = await bridge.call<PyDate>("datetime.date", [2020, 1, 31]);
    expect(date).toBeInstanceOf(PyDate);
    expect(await bridge.call("builtins.str", [date])).toBe("2020-01-31");
    const delta = await bridge.call<PyTimedelta>("datetime.timedelta", [], { days: -1, microseconds: 5 });
    expect(delta).toBeInstanceOf(PyTimedelta);
    expect(await bridge.call("builtins.str", [delta])).toBe("-1 day, 0:00:00.000005");
  });
});

describe("numpy", () => {
  it("ndarrays arrive as NDArray with their dtype, shape and data", async () => {
    const values = await bridge.call<Record<string, unknown>>("values_fixtures.numpy_values");
    const eye = values.eye as NDArray<"float64">;
    expect(eye).toBeInstanceOf(NDArray);
    expect(eye.dtype).toBe("float64");
    expect(eye.shape).toEqual([3, 3]);
    expect([...eye.data]).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const ints = values.ints as NDArray<"int32">;
    expect(ints.data).toBeInstanceOf(Int32Array);
    expect(ints.shape).toEqual([2, 3]);
    expect(ints.at(1, 2)).toBe(5);
    const big = values.big as NDArray<"float64">;
    expect(big.data.length).toBe(200_000);
    expect(big.data[199_999]).toBe(199_999);
    expect(values.bools).toBeInstanceOf(NDArray);
    expect((values.bools as NDArray).dtype).toBe("bool");
  });

  it("numpy scalars arrive as plain numbers and booleans", async () => {
    const values = await bridge.call<Record<string, unknown>>("values_fixtures.numpy_values");
    expect(values.f64).toBe(1.5);
    expect(values.i64).toBe(-7);
    expect(values.flag).toBe(true);
  });

  it("an object-dtype array is a ref", async () => {
    const values = await bridge.call<Record<string, unknown>>("values_fixtures.numpy_values");
    expect(values.objects).toBeInstanceOf(PyRef);
    expect((values.objects as PyRef).type).toBe("numpy.ndarray");
  });

  it("an NDArray goes back as an ndarray of the same dtype and shape", async () => {
    const sent = new NDArray(new Float64Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    expect(await bridge.call("values_fixtures.numpy_summary", [sent])).toEqual(["float64", [2, 3], true, [[1, 2, 3], [4, 5, 6]]]);
    const back = await bridge.call<NDArray<"float64">>("values_fixtures.echo", [sent]);
    expect(back.shape).toEqual([2, 3]);
    expect([...back.data]).toEqual([1, 2, 3, 4, 5, 6]);
    const transposed = await bridge.call<NDArray<"float64">>("numpy.transpose", [sent]);
    expect(transposed.shape).toEqual([3, 2]);
    expect(transposed.toArray()).toEqual([[1, 4], [2, 5], [3, 6]]);
  });
});

describe("Arrow", () => {
  it("a pyarrow Table arrives as an apache-arrow Table", async () => {
    const table = await bridge.call<Table>("values_fixtures.arrow_table");
    expect(table.numRows).toBe(3);
    expect(table.schema.fields.map((f) => f.name)).toEqual(["x", "name"]);
    expect(Array.from(table.getChild("x")!.toArray() as BigInt64Array)).toEqual([1n, 2n, 3n]);
    expect(table.getChild("name")!.get(2)).toBeNull();
  });

  it("a pandas DataFrame arrives as an Arrow Table and goes back as a DataFrame", async () => {
    const table = await bridge.call<Table>("values_fixtures.dataframe");
    expect(table.numRows).toBe(2);
    expect(table.getChild("label")!.get(1)).toBe("q");
    expect(await bridge.call("values_fixtures.arrow_summary", [table])).toEqual(["DataFrame", ["x", "label"], 2]);
  });

  it("an apache-arrow Table goes to Python as a pyarrow Table", async () => {
    const table = tableFromArrays({ a: new Float64Array([1, 2]), b: ["u", "v"] });
    expect(await bridge.call("values_fixtures.arrow_summary", [table])).toEqual(["Table", ["a", "b"], 2]);
  });
});
