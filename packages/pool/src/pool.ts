import { constants as bufferConstants } from "node:buffer";
import type { DescribeResponse } from "@bridge/protocol";
import { BridgeError, abortError } from "./bridge-error.js";
import { callSignal, type InvokeOptions } from "./call-options.js";
import type { GrpcEndpoint } from "./grpc-transport.js";
import { createRunDir, type RunDir } from "./run-dir.js";
import { Supervisor, type LiveWorker, type PoolEvent } from "./supervisor.js";
import type { RawPayload } from "./wire.js";
import type { ConnectionEvents, DescribeRequest, InvokeRequest, StreamHandle, StreamSink } from "./worker-connection.js";
import { bundledWorkerPath } from "./worker-source.js";
import type { WorkerInfo } from "./worker-start.js";

export type { InvokeOptions } from "./call-options.js";
export type { PoolEvent } from "./supervisor.js";
export type { WorkerInfo } from "./worker-start.js";

/** Options for {@link createPool}. */
export interface PoolOptions {
  /** The Python executable to run workers with (it needs protobuf and msgpack; grpcio for gRPC). */
  python: string;
  /** Number of worker processes. Default: 1. */
  size?: number;
  /**
   * Workers started elsewhere (`python -m bridge_worker serve --listen HOST:PORT`) to use
   * instead of spawning: one slot per endpoint, same protocol, routing and health.
   */
  endpoints?: readonly GrpcEndpoint[];
  /**
   * Directory put first on PYTHONPATH so `python -m bridge_worker` finds the worker
   * shipped inside this package. `false` when the interpreter has bridge_worker installed.
   */
  workerPath?: string | false;
  /** Extra environment variables for the workers (the Node environment is inherited). */
  env?: Readonly<Record<string, string>>;
  /** Working directory of the workers. */
  cwd?: string;
  /** Threads per worker that may run user code at once. Default: 16. */
  threads?: number;
  /** How long a worker may take to start and handshake. Default: 30000 ms. */
  startTimeoutMs?: number;
  /** Restart workers that exit unexpectedly (false: a dead worker's slot stays empty). Default: true. */
  restart?: boolean;
  /** Receives every line a worker writes to stderr. Default: forwarded to process.stderr with a `[bridge wN]` prefix. */
  onLog?: (line: string, worker: WorkerInfo | undefined) => void;
  /**
   * How calls travel to local workers: `"auto"` (default) uses the local lane (records on
   * a unix socket), `"grpc"` the gRPC Channel stream.
   */
  transport?: "auto" | "grpc";
  /** Receives lifecycle events (start, exit, restart, unresponsive, recycling, breaker). */
  onEvent?: (event: PoolEvent) => void;
  /**
   * Prepares each worker (the first ones and every replacement) before it takes
   * calls, e.g. configuring a library's global settings. `invoke` runs on that worker
   * only. If it throws, the worker counts as failed to start.
   */
  setup?: (worker: WorkerInfo, invoke: (request: InvokeRequest, signal?: AbortSignal) => Promise<RawPayload>) => Promise<void>;
  /**
   * How often workers send heartbeats (load, stuck threads, RSS), from a thread of their
   * own. 0 turns heartbeats off, and with them silence detection and RSS / stuck-call
   * recycling. Default: 1000 ms.
   */
  heartbeatMs?: number;
  /**
   * A worker silent this long (no heartbeat, no frame: Python code holding the GIL in C,
   * a deadlock, a stopped process) is killed and replaced, its calls rejected with
   * `worker_crashed` (`details.unresponsive`). Must be longer than `heartbeatMs`.
   * Default: 30000 ms, or 4 heartbeats if longer (legitimate C calls that hold the GIL,
   * such as a huge `json.dumps`, must not be mistaken for hangs).
   */
  unresponsiveMs?: number;
  /**
   * Calls that may wait on the host when no worker can take them (all starting,
   * restarting, or with every thread stuck); one more rejects at once with
   * `resource_exhausted`. Default: 10000.
   */
  maxQueue?: number;
  /** How long a call may wait for a worker before it rejects with `resource_exhausted`. Default: `startTimeoutMs`. */
  queueTimeoutMs?: number;
  /**
   * Recycle a local worker gracefully (a replacement starts, the old one finishes its
   * calls within `drainMs`): after `maxCalls` calls, after `maxAgeMs` (jittered ±50%), or
   * when the Python process's RSS passes `maxRssBytes`. Default: never.
   */
  recycle?: { maxCalls?: number; maxAgeMs?: number; maxRssBytes?: number };
  /**
   * A local worker with threads stuck this long in calls that were cancelled or timed out
   * and could not be stopped (C code, a blocking system call) is recycled. A worker whose
   * threads are all stuck gets no calls meanwhile. Default: 10000 ms.
   */
  stuckGraceMs?: number;
  /** Delay before a failed start is retried: doubling from `initialMs` up to `maxMs`, jittered ±50%. Default: 100 ms, 5000 ms. */
  backoff?: { initialMs?: number; maxMs?: number };
  /**
   * After `failures` failed starts in a row a slot's breaker opens: calls that find no
   * worker fail at once with `unavailable` and the last start's error (stderr tail), and
   * the slot tries again after `cooldownMs` (doubling each time it reopens, up to
   * 6 × `backoff.maxMs`). Deaths of started workers never count. Default: 5, 5000 ms.
   */
  breaker?: { failures?: number; cooldownMs?: number };
  /** How long a recycled worker may finish its calls before it is stopped. Default: 10000 ms. */
  drainMs?: number;
  /**
   * Local lane: how long each side polls for the other's next message before sleeping
   * (the host after a write while answers are due, the worker after an answer while
   * idle), in µs. Waking a sleeping CPU costs tens of µs on virtual machines; polling
   * through that window halves a small call's latency for a little CPU. 0 disables.
   * Default: 100.
   */
  spinUs?: number;
  /**
   * The largest single binary value (bytes, an array's data) a worker may send this host;
   * a larger result fails with `resource_exhausted` in the worker instead of being sent.
   * Default: the largest Buffer this Node can allocate (`buffer.constants.MAX_LENGTH`).
   */
  maxBufferBytes?: number;
  /** Value capabilities the host decodes beyond the base table (the runtime sets "arrow"). */
  capabilities?: readonly string[];
  /** Handlers for frames that answer no host call (host callbacks; set by the runtime). */
  events?: ConnectionEvents;
}

