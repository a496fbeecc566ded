import { BridgeError } from "./bridge-error.js";
import type { GrpcEndpoint } from "./grpc-transport.js";
import type { WorkerConnection } from "./worker-connection.js";
import { describeExit, type WorkerExit, type WorkerProcess } from "./worker-process.js";
import { connectRemoteWorker, startLocalWorker, type StartOptions, type StartedWorker, type WorkerInfo } from "./worker-start.js";

/** A worker lifecycle event. */
export type PoolEvent =
  | { type: "worker_started"; worker: WorkerInfo }
  | { type: "worker_exited"; worker: WorkerInfo; exitCode: number | null; signal: string | null; expected: boolean; reason: string }
  | { type: "worker_start_failed"; slot: number; error: BridgeError; failures: number }
  | { type: "worker_unresponsive"; worker: WorkerInfo; silentMs: number }
  | { type: "worker_recycling"; worker: WorkerInfo; reason: string }
  | { type: "breaker_open"; slot: number; error: BridgeError; retryInMs: number }
  | { type: "breaker_closed"; slot: number };

/** How the supervisor restarts and recycles workers. @private */
export interface SupervisionPolicy {
  restart: boolean;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** Consecutive failed starts that open a slot's breaker. */
  breakerFailures: number;
  /** How long an open breaker waits before trying again (doubling, up to backoffMaxMs * 6). */
  breakerCooldownMs: number;
  heartbeatMs: number;
  /** Silence (no frame at all) after which a worker is killed as unresponsive. */
  unresponsiveMs: number;
  recycleAfterCalls: number | undefined;
  recycleAfterMs: number | undefined;
  recycleAboveRssBytes: number | undefined;
  /** A worker whose cancelled calls stay stuck this long is recycled. */
  stuckGraceMs: number;
  /** How long a recycled worker may finish its calls. */
  drainMs: number;
}

/** A worker serving calls. @private */
export interface LiveWorker {
  info: WorkerInfo;
  connection: WorkerConnection;
  process: WorkerProcess | undefined;
  startedAt: number;
  calls: number;
  /** No new calls (recycling, or stuck): it finishes what it has, then is replaced. */
  retiring: boolean;
  stopping: boolean;
  /**
   * Its heartbeats are late (3 periods or more): it may be holding the GIL in C for a
   * while, legitimately. Routing avoids it while others can take the call; it is killed
   * only once silent for `unresponsiveMs`. Set by the health check, read by routing.
   */
  late: boolean;
}

interface Slot {
  index: number;
  endpoint: GrpcEndpoint | undefined;
  worker: LiveWorker | undefined;
  starting: Promise<void> | undefined;
  /** Consecutive failed starts. */
  failures: number;
  /** A start is scheduled (backing off, or waiting for the breaker). */
  timer: NodeJS.Timeout | undefined;
  breakerOpenUntil: number;
  breakerCooldownMs: number;
  lastError: BridgeError | undefined;
}

/** What the supervisor tells the pool. @private */
export interface SupervisorHooks {
  /** A worker became available (started, or no longer busy). */
  available(): void;
  /** No worker is running and none can start now: reject whoever waits. */
  hopeless(error: BridgeError): void;
  event(event: PoolEvent): void;
}

/** Counters for `pool.stats()`. @private */
export interface SupervisorCounters {
  started: number;
  restarts: number;
  recycled: number;
  crashed: number;
  unresponsive: number;
  startFailures: number;
}

const jitter = (ms: number): number => Math.round(ms * (0.5 + Math.random()));

/**
 * Keeps every slot filled with a live worker: starts them, notices when they die or go
 * silent, restarts them with exponential backoff and jitter, opens a slot's circuit
 * breaker when its workers cannot start (waiting calls then fail fast with the stderr
 * tail) and half-opens it later, and recycles workers by call count, age, memory, or
 * stuck threads. A worker that started and was later killed from outside never counts
 * toward the breaker: only failed starts do.
 * @private
 */
export class Supervisor {
  private readonly slots: Slot[];
  private readonly byId = new Map<string, LiveWorker>();
  private nextWorker = 1;
  private closing = false;
  private monitor: NodeJS.Timeout | undefined;
  private referenced = true;
  readonly counters: SupervisorCounters = { started: 0, restarts: 0, recycled: 0, crashed: 0, unresponsive: 0, startFailures: 0 };

