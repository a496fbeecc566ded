import {
  BridgeError,
  createPool,
  type CallbackOutcome,
  type CallbackRequest,
  type InvokeOptions,
  type InvokeRequest,
  type InvokeResult,
  type Pool,
  type PoolOptions,
  type RawPayload,
  type WorkerInfo,
} from "@bridge/pool";
import { arrowInstalled, loadArrow, type ArrowModule } from "./arrow.js";
import type { CallOptions } from "./call-options.js";
import { callRoot, decode, encode, type DecodeHost, type EncodeHost } from "./codec.js";
import { describeFunction, hostArguments, HostValues, type FunctionMeta } from "./host-functions.js";
import { MemoCache, memoizing, type MemoLimits, type MemoTable } from "./memo.js";
import { endSpan, inCallbackSpan, recordPoolEvent, startCallSpan, traceContextOf, type SpanOutcome } from "./telemetry.js";
import type { PyObject, PyObjectClass } from "./py-object.js";
import { PyRef, type IterateOptions, type RefHost } from "./py-ref.js";
import { refStream } from "./stream.js";

/** Options for {@link createBridge}. */
export interface BridgeOptions extends Omit<PoolOptions, "python" | "size" | "setup" | "events" | "capabilities"> {
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
  /** Bounds of the table memoized calls keep their results in (`CallOptions.memo`). */
  memo?: MemoLimits;
}

/** Calls that run on one particular worker, given to {@link BridgeOptions.setup}. */
export interface WorkerScope extends Pick<Bridge, "call" | "get" | "module"> {
  /** The worker being prepared. */
  readonly worker: WorkerInfo;
}

/** A handle on one Python module: `bridge.module("json").call("dumps", [value])`. */
export interface PyModule {
  /** The module's import name. */
  readonly name: string;
  /** Calls `module.name(*args, **kwargs)`; `name` may be a dotted path. */
  call<T = unknown>(name: string, args?: readonly unknown[], kwargs?: Readonly<Record<string, unknown>>, options?: CallOptions): Promise<T>;
  /** Reads `module.name` (a constant, a class as a ref...). */
  get<T = unknown>(name: string, options?: CallOptions): Promise<T>;
}

/** Functions the host exposes to Python code by name (`bridge_worker.host.tools`). */
export interface HostTools {
  /** Makes `fn` callable from Python as `bridge_worker.host.tools[name]`, on every worker (replacements too). */
  register(name: string, fn: (...args: never[]) => unknown, meta?: FunctionMeta): Promise<void>;
  /** Removes a tool. */
  unregister(name: string): Promise<void>;
  /** The registered names. */
  readonly names: readonly string[];
}

