import { ValueExt } from "@bridge/protocol";
import { NDArray, dtypeOf } from "./ndarray.js";
import { PyDate, PyDateTime, PyTime, PyTimedelta } from "./py-datetime.js";
import { PyObject } from "./py-object.js";
import { PyRef } from "./py-ref.js";

/** Binary values at least this large travel out of band (Payload.buffers), never copied. */
export const OUT_OF_BAND_BYTES = 16 * 1024;
/** Python's msgpack refuses deeper nesting; the encoder refuses it first, with the path. */
export const MAX_DEPTH = 500;

/** What a host function becomes on the wire: `[id, name, doc, params]`. @private */
export type CallbackWire = [id: string, name: string, doc: string | null, params: unknown[] | null];

/**
 * What the encoder needs from the bridge for values that stand for host objects.
 * @private
 */
export interface EncodeHost {
  /** Registers a TS function as a host callback (undefined: functions are refused). */
  callback?: ((fn: (...args: never[]) => unknown) => CallbackWire) | undefined;
  /** Registers an iterable that is not data (a generator, an AsyncIterable). */
  iterator?: ((iterable: Iterable<unknown> | AsyncIterable<unknown>) => string) | undefined;
  /** apache-arrow's `Table` class and `tableToIPC`, when the package is installed. */
  arrow?: { Table: abstract new (...args: never[]) => unknown; tableToIPC: (table: never, format: "stream") => Uint8Array } | undefined;
}

/** An encoded value. @private */
export interface Encoded {
  /** The msgpack body. */
  data: Uint8Array;
  /** Out-of-band buffers the body references by index (VALUE_EXT_BUFFER). */
  buffers: Uint8Array[];
  /** Workers that hold the refs inside the value. */
  workers: Set<string>;
  /** The refs inside the value (a release waits for the call). */
  refs: PyRef[];
  /** The ids of the functions and iterables of this host the value passes to Python. */
  hostIds: string[];
}

/** Why a value cannot be encoded, and where it is (path segments from the root). @private */
export class EncodeFailure extends Error {
  override name = "EncodeFailure";
  readonly path: Array<string | number>;
  constructor(
    readonly reason: string,
    readonly code: "invalid_argument" | "not_found" = "invalid_argument",
  ) {
    super(reason);
    this.path = [];
  }
}

function at(error: unknown, key: string | number): unknown {
  if (error instanceof EncodeFailure) error.path.unshift(key);
  return error;
}

const textEncoder = new TextEncoder();
// String.prototype.isWellFormed (ES2024) exists on every Node this package supports (20+).
const NEEDS_WTF8 = (s: string): boolean => !(s as string & { isWellFormed(): boolean }).isWellFormed();

let scratch = new Uint8Array(4096);
let scratchView = new DataView(scratch.buffer);

/**
 * Encodes JS values as Bridge's msgpack (docs/PROTOCOL.md): one pass over the value,
 * exact by construction. Numbers that are safe integers become msgpack ints, every
 * other number a float64 (so -0, NaN and 2**60 cross exactly); strings are UTF-8
 * (WTF-8 for lone surrogates, which Python keeps); large binary data goes out of band.
 * What has no Python form is refused with an {@link EncodeFailure} naming its path.
 * @private
 */
export class Encoder {
  private buf = scratch;
  private view = scratchView;
  private pos = 0;
  private readonly buffers: Uint8Array[] = [];
  private readonly workers = new Set<string>();
  private readonly refs: PyRef[] = [];
  private readonly ancestors = new Set<object>();
  private hostIds: string[] = [];

  constructor(private readonly host: EncodeHost) {}

  /** Encodes `value`; throws EncodeFailure. */
  encode(value: unknown): Encoded {
    this.pos = 0;
    this.value(value, 0);
    const data = this.buf.slice(0, this.pos);
    if (this.buf.length > 1 << 20) {
      // Do not keep a huge scratch buffer alive after one large message.
      scratch = new Uint8Array(4096);
      scratchView = new DataView(scratch.buffer);
    } else {
      scratch = this.buf;
      scratchView = this.view;
    }
    return { data, buffers: this.buffers, workers: this.workers, refs: this.refs, hostIds: this.hostIds };
  }