/** Options for {@link Pool.close}. */
export interface CloseOptions {
  /** How long calls in flight may finish. Default: 5000 ms. */
  drainMs?: number;
  /** The former name of `drainMs`. */
  graceMs?: number;
}

/** A call's encoded result and the worker that produced it. */
export interface InvokeResult {
  value: RawPayload;
  workerId: string;
}

/** An open stream and the worker it runs on. */
export interface OpenStream extends StreamHandle {
  workerId: string;
}

/** One worker in {@link PoolStats}. */
export interface WorkerStats {
  id: string;
  slot: number;
  /** Calls this host has in flight on it. */
  inflight: number;
  /** Calls it finished for this host. */
  calls: number;
  /** Taking no new calls: being recycled or stopped. */
  retiring: boolean;
  /** From its latest heartbeat: threads running user code. */
  busyThreads: number;
  /** From its latest heartbeat: threads still running calls that were cancelled or timed out. */
  stuckThreads: number;
  /** From its latest heartbeat: the Python process's resident set size. */
  rssBytes: number;
  /** Since anything last arrived from it (heartbeats come every `heartbeatMs`). */
  silentMs: number;
}

/** What {@link Pool.stats} reports. */
export interface PoolStats {
  /** Calls waiting on the host for a worker (bounded by `maxQueue`). */
  queued: number;
  /** Calls in flight on workers. */
  inflight: number;
  /** Workers taking calls that have calls in flight or threads busy. */
  busyWorkers: number;
  /** Workers taking calls that have nothing to do. */
  idleWorkers: number;
  /** Every worker alive, retiring ones included. */
  workers: WorkerStats[];
  /** Workers started, in all. */
  started: number;
  /** Starts scheduled after a worker died or failed to start. */
  restarts: number;
  /** Workers recycled (call count, age, memory, stuck calls). */
  recycled: number;
  /** Workers that died or were killed unexpectedly. */
  crashed: number;
  /** Workers killed because their heartbeats stopped. */
  unresponsive: number;
  /** Starts that failed (each counts toward a slot's circuit breaker). */
  startFailures: number;
}

