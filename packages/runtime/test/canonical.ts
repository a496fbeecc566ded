// A canonical, comparable form of the values that cross the boundary, for tests:
// what "the same value" means, written down once (docs/PROTOCOL.md's value table).
import { NDArray, PyDate, PyDateTime, PyObject, PyRef, PyTime, PyTimedelta } from "../src/index.js";

const SAFE = 9007199254740991n;

/**
 * `value` as plain JSON-able data that `toEqual` compares exactly: numbers keep -0 and
 * NaN, bigints in the safe range are the numbers they arrive as, Sets are sorted, a
 * PyDateTime keeps its microseconds, offset and zone, refs compare by type.
 */
export function canonical(value: unknown): unknown {
  switch (typeof value) {
    case "number":
      return Object.is(value, -0) ? "-0" : Number.isNaN(value) ? "NaN" : value === Infinity ? "Inf" : value === -Infinity ? "-Inf" : value;
    case "bigint":
      return value >= -SAFE && value <= SAFE ? Number(value) : `${value}n`;
    case "undefined":
      return null;
    case "string":
    case "boolean":
      return value;
    case "function":
      return ["function", value.name];
    case "object":
      break;
    default:
      return String(value);
  }
  if (value === null) return null;
  if (value instanceof PyObject) return ["ref", value.ref.type];
  if (value instanceof PyRef) return ["ref", value.type];
  if (Array.isArray(value)) return value.map(canonical);
  if (value instanceof Uint8Array && (value.constructor === Uint8Array || Buffer.isBuffer(value))) return ["bytes", Buffer.from(value).toString("hex")];
  if (value instanceof NDArray) return ["ndarray", value.dtype, [...value.shape], Array.from(value.data as ArrayLike<number | bigint>, canonical)];
  if (value instanceof PyDateTime) return ["datetime", value.epochMicroseconds.toString(), value.utcOffsetSeconds, value.timeZone];
  if (value instanceof Date) return ["datetime", (BigInt(value.getTime()) * 1000n).toString(), 0, null];
  if (value instanceof PyDate) return ["date", value.year, value.month, value.day];
  if (value instanceof PyTime) return ["time", value.hour, value.minute, value.second, value.microsecond, value.utcOffsetSeconds, value.timeZone];
  if (value instanceof PyTimedelta) return ["timedelta", value.days, value.seconds, value.microseconds];
  if (value instanceof Set) return ["set", [...value].map(canonical).sort(order)];
  if (value instanceof Map) {
    if ([...value.keys()].every((k) => typeof k === "string")) return canonical(Object.fromEntries(value));
    return ["map", [...value].map(([k, v]) => [canonical(k), canonical(v)]).sort(order)];
  }
  if (ArrayBuffer.isView(value)) return ["typed", value.constructor.name, Array.from(value as unknown as ArrayLike<number>, canonical)];
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined) Object.defineProperty(out, key, { value: canonical(item), enumerable: true });
  }
  return out;
}

function order(a: unknown, b: unknown): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
