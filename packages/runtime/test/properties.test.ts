/**
 * Property-based round trips through a real worker, both ways:
 * - fast-check: arbitrary JS values → Python → back, compared with what the value table
 *   says comes back (`back` below: a TypedArray returns as an NDArray...);
 * - Hypothesis: arbitrary Python values → this host (a TS callback that returns what it
 *   got) → Python, checked there (python/tests/support/value_strategies.py).
 * Each runs 1,000 cases per CI run.
 */
import { delimiter } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NDArray, PyRef, createBridge, type Bridge } from "../src/index.js";
import { canonical } from "./canonical.js";

const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));
const strategies = fileURLToPath(new URL("../../../python/tests/support", import.meta.url));
const RUNS = 1000;

let bridge: Bridge;
let refs: PyRef[];

beforeAll(async () => {
  bridge = await createBridge({ env: { PYTHONPATH: [fixtures, strategies].join(delimiter) } });
  refs = await Promise.all([
    bridge.call<PyRef>("builtins.object"),
    bridge.call<PyRef>("values_fixtures.lm_history_entry").then((e) => (e as unknown as { response: PyRef }).response),
    bridge.call<PyRef>("builtins.range", [3]),
  ]);
});

afterAll(async () => {
  await bridge?.close();
});

/** What comes back for `value` sent to Python and returned as it arrived there. */
function back(value: unknown): unknown {
  if (value instanceof Uint8Array && value.constructor === Uint8Array) return value;
  if (value instanceof DataView) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) {
    const copy = (value as unknown as { slice(): NDArray["data"] | Uint8ClampedArray }).slice();
    return new NDArray(copy instanceof Uint8ClampedArray ? new Uint8Array(copy.buffer) : copy, [copy.length]);
  }
  if (Array.isArray(value)) return value.map(back);
  // A Map's entries are explicit: an undefined value is None (an object drops it, as JSON does).
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [back(k), v === undefined ? null : back(v)]));
  if (value instanceof Set) return new Set([...value].map(back));
  const proto: unknown = value !== null && typeof value === "object" ? Object.getPrototypeOf(value) : undefined;
  if (proto === Object.prototype || proto === null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as object)) Object.defineProperty(out, k, { value: back(v), enumerable: true });
    return out;
  }
  return value;
}

/** The Python type names `value` should arrive as (values_fixtures.types_of's form). */
function pythonTypes(value: unknown): unknown {
  if (value === null || value === undefined) return "NoneType";
  switch (typeof value) {
    case "boolean":
      return "bool";
    case "number":
      return Number.isSafeInteger(value) && !Object.is(value, -0) ? "int" : "float";
    case "bigint":
      return "int";
    case "string":
      return "str";
  }
  if (value instanceof Date) return "datetime";
  if ((value instanceof Uint8Array && value.constructor === Uint8Array) || value instanceof DataView || value instanceof ArrayBuffer) return "bytes";
  if (ArrayBuffer.isView(value)) return `ndarray:${(back(value) as NDArray).dtype}`;
  if (Array.isArray(value)) return value.map(pythonTypes);
  if (value instanceof Map) return { dict: [...value].map(([k, v]) => [pythonTypes(k), pythonTypes(v)]) };
  if (value instanceof Set) return { set: [...value].map(pythonTypes).sort() };
  if (value instanceof PyRef) return value.type.split(".").pop();
  return { dict: Object.entries(value).flatMap(([, v]) => (v === undefined ? [] : [["str", pythonTypes(v)]])) };
}

/** The Python value a hashable JS value becomes, for uniqueness (True == 1 in Python). */
function pythonKey(key: unknown): string {
  if (typeof key === "boolean") return `i${Number(key)}`;
  if (typeof key === "number" || typeof key === "bigint") return `i${key}`;
  return `${typeof key}:${String(key)}`;
}

/** Integers at each msgpack boundary, both sides, within the safe range. */
const boundaries = [0, 2 ** 4, 2 ** 5, 2 ** 7, 2 ** 8, 2 ** 15, 2 ** 16, 2 ** 31, 2 ** 32, 2 ** 53 - 1]
  .flatMap((b) => [b - 1, b, b + 1, -b - 1, -b, -b + 1])
  .filter(Number.isSafeInteger);

