import { BridgeError, createPool, type InvokeRequest, type Pool, type PoolOptions, type WorkerInfo } from "@bridge/pool";
import type { CallOptions } from "./call-options.js";
import { decode, encode } from "./codec.js";
import type { PyObject, PyObjectClass } from "./py-object.js";
import { PyRef, type RefHost } from "./py-ref.js";

/** Options for {@link createBridge}. */
export interface BridgeOptions extends Omit<PoolOptions, "python" | "size" | "setup"> {
  /** The Python executable. Default: `$BRIDGE_PYTHON`, else `python3`. */
  python?: string;
  /** Number of Python worker processes. Default: 1. */
  workers?: number;
  /** Default deadline for every call, in milliseconds. Default: none. */
  timeoutMs?: number;
  /**
   * Runs on every worker before it takes calls, the first ones and each replacement
   * after a crash: configure a library's global state here, not with a plain call
   * (which reaches one worker only).
   *
   * ```ts
   * setup: async (worker) => {
   *   const lm = await worker.call("dspy.utils.DummyLM", [[{ answer: "Paris" }]]);
   *   await worker.call("dspy.configure", [], { lm });
   * }
   * ```
   */
  setup?: (worker: WorkerScope) => Promise<void>;
}

/** Calls that run on one particular worker, given to {@link BridgeOptions.setup}. */
export interface WorkerScope extends Pick<Bridge, "call" | "get" | "module"> {
  /** The worker being prepared. */
  readonly worker: WorkerInfo;
}

type PinnedInvoke = (request: InvokeRequest, signal?: AbortSignal) => Promise<Uint8Array>;

/** A handle on one Python module: `bridge.module("json").call("dumps", [value])`. */
export interface PyModule {
  /** The module's import name. */
  readonly name: string;
  /** Calls `module.name(*args, **kwargs)`; `name` may be a dotted path (`"JSONDecoder.decode"` is not bound: use refs for methods). */
  call<T = unknown>(
    name: string,
    args?: readonly unknown[],
    kwargs?: Readonly<Record<string, unknown>>,
    options?: CallOptions,
  ): Promise<T>;
  /** Reads `module.name` (a constant, a class as a ref...). */
  get<T = unknown>(name: string, options?: CallOptions): Promise<T>;
}

/** A running bridge to Python: a pool of workers and the calls made through it. */
export interface Bridge {
  /**
   * Calls a Python callable by its dotted path, e.g. `bridge.call("math.sqrt", [16])`.
   * Plain data comes back as JS values; any other object as a {@link PyRef}.
   */
  call<T = unknown>(
    target: string,
    args?: readonly unknown[],
    kwargs?: Readonly<Record<string, unknown>>,
    options?: CallOptions,
  ): Promise<T>;
  /** Reads a module-level value by its dotted path, e.g. `bridge.get("math.pi")`. */
  get<T = unknown>(target: string, options?: CallOptions): Promise<T>;
  /** A handle on one module. */
  module(name: string): PyModule;
  /** The worker pool underneath (workers, in-flight count). */
  readonly pool: Pool;
  /**
   * Makes every ref of the Python class `type` (its qualified name) arrive as an
   * instance of `cls`. Generated bindings register their classes; later wins.
   */
  registerClass(type: string, cls: PyObjectClass): void;
  /** Finishes in-flight calls and stops every worker. */
  close(options?: { graceMs?: number }): Promise<void>;
  /** `await using bridge = await createBridge()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts Python workers and returns a bridge to call into them.
 *
 * ```ts
 * await using bridge = await createBridge({ python: ".venv/bin/python" });
 * await bridge.call("math.sqrt", [16]); // 4
 * ```
 */
export async function createBridge(options: BridgeOptions = {}): Promise<Bridge> {
  const { python, workers, timeoutMs, setup, ...poolOptions } = options;
  const bridge = new BridgeImpl(timeoutMs);
  bridge.pool = await createPool({
    ...poolOptions,
    python: python ?? process.env.BRIDGE_PYTHON ?? "python3",
    ...(workers === undefined ? {} : { size: workers }),
    ...(setup ? { setup: (info: WorkerInfo, invoke: PinnedInvoke) => setup(bridge.scope(info, invoke)) } : {}),
  });
  return bridge;
}

const asyncDispose: typeof Symbol.asyncDispose =
  Symbol.asyncDispose ?? (Symbol.for("Symbol.asyncDispose") as typeof Symbol.asyncDispose);

class BridgeImpl implements Bridge, RefHost {
  /** Set by createBridge once the pool is up (setup runs before that, on pinned workers). */
  pool!: Pool;

