import { ValueExt } from "@bridge/protocol";
import { NDArray, isDType, typedArrayFrom } from "./ndarray.js";
import { PyDate, PyDateTime, PyTime, PyTimedelta } from "./py-datetime.js";

/**
 * What the decoder needs from the bridge for values that stand for objects elsewhere.
 * @private
 */
export interface DecodeHost {
  /** A remote ref `[id, type]` from worker `workerId`, as the value it becomes. */
  ref(id: string, type: string): unknown;
  /** A host callback handed back (`[id]`): the original TS function. */
  callback?: ((id: string) => unknown) | undefined;
  /** A host iterator handed back (`[id]`): the original iterable. */
  iterator?: ((id: string) => unknown) | undefined;
  /** apache-arrow's `tableFromIPC`, when the package is installed. */
  tableFromIPC?: ((bytes: Uint8Array) => unknown) | undefined;
}

/** A malformed payload (a bug on one side, never the user's data). @private */
export class DecodeFailure extends Error {
  override name = "DecodeFailure";
}

const fatalUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Decodes Bridge's msgpack (docs/PROTOCOL.md). Extension payloads are decoded in
 * place by the same recursive reader, so nesting costs no copy and no re-entrancy.
 * Ints arrive as numbers when safe, else bigints; str-keyed maps as plain objects
 * (a `__proto__` key is an own property); other maps as `Map`s.
 * @private
 */
export class Decoder {
  private pos = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly buffers: readonly Uint8Array[],
    private readonly host: DecodeHost,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Decodes the one value the payload holds. */
  decode(): unknown {
    const value = this.value();
    if (this.pos !== this.bytes.length) throw new DecodeFailure(`${this.bytes.length - this.pos} bytes left after the value`);
    return value;
  }

  private need(n: number): void {
    if (this.pos + n > this.bytes.length) throw new DecodeFailure("the payload ends in the middle of a value");
  }

  private value(): unknown {
    this.need(1);
    const b = this.bytes[this.pos++]!;
    if (b < 0x80) return b;
    if (b >= 0xe0) return b - 0x100;
    if (b >= 0xa0 && b < 0xc0) return this.str(b & 0x1f);
    if (b >= 0x90 && b < 0xa0) return this.array(b & 0x0f);
    if (b >= 0x80 && b < 0x90) return this.map(b & 0x0f);
    const v = this.view;
    switch (b) {
      case 0xc0:
        return null;
      case 0xc2:
        return false;
      case 0xc3:
        return true;
      case 0xc4:
        return this.bin(this.u8());
      case 0xc5:
        return this.bin(this.u16());
      case 0xc6:
        return this.bin(this.u32());
      case 0xc7:
        return this.ext(this.u8());
      case 0xc8:
        return this.ext(this.u16());
      case 0xc9:
        return this.ext(this.u32());
      case 0xca:
        this.need(4);
        this.pos += 4;
        return v.getFloat32(this.pos - 4);
      case 0xcb:
        this.need(8);
        this.pos += 8;
        return v.getFloat64(this.pos - 8);
      case 0xcc:
        return this.u8();
      case 0xcd:
        return this.u16();
      case 0xce:
        return this.u32();
      case 0xcf: {
        this.need(8);
        const hi = v.getUint32(this.pos);
        const lo = v.getUint32(this.pos + 4);
        this.pos += 8;
        return hi < 0x200000 ? hi * 0x100000000 + lo : (BigInt(hi) << 32n) | BigInt(lo);
      }
      case 0xd0:
        this.need(1);
        return v.getInt8(this.pos++);
      case 0xd1:
        this.need(2);
        this.pos += 2;
        return v.getInt16(this.pos - 2);
      case 0xd2:
        this.need(4);
        this.pos += 4;
        return v.getInt32(this.pos - 4);
      case 0xd3: {
        this.need(8);
        const n = v.getBigInt64(this.pos);
        this.pos += 8;
        return n >= -9007199254740991n && n <= 9007199254740991n ? Number(n) : n;
      }
      case 0xd4:
        return this.ext(1);
      case 0xd5:
        return this.ext(2);
      case 0xd6:
        return this.ext(4);
      case 0xd7:
        return this.ext(8);
      case 0xd8:
        return this.ext(16);
      case 0xd9:
        return this.str(this.u8());
      case 0xda:
        return this.str(this.u16());
      case 0xdb:
        return this.str(this.u32());
      case 0xdc:
        return this.array(this.u16());
      case 0xdd:
        return this.array(this.u32());
      case 0xde:
        return this.map(this.u16());
      case 0xdf:
        return this.map(this.u32());
      default:
        throw new DecodeFailure(`byte 0x${b.toString(16)} starts no msgpack value`);
    }
  }