/** A set of calls pinned to one worker whose objects are released together. */
export interface Session extends Pick<Bridge, "call" | "get" | "module"> {
  /** The worker every call of the session runs on. */
  readonly workerId: string;
  /** Objects created in the session and still held. */
  readonly size: number;
  /**
   * Releases every object created in the session (in the worker too): its calls and
   * calls on its objects. New calls are refused at once; calls in flight finish first.
   */
  close(): Promise<void>;
  /** `await using session = await bridge.session()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** Options of {@link Bridge.session}. */
export interface SessionOptions {
  /** The most objects the session may hold; a call creating more fails with `resource_exhausted`. Default: 10000. */
  maxRefs?: number;
}

/** A running bridge to Python: a pool of workers and the calls made through it. */
export interface Bridge {
  /**
   * Calls a Python callable by its dotted path, e.g. `bridge.call("math.sqrt", [16])`.
   * Plain data comes back as JS values; any other object as a {@link PyRef}.
   */
  call<T = unknown>(target: string, args?: readonly unknown[], kwargs?: Readonly<Record<string, unknown>>, options?: CallOptions): Promise<T>;
  /** Reads a module-level value by its dotted path, e.g. `bridge.get("math.pi")`. */
  get<T = unknown>(target: string, options?: CallOptions): Promise<T>;
  /** A handle on one module. */
  module(name: string): PyModule;
  /** A session: calls pinned to one worker, objects released together by `close()`. */
  session(options?: SessionOptions): Promise<Session>;
  /** Declares how a TS function looks to Python (name, docstring, signature); returns it. */
  fn<F extends (...args: never[]) => unknown>(fn: F, meta: FunctionMeta): F;
  /** Functions exposed to Python code by name. */
  readonly tools: HostTools;
  /** The worker pool underneath (workers, in-flight count, stats). */
  readonly pool: Pool;
  /** Results of memoized calls (`CallOptions.memo`): hits, misses, `clear()`. */
  readonly memo: MemoTable;
  /**
   * Makes every ref of the Python class `type` (its qualified name) arrive as an
   * instance of `cls`. Generated bindings register their classes; later wins.
   */
  registerClass(type: string, cls: PyObjectClass): void;
  /** Finishes in-flight calls (up to `drainMs`), then stops every worker. */
  close(options?: { drainMs?: number; graceMs?: number }): Promise<void>;
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
  const { python, workers, timeoutMs, setup, memo, ...poolOptions } = options;
  // apache-arrow (if installed) loads while the workers start, not before.
  const arrow = loadArrow();
  const bridge = new BridgeImpl(timeoutMs, new MemoCache(memo));
  const withArrow = async () => bridge.useArrow(await arrow);
  bridge.pool = await createPool({
    ...poolOptions,
    python: python ?? process.env.BRIDGE_PYTHON ?? "python3",
    ...(workers === undefined ? {} : { size: workers }),
    capabilities: arrowInstalled() ? ["arrow"] : [],
    onEvent: (event) => {
      if (event.type === "worker_exited") bridge.hostValues.releaseWorker(event.worker.id);
      recordPoolEvent(event);
      poolOptions.onEvent?.(event);
    },
    events: {
      callback: (request, workerId) => bridge.answerCallback(request, workerId),
      // After the frames read with it are delivered: a result handing back a function
      // Python just dropped must still find it.
      releaseCallbacks: (ids) => setImmediate(() => bridge.hostValues.release(ids)),
    },
    setup: async (info, invoke) => {
      await withArrow();
      await bridge.prepare(info, invoke, setup);
    },
  });
  await withArrow();
  return bridge;
}

/** The bytes a payload takes on the wire (msgpack body and out-of-band buffers). */
function payloadBytes(payload: { data: Uint8Array; buffers: readonly Uint8Array[] }): number {
  let n = payload.data.byteLength;
  for (const buffer of payload.buffers) n += buffer.byteLength;
  return n;
}

const asyncDispose: typeof Symbol.asyncDispose = Symbol.asyncDispose ?? (Symbol.for("Symbol.asyncDispose") as typeof Symbol.asyncDispose);

type PinnedInvoke = (request: InvokeRequest, signal?: AbortSignal) => Promise<RawPayload>;
type Op = "call" | "get" | "set";

interface Route {
  /** A worker the call must run on (setup, session). */
  workerId?: string;
  /** Runs on that worker directly (setup: the pool does not know the worker yet). */
  invoke?: PinnedInvoke;
  session?: SessionImpl;
}

class BridgeImpl implements Bridge, RefHost {
  /** Set by createBridge once the pool is up (setup runs before that, on pinned workers). */
  pool!: Pool;
  readonly hostValues = new HostValues();
  readonly tools: HostTools;
  private readonly classes = new Map<string, PyObjectClass>();
  /** The session a ref was made in: calls on it belong to that session too. */
  private readonly sessionOf = new WeakMap<PyRef, SessionImpl>();
  /** Open sessions by id (refs Python passes to a host callback during a session's call join it). */
  readonly sessions = new Map<string, SessionImpl>();
  private readonly toolsByName = new Map<string, (...args: never[]) => unknown>();
  private readonly encodeHost: EncodeHost;
  private arrow: ArrowModule | undefined;

  constructor(
    private readonly defaultTimeoutMs: number | undefined,
    readonly memo: MemoCache,
  ) {
    this.encodeHost = {
      callback: (fn) => this.hostValues.callback(fn),
      iterator: (iterable) => this.hostValues.iterator(iterable),
      arrow: undefined,
    };
    const names = () => [...this.toolsByName.keys()];
    this.tools = {
      register: (name, fn, meta) => this.registerTool(name, fn, meta),
      unregister: (name) => this.unregisterTool(name),
      get names() {
        return names();
      },
    };
  }

