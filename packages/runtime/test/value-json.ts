// The typed-JSON value language of proto/bridge/v1/value-vectors.json, for TypeScript
// (python/tests/value_json.py reads the same): the JS value each Python value becomes.
import { NDArray, PyDate, PyDateTime, PyTime, PyTimedelta, type DType } from "../src/index.js";

export type TypedJson = Record<string, unknown>;

const SAFE = 9007199254740991n;

function int(text: string): number | bigint {
  const n = BigInt(text);
  return n >= -SAFE && n <= SAFE ? Number(n) : n;
}

function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "hex"));
}

/** The JS value a typed-JSON node decodes to (tuples are arrays, frozensets Sets). */
export function fromJson(node: TypedJson, refs: (id: string, type: string) => unknown = () => undefined): unknown {
  const [[kind, body]] = Object.entries(node) as [[string, unknown]];
  const rec = (n: unknown) => fromJson(n as TypedJson, refs);
  switch (kind) {
    case "nil":
      return null;
    case "bool":
      return body;
    case "int":
      return int(body as string);
    case "float": {
      const special: Record<string, number> = { nan: NaN, inf: Infinity, "-inf": -Infinity, "-0": -0 };
      return special[body as string] ?? Number(body);
    }
    case "str":
      return body;
    case "bytes":
      return hex(body as string);
    case "list":
    case "tuple":
      return (body as unknown[]).map(rec);
    case "set":
    case "frozenset":
      return new Set((body as unknown[]).map(rec));
    case "dict": {
      const pairs = (body as [unknown, unknown][]).map(([k, v]) => [rec(k), rec(v)] as const);
      if (pairs.every(([k]) => typeof k === "string")) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of pairs) Object.defineProperty(out, k as string, { value: v, enumerable: true, writable: true, configurable: true });
        return out;
      }
      return new Map(pairs);
    }
    case "datetime": {
      const [micros, offset, zone] = body as [string, number | null, string | null];
      return new PyDateTime(BigInt(micros), offset, zone);
    }
    case "date": {
      const [y, m, d] = body as number[];
      return new PyDate(y!, m!, d!);
    }
    case "time": {
      const [h, m, s, us, offset, zone] = body as [number, number, number, number, number | null, string | null];
      return new PyTime(h, m, s, us, offset, zone);
    }
    case "timedelta": {
      const [d, s, us] = body as number[];
      return new PyTimedelta(d, s, us);
    }
    case "ndarray": {
      const [dtype, shape, data] = body as [DType, number[], string];
      const bytes = hex(data);
      const arrays: Record<string, new (b: ArrayBuffer) => ArrayBufferView> = {
        float64: Float64Array,
        float32: Float32Array,
        complex64: Float32Array,
        complex128: Float64Array,
        int64: BigInt64Array,
        uint8: Uint8Array,
        bool: Uint8Array,
        int32: Int32Array,
      };
      const typed = new arrays[dtype]!(bytes.slice().buffer);
      return new NDArray(typed as never, shape, dtype);
    }
    case "ref": {
      const [id, type] = body as [string, string];
      return refs(id, type);
    }
    default:
      throw new Error(`unknown typed-JSON kind ${kind}`);
  }
}