  private u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  private u16(): number {
    this.need(2);
    this.pos += 2;
    return this.view.getUint16(this.pos - 2);
  }

  private u32(): number {
    this.need(4);
    this.pos += 4;
    return this.view.getUint32(this.pos - 4);
  }

  private str(n: number): string {
    this.need(n);
    const bytes = this.bytes;
    const start = this.pos;
    this.pos += n;
    if (n < 24) {
      // Short ASCII, the usual dict key: no decoder call.
      let out = "";
      for (let i = start; i < start + n; i++) {
        const c = bytes[i]!;
        if (c >= 0x80) return wtf8Decode(bytes, start, start + n);
        out += String.fromCharCode(c);
      }
      return out;
    }
    try {
      return fatalUtf8.decode(bytes.subarray(start, start + n));
    } catch {
      return wtf8Decode(bytes, start, start + n); // lone surrogates (WTF-8), as Python sends them
    }
  }

  private bin(n: number): Uint8Array {
    this.need(n);
    this.pos += n;
    // A copy: a result must not pin the whole received message in memory.
    return this.bytes.slice(this.pos - n, this.pos);
  }

  private array(n: number): unknown[] {
    const out: unknown[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.value();
    return out;
  }

  private map(n: number): Record<string, unknown> | Map<unknown, unknown> {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) {
      const key = this.value();
      if (typeof key !== "string") return this.mapFrom(out, key, i, n);
      const value = this.value();
      if (key === "__proto__") Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      else out[key] = value;
    }
    return out;
  }

  /** A msgpack map with a non-string key (not what Python sends, but valid msgpack): a Map. */
  private mapFrom(sofar: Record<string, unknown>, key: unknown, i: number, n: number): Map<unknown, unknown> {
    const out = new Map<unknown, unknown>(Object.entries(sofar));
    out.set(key, this.value());
    for (let j = i + 1; j < n; j++) {
      const k = this.value();
      out.set(k, this.value());
    }
    return out;
  }

  private ext(n: number): unknown {
    this.need(1 + n);
    const type = this.view.getInt8(this.pos++);
    const end = this.pos + n;
    const value = this.extValue(type, n, end);
    if (this.pos !== end) throw new DecodeFailure(`extension ${type} has ${end - this.pos} bytes left over`);
    return value;
  }

  private fields(type: number, count: number): unknown[] {
    const value = this.value();
    if (!Array.isArray(value) || value.length !== count) throw new DecodeFailure(`extension ${type} has a malformed payload`);
    return value;
  }