  /** apache-arrow, once loaded. */
  useArrow(arrow: ArrowModule | undefined): void {
    if (!arrow || this.arrow) return;
    this.arrow = arrow;
    this.encodeHost.arrow = { Table: arrow.Table, tableToIPC: (table, format) => arrow.tableToIPC(table, format) };
  }

  registerClass(type: string, cls: PyObjectClass): void {
    this.classes.set(type, cls);
  }

  fn<F extends (...args: never[]) => unknown>(fn: F, meta: FunctionMeta): F {
    return describeFunction(fn, meta);
  }

  call<T>(target: string, args: readonly unknown[] = [], kwargs: Readonly<Record<string, unknown>> = {}, options?: CallOptions): Promise<T> {
    return this.run("call", target, undefined, [args, kwargs], options, {}) as Promise<T>;
  }

  get<T>(target: string, options?: CallOptions): Promise<T> {
    return this.run("get", target, undefined, undefined, options, {}) as Promise<T>;
  }

  module(name: string): PyModule {
    return moduleOf(name, (t, a, k, o) => this.call(t, a, k, o), (t, o) => this.get(t, o));
  }

  async session(options: SessionOptions = {}): Promise<Session> {
    // The least-loaded worker now; the first call decides if none is ready yet.
    const result = await this.pool.invoke({ op: "get", target: "builtins:None" });
    const session = new SessionImpl(this, result.workerId, `s${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`, options.maxRefs ?? 10_000);
    this.sessions.set(session.id, session);
    return session;
  }

  close(options?: { drainMs?: number; graceMs?: number }): Promise<void> {
    return this.pool.close(options);
  }

  [asyncDispose](): Promise<void> {
    return this.close();
  }

  // -- RefHost ------------------------------------------------------------------------

  invokeOnRef(ref: PyRef, op: Op, target: string, payload: unknown, options?: CallOptions): Promise<unknown> {
    return this.run(op, target, ref, payload, options, {});
  }

  releaseRef(workerId: string, id: string): void {
    this.pool.release(workerId, [id]);
  }

  iterateRef<T>(ref: PyRef, options: IterateOptions): AsyncIterable<T> {
    const session = this.sessionOf.get(ref);
    return refStream<T>(
      this.pool,
      ref,
      (payload) => {
        const items = decode(payload.data, payload.buffers, this.decodeHost(ref.workerId, session), () => `items streamed from ${ref.type}`);
        if (!Array.isArray(items)) throw new BridgeError("internal", `a stream chunk from ${ref.type} is not an array`);
        return items;
      },
      options,
      true,
      session?.id,
    );
  }

  // -- calls --------------------------------------------------------------------------

  /** call/get/module bound to one worker, for setup. */
  scope(worker: WorkerInfo, invoke: PinnedInvoke): WorkerScope {
    const route: Route = { workerId: worker.id, invoke };
    const call = <T>(target: string, args: readonly unknown[] = [], kwargs: Readonly<Record<string, unknown>> = {}, options?: CallOptions) =>
      this.run("call", target, undefined, [args, kwargs], options, route) as Promise<T>;
    const get = <T>(target: string, options?: CallOptions) => this.run("get", target, undefined, undefined, options, route) as Promise<T>;
    return { worker, call, get, module: (name) => moduleOf(name, call, get) };
  }

  decodeHost(workerId: string, session?: SessionImpl): DecodeHost {
    return {
      ref: (id, type) => {
        const ref = new PyRef(this, workerId, id, type);
        if (session) {
          this.sessionOf.set(ref, session);
          session.adopt(ref);
        }
        const cls = this.classes.get(type);
        return cls ? new cls(ref as PyRef<never>) : ref;
      },
      callback: (id) => this.hostValues.functionOf(id)?.fn,
      iterator: (id) => this.hostValues.iterableOf(id),
      tableFromIPC: this.arrow ? (bytes) => this.arrow!.tableFromIPC(bytes) : undefined,
    };
  }

  /** A call (or get/set) from the host, in a span when telemetry records. */
  async run(op: Op, target: string, ref: PyRef | undefined, payload: unknown, options: CallOptions | undefined, route: Route): Promise<unknown> {
    const span = startCallSpan(op, target, route.session?.id);
    if (!span) return this.routed(op, target, ref, payload, options, route, undefined);
    const outcome: SpanOutcome = { span };
    try {
      const value = await this.routed(op, target, ref, payload, options, route, outcome);
      endSpan(span, outcome);
      return value;
    } catch (error) {
      endSpan(span, { ...outcome, error });
      throw error;
    }
  }