  // -- raw writes ---------------------------------------------------------------------

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  private bytes(data: Uint8Array): void {
    this.ensure(data.length);
    this.buf.set(data, this.pos);
    this.pos += data.length;
  }

  private int(n: number): void {
    this.ensure(9);
    const v = this.view;
    const p = this.pos;
    if (n >= 0) {
      if (n < 0x80) {
        this.buf[p] = n;
        this.pos += 1;
      } else if (n < 0x100) {
        this.buf[p] = 0xcc;
        this.buf[p + 1] = n;
        this.pos += 2;
      } else if (n < 0x10000) {
        this.buf[p] = 0xcd;
        v.setUint16(p + 1, n);
        this.pos += 3;
      } else if (n < 0x100000000) {
        this.buf[p] = 0xce;
        v.setUint32(p + 1, n);
        this.pos += 5;
      } else {
        this.buf[p] = 0xcf;
        v.setUint32(p + 1, Math.floor(n / 0x100000000));
        v.setUint32(p + 5, n >>> 0);
        this.pos += 9;
      }
    } else if (n >= -32) {
      this.buf[p] = n & 0xff;
      this.pos += 1;
    } else if (n >= -0x80) {
      this.buf[p] = 0xd0;
      v.setInt8(p + 1, n);
      this.pos += 2;
    } else if (n >= -0x8000) {
      this.buf[p] = 0xd1;
      v.setInt16(p + 1, n);
      this.pos += 3;
    } else if (n >= -0x80000000) {
      this.buf[p] = 0xd2;
      v.setInt32(p + 1, n);
      this.pos += 5;
    } else {
      this.buf[p] = 0xd3;
      v.setBigInt64(p + 1, BigInt(n));
      this.pos += 9;
    }
  }

  private float(n: number): void {
    this.ensure(9);
    this.buf[this.pos] = 0xcb;
    this.view.setFloat64(this.pos + 1, n);
    this.pos += 9;
  }

  private bigint(n: bigint): void {
    if (n >= -9007199254740991n && n <= 9007199254740991n) {
      this.int(Number(n));
    } else if (n >= 0n && n < 0x10000000000000000n) {
      this.ensure(9);
      this.buf[this.pos] = 0xcf;
      this.view.setBigUint64(this.pos + 1, n);
      this.pos += 9;
    } else if (n < 0n && n >= -0x8000000000000000n) {
      this.ensure(9);
      this.buf[this.pos] = 0xd3;
      this.view.setBigInt64(this.pos + 1, n);
      this.pos += 9;
    } else {
      this.ext(ValueExt.BIGINT, bigIntBytes(n));
    }
  }

  private strHeader(length: number): void {
    this.ensure(5);
    if (length < 32) this.buf[this.pos++] = 0xa0 | length;
    else if (length < 0x100) {
      this.buf[this.pos++] = 0xd9;
      this.buf[this.pos++] = length;
    } else if (length < 0x10000) {
      this.buf[this.pos] = 0xda;
      this.view.setUint16(this.pos + 1, length);
      this.pos += 3;
    } else {
      this.buf[this.pos] = 0xdb;
      this.view.setUint32(this.pos + 1, length);
      this.pos += 5;
    }
  }

