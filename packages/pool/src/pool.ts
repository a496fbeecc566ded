import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BridgeError, abortError } from "./bridge-error.js";
import { ConnectError } from "@connectrpc/connect";
import type { DescribeResponse } from "@bridge/protocol";
import { WorkerClient, type DescribeRequest, type InvokeRequest } from "./worker-client.js";
import { WorkerProcess, describeExit } from "./worker-process.js";
import { bundledWorkerPath } from "./worker-source.js";

/** Options for {@link createPool}. */
export interface PoolOptions {
  /** The Python executable to run workers with (it needs grpcio, protobuf, msgpack). */
  python: string;
  /** Number of worker processes. Default: 1. */
  size?: number;
  /**
   * Directory put first on PYTHONPATH so `python -m bridge_worker` finds the worker
   * shipped inside this package. `false` when the interpreter has bridge_worker installed.
   */
  workerPath?: string | false;
  /** Extra environment variables for the workers (the Node environment is inherited). */
  env?: Readonly<Record<string, string>>;
  /** Working directory of the workers. */
  cwd?: string;
  /** Threads per worker for user code. Default: Python's ThreadPoolExecutor default. */
  threads?: number;
  /** How long a worker may take to start and handshake. Default: 30000 ms. */
  startTimeoutMs?: number;
  /** Restart workers that exit unexpectedly. Default: true. */
  restart?: boolean;
  /** Receives every line a worker writes to stderr. Default: forwarded to process.stderr with a `[bridge wN]` prefix. */
  onLog?: (line: string, worker: WorkerInfo) => void;
  /**
   * How calls travel to local workers: `"auto"` (default) uses the lean local lane
   * (length-prefixed frames on a unix socket) when the worker offers it, `"grpc"`
   * always uses the gRPC Channel stream.
   */
  transport?: "auto" | "grpc";
  /** Receives lifecycle events (start, exit, restart). */
  onEvent?: (event: PoolEvent) => void;
  /**
   * Prepares each worker (the first ones and every replacement) before it takes
   * calls, e.g. configuring a library's global settings. `invoke` runs on that worker
   * only. If it throws, the worker counts as failed to start.
   */
  setup?: (worker: WorkerInfo, invoke: (request: InvokeRequest, signal?: AbortSignal) => Promise<Uint8Array>) => Promise<void>;
}

/** What the pool knows about one worker. */
export interface WorkerInfo {
  /** Unique for the pool's lifetime: a replacement worker gets a new id. */
  readonly id: string;
  /** The slot this worker fills, 0..size-1. */
  readonly slot: number;
  readonly pid: number;
  /** Python version reported by the handshake, e.g. "3.11.7". */
  readonly pythonVersion: string;
  /** bridge_worker's version. */
  readonly workerVersion: string;
  /** How calls travel to this worker. */
  readonly transport: "lane" | "grpc";
}

/** A worker lifecycle event. */
export type PoolEvent =
  | { type: "worker_started"; worker: WorkerInfo }
  | { type: "worker_exited"; worker: WorkerInfo; exitCode: number | null; signal: string | null; expected: boolean }
  | { type: "worker_start_failed"; slot: number; error: BridgeError };

/** Per-call options. */
export interface InvokeOptions {
  /** Cancels the call: the promise rejects with `canceled` and the worker is told. */
  signal?: AbortSignal | undefined;
  /** Deadline; the promise rejects with `deadline_exceeded` when it passes. */
  timeoutMs?: number | undefined;
  /** Run on this worker (a ref's worker). Fails with `not_found` if it is gone. */
  workerId?: string | undefined;
}

/** A call's encoded result and the worker that produced it. */
export interface InvokeResult {
  data: Uint8Array;
  workerId: string;
}

/** A supervised pool of Python workers. */
export interface Pool {
  /** Runs one request on the least-loaded ready worker (or the one named). */
  invoke(request: InvokeRequest, options?: InvokeOptions): Promise<InvokeResult>;
  /** Tells a worker the host no longer holds these refs. */
  release(workerId: string, refs: readonly string[]): void;
  /** Describes a Python module (introspection) on the least-loaded worker. */
  describe(request: DescribeRequest, options?: Omit<InvokeOptions, "workerId">): Promise<DescribeResponse>;
  /** The workers that are ready now. */
  readonly workers: readonly WorkerInfo[];
  /** Calls in flight across all workers. */
  readonly inflight: number;
  /** Drains in-flight calls, shuts every worker down and waits for them to exit. */
  close(options?: { graceMs?: number }): Promise<void>;
}

interface Slot {
  index: number;
  worker: LiveWorker | undefined;
  /** Consecutive failed starts or short-lived workers. */
  failures: number;
  starting: Promise<void> | undefined;
  /** A restart is scheduled (backing off). */
  restartPending: boolean;
}

