import { createHash } from "node:crypto";
import type { RawPayload } from "@bridge/pool";

/**
 * How a call may be memoized (`CallOptions.memo`): `true` for a pure function (its
 * result depends on its arguments only, and never changes), `{ ttlMs }` for one whose
 * result may be reused for that long. Manifest members marked `pure` or
 * `cacheable: { ttlMs }` get it in the generated code.
 */
export type Memo = boolean | { readonly ttlMs: number };

/** Bounds of a bridge's memo table ({@link BridgeOptions.memo}). */
export interface MemoLimits {
  /** The most results kept; the least recently used goes first. Default: 1000. */
  maxEntries?: number;
  /** The most bytes of results kept (their encoded size). Default: 64 MiB. */
  maxBytes?: number;
}

/** What the memo table did so far. */
export interface MemoStats {
  /** Calls answered from the table. */
  hits: number;
  /** Memoizable calls that went to Python (their result is kept, unless it holds a ref). */
  misses: number;
  /** Calls marked memoizable whose arguments hold refs, functions or iterables: never memoized. */
  bypassed: number;
  /** Results dropped to stay within the limits. */
  evictions: number;
  /** Results kept now, and their encoded size. */
  entries: number;
  bytes: number;
}

/** The memo table of a bridge: `bridge.memo`. */
export interface MemoTable {
  /** Counters since the bridge started (or the last `clear()`). */
  stats(): MemoStats;
  /** Forgets every kept result (a pure function whose code changed, a test...). */
  clear(): void;
}

interface Entry {
  payload: RawPayload;
  bytes: number;
  expires: number;
}

/**
 * Results of memoizable calls by (target, the exact bytes of the encoded arguments),
 * least recently used first out. Payloads are kept encoded and decoded again for every
 * hit from copies, so callers never share (or can corrupt) one another's values.
 * @private
 */
export class MemoCache implements MemoTable {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  private readonly maxBytes: number;
  private bytes = 0;
  private counts = { hits: 0, misses: 0, bypassed: 0, evictions: 0 };

  constructor(limits: MemoLimits = {}) {
    this.maxEntries = limits.maxEntries ?? 1000;
    this.maxBytes = limits.maxBytes ?? 64 << 20;
  }

  /** The key of a call, from what was sent: the target and the arguments' bytes. */
  key(op: string, target: string, args: RawPayload | undefined): string {
    const hash = createHash("sha256");
    if (args) {
      hash.update(args.data);
      for (const buffer of args.buffers) {
        hash.update(String(buffer.byteLength));
        hash.update(buffer);
      }
    }
    return `${op}\0${target}\0${args?.buffers.length ?? 0}\0${hash.digest("base64")}`;
  }

  /** A copy of the kept result for `key`, if it is there and fresh. */
  get(key: string): RawPayload | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expires <= Date.now()) {
      this.drop(key, entry);
      return undefined;
    }
    // Most recently used last.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.counts.hits++;
    return copy(entry.payload);
  }

  /** Keeps `payload` (a result without refs; the table owns it now) for `key`, for `memo`'s time. */
  set(key: string, payload: RawPayload, memo: Memo): void {
    const bytes = payload.data.byteLength + payload.buffers.reduce((n, b) => n + b.byteLength, 0);
    if (bytes > this.maxBytes) return;
    const ttlMs = typeof memo === "object" ? memo.ttlMs : Infinity;
    const old = this.entries.get(key);
    if (old) this.drop(key, old);
    this.entries.set(key, { payload, bytes, expires: Date.now() + ttlMs });
    this.bytes += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.drop(oldest, entry);
      this.counts.evictions++;
    }
  }

  miss(): void {
    this.counts.misses++;
  }

  bypass(): void {
    this.counts.bypassed++;
  }

  stats(): MemoStats {
    return { ...this.counts, entries: this.entries.size, bytes: this.bytes };
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
    this.counts = { hits: 0, misses: 0, bypassed: 0, evictions: 0 };
  }

  private drop(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.bytes -= entry.bytes;
  }
}

function copy(payload: RawPayload): RawPayload {
  return { data: payload.data.slice(), buffers: payload.buffers.map((b) => b.slice()) };
}

/** Whether `memo` asks for memoization (`false`, `undefined` and a TTL ≤ 0 do not). @private */
export function memoizing(memo: Memo | undefined): memo is true | { ttlMs: number } {
  return memo === true || (typeof memo === "object" && memo !== null && memo.ttlMs > 0);
}
