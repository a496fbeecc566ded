import { BridgeError } from "@bridge/pool";
import type { CallOptions } from "./call-options.js";

/** Options of {@link PyRef.iterate}. */
export interface IterateOptions extends CallOptions {
  /**
   * How many items Python may produce ahead of the consumer (the stream's credit).
   * Default: 64. A slow consumer keeps the Python side at most this far ahead.
   */
  highWaterMark?: number;
  /** @deprecated Kept for older callers: the same as `highWaterMark`. */
  batchSize?: number;
}

/**
 * What a PyRef needs from the bridge that made it.
 * @private
 */
export interface RefHost {
  invokeOnRef(
    ref: PyRef,
    op: "call" | "get" | "set",
    target: string,
    payload: unknown,
    options: CallOptions | undefined,
  ): Promise<unknown>;
  releaseRef(workerId: string, id: string): void;
  /** Streams the Python iterator a ref holds (credit-paced; see `PyRef.iterate`). */
  iterateRef<T>(ref: PyRef, options: IterateOptions): AsyncIterable<T>;
}

const asyncDispose: typeof Symbol.asyncDispose =
  Symbol.asyncDispose ?? (Symbol.for("Symbol.asyncDispose") as typeof Symbol.asyncDispose);

/** Refs dropped without release() are released when garbage-collected. */
const finalizer = new FinalizationRegistry<{ host: RefHost; workerId: string; id: string }>((held) => {
  held.host.releaseRef(held.workerId, held.id);
});

/**
 * A Python object that stays in its worker: anything that is not plain data
 * (numbers, strings, bytes, lists, dicts, sets, dates) comes back as a PyRef.
 * Call its methods, read its attributes, and release it when done:
 *
 * ```ts
 * await using counter = await bridge.call("collections.Counter", ["hello"]);
 * await counter.call("most_common", [1]); // [["l", 2]]
 * ```
 *
 * `Type` is the Python class's qualified name, e.g. `"collections.Counter"`.
 */
export class PyRef<Type extends string = string> {
  /** The ref's id inside its worker. */
  readonly id: string;
  /** The qualified name of the Python object's class, e.g. `collections.Counter`. */
  readonly type: Type;
  /** The worker that holds the object; calls on it are routed there. */
  readonly workerId: string;
  #host: RefHost;
  #released = false;
  #sent = false;
  #inflight = 0;

  /** @private refs are made by the bridge when it decodes a result. */
  constructor(host: RefHost, workerId: string, id: string, type: Type) {
    this.#host = host;
    this.workerId = workerId;
    this.id = id;
    this.type = type;
    finalizer.register(this, { host, workerId, id }, this);
  }

  /**
   * Calls a method of the object (`name` may be a dotted attribute path);
   * an empty `name` calls the object itself.
   */
  call<T = unknown>(
    name: string,
    args: readonly unknown[] = [],
    kwargs: Readonly<Record<string, unknown>> = {},
    options?: CallOptions,
  ): Promise<T> {
    return this.#invoke("call", name, [args, kwargs], options) as Promise<T>;
  }

  /** Reads an attribute (a dotted path is allowed). */
  get<T = unknown>(name: string, options?: CallOptions): Promise<T> {
    return this.#invoke("get", name, undefined, options) as Promise<T>;
  }

  /** Assigns an attribute. */
  async set(name: string, value: unknown, options?: CallOptions): Promise<void> {
    await this.#invoke("set", name, [value], options);
  }

  /**
   * Iterates the Python iterator, generator, async generator or iterable this ref
   * holds, as items arrive (Python runs at most `highWaterMark` items ahead). Breaking
   * out of the loop closes the Python iterator (a generator's `finally` runs); an
   * exception in Python is thrown here; `signal` cancels. The ref is released at the end.
   *
   * ```ts
   * const gen = await bridge.call<PyRef>("itertools.count", [1]);
   * for await (const n of gen.iterate<number>()) if (n > 3) break; // 1, 2, 3, 4
   * ```
   */
  iterate<T = unknown>(options: IterateOptions = {}): AsyncIterable<T> {
    return this.#host.iterateRef<T>(this, options);
  }

  /** Whether release() was called. */
  get released(): boolean {
    return this.#released;
  }

  /**
   * Lets the worker drop the object. Further use of this ref fails with `not_found`;
   * calls already made with it finish first (the worker is told once they have).
   */
  release(): Promise<void> {
    if (!this.#released) {
      this.#released = true;
      finalizer.unregister(this);
      if (this.#inflight === 0) this.#send();
    }
    return Promise.resolve();
  }

  /** @private A call using this ref started: a release waits for it. */
  retain(): void {
    this.#inflight++;
  }

  /** @private A call using this ref finished. */
  unretain(): void {
    if (--this.#inflight === 0 && this.#released) this.#send();
  }

  /** @private The worker dropped the object already (its session closed): mark it released. */
  forget(): void {
    this.#released = true;
    this.#sent = true;
    finalizer.unregister(this);
  }

  #send(): void {
    if (this.#sent) return;
    this.#sent = true;
    this.#host.releaseRef(this.workerId, this.id);
  }

  /** `await using ref = ...` releases the object at the end of the scope. */
  [asyncDispose](): Promise<void> {
    return this.release();
  }

  /** `PyRef<collections.Counter r3@w1>` */
  toString(): string {
    return `PyRef<${this.type} ${this.id}@${this.workerId}>`;
  }

  /** @private checked when the ref is sent to Python. */
  assertLive(): void {
    if (this.#released) {
      throw new BridgeError("not_found", `the Python object ${this.type} (ref ${this.id}) was released`);
    }
  }

  async #invoke(op: "call" | "get" | "set", name: string, payload: unknown, options: CallOptions | undefined): Promise<unknown> {
    this.assertLive(); // a released ref rejects, it does not throw synchronously
    return this.#host.invokeOnRef(this, op, name, payload, options);
  }
}
