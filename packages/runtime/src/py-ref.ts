import { BridgeError } from "@bridge/pool";
import type { CallOptions } from "./call-options.js";

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
  /** Calls a module-level callable (routed to the worker of any ref among the args). */
  callFunction(target: string, args: readonly unknown[], options: CallOptions | undefined): Promise<unknown>;
  /** The value a decoded ref becomes: an instance of its registered class, or the ref. */
  wrapRef(ref: PyRef): unknown;
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
   * Iterates the Python iterator, generator or async generator this ref holds,
   * pulling `batchSize` items per round trip (default 64). Breaking out of the loop
   * releases it; so does reaching its end.
   *
   * ```ts
   * for await (const line of await bridge.call<PyRef>("builtins.iter", [["a", "b"]]).then((r) => r.iterate<string>())) { ... }
   * ```
   */
  iterate<T = unknown>(options: CallOptions & { batchSize?: number } = {}): AsyncIterable<T> {
    const { batchSize = 64, ...callOptions } = options;
    return { [Symbol.asyncIterator]: () => this.#pull<T>(batchSize, callOptions) };
  }

  async *#pull<T>(batchSize: number, options: CallOptions): AsyncGenerator<T> {
    try {
      for (;;) {
        const [items, done] = (await this.#host.callFunction("bridge_worker.streams:take", [this, batchSize], options)) as [T[], boolean];
        yield* items;
        if (done) return;
      }
    } finally {
      await this.release();
    }
  }

  /** Whether release() was called. */
  get released(): boolean {
    return this.#released;
  }

  /** Lets the worker drop the object. Further use of this ref fails with `not_found`. */
  release(): Promise<void> {
    if (!this.#released) {
      this.#released = true;
      finalizer.unregister(this);
      this.#host.releaseRef(this.workerId, this.id);
    }
    return Promise.resolve();
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
