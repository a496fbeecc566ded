import { Packr, addExtension } from "msgpackr";
import { BridgeError } from "@bridge/pool";
import { PyObject } from "./py-object.js";
import { PyRef, type RefHost } from "./py-ref.js";

// Extension type codes; docs/PROTOCOL.md is the contract with the Python worker.
const EXT_REF = 1;
const EXT_TUPLE = 3;
const EXT_SET = 4;
const EXT_DICT = 6;

/** Where decoded refs belong: set for the duration of one synchronous decode. */
interface DecodeContext {
  host: RefHost;
  workerId: string;
}

let decodeContext: DecodeContext | undefined;

interface ExtensionSpec {
  type: number;
  Class?: abstract new (...args: never[]) => unknown;
  pack?: (value: never) => Uint8Array;
  unpack: (data: Uint8Array, readAt: ReadAt) => unknown;
}

/** msgpackr passes extensions a reader its typings omit; this keeps ours typed. */
function register(spec: ExtensionSpec): void {
  addExtension(spec as unknown as Parameters<typeof addExtension>[0]);
}

/** byteOffset of the buffer being decoded: ext payloads are read in place from it. */
let sourceOffset = 0;
type ReadAt = (position: number) => unknown;
/**
 * Decodes an extension's payload where it lies in the source buffer: msgpackr's
 * unpack is not re-entrant, but it hands extensions a reader at a source position.
 */
const inner = (data: Uint8Array, readAt: ReadAt): unknown => readAt(data.byteOffset - sourceOffset);


/** An ext payload already encoded by {@link prepare}; packing it copies the bytes. */
class EncodedRef {
  constructor(readonly bytes: Uint8Array) {}
}
class EncodedSet {
  constructor(readonly bytes: Uint8Array) {}
}
class EncodedDict {
  constructor(readonly bytes: Uint8Array) {}
}

register({
  Class: EncodedRef,
  type: EXT_REF,
  pack: (value: EncodedRef) => value.bytes,
  unpack(data: Uint8Array, readAt: ReadAt) {
    const [id, type] = inner(data, readAt) as [string, string];
    if (!decodeContext) throw new BridgeError("internal", "a remote ref was decoded outside a call");
    const host = decodeContext.host;
    return host.wrapRef(new PyRef(host, decodeContext.workerId, id, type));
  },
});
register({
  Class: EncodedSet,
  type: EXT_SET,
  pack: (value: EncodedSet) => value.bytes,
  unpack: (data: Uint8Array, readAt: ReadAt) => new Set(inner(data, readAt) as unknown[]),
});
register({ type: EXT_TUPLE, unpack: (data: Uint8Array, readAt: ReadAt) => inner(data, readAt) });
register({
  Class: EncodedDict,
  type: EXT_DICT,
  pack: (value: EncodedDict) => value.bytes,
  unpack(data: Uint8Array, readAt: ReadAt) {
    const flat = inner(data, readAt) as unknown[];
    const map = new Map<unknown, unknown>();
    for (let i = 0; i < flat.length; i += 2) map.set(flat[i], flat[i + 1]);
    return map;
  },
});

const packr = new Packr({
  useRecords: false, // plain MessagePack: Python's msgpack must read every byte
  moreTypes: false,
  encodeUndefinedAsNil: true,
  useBigIntExtension: true, // bigints beyond 64 bits as ext 0x42, which the worker reads
  mapsAsObjects: true,
  copyBuffers: true, // results must not pin the whole received message in memory
  // Integers a JS number holds exactly arrive as numbers, larger ones as bigint.
  int64AsType: "auto" as "bigint",
  writeFunction: () => {
    throw new BridgeError(
      "invalid_argument",
      "a JavaScript function cannot be sent to Python (host callbacks are not supported yet)",
    );
  },
});

/** The encoded arguments and the workers their refs live on. @private */
export interface EncodedArgs {
  data: Uint8Array;
  workers: ReadonlySet<string>;
}

/**
 * Replaces the values msgpackr cannot nest (sets, refs) by their encoded ext payloads,
 * bottom-up: msgpackr's pack is not re-entrant, so no ext may pack inside a pack.
 * Containers are copied only when something inside them changed.
 */
function prepare(value: unknown, workers: Set<string>): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof PyObject) return prepare(value.ref, workers);
  if (value instanceof PyRef) {
    value.assertLive();
    workers.add(value.workerId);
    return new EncodedRef(packr.pack([value.id, value.type]));
  }
  if (value instanceof Set) {
    return new EncodedSet(packr.pack(Array.from(value, (item) => prepare(item, workers))));
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const prepared = prepare(item, workers);
      if (prepared !== item) (copy ??= value.slice())[i] = prepared;
    }
    return copy ?? value;
  }
  if (value instanceof Map) {
    // String keys: a msgpack map. Any other key (a number, an array, a ref): ext 6,
    // which Python reads as a dict (arrays become tuples, so they can be keys).
    let changed = false;
    let stringKeys = true;
    const flat: unknown[] = [];
    for (const [k, v] of value as Map<unknown, unknown>) {
      if (typeof k !== "string") stringKeys = false;
      const pk = prepare(k, workers);
      const pv = prepare(v, workers);
      if (pk !== k || pv !== v) changed = true;
      flat.push(pk, pv);
    }
    if (!stringKeys) return new EncodedDict(packr.pack(flat));
    if (!changed) return value;
    const copy = new Map<unknown, unknown>();
    for (let i = 0; i < flat.length; i += 2) copy.set(flat[i], flat[i + 1]);
    return copy;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) {
    let copy: Record<string, unknown> | undefined;
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      const prepared = prepare(item, workers);
      if (prepared !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = prepared;
    }
    return copy ?? value;
  }
  return value; // Date, Uint8Array...: msgpackr writes them itself
}

/** The encoded arguments and the workers their refs live on. @private */
export interface EncodedArgs {
  data: Uint8Array;
  workers: ReadonlySet<string>;
}

/** Encodes a value for the worker, noting which workers its refs live on; `what` names it in errors. @private */
export function encode(value: unknown, what: () => string): EncodedArgs {
  const workers = new Set<string>();
  try {
    return { data: packr.pack(prepare(value, workers)), workers };
  } catch (error) {
    if (error instanceof BridgeError) throw error;
    throw new BridgeError("invalid_argument", `${what()} could not be encoded for Python: ${String(error)}`, {
      cause: error,
    });
  }
}

/** Decodes a worker's result; refs in it are bound to `host` and `workerId`. @private */
export function decode(data: Uint8Array, host: RefHost, workerId: string): unknown {
  if (data.length === 0) return null;
  decodeContext = { host, workerId };
  sourceOffset = data.byteOffset;
  try {
    return packr.unpack(data);
  } catch (error) {
    if (error instanceof BridgeError) throw error;
    throw new BridgeError("internal", `a result from worker ${workerId} could not be decoded: ${String(error)}`, {
      cause: error,
    });
  } finally {
    decodeContext = undefined;
  }
}
