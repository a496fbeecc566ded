import { BridgeError } from "@bridge/pool";
import { Decoder, DecodeFailure, type DecodeHost } from "./decoder.js";
import { EncodeFailure, Encoder, type Encoded, type EncodeHost } from "./encoder.js";

export type { DecodeHost } from "./decoder.js";
export type { Encoded, EncodeHost } from "./encoder.js";

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * `args[0].user.avatar` from a path into a value. `root` names the value's top level:
 * for call arguments `[args, kwargs]`, pass `callRoot`.
 * @private
 */
export function formatPath(root: (first: string | number | undefined) => string, path: ReadonlyArray<string | number>): string {
  let out = root(path[0]);
  for (const segment of path.slice(1)) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (segment.startsWith("<")) out += ` ${segment.slice(1, -1)}`;
    else if (IDENTIFIER.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** The root of a CALL payload `[args, kwargs]`: `args` or `kwargs`. @private */
export function callRoot(first: string | number | undefined): string {
  return first === 1 ? "kwargs" : "args";
}

/**
 * Encodes a value for Python; a value with no Python form is refused with an
 * `invalid_argument` BridgeError naming where it is (`args[0].user.avatar`), and a
 * released ref with `not_found`.
 * @private
 */
export function encode(
  value: unknown,
  host: EncodeHost,
  what: () => string,
  root: (first: string | number | undefined) => string = callRoot,
): Encoded {
  try {
    return new Encoder(host).encode(value);
  } catch (error) {
    if (error instanceof EncodeFailure) {
      const where = error.path.length ? formatPath(root, error.path) : "the value";
      throw new BridgeError(error.code, `${where} ${error.reason} (in ${what()})`, { details: { path: where } });
    }
    if (error instanceof BridgeError) throw error;
    throw new BridgeError("invalid_argument", `${what()} could not be encoded for Python: ${String(error)}`, { cause: error });
  }
}

/**
 * Decodes a worker's payload; refs in it are bound through `host`.
 * @private
 */
export function decode(data: Uint8Array, buffers: readonly Uint8Array[], host: DecodeHost, what: () => string): unknown {
  if (data.length === 0) return null;
  try {
    return new Decoder(data, buffers, host).decode();
  } catch (error) {
    if (error instanceof BridgeError) throw error;
    const reason = error instanceof DecodeFailure || error instanceof RangeError || error instanceof TypeError ? error.message : String(error);
    throw new BridgeError("internal", `${what()} could not be decoded: ${reason}`, { cause: error });
  }
}