interface LiveWorker {
  info: WorkerInfo;
  startedAt: number;
  process: WorkerProcess;
  client: WorkerClient;
  expectedExit: boolean;
}

interface Waiter {
  resolve: (worker: LiveWorker) => void;
  reject: (error: BridgeError) => void;
}

const MAX_CONSECUTIVE_FAILURES = 5;
/** A worker that lived this long is healthy: its slot's failure count resets. */
const HEALTHY_UPTIME_MS = 10_000;

/**
 * Starts `size` Python workers and resolves once all are ready.
 *
 * ```ts
 * const pool = await createPool({ python: ".venv/bin/python", size: 2 });
 * ```
 */
export async function createPool(options: PoolOptions): Promise<Pool> {
  const pool = new WorkerPool(options);
  try {
    await pool.start();
  } catch (error) {
    await pool.close({ graceMs: 0 });
    throw error;
  }
  return pool;
}

class WorkerPool implements Pool {
  private readonly slots: Slot[];
  private readonly socketDir: string;
  private readonly workerPath: string | undefined;
  private readonly waiters: Waiter[] = [];
  private nextWorker = 1;
  private closing = false;
  private inflightTotal = 0;
  private referenced = true;
  private readonly byId = new Map<string, LiveWorker>();

  constructor(private readonly options: PoolOptions) {
    const size = options.size ?? 1;
    if (!Number.isInteger(size) || size < 1) {
      throw new BridgeError("invalid_argument", `pool size must be a positive integer, got ${size}`);
    }
    this.slots = Array.from({ length: size }, (_, index) => ({ index, worker: undefined, failures: 0, starting: undefined, restartPending: false }));
    this.workerPath = options.workerPath === false ? undefined : (options.workerPath ?? bundledWorkerPath());
    // Unix socket paths are limited to ~107 bytes: keep the directory short.
    this.socketDir = mkdtempSync(join(tmpdir(), "bridge-"));
  }