  private string(s: string): void {
    const n = s.length;
    if (n < 32 || NEEDS_WTF8(s)) {
      // By hand: short strings are cheaper this way, and only this path keeps lone surrogates.
      const max = n * 3;
      const header = max < 32 ? 1 : max < 0x100 ? 2 : max < 0x10000 ? 3 : 5;
      this.ensure(header + max);
      const start = this.pos + header;
      const end = wtf8Into(s, this.buf, start);
      const length = end - start;
      const needed = length < 32 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
      if (needed !== header) this.buf.copyWithin(this.pos + needed, start, end);
      this.strHeader(length);
      this.pos += length;
      return;
    }
    const length = byteLength(s);
    this.strHeader(length);
    this.ensure(length);
    textEncoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + length));
    this.pos += length;
  }

  private binary(data: Uint8Array): void {
    const n = data.byteLength;
    if (n >= OUT_OF_BAND_BYTES) {
      this.buffers.push(data);
      const index = new Uint8Array(4);
      new DataView(index.buffer).setUint32(0, this.buffers.length - 1);
      this.ext(ValueExt.BUFFER, index);
      return;
    }
    this.ensure(5 + n);
    if (n < 0x100) {
      this.buf[this.pos++] = 0xc4;
      this.buf[this.pos++] = n;
    } else if (n < 0x10000) {
      this.buf[this.pos] = 0xc5;
      this.view.setUint16(this.pos + 1, n);
      this.pos += 3;
    } else {
      this.buf[this.pos] = 0xc6;
      this.view.setUint32(this.pos + 1, n);
      this.pos += 5;
    }
    this.bytes(data);
  }

  private arrayHeader(n: number): void {
    this.ensure(5);
    if (n < 16) this.buf[this.pos++] = 0x90 | n;
    else if (n < 0x10000) {
      this.buf[this.pos] = 0xdc;
      this.view.setUint16(this.pos + 1, n);
      this.pos += 3;
    } else {
      this.buf[this.pos] = 0xdd;
      this.view.setUint32(this.pos + 1, n);
      this.pos += 5;
    }
  }

  private mapHeader(n: number): void {
    this.ensure(5);
    if (n < 16) this.buf[this.pos++] = 0x80 | n;
    else if (n < 0x10000) {
      this.buf[this.pos] = 0xde;
      this.view.setUint16(this.pos + 1, n);
      this.pos += 3;
    } else {
      this.buf[this.pos] = 0xdf;
      this.view.setUint32(this.pos + 1, n);
      this.pos += 5;
    }
  }

  private extHeader(type: number, n: number): void {
    this.ensure(6);
    const b = this.buf;
    switch (n) {
      case 1:
        b[this.pos++] = 0xd4;
        break;
      case 2:
        b[this.pos++] = 0xd5;
        break;
      case 4:
        b[this.pos++] = 0xd6;
        break;
      case 8:
        b[this.pos++] = 0xd7;
        break;
      case 16:
        b[this.pos++] = 0xd8;
        break;
      default:
        if (n < 0x100) {
          b[this.pos++] = 0xc7;
          b[this.pos++] = n;
        } else if (n < 0x10000) {
          b[this.pos] = 0xc8;
          this.view.setUint16(this.pos + 1, n);
          this.pos += 3;
        } else {
          b[this.pos] = 0xc9;
          this.view.setUint32(this.pos + 1, n);
          this.pos += 5;
        }
    }
    b[this.pos++] = type & 0xff;
  }

  private ext(type: number, payload: Uint8Array): void {
    this.extHeader(type, payload.length);
    this.bytes(payload);
  }

  /** An extension whose payload is msgpack written in place (header patched afterwards). */
  private nested(type: number, write: () => void): void {
    // Reserve the largest header (ext32: 6 bytes), write the payload, then close the gap.
    this.ensure(6);
    const headerAt = this.pos;
    this.pos += 6;
    write();
    const length = this.pos - headerAt - 6;
    const end = this.pos;
    this.pos = headerAt;
    this.extHeader(type, length);
    const headerSize = this.pos - headerAt;
    if (headerSize !== 6) this.buf.copyWithin(this.pos, headerAt + 6, end);
    this.pos = headerAt + headerSize + length;
  }

  // -- values ----------------------------------------------------------------------------

  private value(v: unknown, depth: number): void {
    switch (typeof v) {
      case "number":
        if (Number.isSafeInteger(v) && !Object.is(v, -0)) this.int(v);
        else this.float(v);
        return;
      case "string":
        this.string(v);
        return;
      case "boolean":
        this.byte(v ? 0xc3 : 0xc2);
        return;
      case "undefined":
        this.byte(0xc0);
        return;
      case "bigint":
        this.bigint(v);
        return;
      case "object":
        if (v === null) {
          this.byte(0xc0);
          return;
        }
        this.object(v, depth);
        return;
      case "function":
        this.callback(v as (...args: never[]) => unknown);
        return;
      case "symbol":
        throw new EncodeFailure(`is a symbol (${String(v)}), which has no Python form`);
    }
  }

  private enter(v: object, depth: number): void {
    if (this.ancestors.has(v)) throw new EncodeFailure("refers back to one of its own containers (a circular structure cannot be sent by value)");
    if (depth >= MAX_DEPTH) throw new EncodeFailure(`nests deeper than ${MAX_DEPTH} levels, the most Python's msgpack reads`);
    this.ancestors.add(v);
  }

  private object(v: object, depth: number): void {
    if (Array.isArray(v)) {
      this.enter(v, depth);
      const n = v.length;
      this.arrayHeader(n);
      for (let i = 0; i < n; i++) {
        try {
          this.value(v[i], depth + 1);
        } catch (error) {
          throw at(error, i);
        }
      }
      this.ancestors.delete(v);
      return;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto === Object.prototype || proto === null) {
      this.plainObject(v as Record<string, unknown>, depth);
      return;
    }
    if (v instanceof PyObject) return this.ref((v as PyObject).ref);
    if (v instanceof PyRef) return this.ref(v as PyRef);
    if (v instanceof Uint8Array && (proto === Uint8Array.prototype || Buffer.isBuffer(v))) return this.binary(v);
    if (v instanceof Map) return this.map(v, depth);
    if (v instanceof Set) {
      this.enter(v, depth);
      this.nested(ValueExt.SET, () => {
        this.arrayHeader(v.size);
        let i = 0;
        for (const item of v) {
          try {
            this.value(item, depth + 1);
          } catch (error) {
            throw at(error, `<set item ${i}>`);
          }
          i++;
        }
      });
      this.ancestors.delete(v);
      return;
    }
    if (v instanceof Date) return this.date(v);
    if (v instanceof NDArray) {
      const array = v as NDArray;
      return this.ndarray(array.dtype, array.shape, array.data);
    }
    if (ArrayBuffer.isView(v)) {
      if (v instanceof DataView) return this.binary(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      const dtype = dtypeOf(v);
      if (dtype === undefined) throw new EncodeFailure(`is a ${v.constructor.name}, which has no Python form`);
      return this.ndarray(dtype, [(v as unknown as ArrayLike<unknown>).length], v);
    }
    if (v instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && v instanceof SharedArrayBuffer)) {
      return this.binary(new Uint8Array(v));
    }
    if (v instanceof PyDate) return this.nested(ValueExt.DATE, () => this.ints([v.year, v.month, v.day], true));
    if (v instanceof PyTime) {
      return this.nested(ValueExt.TIME, () => {
        this.arrayHeader(6);
        this.ints([v.hour, v.minute, v.second, v.microsecond], false);
        this.value(v.utcOffsetSeconds, 0);
        this.value(v.timeZone, 0);
      });
    }
    if (v instanceof PyTimedelta) return this.nested(ValueExt.TIMEDELTA, () => this.ints([v.days, v.seconds, v.microseconds], true));
    const arrow = this.host.arrow;
    if (arrow && v instanceof arrow.Table) {
      const ipc = arrow.tableToIPC(v as never, "stream");
      return this.nested(ValueExt.ARROW, () => {
        this.arrayHeader(2);
        this.string("table");
        this.binary(ipc);
      });
    }
    if (this.host.iterator && (Symbol.asyncIterator in v || isIteratorObject(v))) {
      const id = this.host.iterator(v as AsyncIterable<unknown>);
      this.hostIds.push(id);
      return this.nested(ValueExt.HOST_ITERATOR, () => {
        this.arrayHeader(1);
        this.string(id);
      });
    }
    const name = (v as { constructor?: { name?: string } }).constructor?.name || "an object with a custom prototype";
    throw new EncodeFailure(
      `is an instance of ${name}, which has no Python form: only plain objects, arrays, Maps, Sets, Dates, typed arrays and Python objects (refs) cross by value (copy its data into a plain object, or keep the object in Python)`,
    );
  }

  private ints(values: number[], asArray: boolean): void {
    if (asArray) this.arrayHeader(values.length);
    for (const n of values) this.int(n);
  }

  private plainObject(v: Record<string, unknown>, depth: number): void {
    this.enter(v, depth);
    if (Object.getOwnPropertySymbols(v).length > 0) {
      throw new EncodeFailure("has symbol-keyed properties, which have no Python form");
    }
    const keys = Object.keys(v);
    let count = 0;
    for (const key of keys) if (v[key] !== undefined) count++;
    this.mapHeader(count);
    for (const key of keys) {
      const item = v[key];
      if (item === undefined) continue; // an absent optional property, as in JSON
      this.string(key);
      try {
        this.value(item, depth + 1);
      } catch (error) {
        throw at(error, key);
      }
    }
    this.ancestors.delete(v);
  }

  private map(v: Map<unknown, unknown>, depth: number): void {
    this.enter(v, depth);
    let stringKeys = true;
    for (const key of v.keys()) {
      if (typeof key !== "string") {
        stringKeys = false;
        break;
      }
    }
    const entries = (): void => {
      for (const [key, item] of v) {
        try {
          this.value(key, depth + 1);
        } catch (error) {
          throw at(error, `<map key ${String(key)}>`);
        }
        try {
          this.value(item, depth + 1);
        } catch (error) {
          throw at(error, typeof key === "string" ? key : `<map value of ${String(key)}>`);
        }
      }
    };
    if (stringKeys) {
      this.mapHeader(v.size);
      entries();
    } else {
      this.nested(ValueExt.MAP, () => {
        this.arrayHeader(v.size * 2);
        entries();
      });
    }
    this.ancestors.delete(v);
  }

  private date(v: Date): void {
    const ms = v.getTime();
    if (Number.isNaN(ms)) throw new EncodeFailure("is an invalid Date");
    this.nested(ValueExt.DATETIME, () => {
      this.arrayHeader(3);
      if (v instanceof PyDateTime) {
        this.bigint(v.epochMicroseconds);
        this.value(v.utcOffsetSeconds, 0);
        this.value(v.timeZone, 0);
      } else {
        this.bigint(BigInt(ms) * 1000n);
        this.int(0);
        this.byte(0xc0);
      }
    });
  }

  private ndarray(dtype: string, shape: readonly number[], data: ArrayBufferView): void {
    this.nested(ValueExt.NDARRAY, () => {
      this.arrayHeader(3);
      this.string(dtype);
      this.arrayHeader(shape.length);
      for (const n of shape) this.int(n);
      // The view's own bytes, whatever its offset into a larger buffer.
      this.binary(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    });
  }

  private ref(ref: PyRef): void {
    if (ref.released) throw new EncodeFailure(`is the Python object ${ref.type} (ref ${ref.id}), which was released`, "not_found");
    this.workers.add(ref.workerId);
    this.refs.push(ref);
    this.nested(ValueExt.REF, () => {
      this.arrayHeader(2);
      this.string(ref.id);
      this.string(ref.type);
    });
  }

  private callback(fn: (...args: never[]) => unknown): void {
    if (!this.host.callback) throw new EncodeFailure("is a function, and this bridge does not pass functions to Python");
    const [id, name, doc, params] = this.host.callback(fn);
    this.hostIds.push(id);
    this.nested(ValueExt.CALLBACK, () => {
      this.arrayHeader(4);
      this.string(id);
      this.string(name);
      this.value(doc, 0);
      this.value(params, 0);
    });
  }
}