  /** Routes a call to its session (a call on a session's ref belongs to the session). */
  private async routed(
    op: Op,
    target: string,
    ref: PyRef | undefined,
    payload: unknown,
    options: CallOptions | undefined,
    route: Route,
    outcome: SpanOutcome | undefined,
  ): Promise<unknown> {
    if (ref?.released) throw new BridgeError("not_found", `the Python object ${ref.type} (ref ${ref.id}) was released`);
    const session = route.session ?? (ref && this.sessionOf.get(ref));
    if (!session) return this.execute(op, target, ref, payload, options, route, outcome);
    // A session's close() waits for its calls in flight, so their objects are released too.
    session.begin();
    try {
      return await this.execute(op, target, ref, payload, options, { ...route, workerId: session.workerId, session }, outcome);
    } finally {
      session.end();
    }
  }

  private async execute(
    op: Op,
    target: string,
    ref: PyRef | undefined,
    payload: unknown,
    options: CallOptions | undefined,
    route: Route,
    outcome: SpanOutcome | undefined,
  ): Promise<unknown> {
    const what = () => describe(target, ref);
    const encoded = payload === undefined ? undefined : encode(payload, this.encodeHost, () => `the arguments of ${what()}`, op === "set" ? () => "value" : callRoot);
    let workerId = ref?.workerId ?? route.workerId;
    for (const holder of encoded?.workers ?? []) {
      if (workerId !== undefined && holder !== workerId) {
        throw new BridgeError(
          "invalid_argument",
          `${what()} mixes Python objects that live in different workers (${workerId}, ${holder}); objects can only meet inside one worker`,
        );
      }
      workerId = holder;
    }
    const refs = encoded?.refs ?? [];
    if (ref) refs.push(ref);
    for (const r of refs) r.retain();
    try {
      const timeoutMs = options?.timeoutMs ?? this.defaultTimeoutMs;
      const request: InvokeRequest = {
        op,
        target,
        ref: ref?.id,
        args: encoded ? { data: encoded.data, buffers: encoded.buffers } : undefined,
        session: route.session?.id,
      };
      if (outcome) {
        outcome.requestBytes = encoded ? payloadBytes(encoded) : 0;
        request.trace = traceContextOf(outcome.span);
      }
      if (route.invoke) {
        if (workerId !== route.workerId) {
          throw new BridgeError("invalid_argument", `${what()} was given an object from worker ${workerId} while setting up worker ${route.workerId}`);
        }
        const signal = timeoutMs === undefined ? options?.signal : AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(options?.signal ? [options.signal] : [])]);
        const value = await route.invoke({ ...request, timeoutMs }, signal);
        if (encoded) this.hostValues.claim(route.workerId!, encoded.hostIds);
        if (outcome) Object.assign(outcome, { workerId: route.workerId, responseBytes: payloadBytes(value) });
        return decode(value.data, value.buffers, this.decodeHost(route.workerId!), () => `the result of ${what()}`);
      }
      const memo = options?.memo;
      if (memoizing(memo)) {
        if (ref || refs.length || encoded?.hostIds.length) {
          this.memo.bypass();
          if (outcome) outcome.memo = "bypass";
        } else return await this.memoized(request, memo, { signal: options?.signal, timeoutMs, workerId }, route, what, outcome);
      }
      const result = await this.invokeHolding(request, { signal: options?.signal, timeoutMs, workerId }, encoded?.hostIds);
      if (outcome) Object.assign(outcome, { workerId: result.workerId, responseBytes: payloadBytes(result.value) });
      return decode(result.value.data, result.value.buffers, this.decodeHost(result.workerId, route.session), () => `the result of ${what()}`);
    } finally {
      for (const r of refs) r.unretain();
    }
  }

  /**
   * pool.invoke, recording which worker holds the host values the arguments passed
   * (its exit releases them); a call lost with its worker releases them at once.
   */
  private async invokeHolding(request: InvokeRequest, options: InvokeOptions, hostIds: readonly string[] | undefined): Promise<InvokeResult> {
    if (!hostIds?.length) return this.pool.invoke(request, options);
    try {
      const result = await this.pool.invoke(request, options);
      this.hostValues.claim(result.workerId, hostIds);
      return result;
    } catch (error) {
      if (error instanceof BridgeError && error.code === "worker_crashed") this.hostValues.release(hostIds);
      else if (options.workerId) this.hostValues.claim(options.workerId, hostIds);
      throw error;
    }
  }

  /** A call answered from the memo table, or made and its result kept (unless it holds refs or functions). */
  private async memoized(
    request: InvokeRequest,
    memo: true | { ttlMs: number },
    invokeOptions: { signal: AbortSignal | undefined; timeoutMs: number | undefined; workerId: string | undefined },
    route: Route,
    what: () => string,
    outcome: SpanOutcome | undefined,
  ): Promise<unknown> {
    const key = this.memo.key(request.op, request.target, request.args);
    const hit = this.memo.get(key);
    if (outcome) outcome.memo = hit ? "hit" : "miss";
    if (hit) return decode(hit.data, hit.buffers, this.decodeHost(""), () => `the memoized result of ${what()}`);
    this.memo.miss();
    const result = await this.invokeHolding(request, invokeOptions, undefined);
    if (outcome) Object.assign(outcome, { workerId: result.workerId, responseBytes: payloadBytes(result.value) });
    const host = this.decodeHost(result.workerId, route.session);
    let live = false;
    const value = decode(
      result.value.data,
      result.value.buffers,
      {
        ...host,
        ref: (id, type) => ((live = true), host.ref(id, type)),
        callback: (id) => ((live = true), host.callback?.(id)),
        iterator: (id) => ((live = true), host.iterator?.(id)),
      },
      () => `the result of ${what()}`,
    );
    // A copy of the bytes, taken before the caller can touch what was decoded from them.
    if (!live) this.memo.set(key, { data: result.value.data.slice(), buffers: result.value.buffers.map((b) => b.slice()) }, memo);
    return value;
  }

  // -- host callbacks ------------------------------------------------------------------

  async answerCallback(request: CallbackRequest, workerId: string): Promise<CallbackOutcome> {
    const id = request.callback;
    const name = this.hostValues.functionOf(id)?.fn.name || id;
    try {
      return await inCallbackSpan(name, request.trace, () => this.runCallback(request, workerId));
    } catch (error) {
      return { error };
    }
  }

  private async runCallback(request: CallbackRequest, workerId: string): Promise<CallbackOutcome> {
    const id = request.callback;
    const what = () => `the host callback ${id}`;
    const session = request.session === undefined ? undefined : this.sessions.get(request.session);
    const decoded = decode(request.args.data, request.args.buffers, this.decodeHost(workerId, session), () => `the arguments Python passed to ${what()}`);
    const [args, kwargs] = decoded as [unknown[], Record<string, unknown>];
    let value: unknown;
    if (id.startsWith("i")) {
      const [verb, n] = args as [string, number];
      if (!this.hostValues.iterableOf(id)) throw new BridgeError("unavailable", `the host iterable ${id} is gone`);
      value = verb === "return" ? await this.hostValues.stop(id) : await this.hostValues.pull(id, n);
    } else {
      const entry = this.hostValues.functionOf(id);
      if (!entry) throw new BridgeError("unavailable", `the host function ${id} was released`);
      value = await (entry.fn as (...a: unknown[]) => unknown)(...hostArguments(entry, args ?? [], kwargs ?? {}));
    }
    const encoded = encode(value, this.encodeHost, () => `the value ${what()} returned`, () => "return value");
    for (const holder of encoded.workers) {
      if (holder !== workerId) throw new BridgeError("invalid_argument", `${what()} returned an object from worker ${holder} to worker ${workerId}`);
    }
    this.hostValues.claim(workerId, encoded.hostIds);
    return { value: { data: encoded.data, buffers: encoded.buffers } };
  }

  // -- setup and tools -------------------------------------------------------------------

  async prepare(info: WorkerInfo, invoke: PinnedInvoke, setup: BridgeOptions["setup"]): Promise<void> {
    const scope = this.scope(info, invoke);
    for (const [name, tool] of this.toolsByName) {
      await scope.call("bridge_worker.host:register_tool", [name, tool]);
    }
    if (setup) await setup(scope);
  }

  private async registerTool(name: string, fn: (...args: never[]) => unknown, meta: FunctionMeta | undefined): Promise<void> {
    // A wrapper of its own per tool: Python sees the tool's name (by default the name it
    // is registered under), and the user's function keeps its own metadata.
    const tool = (...args: never[]) => fn(...args);
    Object.defineProperty(tool, "length", { value: fn.length });
    describeFunction(tool, { name, ...meta });
    this.toolsByName.set(name, tool);
    await Promise.all(this.pool.workers.map((w) => this.run("call", "bridge_worker.host:register_tool", undefined, [[name, tool], {}], undefined, { workerId: w.id })));
  }

  private async unregisterTool(name: string): Promise<void> {
    this.toolsByName.delete(name);
    await Promise.all(this.pool.workers.map((w) => this.run("call", "bridge_worker.host:unregister_tool", undefined, [[name], {}], undefined, { workerId: w.id })));
  }
}