  private readonly classes = new Map<string, PyObjectClass>();

  constructor(private readonly defaultTimeoutMs: number | undefined) {}

  registerClass(type: string, cls: PyObjectClass): void {
    this.classes.set(type, cls);
  }

  wrapRef(ref: PyRef): PyRef | PyObject {
    const cls = this.classes.get(ref.type);
    return cls ? new cls(ref as PyRef<never>) : ref;
  }

  /** call/get/module bound to one worker, for setup. */
  scope(worker: WorkerInfo, invoke: PinnedInvoke): WorkerScope {
    const pinned = { workerId: worker.id, invoke };
    const call = <T>(target: string, args: readonly unknown[] = [], kwargs: Readonly<Record<string, unknown>> = {}, options?: CallOptions) =>
      this.run("call", target, undefined, [args, kwargs], options, pinned) as Promise<T>;
    const get = <T>(target: string, options?: CallOptions) => this.run("get", target, undefined, undefined, options, pinned) as Promise<T>;
    return {
      worker,
      call,
      get,
      module: (name) => ({
        name,
        call: (member, args, kwargs, options) => call(`${name}:${member}`, args, kwargs, options),
        get: (member, options) => get(`${name}:${member}`, options),
      }),
    };
  }

  call<T>(
    target: string,
    args: readonly unknown[] = [],
    kwargs: Readonly<Record<string, unknown>> = {},
    options?: CallOptions,
  ): Promise<T> {
    return this.run("call", target, undefined, [args, kwargs], options) as Promise<T>;
  }

  get<T>(target: string, options?: CallOptions): Promise<T> {
    return this.run("get", target, undefined, undefined, options) as Promise<T>;
  }

  module(name: string): PyModule {
    return {
      name,
      call: (member, args, kwargs, options) => this.call(`${name}:${member}`, args, kwargs, options),
      get: (member, options) => this.get(`${name}:${member}`, options),
    };
  }

  invokeOnRef(ref: PyRef, op: "call" | "get" | "set", target: string, payload: unknown, options?: CallOptions) {
    return this.run(op, target, ref, payload, options);
  }

  callFunction(target: string, args: readonly unknown[], options: CallOptions | undefined): Promise<unknown> {
    return this.call(target, args, {}, options);
  }

  releaseRef(workerId: string, id: string): void {
    this.pool.release(workerId, [id]);
  }

  close(options?: { graceMs?: number }): Promise<void> {
    return this.pool.close(options);
  }

  [asyncDispose](): Promise<void> {
    return this.close();
  }

  private async run(
    op: "call" | "get" | "set",
    target: string,
    ref: PyRef | undefined,
    payload: unknown,
    options: CallOptions | undefined,
    pinned?: { workerId: string; invoke: PinnedInvoke },
  ): Promise<unknown> {
    const encoded = payload === undefined ? undefined : encode(payload, () => `the arguments of ${describe(target, ref)}`);
    let workerId = ref?.workerId;
    for (const holder of encoded?.workers ?? []) {
      if (workerId !== undefined && holder !== workerId) {
        throw new BridgeError(
          "invalid_argument",
          `${describe(target, ref)} mixes Python objects that live in different workers (${workerId}, ${holder}); objects can only meet inside one worker`,
        );
      }
      workerId = holder;
    }
    const timeoutMs = options?.timeoutMs ?? this.defaultTimeoutMs;
    if (pinned) {
      if (workerId !== undefined && workerId !== pinned.workerId) {
        throw new BridgeError("invalid_argument", `${describe(target, ref)} was given an object from worker ${workerId} while setting up worker ${pinned.workerId}`);
      }
      const signal = timeoutMs === undefined ? options?.signal : AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(options?.signal ? [options.signal] : [])]);
      const data = await pinned.invoke({ op, target, ref: ref?.id, args: encoded?.data }, signal);
      return decode(data, this, pinned.workerId);
    }
    const result = await this.pool.invoke(
      { op, target, ref: ref?.id, args: encoded?.data },
      { signal: options?.signal, timeoutMs, workerId },
    );
    return decode(result.data, this, result.workerId);
  }
}

function describe(target: string, ref: PyRef | undefined): string {
  if (!ref) return target;
  return target ? `${ref.type}.${target}` : ref.type;
}