function isIteratorObject(v: object): boolean {
  return typeof (v as { next?: unknown }).next === "function" && Symbol.iterator in v;
}

/** UTF-8 length of a well-formed string. */
function byteLength(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** Writes `s` as UTF-8 (lone surrogates as their 3-byte WTF-8 form); returns the end. */
function wtf8Into(s: string, out: Uint8Array, pos: number): number {
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[pos++] = c;
    } else if (c < 0x800) {
      out[pos++] = 0xc0 | (c >> 6);
      out[pos++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
        const d = s.charCodeAt(i + 1);
        if (d >= 0xdc00 && d < 0xe000) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          out[pos++] = 0xf0 | (c >> 18);
          out[pos++] = 0x80 | ((c >> 12) & 0x3f);
          out[pos++] = 0x80 | ((c >> 6) & 0x3f);
          out[pos++] = 0x80 | (c & 0x3f);
          continue;
        }
      }
      out[pos++] = 0xe0 | (c >> 12);
      out[pos++] = 0x80 | ((c >> 6) & 0x3f);
      out[pos++] = 0x80 | (c & 0x3f);
    }
  }
  return pos;
}

/** Shortest signed two's-complement big-endian bytes of `n` (VALUE_EXT_BIGINT). @private */
export function bigIntBytes(n: bigint): Uint8Array {
  const magnitude = n >= 0n ? n : ~n;
  const length = Math.floor(magnitude.toString(2).length / 8) + 1;
  const out = new Uint8Array(length);
  let x = BigInt.asUintN(length * 8, n);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}