class SessionImpl implements Session {
  private readonly refs = new Set<PyRef>();
  private closed = false;
  private inflight = 0;
  private idle: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  /** close() has released the session's objects. */
  private done = false;

  constructor(
    private readonly bridge: BridgeImpl,
    readonly workerId: string,
    readonly id: string,
    private readonly maxRefs: number,
  ) {}

  get size(): number {
    for (const ref of this.refs) if (ref.released) this.refs.delete(ref);
    return this.refs.size;
  }

  adopt(ref: PyRef): void {
    if (this.done) {
      // Made after the session was released (a stream over one of its refs still running):
      // nothing will release it with the session any more, so it goes now.
      void ref.release();
      return;
    }
    this.refs.add(ref);
    if (this.refs.size > this.maxRefs && this.size > this.maxRefs) {
      throw new BridgeError("resource_exhausted", `session ${this.id} holds more than ${this.maxRefs} objects (maxRefs); release some or close the session`);
    }
  }

  private route(): Route {
    return { workerId: this.workerId, session: this };
  }

  /** A call of the session starts (refused once close() was called). */
  begin(): void {
    if (this.closed) throw new BridgeError("unavailable", `session ${this.id} is closed`);
    this.inflight++;
  }

  /** A call of the session settled. */
  end(): void {
    if (--this.inflight === 0) this.idle?.();
  }