  private extValue(type: number, n: number, end: number): unknown {
    switch (type as ValueExt) {
      case ValueExt.REF: {
        const [id, kind] = this.fields(type, 2) as [string, string];
        return this.host.ref(id, kind);
      }
      case ValueExt.TUPLE:
        return this.value();
      case ValueExt.SET:
      case ValueExt.FROZENSET:
        return new Set(this.value() as unknown[]);
      case ValueExt.MAP: {
        const flat = this.value() as unknown[];
        const out = new Map<unknown, unknown>();
        for (let i = 0; i < flat.length; i += 2) out.set(flat[i], flat[i + 1]);
        return out;
      }
      case ValueExt.BUFFER: {
        if (n !== 4) throw new DecodeFailure("a buffer reference must be a 4-byte index");
        const index = this.view.getUint32(this.pos);
        this.pos = end;
        const buffer = this.buffers[index];
        if (buffer === undefined) throw new DecodeFailure(`buffer ${index} is referenced, the payload has ${this.buffers.length}`);
        return buffer;
      }
      case ValueExt.BIGINT: {
        let x = 0n;
        for (let i = this.pos; i < end; i++) x = (x << 8n) | BigInt(this.bytes[i]!);
        this.pos = end;
        return BigInt.asIntN(n * 8, x);
      }
      case ValueExt.NDARRAY: {
        const [dtype, shape, data] = this.fields(type, 3) as [unknown, number[], Uint8Array];
        if (!isDType(dtype)) throw new DecodeFailure(`unknown array dtype ${String(dtype)}`);
        return new NDArray(typedArrayFrom(dtype, data), shape, dtype);
      }
      case ValueExt.DATETIME: {
        const [micros, offset, zone] = this.fields(type, 3) as [number | bigint, number | null, string | null];
        return new PyDateTime(micros, offset, zone);
      }
      case ValueExt.DATE: {
        const [y, m, d] = this.fields(type, 3) as number[];
        return new PyDate(y!, m!, d!);
      }
      case ValueExt.TIME: {
        const [h, m, s, us, offset, zone] = this.fields(type, 6) as [number, number, number, number, number | null, string | null];
        return new PyTime(h, m, s, us, offset, zone);
      }
      case ValueExt.TIMEDELTA: {
        const [d, s, us] = this.fields(type, 3) as number[];
        return new PyTimedelta(d, s, us);
      }
      case ValueExt.ARROW: {
        const [, data] = this.fields(type, 2) as [string, Uint8Array];
        if (!this.host.tableFromIPC) throw new DecodeFailure("an Arrow table arrived but apache-arrow is not loaded");
        return this.host.tableFromIPC(data);
      }
      case ValueExt.CALLBACK:
      case ValueExt.HOST_ITERATOR: {
        const [id] = this.value() as [string];
        const lookup = (type as ValueExt) === ValueExt.CALLBACK ? this.host.callback : this.host.iterator;
        if (!lookup) throw new DecodeFailure(`extension ${type} (a host value) arrived on a bridge without host values`);
        return lookup(id);
      }
      default:
        throw new DecodeFailure(`unknown msgpack extension type ${type}`);
    }
  }
}

/** UTF-8 that may hold lone surrogates as 3-byte sequences (WTF-8), to a JS string. */
function wtf8Decode(bytes: Uint8Array, start: number, end: number): string {
  const units: number[] = [];
  let i = start;
  while (i < end) {
    const b = bytes[i]!;
    let cp: number;
    if (b < 0x80) {
      cp = b;
      i += 1;
    } else if (b >= 0xc2 && b < 0xe0 && i + 1 < end) {
      cp = ((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f);
      i += 2;
    } else if (b >= 0xe0 && b < 0xf0 && i + 2 < end) {
      cp = ((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
      i += 3;
    } else if (b >= 0xf0 && b < 0xf5 && i + 3 < end) {
      cp = ((b & 0x07) << 18) | ((bytes[i + 1]! & 0x3f) << 12) | ((bytes[i + 2]! & 0x3f) << 6) | (bytes[i + 3]! & 0x3f);
      i += 4;
    } else {
      throw new DecodeFailure(`invalid UTF-8 byte 0x${b.toString(16)} in a string`);
    }
    if (cp >= 0x10000) {
      cp -= 0x10000;
      units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
    } else {
      units.push(cp);
    }
  }
  let out = "";
  for (let k = 0; k < units.length; k += 4096) out += String.fromCharCode(...units.slice(k, k + 4096));
  return out;
}