  async start(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.startSlot(slot, true)));
    this.updateRef();
  }

  get workers(): readonly WorkerInfo[] {
    return this.slots.flatMap((s) => (s.worker ? [s.worker.info] : []));
  }

  get inflight(): number {
    return this.inflightTotal;
  }

  async invoke(request: InvokeRequest, options: InvokeOptions = {}): Promise<InvokeResult> {
    const signal = callSignal(options);
    signal?.throwIfAborted();
    this.inflightTotal++;
    this.updateRef();
    try {
      // Pick synchronously when a worker is ready, so calls issued in the same tick
      // see each other's load; wait only when every worker is (re)starting.
      const worker = this.pickReady(options.workerId) ?? (await this.waitForWorker(signal));
      const timeoutMs = request.timeoutMs ?? options.timeoutMs;
      const data = await worker.client.invoke(timeoutMs === undefined ? request : { ...request, timeoutMs }, signal);
      return { data, workerId: worker.info.id };
    } catch (error) {
      throw callError(error, signal);
    } finally {
      this.inflightTotal--;
      this.updateRef();
    }
  }

  release(workerId: string, refs: readonly string[]): void {
    this.byId.get(workerId)?.client.release(refs);
  }

  async describe(request: DescribeRequest, options: Omit<InvokeOptions, "workerId"> = {}): Promise<DescribeResponse> {
    const signal = callSignal(options);
    const worker = this.pickReady(undefined) ?? (await this.waitForWorker(signal));
    try {
      return await worker.client.describe(request, { signal });
    } catch (error) {
      if (error instanceof ConnectError) {
        // Describe answers with gRPC statuses: NOT_FOUND (no such module), INVALID_ARGUMENT, INTERNAL (the import raised).
        // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-comparison -- gRPC status numbers; this file is being rewritten (P5)
        const code = error.code === 5 ? "not_found" : error.code === 3 ? "invalid_argument" : error.code === 4 ? "deadline_exceeded" : error.code === 1 ? "canceled" : "internal";
        throw new BridgeError(code, `describing ${request.module} failed: ${error.rawMessage}`, { cause: error, details: { worker: worker.info.id } });
      }
      throw callError(error, signal);
    }
  }

  async close(options: { graceMs?: number } = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const graceMs = options.graceMs ?? 5000;
    const closed = new BridgeError("unavailable", "the pool is closed");
    for (const waiter of this.waiters.splice(0)) waiter.reject(closed);
    await Promise.all(
      this.slots.map(async (slot) => {
        await slot.starting?.catch(() => undefined);
        const worker = slot.worker;
        if (!worker) return;
        worker.expectedExit = true;
        await this.stopWorker(worker, graceMs, closed);
      }),
    );
    rmSync(this.socketDir, { recursive: true, force: true });
  }

  private async stopWorker(worker: LiveWorker, graceMs: number, reason: BridgeError): Promise<void> {
    // Let calls in flight finish (up to the grace period), then ask the worker to exit.
    const deadline = Date.now() + graceMs;
    while (worker.client.inflight > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    try {
      if (worker.process.exitInfo === undefined) await worker.client.shutdown(Math.max(0, deadline - Date.now()));
    } catch {
      // The worker may already be gone; the kill below settles it either way.
    }
    worker.client.close(reason);
    const exited = await Promise.race([
      worker.process.exited,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), Math.max(500, deadline - Date.now()))),
    ]);
    if (!exited) {
      worker.process.kill("SIGKILL");
      await worker.process.exited;
    }
  }

  /** The worker to run on now: the named one, else the least-loaded ready one. */
  private pickReady(workerId: string | undefined): LiveWorker | undefined {
    if (this.closing) throw new BridgeError("unavailable", "the pool is closed");
    if (workerId !== undefined) {
      const worker = this.byId.get(workerId);
      if (!worker) {
        throw new BridgeError(
          "not_found",
          `worker ${workerId}, which held this object, has exited; the object is gone (create it again)`,
          { details: { worker: workerId } },
        );
      }
      return worker;
    }
    let best: LiveWorker | undefined;
    for (const slot of this.slots) {
      const worker = slot.worker;
      if (worker && (best === undefined || worker.client.inflight < best.client.inflight)) best = worker;
    }
    return best;
  }

  private waitForWorker(signal: AbortSignal | undefined): Promise<LiveWorker> {
    if (this.slots.every((s) => s.worker === undefined && s.starting === undefined && !s.restartPending)) {
      return Promise.reject(new BridgeError("unavailable", "no Python worker is running and none is starting (restarts exhausted)"));
    }
    return new Promise<LiveWorker>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      this.waiters.push(waiter);
      signal?.addEventListener(
        "abort",
        () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(callError(signal.reason, signal));
        },
        { once: true },
      );
    });
  }

  private startSlot(slot: Slot, initial: boolean): Promise<void> {
    slot.restartPending = false;
    const starting = this.spawnInto(slot).then(
      () => {
        slot.starting = undefined;
      },
      (error: unknown) => {
        slot.starting = undefined;
        const bridgeError = BridgeError.from(error, "unavailable");
        if (initial) throw bridgeError;
        slot.failures++;
        this.options.onEvent?.({ type: "worker_start_failed", slot: slot.index, error: bridgeError });
        this.scheduleRestart(slot, bridgeError);
      },
    );
    slot.starting = starting;
    return starting;
  }

  /** Restarts a slot, backing off while its workers keep failing young. */
  private scheduleRestart(slot: Slot, reason: BridgeError): void {
    if (this.closing || this.options.restart === false || slot.failures >= MAX_CONSECUTIVE_FAILURES) {
      this.rejectWaitersIfHopeless(
        slot.failures >= MAX_CONSECUTIVE_FAILURES
          ? new BridgeError("unavailable", `worker slot ${slot.index} failed ${slot.failures} times in a row; giving up: ${reason.rawMessage}`, { cause: reason })
          : reason,
      );
      return;
    }
    slot.restartPending = true;
    const delay = slot.failures === 0 ? 0 : Math.min(5000, 100 * 2 ** slot.failures);
    setTimeout(() => {
      if (this.closing) {
        slot.restartPending = false;
        this.rejectWaitersIfHopeless(new BridgeError("unavailable", "the pool is closed"));
        return;
      }
      void this.startSlot(slot, false).catch(() => undefined);
    }, delay).unref();
  }

  private async spawnInto(slot: Slot): Promise<void> {
    const id = `w${this.nextWorker++}`;
    const socketPath = join(this.socketDir, `${id}.sock`);
    const onLog = this.options.onLog;
    let info: WorkerInfo | undefined;
    const process_ = await WorkerProcess.spawn({
      id,
      python: this.options.python,
      socketPath,
      workerPath: this.workerPath,
      env: this.options.env ?? {},
      cwd: this.options.cwd,
      threads: this.options.threads,
      startTimeoutMs: this.options.startTimeoutMs ?? 30_000,
      onLog: onLog
        ? (line) => onLog(line, info ?? { id, slot: slot.index, pid: -1, pythonVersion: "", workerVersion: "", transport: "grpc" })
        : (line) => process.stderr.write(`[bridge ${id}] ${line}\n`),
    });
    const client = new WorkerClient(id, socketPath);
    try {
      const hello = await client.handshake(this.options.startTimeoutMs ?? 30_000);
      const useLane = this.options.transport !== "grpc" && hello.capabilities.includes("lane");
      const transport = await client.openChannel(useLane);
      info = { id, slot: slot.index, pid: hello.pid, pythonVersion: hello.pythonVersion, workerVersion: hello.workerVersion, transport };
    } catch (error) {
      client.close(BridgeError.from(error, "unavailable"));
      process_.kill("SIGKILL");
      throw new BridgeError("unavailable", `worker ${id} did not answer its handshake: ${String(error)}`, { cause: error });
    }
    if (this.options.setup) {
      const ready = info;
      try {
        await this.options.setup(ready, (request, signal) => client.invoke(request, signal));
      } catch (error) {
        client.close(BridgeError.from(error, "unavailable"));
        process_.kill("SIGKILL");
        throw new BridgeError("unavailable", `the setup of worker ${id} failed: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
          details: { worker: id },
        });
      }
    }
    const worker: LiveWorker = { info, startedAt: Date.now(), process: process_, client, expectedExit: false };
    if (this.closing) {
      worker.expectedExit = true;
      await this.stopWorker(worker, 0, new BridgeError("unavailable", "the pool is closed"));
      return;
    }
    slot.worker = worker;
    this.byId.set(id, worker);
    client.setRef(this.referenced);
    process_.setRef(this.referenced);
    client.onBroken = (error) => void this.onWorkerLost(slot, worker, error);
    void process_.exited.then(() => this.onWorkerLost(slot, worker));
    this.options.onEvent?.({ type: "worker_started", worker: info });
    for (const waiter of this.waiters.splice(0)) waiter.resolve(worker);
  }

  private async onWorkerLost(slot: Slot, worker: LiveWorker, connectionError?: unknown): Promise<void> {
    if (slot.worker !== worker) return; // already handled
    slot.worker = undefined;
    this.byId.delete(worker.info.id);
    const expected = worker.expectedExit || this.closing;
    slot.failures = Date.now() - worker.startedAt < HEALTHY_UPTIME_MS ? slot.failures + 1 : 0;
    // Start the replacement now; new calls wait for it rather than fail.
    this.scheduleRestart(slot, new BridgeError("unavailable", `worker ${worker.info.id} exited`));
    // The channel usually breaks a moment before the exit status is known: wait briefly for it.
    const exit = worker.process.exitInfo ??
      (await Promise.race([worker.process.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 200))])) ?? {
        exitCode: null,
        signal: null,
      };
    const how = worker.process.exitInfo
      ? describeExit(exit)
      : `a broken connection (${connectionError instanceof Error ? connectionError.message : String(connectionError)})`;
    const tail = worker.process.stderrTail().split("\n").slice(-8).join("\n");
    worker.client.close(
      new BridgeError(
        expected ? "unavailable" : "worker_crashed",
        `worker ${worker.info.id} (pid ${worker.info.pid}) ${expected ? "was stopped" : "crashed"} with ${how} while this call was in flight${tail ? `; its stderr ends with:\n${tail}` : ""}`,
        { details: { worker: worker.info.id, pid: worker.info.pid, ...exit }, cause: connectionError },
      ),
    );
    if (!worker.process.exitInfo) worker.process.kill("SIGKILL");
    this.options.onEvent?.({ type: "worker_exited", worker: worker.info, ...exit, expected });
  }

  private rejectWaitersIfHopeless(error: BridgeError): void {
    // eslint-disable-next-line @typescript-eslint/no-misused-promises -- `starting` is tested for presence; this file is being rewritten (P5)
    if (this.slots.some((s) => s.worker || s.starting || s.restartPending)) return;
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  /** Workers keep the Node process alive only while calls are in flight. */
  private updateRef(): void {
    const want = this.inflightTotal > 0;
    if (want === this.referenced) return;
    this.referenced = want;
    for (const slot of this.slots) {
      slot.worker?.client.setRef(want);
      slot.worker?.process.setRef(want);
    }
  }
}

function callSignal(options: InvokeOptions): AbortSignal | undefined {
  const signals: AbortSignal[] = [];
  if (options.signal) signals.push(options.signal);
  if (options.timeoutMs !== undefined && options.timeoutMs > 0) signals.push(AbortSignal.timeout(options.timeoutMs));
  if (signals.length === 0) return undefined;
  return signals.length === 1 ? signals[0] : AbortSignal.any(signals);
}

function callError(error: unknown, signal: AbortSignal | undefined): BridgeError {
  if (error instanceof BridgeError) return error;
  if (signal?.aborted) return abortError(signal);
  return BridgeError.from(error);
}