/** A supervised pool of Python workers. */
export interface Pool {
  /** Runs one request on the least-loaded ready worker (or the one named). */
  invoke(request: InvokeRequest, options?: InvokeOptions): Promise<InvokeResult>;
  /** Iterates a Python object on the worker named (credit-paced; see WorkerConnection.stream). */
  stream(request: Omit<InvokeRequest, "op">, workerId: string, credit: number, sink: StreamSink): OpenStream;
  /** Tells a worker the host no longer holds these refs. */
  release(workerId: string, refs: readonly string[]): void;
  /** Tells a worker to drop every object a session's calls created. */
  releaseSession(workerId: string, session: string): void;
  /** Describes a Python module (introspection) on the least-loaded worker. */
  describe(request: DescribeRequest, options?: Omit<InvokeOptions, "workerId">): Promise<DescribeResponse>;
  /** The workers that take calls now. */
  readonly workers: readonly WorkerInfo[];
  /** Calls in flight across all workers. */
  readonly inflight: number;
  /** Queue depth, load per worker, restarts, recycles. */
  stats(): PoolStats;
  /**
   * Stops the pool: waiting calls reject with `unavailable`, calls in flight get
   * `drainMs` to finish, then each local worker gets Shutdown (what still runs is answered
   * `unavailable`), SIGTERM, then SIGKILL, 500 ms apart; remote workers are disconnected.
   */
  close(options?: CloseOptions): Promise<void>;
}

interface Waiter {
  resolve: (worker: LiveWorker) => void;
  reject: (error: BridgeError) => void;
}

/**
 * Starts `size` Python workers (or connects to `endpoints`) and resolves once all are ready.
 *
 * ```ts
 * const pool = await createPool({ python: ".venv/bin/python", size: 2 });
 * ```
 */
export async function createPool(options: PoolOptions): Promise<Pool> {
  const size = options.endpoints ? options.endpoints.length : (options.size ?? 1);
  if (!Number.isInteger(size) || size < 1) {
    throw new BridgeError("invalid_argument", `pool size must be a positive integer, got ${options.endpoints ? "no endpoints" : size}`);
  }
  const heartbeatMs = options.heartbeatMs ?? 1000;
  if (options.unresponsiveMs !== undefined && heartbeatMs > 0 && options.unresponsiveMs <= heartbeatMs) {
    throw new BridgeError(
      "invalid_argument",
      `unresponsiveMs (${options.unresponsiveMs}) must be longer than heartbeatMs (${heartbeatMs}): every worker would look silent`,
    );
  }
  const pool = new WorkerPool(options, size);
  try {
    await pool.start();
  } catch (error) {
    await pool.close({ drainMs: 0 });
    throw error;
  }
  return pool;
}

class WorkerPool implements Pool {
  private readonly supervisor: Supervisor;
  private readonly runDir: RunDir | undefined;
  private readonly waiters: Waiter[] = [];
  private closing = false;
  private inflightTotal = 0;
  private referenced = true;
  private readonly maxQueue: number;
  private readonly queueTimeoutMs: number;

  constructor(
    private readonly options: PoolOptions,
    size: number,
  ) {
    const workerPath = options.workerPath === false ? undefined : (options.workerPath ?? bundledWorkerPath());
    const heartbeatMs = options.heartbeatMs ?? 1000;
    const startTimeoutMs = options.startTimeoutMs ?? 30_000;
    this.maxQueue = options.maxQueue ?? 10_000;
    this.queueTimeoutMs = options.queueTimeoutMs ?? startTimeoutMs;
    this.runDir = options.endpoints ? undefined : createRunDir();
    const onLog = options.onLog;
    this.supervisor = new Supervisor(
      (id, slot) => ({
        id,
        slot,
        python: options.python,
        runDir: this.runDir?.path ?? "",
        workerPath,
        env: options.env ?? {},
        cwd: options.cwd,
        threads: options.threads,
        heartbeatMs,
        spinUs: options.spinUs ?? 100,
        startTimeoutMs,
        transport: options.transport ?? "auto",
        capabilities: options.capabilities ?? [],
        maxBufferBytes: Math.min(options.maxBufferBytes ?? bufferConstants.MAX_LENGTH, bufferConstants.MAX_LENGTH),
        events: options.events ?? {},
        onLog: onLog ?? ((line) => process.stderr.write(`[bridge ${id}] ${line}\n`)),
        setup: options.setup,
      }),
      {
        restart: options.restart ?? true,
        backoffInitialMs: options.backoff?.initialMs ?? 100,
        backoffMaxMs: options.backoff?.maxMs ?? 5000,
        breakerFailures: options.breaker?.failures ?? 5,
        breakerCooldownMs: options.breaker?.cooldownMs ?? 5000,
        heartbeatMs,
        unresponsiveMs: options.unresponsiveMs ?? Math.max(30_000, 4 * heartbeatMs),
        recycleAfterCalls: options.recycle?.maxCalls,
        recycleAfterMs: options.recycle?.maxAgeMs,
        recycleAboveRssBytes: options.recycle?.maxRssBytes,
        stuckGraceMs: options.stuckGraceMs ?? 10_000,
        drainMs: options.drainMs ?? 10_000,
      },
      {
        available: () => this.serveWaiters(),
        hopeless: (error) => {
          for (const waiter of this.waiters.splice(0)) waiter.reject(error);
        },
        event: (event) => {
          if (event.type === "worker_exited") this.runDir?.removeSocketsOf(event.worker.id);
          options.onEvent?.(event);
        },
      },
      size,
      options.endpoints,
    );
  }