  constructor(
    private readonly startOptions: (id: string, slot: number) => StartOptions,
    private readonly policy: SupervisionPolicy,
    private readonly hooks: SupervisorHooks,
    size: number,
    endpoints: readonly GrpcEndpoint[] | undefined,
  ) {
    const count = endpoints ? endpoints.length : size;
    this.slots = Array.from({ length: count }, (_, index) => ({
      index,
      endpoint: endpoints?.[index],
      worker: undefined,
      starting: undefined,
      failures: 0,
      timer: undefined,
      breakerOpenUntil: 0,
      breakerCooldownMs: policy.breakerCooldownMs,
      lastError: undefined,
    }));
  }

  /** Starts every slot; rejects with the first failure (the pool then closes). */
  async start(): Promise<void> {
    await Promise.all(this.slots.map((slot) => this.startSlot(slot, true)));
    if (this.policy.heartbeatMs > 0) {
      const every = Math.max(50, Math.min(this.policy.heartbeatMs, this.policy.unresponsiveMs / 4));
      let last = performance.now();
      this.monitor = setInterval(() => {
        const now = performance.now();
        const stalled = now - last > 2 * every;
        last = now;
        // A tick that comes late means this host's event loop was blocked (a long
        // synchronous task): the workers' heartbeats wait unread in the sockets, so
        // judge silence only once they have been read.
        if (!stalled) this.check();
      }, every);
      this.monitor.unref();
    }
  }

  /** Workers taking new calls. */
  get live(): LiveWorker[] {
    const out: LiveWorker[] = [];
    for (const slot of this.slots) if (slot.worker && !slot.worker.retiring) out.push(slot.worker);
    return out;
  }

  /** Every worker alive, retiring ones included. */
  get all(): LiveWorker[] {
    return [...this.byId.values()];
  }

  /** A live worker by id (retiring ones included: their refs still work). */
  get(id: string): LiveWorker | undefined {
    return this.byId.get(id);
  }

  /** Whether any slot may still produce a worker soon. */
  get hasHope(): boolean {
    const now = Date.now();
    return this.slots.some((s) => s.worker !== undefined || s.starting !== undefined || (s.timer !== undefined && s.breakerOpenUntil <= now));
  }

  /** Why no worker is available, for a call that must fail fast. */
  get failure(): BridgeError | undefined {
    if (this.hasHope) return undefined;
    const slot = this.slots.find((s) => s.lastError);
    if (!slot) return new BridgeError("unavailable", "no Python worker is running and none is starting");
    const retry = Math.max(0, slot.breakerOpenUntil - Date.now());
    return new BridgeError(
      "unavailable",
      `no Python worker can start (slot ${slot.index} failed ${slot.failures} times in a row; next try in ${retry} ms): ${slot.lastError!.rawMessage}`,
      { cause: slot.lastError, details: { retryInMs: retry } },
    );
  }

  /** Notes a call finished on `worker` (recycling by call count). */
  finished(worker: LiveWorker): void {
    worker.calls++;
    const limit = this.policy.recycleAfterCalls;
    if (limit !== undefined && worker.calls >= limit && !worker.retiring) this.recycle(worker, `served ${worker.calls} calls`);
    else if (worker.retiring && worker.connection.inflight === 0) void this.stop(worker, "retired");
  }

  /** Keeps the event loop alive only while `ref`. */
  setRef(ref: boolean): void {
    this.referenced = ref;
    for (const worker of this.byId.values()) {
      worker.connection.setRef(ref);
      worker.process?.setRef(ref);
    }
  }

  /** Stops every worker: in-flight calls get `drainMs` to finish. */
  async close(drainMs: number): Promise<void> {
    this.closing = true;
    if (this.monitor) clearInterval(this.monitor);
    for (const slot of this.slots) if (slot.timer) clearTimeout(slot.timer);
    await Promise.all(this.slots.map((slot) => (slot.starting ? slot.starting.catch(() => undefined) : Promise.resolve())));
    await Promise.all([...this.byId.values()].map((worker) => this.stop(worker, "the pool closed", drainMs)));
  }

  // -- starting ---------------------------------------------------------------------

  private startSlot(slot: Slot, initial: boolean): Promise<void> {
    slot.timer = undefined;
    const id = `w${this.nextWorker++}`;
    const options = this.startOptions(id, slot.index);
    const started = slot.endpoint ? connectRemoteWorker(options, slot.endpoint, initial) : startLocalWorker(options);
    const starting = started.then(
      (worker) => {
        slot.starting = undefined;
        this.adopt(slot, worker);
      },
      (error: unknown) => {
        slot.starting = undefined;
        const failure = BridgeError.from(error, "unavailable");
        if (initial) throw failure;
        this.startFailed(slot, failure);
      },
    );
    slot.starting = starting;
    return starting;
  }