function arbitraries(pyRefs: PyRef[]) {
  const strings = fc.oneof(
    fc.string({ unit: "binary", maxLength: 12 }),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "grapheme-ascii", minLength: 31, maxLength: 300 }),
  );
  const hashable = fc.oneof(fc.integer(), fc.constantFrom(...boundaries), fc.bigInt({ min: -(2n ** 100n), max: 2n ** 100n }), strings, fc.boolean());
  const typed = fc.oneof(
    fc.int8Array({ maxLength: 8 }),
    fc.uint8Array({ maxLength: 8 }),
    fc.uint8ClampedArray({ maxLength: 8 }),
    fc.int16Array({ maxLength: 8 }),
    fc.uint16Array({ maxLength: 8 }),
    fc.int32Array({ maxLength: 8 }),
    fc.uint32Array({ maxLength: 8 }),
    fc.float32Array({ maxLength: 8 }),
    fc.float64Array({ maxLength: 8 }),
    fc.bigInt64Array({ maxLength: 8 }),
    fc.bigUint64Array({ maxLength: 8 }),
    // Views at an offset into a larger buffer, and other views of bytes.
    fc.float64Array({ minLength: 2, maxLength: 8 }).map((a) => a.subarray(1)),
    fc.int16Array({ minLength: 3, maxLength: 8 }).map((a) => a.subarray(1, 3)),
    fc.uint8Array({ minLength: 1, maxLength: 8 }).map((a) => new DataView(a.buffer, 1)),
    fc.uint8Array({ maxLength: 8 }).map((a) => a.buffer),
    // Large enough to travel out of band.
    fc.integer({ min: 16 << 10, max: 40 << 10 }).map((n) => Uint8Array.from({ length: n }, (_, i) => i & 0xff)),
    fc.integer({ min: 2 << 10, max: 6 << 10 }).map((n) => Float64Array.from({ length: n }, (_, i) => i / 7)),
  );
  const scalar = fc.oneof(
    fc.constant(null),
    fc.constant(undefined),
    fc.boolean(),
    fc.constantFrom(...boundaries),
    fc.integer(),
    fc.maxSafeInteger(),
    fc.double(),
    fc.constantFrom(-0, NaN, Infinity, -Infinity, 2 ** 53, 2 ** 64, 1e300, 5e-324),
    fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }),
    fc.constantFrom(2n ** 53n, 2n ** 63n - 1n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 64n, -(2n ** 63n), -(2n ** 63n) - 1n),
    strings,
    fc.date({ min: new Date("0001-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59.999Z"), noInvalidDate: true }),
    typed,
    fc.constantFrom(...pyRefs),
  );
  return fc.letrec<{ value: unknown; array: unknown[]; object: Record<string, unknown>; map: Map<unknown, unknown>; set: Set<unknown> }>((tie) => ({
    value: fc.oneof({ depthSize: "small" }, scalar, tie("array"), tie("object"), tie("map"), tie("set")),
    array: fc.array(tie("value"), { maxLength: 6 }),
    object: fc.dictionary(strings, tie("value"), { maxKeys: 6 }),
    map: fc
      .uniqueArray(fc.tuple(fc.oneof(hashable, fc.constant(null)), tie("value")), { selector: ([k]) => pythonKey(k), maxLength: 4 })
      .map((entries) => new Map(entries)),
    set: fc.uniqueArray(hashable, { selector: pythonKey, maxLength: 4 }).map((items) => new Set(items)),
  })).value;
}

describe("property: JS → Python → JS", () => {
  it(`returns ${RUNS} arbitrary values as the value table says`, async () => {
    await fc.assert(
      fc.asyncProperty(arbitraries(refs), async (value) => {
        const [got, types] = await bridge.call<[unknown, unknown]>("values_fixtures.echo_typed", [value]);
        expect(types).toEqual(pythonTypes(value));
        expect(canonical(got)).toEqual(canonical(back(value)));
      }),
      { numRuns: RUNS },
    );
  }, 300_000);
});

describe("property: Python → JS → Python", () => {
  it(`Hypothesis sends ${RUNS} arbitrary values through a TS callback and gets them back`, async () => {
    let calls = 0;
    const echo = (value: unknown) => {
      calls++;
      return value;
    };
    const crossed = await bridge.call<number>("values_fixtures.hypothesis_round_trip", [echo, RUNS]);
    expect(crossed).toBeGreaterThanOrEqual(RUNS);
    expect(calls).toBe(crossed);
  }, 300_000);
});
