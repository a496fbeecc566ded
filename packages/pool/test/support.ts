import { readFileSync } from "node:fs";
import type { RawPayload } from "../src/index.js";
import { BridgeError } from "../src/index.js";

/**
 * Test helpers for the pool's suites: a minimal msgpack writer for call arguments and
 * reader for small results (the pool moves bytes; it has no codec of its own), process
 * facts read from /proc, and a tally of call outcomes for the fault suite's figures.
 */

type Packable = null | boolean | number | string | Packable[];

function pack(value: Packable, out: number[]): void {
  if (value === null) out.push(0xc0);
  else if (typeof value === "boolean") out.push(value ? 0xc3 : 0xc2);
  else if (typeof value === "number") {
    if (Number.isInteger(value) && value >= 0 && value < 2 ** 32) {
      if (value < 128) out.push(value);
      else out.push(0xce, (value >>> 24) & 0xff, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff);
    } else if (Number.isInteger(value) && value < 0 && value >= -32) {
      out.push(value & 0xff);
    } else {
      const view = new DataView(new ArrayBuffer(8));
      view.setFloat64(0, value);
      out.push(0xcb, ...new Uint8Array(view.buffer));
    }
  } else if (typeof value === "string") {
    const utf8 = new TextEncoder().encode(value);
    if (utf8.length > 255) throw new Error("test strings stay under 256 bytes");
    out.push(0xd9, utf8.length, ...utf8);
  } else {
    if (value.length > 15) throw new Error("test arrays stay under 16 items");
    out.push(0x90 | value.length);
    for (const item of value) pack(item, out);
  }
}

/** The `[args, {}]` payload of a call with positional `args`. */
export function args(...values: Packable[]): RawPayload {
  const out: number[] = [0x92];
  pack(values, out);
  out.push(0x80);
  return { data: new Uint8Array(out), buffers: [] };
}

/** A msgpack result that is an unsigned int, nil or a bool. */
export function unpack(payload: RawPayload): number | boolean | null {
  const b = payload.data;
  const first = b[0]!;
  if (first < 0x80) return first;
  if (first === 0xc0) return null;
  if (first === 0xc2 || first === 0xc3) return first === 0xc3;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (first === 0xcc) return view.getUint8(1);
  if (first === 0xcd) return view.getUint16(1);
  if (first === 0xce) return view.getUint32(1);
  if (first === 0xcf) return Number(view.getBigUint64(1));
  throw new Error(`unexpected msgpack result 0x${first.toString(16)}`);
}

/** Whether `pid` is a live process (a zombie, dead but not reaped by anyone, is not). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // "pid (comm) S ...": the state follows the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** A process's resident set size, read by the test from /proc (not from the worker). */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = /VmRSS:\s+(\d+) kB/.exec(status);
  return kb ? Number(kb[1]) * 1024 : 0;
}

/** Counts what happened to every call a test made: the fault suite's figures. */
export class Tally {
  attempted = 0;
  succeeded = 0;
  /** Answered with a value that is not the right one. */
  wrong = 0;
  rejected: Record<string, number> = {};
  private readonly unsettled = new Set<Promise<unknown>>();

  /** Tracks one call; `check` says whether its value is right. Never rejects. */
  track<T>(call: Promise<T>, check: (value: T) => boolean = () => true): Promise<T | BridgeError> {
    this.attempted++;
    const settled = call.then(
      (value) => {
        if (check(value)) this.succeeded++;
        else this.wrong++;
        return value;
      },
      (error: unknown) => {
        const code = error instanceof BridgeError ? error.code : `not a BridgeError: ${String(error)}`;
        this.rejected[code] = (this.rejected[code] ?? 0) + 1;
        return error instanceof BridgeError ? error : BridgeError.from(error);
      },
    );
    this.unsettled.add(settled);
    void settled.finally(() => this.unsettled.delete(settled));
    return settled;
  }

  /** Calls still pending after waiting up to `ms` for them: lost calls. */
  async lost(ms: number): Promise<number> {
    const deadline = Date.now() + ms;
    while (this.unsettled.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.unsettled.size;
  }

  /** The figures, for the report. */
  figures(lost: number): Record<string, unknown> {
    return { attempted: this.attempted, succeeded: this.succeeded, wrong: this.wrong, rejected: { ...this.rejected }, lost };
  }
}

/** Prints one fault test's figures (collected in the report). */
export function report(name: string, figures: Record<string, unknown>): void {
  console.log(`[faults] ${name}: ${JSON.stringify(figures)}`);
}