  private adopt(slot: Slot, started: StartedWorker): void {
    const worker: LiveWorker = {
      info: started.info,
      connection: started.connection,
      process: started.process,
      startedAt: Date.now(),
      calls: 0,
      retiring: false,
      stopping: false,
      late: false,
    };
    if (this.closing) {
      void this.stop(worker, "the pool closed", 0);
      return;
    }
    if (slot.failures >= this.policy.breakerFailures) this.hooks.event({ type: "breaker_closed", slot: slot.index });
    slot.failures = 0;
    slot.lastError = undefined;
    slot.breakerCooldownMs = this.policy.breakerCooldownMs;
    slot.worker = worker;
    this.byId.set(worker.info.id, worker);
    this.counters.started++;
    worker.connection.setRef(this.referenced);
    worker.process?.setRef(this.referenced);
    worker.connection.onBroken = (error) => void this.lost(worker, `its connection broke (${errorText(error)})`, error);
    if (worker.process) void worker.process.exited.then((exit) => this.lost(worker, undefined, undefined, exit));
    const age = this.policy.recycleAfterMs;
    if (age !== undefined) setTimeout(() => this.recycle(worker, `reached its ${age} ms lifetime`), jitter(age)).unref();
    this.hooks.event({ type: "worker_started", worker: worker.info });
    this.hooks.available();
  }

  private startFailed(slot: Slot, error: BridgeError): void {
    slot.failures++;
    slot.lastError = error;
    this.counters.startFailures++;
    this.hooks.event({ type: "worker_start_failed", slot: slot.index, error, failures: slot.failures });
    if (slot.failures >= this.policy.breakerFailures) {
      const wait = slot.breakerCooldownMs;
      slot.breakerCooldownMs = Math.min(slot.breakerCooldownMs * 2, this.policy.backoffMaxMs * 6);
      slot.breakerOpenUntil = Date.now() + wait;
      this.hooks.event({ type: "breaker_open", slot: slot.index, error, retryInMs: wait });
      this.schedule(slot, wait);
      if (!this.hasHope) this.hooks.hopeless(this.failure!);
      return;
    }
    this.schedule(slot, jitter(Math.min(this.policy.backoffMaxMs, this.policy.backoffInitialMs * 2 ** (slot.failures - 1))));
  }

  private schedule(slot: Slot, delayMs: number): void {
    if (this.closing || !this.policy.restart) {
      if (!this.hasHope) this.hooks.hopeless(this.failure ?? new BridgeError("unavailable", "the pool is closed"));
      return;
    }
    if (slot.timer) clearTimeout(slot.timer);
    slot.timer = setTimeout(() => {
      if (this.closing) return;
      this.counters.restarts++;
      void this.startSlot(slot, false);
    }, delayMs);
    slot.timer.unref();
  }

  // -- losing ------------------------------------------------------------------------

  /**
   * A worker died, broke its connection, or went silent: reject its calls (with
   * `worker_crashed`, or `unavailable` when it was being stopped), replace it.
   */
  private async lost(worker: LiveWorker, reason: string | undefined, cause?: unknown, exit?: WorkerExit, unresponsive = false): Promise<void> {
    if (!this.byId.has(worker.info.id)) return; // handled already
    this.byId.delete(worker.info.id);
    const slot = this.slots[worker.info.slot]!;
    const expected = worker.stopping || this.closing;
    if (slot.worker === worker) {
      slot.worker = undefined;
      // A death never counts toward the breaker (only failed starts do): restart at once,
      // or after a short jittered pause when it died young, so a storm of deaths from
      // outside is absorbed without spinning.
      if (!expected) this.schedule(slot, Date.now() - worker.startedAt < 1000 ? jitter(this.policy.backoffInitialMs) : 0);
    }
    // The channel usually breaks a moment before the exit status is known: wait briefly for it.
    const status = exit ?? worker.process?.exitInfo ?? (worker.process ? await within(worker.process.exited, 200) : undefined);
    const exitText = status ? describeExit(status) : undefined;
    const how = reason ? (exitText ? `${reason}; it ended with ${exitText}` : reason) : (exitText ?? "a broken connection");
    const tail = worker.process?.stderrTail().split("\n").slice(-8).join("\n") ?? "";
    if (!expected) this.counters.crashed++;
    worker.connection.close(
      new BridgeError(
        expected ? "unavailable" : "worker_crashed",
        `worker ${worker.info.id} (pid ${worker.info.pid}) ${expected ? "was stopped" : reason ? "failed" : "crashed"}: ${how}, while this call was in flight${tail ? `; its stderr ends with:\n${tail}` : ""}`,
        {
          details: { worker: worker.info.id, pid: worker.info.pid, ...(status ?? {}), ...(unresponsive ? { unresponsive: true } : {}) },
          cause,
        },
      ),
    );
    if (worker.process && !worker.process.exitInfo) worker.process.kill("SIGKILL");
    this.hooks.event({
      type: "worker_exited",
      worker: worker.info,
      exitCode: status?.exitCode ?? null,
      signal: status?.signal ?? null,
      expected,
      reason: how,
    });
    if (!this.hasHope) this.hooks.hopeless(this.failure ?? new BridgeError("unavailable", "no Python worker is running"));
  }