  call<T>(target: string, args: readonly unknown[] = [], kwargs: Readonly<Record<string, unknown>> = {}, options?: CallOptions): Promise<T> {
    try {
      return this.bridge.run("call", target, undefined, [args, kwargs], options, this.route()) as Promise<T>;
    } catch (error) {
      return Promise.reject(BridgeError.from(error));
    }
  }

  get<T>(target: string, options?: CallOptions): Promise<T> {
    try {
      return this.bridge.run("get", target, undefined, undefined, options, this.route()) as Promise<T>;
    } catch (error) {
      return Promise.reject(BridgeError.from(error));
    }
  }

  module(name: string): PyModule {
    return moduleOf(name, (t, a, k, o) => this.call(t, a, k, o), (t, o) => this.get(t, o));
  }

  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      const inflight = this.inflight === 0 ? Promise.resolve() : new Promise<void>((resolve) => (this.idle = resolve));
      this.closing = inflight.then(() => {
        for (const ref of this.refs) ref.forget();
        this.refs.clear();
        this.done = true;
        this.bridge.sessions.delete(this.id);
        this.bridge.pool.releaseSession(this.workerId, this.id);
      });
    }
    return this.closing;
  }

  [asyncDispose](): Promise<void> {
    return this.close();
  }
}

function moduleOf(
  name: string,
  call: (target: string, args?: readonly unknown[], kwargs?: Readonly<Record<string, unknown>>, options?: CallOptions) => Promise<unknown>,
  get: (target: string, options?: CallOptions) => Promise<unknown>,
): PyModule {
  return {
    name,
    call: <T>(member: string, args?: readonly unknown[], kwargs?: Readonly<Record<string, unknown>>, options?: CallOptions) =>
      call(`${name}:${member}`, args, kwargs, options) as Promise<T>,
    get: <T>(member: string, options?: CallOptions) => get(`${name}:${member}`, options) as Promise<T>,
  };
}

function describe(target: string, ref: PyRef | undefined): string {
  if (!ref) return target;
  return target ? `${ref.type}.${target}` : ref.type;
}

export type { PyObject };