  async start(): Promise<void> {
    await this.supervisor.start();
    this.updateRef();
  }

  get workers(): readonly WorkerInfo[] {
    return this.supervisor.live.map((w) => w.info);
  }

  get inflight(): number {
    return this.inflightTotal;
  }

  async invoke(request: InvokeRequest, options: InvokeOptions = {}): Promise<InvokeResult> {
    const timeoutMs = request.timeoutMs ?? options.timeoutMs;
    const signal = callSignal(options.signal, timeoutMs);
    if (signal?.aborted) throw abortError(signal);
    this.inflightTotal++;
    this.updateRef();
    let worker: LiveWorker | undefined;
    try {
      // Pick synchronously when a worker is ready, so calls issued in the same tick
      // see each other's load; wait only when none can take the call now.
      worker = this.pick(options.workerId) ?? (await this.waitForWorker(signal));
      const value = await worker.connection.invoke(timeoutMs === undefined ? request : { ...request, timeoutMs }, signal);
      return { value, workerId: worker.info.id };
    } catch (error) {
      throw callError(error, signal);
    } finally {
      this.inflightTotal--;
      if (worker) this.supervisor.finished(worker);
      this.updateRef();
    }
  }

  stream(request: Omit<InvokeRequest, "op">, workerId: string, credit: number, sink: StreamSink): OpenStream {
    const worker = this.pick(workerId)!;
    this.inflightTotal++;
    this.updateRef();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.inflightTotal--;
      this.updateRef();
    };
    const handle = worker.connection.stream(request, credit, {
      chunk: (items) => sink.chunk(items),
      end: (error) => {
        finish();
        sink.end(error);
      },
    });
    return {
      workerId,
      credit: (items) => handle.credit(items),
      cancel: () => {
        handle.cancel();
        finish();
      },
    };
  }

  release(workerId: string, refs: readonly string[]): void {
    this.supervisor.get(workerId)?.connection.release(refs);
  }

  releaseSession(workerId: string, session: string): void {
    this.supervisor.get(workerId)?.connection.releaseSession(session);
  }

  async describe(request: DescribeRequest, options: Omit<InvokeOptions, "workerId"> = {}): Promise<DescribeResponse> {
    const signal = callSignal(options.signal, options.timeoutMs);
    this.inflightTotal++;
    this.updateRef();
    let worker: LiveWorker | undefined;
    try {
      worker = this.pick(undefined) ?? (await this.waitForWorker(signal));
      return await worker.connection.describe(request, signal);
    } catch (error) {
      const failure = callError(error, signal);
      throw new BridgeError(failure.code, `describing ${request.module} failed: ${failure.rawMessage}`, {
        cause: failure,
        details: worker ? { worker: worker.info.id } : {},
      });
    } finally {
      this.inflightTotal--;
      this.updateRef();
    }
  }

  stats(): PoolStats {
    const live = this.supervisor.live;
    const now = performance.now();
    const busy = (w: LiveWorker) => w.connection.inflight > 0 || (w.connection.heartbeat?.busyThreads ?? 0) > 0;
    return {
      queued: this.waiters.length,
      inflight: this.inflightTotal,
      busyWorkers: live.filter((w) => busy(w)).length,
      idleWorkers: live.filter((w) => !busy(w)).length,
      workers: this.supervisor.all.map((w) => ({
        id: w.info.id,
        slot: w.info.slot,
        inflight: w.connection.inflight,
        calls: w.calls,
        retiring: w.retiring,
        busyThreads: w.connection.heartbeat?.busyThreads ?? 0,
        stuckThreads: w.connection.heartbeat?.stuckThreads ?? 0,
        rssBytes: Number(w.connection.heartbeat?.rssBytes ?? 0),
        silentMs: Math.round(now - w.connection.lastSeen),
      })),
      ...this.supervisor.counters,
    };
  }

  async close(options: CloseOptions = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const closed = new BridgeError("unavailable", "the pool is closed");
    for (const waiter of this.waiters.splice(0)) waiter.reject(closed);
    // Closing is work in flight: keep the event loop alive until the workers are gone.
    this.referenced = true;
    this.supervisor.setRef(true);
    await this.supervisor.close(options.drainMs ?? options.graceMs ?? 5000);
    this.runDir?.remove();
  }

  /** The worker to run on now: the named one, else the least-loaded one that has room. */
  private pick(workerId: string | undefined): LiveWorker | undefined {
    if (this.closing) throw new BridgeError("unavailable", "the pool is closed");
    if (workerId !== undefined) {
      const worker = this.supervisor.get(workerId);
      if (!worker || worker.stopping) {
        throw new BridgeError("not_found", `worker ${workerId}, which held this object, has exited; the object is gone (create it again)`, {
          details: { worker: workerId },
        });
      }
      return worker;
    }
    let best: LiveWorker | undefined;
    let bestLoad = Infinity;
    for (const worker of this.supervisor.live) {
      const connection = worker.connection;
      const stuck = connection.heartbeat?.stuckThreads ?? 0;
      // A worker with as many threads stuck (in calls that were cancelled or timed out and
      // could not be stopped) as it may run at once is sick: no calls until it is recycled.
      if (stuck >= worker.info.maxThreads) continue;
      // Real load: the calls in flight, the threads still stuck in abandoned ones (as the
      // worker reports them), and those abandoned since its last report. A worker whose
      // heartbeats are late (Python holding the GIL in C) comes last.
      const load = connection.inflight + stuck + connection.abandoned + (worker.late ? LATE : 0);
      if (load < bestLoad) {
        best = worker;
        bestLoad = load;
      }
    }
    return best;
  }

  private waitForWorker(signal: AbortSignal | undefined): Promise<LiveWorker> {
    const failure = this.supervisor.failure;
    if (failure) return Promise.reject(failure);
    if (this.waiters.length >= this.maxQueue) {
      return Promise.reject(new BridgeError("resource_exhausted", `${this.waiters.length} calls are already waiting for a worker (maxQueue ${this.maxQueue})`));
    }
    return new Promise<LiveWorker>((resolve, reject) => {
      const timer = setTimeout(() => {
        remove();
        reject(new BridgeError("resource_exhausted", `no worker could take the call within ${this.queueTimeoutMs} ms (queueTimeoutMs)`));
      }, this.queueTimeoutMs);
      const onAbort = () => {
        remove();
        reject(callError(signal!.reason, signal));
      };
      const remove = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
      };
      const waiter: Waiter = {
        resolve: (worker) => {
          remove();
          resolve(worker);
        },
        reject: (error) => {
          remove();
          reject(error);
        },
      };
      this.waiters.push(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  private serveWaiters(): void {
    if (this.closing) return;
    while (this.waiters.length) {
      const worker = this.pick(undefined);
      if (!worker) return;
      this.waiters[0]!.resolve(worker);
    }
  }

  /** Workers keep the Node process alive only while calls are in flight. */
  private updateRef(): void {
    const want = this.inflightTotal > 0;
    if (want === this.referenced) return;
    this.referenced = want;
    this.supervisor.setRef(want);
  }
}

/** Routing's load penalty for a worker whose heartbeats are late: more than any real load. */
const LATE = 2 ** 30;

function callError(error: unknown, signal: AbortSignal | undefined): BridgeError {
  if (error instanceof BridgeError) return error;
  if (signal?.aborted) return abortError(signal);
  return BridgeError.from(error);
}