  /** Periodic health check: silence, memory, stuck threads. */
  private check(): void {
    const now = performance.now();
    for (const worker of this.byId.values()) {
      if (worker.stopping) continue;
      const silent = now - worker.connection.lastSeen;
      worker.late = silent > 3 * this.policy.heartbeatMs;
      if (silent > this.policy.unresponsiveMs) {
        this.counters.unresponsive++;
        this.hooks.event({ type: "worker_unresponsive", worker: worker.info, silentMs: Math.round(silent) });
        // Kill first, so the exit status is known when the calls are rejected.
        worker.process?.kill("SIGKILL");
        void this.lost(
          worker,
          `no heartbeat for ${Math.round(silent)} ms (unresponsiveMs ${this.policy.unresponsiveMs}: Python code holding the GIL, a deadlock, or a stopped process), so it was killed`,
          undefined,
          undefined,
          true,
        );
        continue;
      }
      const beat = worker.connection.heartbeat;
      if (!beat || worker.retiring || !worker.process) continue; // a remote worker is its orchestrator's to replace
      const rss = this.policy.recycleAboveRssBytes;
      if (rss !== undefined && Number(beat.rssBytes) > rss) {
        this.recycle(worker, `its RSS ${(Number(beat.rssBytes) / 2 ** 20).toFixed(0)} MiB passed the ${(rss / 2 ** 20).toFixed(0)} MiB limit`);
      } else if (beat.stuckThreads > 0 && beat.stuckMs > this.policy.stuckGraceMs) {
        this.recycle(worker, `${beat.stuckThreads} cancelled call(s) kept running for ${beat.stuckMs} ms (stuckGraceMs ${this.policy.stuckGraceMs})`);
      }
    }
    // Heartbeats change which workers have room: calls waiting on the host may fit now.
    this.hooks.available();
  }

  /** Replaces a worker gracefully: a new one starts now, the old one finishes its calls. */
  recycle(worker: LiveWorker, reason: string): void {
    // A remote worker cannot be replaced from here: its orchestrator restarts it.
    if (worker.retiring || worker.stopping || this.closing || !worker.process) return;
    worker.retiring = true;
    this.counters.recycled++;
    this.hooks.event({ type: "worker_recycling", worker: worker.info, reason });
    const slot = this.slots[worker.info.slot]!;
    if (slot.worker === worker) {
      slot.worker = undefined;
      void this.startSlot(slot, false);
    }
    // It stops as soon as its last call finishes (see finished()), or once drainMs passed:
    // until then calls on its objects still reach it.
    if (worker.connection.inflight === 0) void this.stop(worker, reason);
    else setTimeout(() => void this.stop(worker, reason, 0), this.policy.drainMs).unref();
  }

  /**
   * Stops one worker: lets its calls finish (up to `drainMs`), then asks it to exit
   * (Shutdown: it answers what is still running `unavailable`), then SIGTERM, then
   * SIGKILL. A remote worker is only disconnected: its orchestrator owns the process.
   */
  private async stop(worker: LiveWorker, reason: string, drainMs = this.policy.drainMs): Promise<void> {
    if (worker.stopping) return;
    worker.stopping = true;
    worker.retiring = true;
    const deadline = Date.now() + drainMs;
    while (worker.connection.inflight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    const proc = worker.process;
    if (proc && !proc.exitInfo) {
      // Python code holding the GIL reads neither the Shutdown frame nor SIGTERM: each
      // step gets a short grace, then the next, harder one.
      worker.connection.shutdown(0).catch(() => undefined);
      if (!(await within(proc.exited, STOP_STEP_MS))) {
        proc.kill("SIGTERM");
        if (!(await within(proc.exited, STOP_STEP_MS))) {
          proc.kill("SIGKILL");
          await proc.exited;
        }
      }
    }
    worker.connection.close(new BridgeError("unavailable", `worker ${worker.info.id} was stopped (${reason})`));
    await this.lost(worker, undefined);
  }
}

/** How long each step of stopping a worker (Shutdown, SIGTERM) may take before the next. */
const STOP_STEP_MS = 500;

/** `promise`'s value, or undefined if it takes longer than `ms` (the timer never outlives the wait). */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
