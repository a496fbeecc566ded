/**
 * The fault suite (issue 10): real workers killed, crashed, hung, frozen, bloated and
 * impersonated, and what the pool does about it. Every test counts its calls
 * (attempted / succeeded / rejected by code / lost) and prints them as `[faults] ...`
 * lines; lost must be 0. Limits are small (heartbeats every 100 ms, silence limit
 * 1.5 s, stuck grace 1 s, breaker cooldown 300 ms) so the suite stays quick; waits have
 * generous timeouts that bound a failure and assert nothing about speed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { BridgeError, bundledWorkerPath, createPool, type Pool, type PoolEvent, type PoolOptions } from "../src/index.js";
import { LaneConnection } from "../src/lane-connection.js";
import { decodeWorkerMessage, encodeHostMessage } from "../src/wire.js";
import { alive, args, report, rssOf, Tally, unpack } from "./support.js";

const python = process.env.BRIDGE_PYTHON!;
const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));
const env = { PYTHONPATH: fixtures };
const scratch = mkdtempSync(join(tmpdir(), "bridge-faults-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const logs: string[] = [];
/** Small limits, so faults are noticed (and the suite ends) quickly. */
const fast = {
  heartbeatMs: 100,
  unresponsiveMs: 1500,
  stuckGraceMs: 1000,
  backoff: { initialMs: 20, maxMs: 500 },
  breaker: { failures: 3, cooldownMs: 300 },
  onLog: (line: string) => void logs.push(line),
} satisfies Partial<PoolOptions>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const add = (a: number, b: number) => ({ op: "call" as const, target: "operator.add", args: args(a, b) });
const fixture = (name: string, ...values: Parameters<typeof args>) => ({ op: "call" as const, target: `pool_fixtures.${name}`, args: args(...values) });

let n = 0;
/** A file pool_fixtures.wait_for_file blocks on until the test creates it. */
function gate() {
  const path = join(scratch, `gate-${++n}`);
  return { path, started: () => existsSync(`${path}.started`), open: () => writeFileSync(path, "") };
}

/** The pool's private run directory (`$TMPDIR/bridge-<uid>/<pid>-<random>/`), found by a worker's socket. */
function runDirOf(workerId: string): string {
  const base = join(tmpdir(), `bridge-${process.getuid!()}`);
  const prefix = `${process.pid.toString(36)}-`;
  const dir = readdirSync(base).find((entry) => entry.startsWith(prefix) && existsSync(join(base, entry, `${workerId}.sock`)));
  if (!dir) throw new Error(`no run directory holds ${workerId}.sock`);
  return join(base, dir);
}

let pool: Pool | undefined;
afterEach(async () => {
  await pool?.close({ drainMs: 0 });
  pool = undefined;
});

/** Runs `loops` call loops of operator.add, each checking its answer, until `stop()`. */
function load(p: Pool, tally: Tally, loops: number) {
  let running = true;
  const all = Array.from({ length: loops }, async (_, loop) => {
    for (let i = 0; running; i++) {
      const a = loop * 100_000 + i;
      await tally.track(p.invoke(add(a, 7)), (r) => unpack(r.value) === a + 7);
    }
  });
  return {
    stop: () => {
      running = false;
      return Promise.all(all);
    },
  };
}

describe("crashes", () => {
  it("20 SIGKILLs of workers under load: no call lost or wrong, and the pool returns to full size", async () => {
    const events: PoolEvent[] = [];
    pool = await createPool({ python, size: 4, env, ...fast, onEvent: (e) => events.push(e) });
    const p = pool;
    const tally = new Tally();
    const calls = load(p, tally, 64);
    const killed: number[] = [];
    const dir = runDirOf(p.workers[0]!.id);
    for (let k = 0; k < 20; k++) {
      await sleep(300 + Math.random() * 200);
      const live = p.workers;
      if (live.length === 0) continue;
      const victim = live[Math.floor(Math.random() * live.length)]!;
      process.kill(victim.pid, "SIGKILL");
      killed.push(victim.pid);
    }
    const lastKill = performance.now();
    await expect.poll(() => p.workers.length === 4 && !p.workers.some((w) => killed.includes(w.pid)), { timeout: 20_000 }).toBe(true);
    const recoveryMs = Math.round(performance.now() - lastKill);
    // Calls keep flowing once the storm is over.
    const before = tally.succeeded;
    await expect.poll(() => tally.succeeded - before, { timeout: 10_000 }).toBeGreaterThan(1000);
    await calls.stop();
    const lost = await tally.lost(10_000);
    const { started, restarts, crashed, startFailures } = p.stats();
    report("20 SIGKILLs, 64 call loops, 4 workers", { ...tally.figures(lost), kills: killed.length, recoveryMs, started, restarts, crashed, startFailures });

    expect(killed.length).toBe(20);
    expect(p.workers).toHaveLength(4);
    expect(lost).toBe(0);
    expect(tally.wrong).toBe(0);
    expect(Object.keys(tally.rejected).filter((code) => code !== "worker_crashed")).toEqual([]);
    expect(tally.succeeded).toBeGreaterThan(0);
    // Deaths from outside are not failed starts: the breaker never opened.
    expect(events.filter((e) => e.type === "breaker_open")).toEqual([]);
    expect(p.stats().startFailures).toBe(0);
    for (const pid of killed) expect(alive(pid)).toBe(false);
    // Dead workers' sockets were removed at once: only the live workers' remain.
    const sockets = readdirSync(dir).filter((f) => f.endsWith(".sock")).sort();
    expect(sockets).toEqual(p.workers.map((w) => `${w.id}.sock`).sort());
  }, 90_000);

  it("os._exit inside a call: that call and its worker's others reject with worker_crashed, the rest succeed", async () => {
    pool = await createPool({ python, size: 2, env, ...fast });
    const p = pool;
    const tally = new Tally();
    const calls = load(p, tally, 8);
    await expect.poll(() => tally.succeeded, { timeout: 10_000 }).toBeGreaterThan(100);
    const victim = p.workers[0]!;
    const exit = (await tally.track(p.invoke(fixture("exit_now", 3), { workerId: victim.id }))) as BridgeError;
    await expect.poll(() => p.workers.length === 2 && !p.workers.some((w) => w.id === victim.id), { timeout: 10_000 }).toBe(true);
    const after = tally.succeeded;
    await expect.poll(() => tally.succeeded - after, { timeout: 10_000 }).toBeGreaterThan(100);
    await calls.stop();
    const lost = await tally.lost(10_000);
    report("os._exit(3) in a call, 8 call loops, 2 workers", tally.figures(lost));

    expect(exit).toBeInstanceOf(BridgeError);
    expect(exit.code).toBe("worker_crashed");
    expect(exit.details).toMatchObject({ worker: victim.id, pid: victim.pid, exitCode: 3 });
    expect(lost).toBe(0);
    expect(tally.wrong).toBe(0);
    expect(Object.keys(tally.rejected)).toEqual(["worker_crashed"]);
    expect(alive(victim.pid)).toBe(false);
  });

  it("a segfault: worker_crashed with SIGSEGV, the worker replaced", async () => {
    pool = await createPool({ python, size: 2, env, ...fast });
    const p = pool;
    const tally = new Tally();
    const calls = load(p, tally, 8);
    const victim = p.workers[1]!;
    const crash = (await tally.track(p.invoke(fixture("segfault"), { workerId: victim.id }))) as BridgeError;
    await expect.poll(() => p.workers.length === 2 && !p.workers.some((w) => w.id === victim.id), { timeout: 10_000 }).toBe(true);
    const after = tally.succeeded;
    await expect.poll(() => tally.succeeded - after, { timeout: 10_000 }).toBeGreaterThan(100);
    await calls.stop();
    const lost = await tally.lost(10_000);
    report("segfault in a call, 8 call loops, 2 workers", tally.figures(lost));

    expect(crash.code).toBe("worker_crashed");
    expect(crash.details).toMatchObject({ worker: victim.id, signal: "SIGSEGV" });
    expect(crash.message).toMatch(/SIGSEGV/);
    expect(lost).toBe(0);
    expect(tally.wrong).toBe(0);
    expect(Object.keys(tally.rejected)).toEqual(["worker_crashed"]);
  });
});

describe("capacity", () => {
  it("20 hung sync calls past their deadline, then 24 plain calls: all settle, the stuck workers are recycled", async () => {
    const events: PoolEvent[] = [];
    // 2 threads per worker: 20 hangs leave every worker with all its threads stuck.
    pool = await createPool({ python, size: 4, threads: 2, env, ...fast, onEvent: (e) => events.push(e) });
    const p = pool;
    const tally = new Tally();
    const firstIds = p.workers.map((w) => w.id);
    // time.sleep cannot be interrupted: every one that started stays stuck in its thread.
    const hangs = Array.from({ length: 20 }, () => tally.track(p.invoke({ op: "call", target: "time.sleep", args: args(3600) }, { timeoutMs: 500 })));
    const hung = await Promise.all(hangs);
    // Each worker reports its threads still running calls whose deadline fired: both of
    // them, and no more (the calls queued behind them, past their deadline too, never start).
    await expect.poll(() => p.stats().workers.map((w) => w.stuckThreads), { timeout: 5000 }).toEqual([2, 2, 2, 2]);
    const stuckPerWorker = p.stats().workers.map((w) => w.stuckThreads);
    // No worker has a free thread now: the plain calls wait on the host for replacements.
    const plain = Array.from({ length: 24 }, (_, i) => tally.track(p.invoke(add(i, 1)), (r) => unpack(r.value) === i + 1));
    await Promise.all(plain);
    const lost = await tally.lost(1000);
    await expect.poll(() => p.workers.length, { timeout: 10_000 }).toBe(4);
    report("20 hung time.sleep(3600) calls (timeoutMs 500), then 24 plain calls, 4 workers x 2 threads", {
      ...tally.figures(lost),
      stuckPerWorker,
      recycled: p.stats().recycled,
    });

    expect(hung.every((e) => e instanceof BridgeError && e.code === "deadline_exceeded")).toBe(true);
    expect(stuckPerWorker).toEqual([2, 2, 2, 2]); // spread, not piled on one worker
    expect(lost).toBe(0);
    expect(tally.succeeded).toBe(24);
    // Every worker was recycled for its stuck calls, and replaced.
    const recycled = events.filter((e) => e.type === "worker_recycling");
    expect(recycled.map((e) => e.worker.id).sort()).toEqual([...firstIds].sort());
    expect(recycled.every((e) => /cancelled call/.test(e.reason))).toBe(true);
    expect(p.workers.every((w) => !firstIds.includes(w.id))).toBe(true);
  }, 60_000);

  it("hung calls one after another are spread by the workers' real load", async () => {
    // Heartbeats only every second: routing must not wait for one to know a worker's
    // thread is still stuck in a call whose deadline just fired.
    pool = await createPool({ python, size: 4, env, ...fast, heartbeatMs: 1000, unresponsiveMs: 10_000, stuckGraceMs: 60_000 });
    const p = pool;
    // Each hang is issued after the previous one's deadline fired, so no call in flight
    // tells the workers apart: what the host abandoned, then what the workers report, must.
    for (let i = 0; i < 8; i++) {
      const error = (await p.invoke({ op: "call", target: "time.sleep", args: args(3600) }, { timeoutMs: 100 }).catch((e: unknown) => e)) as BridgeError;
      expect(error.code).toBe("deadline_exceeded");
    }
    await expect.poll(() => p.stats().workers.reduce((sum, w) => sum + w.stuckThreads, 0), { timeout: 5000 }).toBe(8);
    expect(p.stats().workers.map((w) => w.stuckThreads)).toEqual([2, 2, 2, 2]);
  });

  it("a bounded queue: calls beyond maxQueue reject with resource_exhausted, and queued calls time out after queueTimeoutMs", async () => {
    pool = await createPool({ python, size: 1, threads: 1, env, ...fast, maxQueue: 4, queueTimeoutMs: 300, stuckGraceMs: 60_000 });
    const p = pool;
    // The worker's only thread is stuck: it gets no calls, which wait on the host.
    const hang = await p.invoke({ op: "call", target: "time.sleep", args: args(3600) }, { timeoutMs: 100 }).catch((e: unknown) => e);
    expect((hang as BridgeError).code).toBe("deadline_exceeded");
    await expect.poll(() => p.stats().workers[0]?.stuckThreads, { timeout: 5000 }).toBe(1);
    const tally = new Tally();
    const waiting = Array.from({ length: 6 }, (_, i) => tally.track(p.invoke(add(i, 1))));
    expect(p.stats()).toMatchObject({ queued: 4, busyWorkers: 0, idleWorkers: 1 });
    const outcomes = await Promise.all(waiting);
    const lost = await tally.lost(1000);
    report("maxQueue 4, queueTimeoutMs 300, 6 calls while no worker has a free thread", tally.figures(lost));
    expect(outcomes.map((e) => (e as BridgeError).code)).toEqual(Array(6).fill("resource_exhausted"));
    expect((outcomes[5] as BridgeError).message).toMatch(/maxQueue 4/);
    expect((outcomes[0] as BridgeError).message).toMatch(/queueTimeoutMs/);
    expect(lost).toBe(0);
    expect(p.stats().queued).toBe(0);
  });
});

describe("health", () => {
  it("a GIL-holding C call: the silent worker is detected, killed and replaced; its calls reject with worker_crashed", async () => {
    const events: PoolEvent[] = [];
    pool = await createPool({ python, size: 2, env, ...fast, onEvent: (e) => events.push(e) });
    const p = pool;
    const victim = p.workers[0]!;
    const tally = new Tally();
    // sum(range(4 * 10**9)) runs in C with the GIL held for minutes: no heartbeat can be sent.
    const frozen = tally.track(p.invoke(fixture("sum_range", 4 * 10 ** 9), { workerId: victim.id }));
    const calls = load(p, tally, 4);
    const error = (await frozen) as BridgeError;
    await expect.poll(() => p.workers.length === 2 && !p.workers.some((w) => w.id === victim.id), { timeout: 10_000 }).toBe(true);
    await calls.stop();
    const lost = await tally.lost(10_000);
    const silent = events.find((e) => e.type === "worker_unresponsive");
    report("sum(range(4 * 10**9)) holding the GIL, unresponsiveMs 1500, 4 call loops, 2 workers", {
      ...tally.figures(lost),
      silentMs: silent?.type === "worker_unresponsive" ? silent.silentMs : undefined,
    });

    expect(error.code).toBe("worker_crashed");
    expect(error.message).toMatch(/no heartbeat/);
    expect(error.details).toMatchObject({ worker: victim.id, unresponsive: true });
    expect(silent).toMatchObject({ worker: { id: victim.id } });
    expect(lost).toBe(0);
    expect(tally.wrong).toBe(0);
    expect(alive(victim.pid)).toBe(false);
  });

  it("a GIL held for less than unresponsiveMs: calls made meanwhile go elsewhere, and the worker is not killed", async () => {
    pool = await createPool({ python, size: 2, env, ...fast, unresponsiveMs: 20_000 });
    const p = pool;
    const [busy, other] = p.workers;
    let heldDone = false;
    const held = p.invoke(fixture("hold_gil", 3), { workerId: busy!.id }).finally(() => (heldDone = true));
    // Its heartbeats are late now (3 periods): routing sends new calls to the other one.
    await expect.poll(() => p.stats().workers.find((w) => w.id === busy!.id)!.silentMs, { timeout: 5000 }).toBeGreaterThan(500);
    const tally = new Tally();
    const calls = await Promise.all(Array.from({ length: 50 }, (_, i) => tally.track(p.invoke(add(i, 1)), (r) => unpack(r.value) === i + 1)));
    expect(heldDone).toBe(false); // all answered while the GIL was still held
    expect(calls.every((r) => !(r instanceof BridgeError) && r.workerId === other!.id)).toBe(true);
    expect(unpack((await held).value)).toBe(null);
    expect(p.workers.map((w) => w.id)).toEqual([busy!.id, other!.id]); // not killed: it was only busy
    report("hold_gil(3 s) with unresponsiveMs 20000, 50 calls made meanwhile, 2 workers", { ...tally.figures(await tally.lost(1000)), killed: 0 });
  });

  it("a stopped worker (SIGSTOP) is killed and replaced", async () => {
    pool = await createPool({ python, size: 1, env, ...fast });
    const p = pool;
    const victim = p.workers[0]!;
    const g = gate();
    const held = p.invoke(fixture("wait_for_file", g.path)).catch((e: unknown) => e);
    await expect.poll(g.started, { timeout: 5000 }).toBe(true);
    process.kill(victim.pid, "SIGSTOP");
    const error = (await held) as BridgeError;
    expect(error.code).toBe("worker_crashed");
    expect(error.details).toMatchObject({ unresponsive: true });
    expect(unpack((await p.invoke(add(2, 3))).value)).toBe(5);
    expect(p.workers[0]!.id).not.toBe(victim.id);
    await expect.poll(() => alive(victim.pid), { timeout: 5000 }).toBe(false);
  });
});

describe("recycling", () => {
  it("above the RSS limit (measured on the Python process): recycled, its call in flight finishes", async () => {
    const events: PoolEvent[] = [];
    const limit = 160 * 2 ** 20;
    pool = await createPool({ python, size: 1, env, ...fast, recycle: { maxRssBytes: limit }, onEvent: (e) => events.push(e) });
    const p = pool;
    const old = p.workers[0]!;
    const g = gate();
    const inFlight = p.invoke(fixture("wait_for_file", g.path));
    await expect.poll(g.started, { timeout: 5000 }).toBe(true);
    const pid = unpack((await p.invoke(fixture("hog", 200))).value);
    expect(pid).toBe(old.pid);
    const rss = rssOf(old.pid);
    await expect.poll(() => events.some((e) => e.type === "worker_recycling"), { timeout: 5000 }).toBe(true);
    await expect.poll(() => p.workers[0]?.id !== old.id, { timeout: 10_000 }).toBe(true);
    // The new worker serves while the old one still finishes its call.
    expect(unpack((await p.invoke(add(2, 3))).value)).toBe(5);
    expect(alive(old.pid)).toBe(true);
    g.open();
    expect(unpack((await inFlight).value)).toBe(true);
    await expect.poll(() => alive(old.pid), { timeout: 5000 }).toBe(false);
    const recycling = events.find((e) => e.type === "worker_recycling");
    report("200 MiB hog, maxRssBytes 160 MiB", { rssMiB: Math.round(rss / 2 ** 20), reason: recycling?.type === "worker_recycling" ? recycling.reason : "" });
    expect(rss).toBeGreaterThan(limit);
    expect(recycling).toMatchObject({ worker: { id: old.id }, reason: expect.stringMatching(/RSS/) as unknown });
    expect(p.stats().recycled).toBe(1);
  });

  it("after maxCalls and after maxAgeMs, with no call dropped", async () => {
    pool = await createPool({ python, size: 2, env, ...fast, recycle: { maxCalls: 50 } });
    const tally = new Tally();
    const calls = load(pool, tally, 8);
    await expect.poll(() => pool!.stats().recycled, { timeout: 20_000 }).toBeGreaterThanOrEqual(6);
    await calls.stop();
    const lost = await tally.lost(5000);
    report("maxCalls 50, 8 call loops, 2 workers", { ...tally.figures(lost), recycled: pool.stats().recycled });
    expect(lost).toBe(0);
    expect(tally.succeeded).toBe(tally.attempted);
    await pool.close();

    pool = await createPool({ python, size: 2, env, ...fast, recycle: { maxAgeMs: 400 } });
    const aged = new Tally();
    const more = load(pool, aged, 8);
    await expect.poll(() => pool!.stats().recycled, { timeout: 20_000 }).toBeGreaterThanOrEqual(4);
    await more.stop();
    const lostAged = await aged.lost(5000);
    report("maxAgeMs 400, 8 call loops, 2 workers", { ...aged.figures(lostAged), recycled: pool.stats().recycled });
    expect(lostAged).toBe(0);
    expect(aged.succeeded).toBe(aged.attempted);
  }, 60_000);
});

describe("restarts", () => {
  it("a crash-looping worker: the breaker opens (fast failures with its stderr), then recovers once fixed", async () => {
    const flag = join(scratch, "crash");
    const events: Array<PoolEvent & { at: number }> = [];
    pool = await createPool({
      python,
      size: 2,
      ...fast,
      env: { PYTHONPATH: [join(fixtures, "crashloop"), fixtures].join(delimiter), BRIDGE_TEST_CRASH_FILE: flag },
      onEvent: (e) => events.push({ ...e, at: performance.now() }),
    });
    const p = pool;
    writeFileSync(flag, "");
    for (const worker of p.workers) process.kill(worker.pid, "SIGKILL");
    await expect.poll(() => events.filter((e) => e.type === "breaker_open").length, { timeout: 10_000 }).toBe(2);
    const opened = performance.now();
    // With every slot's breaker open, calls fail fast and say why.
    const failed = (await p.invoke(add(1, 1)).catch((e: unknown) => e)) as BridgeError;
    expect(failed.code).toBe("unavailable");
    expect(failed.message).toMatch(/crash-loop fixture: refusing to start/);
    // Fixed: the half-open breaker tries again and the pool returns to full size.
    rmSync(flag);
    const fixed = performance.now();
    await expect.poll(() => p.workers.length, { timeout: 10_000 }).toBe(2);
    const recoveredMs = Math.round(performance.now() - fixed);
    expect(unpack((await p.invoke(add(2, 3))).value)).toBe(5);
    const failures = events.filter((e) => e.type === "worker_start_failed");
    report("crash loop (exit 3 at startup) on 2 workers, breaker 3 failures / 300 ms", {
      startFailures: failures.length,
      openedAfterMs: Math.round(opened - events.find((e) => e.type === "worker_exited")!.at),
      recoveredAfterFixMs: recoveredMs,
      breakerClosed: events.filter((e) => e.type === "breaker_closed").length,
    });
    expect(failures.length).toBeGreaterThanOrEqual(6);
    expect(events.filter((e) => e.type === "breaker_closed").length).toBe(2);
  }, 30_000);
});

describe("orphans and litter", () => {
  const tsx = createRequire(fileURLToPath(new URL("../package.json", import.meta.url))).resolve("tsx");
  const child = (mode: "hang" | "close") =>
    spawn(process.execPath, ["--conditions=@bridge/source", "--import", pathToFileURL(tsx).href, join(fixtures, "host-child.ts"), mode], {
      env: { ...process.env, BRIDGE_PYTHON: python },
      stdio: ["ignore", "pipe", "pipe"],
    });
  const lines = (proc: ChildProcess) => createInterface({ input: proc.stdout! })[Symbol.asyncIterator]();

  it("SIGKILL of the host: no worker alive 2 s later, and the next pool removes the dead run's directory", async () => {
    const host = child("hang");
    const first = await lines(host).next();
    const { pids } = JSON.parse(first.value as string) as { pids: number[] };
    const base = join(tmpdir(), `bridge-${process.getuid!()}`);
    const runDirs = () => readdirSync(base).filter((d) => d.startsWith(`${host.pid!.toString(36)}-`));
    expect(runDirs()).toHaveLength(1);
    expect(pids.every(alive)).toBe(true);
    const killedAt = performance.now();
    host.kill("SIGKILL");
    await expect.poll(() => pids.some(alive), { timeout: 2000, interval: 20 }).toBe(false);
    const goneMs = Math.round(performance.now() - killedAt);
    expect(runDirs()).toHaveLength(1); // the dead host could not clean up...
    pool = await createPool({ python });
    expect(runDirs()).toEqual([]); // ...the next pool did
    report("host SIGKILL with 2 workers", { workersGoneAfterMs: goneMs, leftoverRunDirs: runDirs().length });
  });

  it("refuses a run directory base that is not this user's own directory", async () => {
    const tmp = join(scratch, "tmp");
    const elsewhere = join(scratch, "elsewhere");
    mkdirSync(elsewhere, { recursive: true });
    mkdirSync(tmp, { recursive: true });
    symlinkSync(elsewhere, join(tmp, `bridge-${process.getuid!()}`));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const error = (await createPool({ python }).catch((e: unknown) => e)) as BridgeError;
      expect(error.code).toBe("unavailable");
      expect(error.message).toMatch(/not a directory owned by this user/);
      expect(readdirSync(elsewhere)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
  });

  it("a script that awaits pool.close() runs to its end", async () => {
    const host = child("close");
    const out: string[] = [];
    for await (const line of createInterface({ input: host.stdout })) out.push(line);
    const code = await new Promise<number | null>((r) => (host.exitCode === null ? host.once("exit", r) : r(host.exitCode)));
    expect(out.slice(1)).toEqual(["result 5", "closed"]);
    expect(code).toBe(0);
    const { pids } = JSON.parse(out[0]!) as { pids: number[] };
    expect(pids.some(alive)).toBe(false);
  });

  it("close({ drainMs }) lets calls finish, answers the rest unavailable, and kills what will not stop", async () => {
    pool = await createPool({ python, size: 2, env, ...fast });
    const [a, b] = pool.workers;
    const dir = runDirOf(a!.id);
    const quick = pool.invoke({ op: "call", target: "time.sleep", args: args(0.2) }, { workerId: a!.id });
    const endless = pool.invoke({ op: "call", target: "time.sleep", args: args(3600) }, { workerId: a!.id }).catch((e: unknown) => e);
    const frozen = pool.invoke(fixture("hold_gil", 3600), { workerId: b!.id }).catch((e: unknown) => e);
    await sleep(100);
    await pool.close({ drainMs: 500 });
    expect(unpack((await quick).value)).toBe(null);
    expect(((await endless) as BridgeError).code).toBe("unavailable");
    expect(((await frozen) as BridgeError).code).toBe("unavailable");
    expect(alive(a!.pid)).toBe(false);
    expect(alive(b!.pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    pool = undefined;
  });
});

describe("authenticated sockets", () => {
  it("socket files are 0600 and the run directory 0700 whatever the umask", async () => {
    const old = process.umask(0);
    try {
      pool = await createPool({ python, transport: "grpc" });
    } finally {
      process.umask(old);
    }
    const id = pool.workers[0]!.id;
    const dir = runDirOf(id);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, `${id}.sock`)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, `${id}.sock.grpc`)).mode & 0o777).toBe(0o600);
  });

  it("a lane connection without the worker's token is refused before any call runs", async () => {
    pool = await createPool({ python, env });
    const id = pool.workers[0]!.id;
    const socket = join(runDirOf(id), `${id}.sock`);
    const attempt = async (frames: Parameters<typeof encodeHostMessage>[0]) => {
      let answers = 0;
      const closed = new Promise<void>((resolve) => {
        void LaneConnection.open(
          socket,
          (envelope, buffers) => void (answers += decodeWorkerMessage(envelope, buffers).length),
          () => resolve(),
        ).then((lane) => {
          const { envelope, trailer } = encodeHostMessage(frames);
          lane.send(envelope, trailer);
        });
      });
      let timer: NodeJS.Timeout | undefined;
      const kept = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error("the worker kept the connection open")), 10_000)));
      await Promise.race([closed, kept]).finally(() => clearTimeout(timer)); // the worker closed the connection
      return answers;
    };
    const noHandshake = join(scratch, "no-handshake");
    const wrongToken = join(scratch, "wrong-token");
    expect(await attempt([{ kind: "invoke", id: 1, ...fixture("touch", noHandshake) }])).toBe(0);
    const { create } = await import("@bufbuild/protobuf");
    const { HandshakeRequestSchema, PROTOCOL_VERSION } = await import("@bridge/protocol");
    const handshake = create(HandshakeRequestSchema, { protocolVersion: PROTOCOL_VERSION, token: "not-the-token" });
    expect(await attempt([{ kind: "handshake", id: 1, request: handshake }, { kind: "invoke", id: 2, ...fixture("touch", wrongToken) }])).toBe(0);
    // The worker is unharmed and the calls never ran.
    expect(unpack((await pool.invoke(fixture("touch", join(scratch, "with-token")))).value)).toBe(true);
    expect(existsSync(join(scratch, "with-token"))).toBe(true);
    expect(existsSync(noHandshake)).toBe(false);
    expect(existsSync(wrongToken)).toBe(false);
  });

  it("a gRPC connection without the token is refused (UNAUTHENTICATED); health needs none", async () => {
    pool = await createPool({ python, env, transport: "grpc" });
    const id = pool.workers[0]!.id;
    const grpc = await import("@grpc/grpc-js");
    const client = new grpc.Client(`unix:${join(runDirOf(id), `${id}.sock.grpc`)}`, grpc.credentials.createInsecure());
    const identity = (b: Buffer) => b;
    const unary = (method: string, metadata = new grpc.Metadata()) =>
      new Promise<{ code: number; bytes?: Buffer }>((resolve) =>
        client.makeUnaryRequest(method, identity, identity, Buffer.alloc(0), metadata, (error, bytes) =>
          resolve(error ? { code: error.code } : { code: 0, bytes: bytes! }),
        ),
      );
    const bad = new grpc.Metadata();
    bad.set("authorization", "Bearer not-the-token");
    expect((await unary("/bridge.v1.WorkerService/Handshake")).code).toBe(grpc.status.UNAUTHENTICATED);
    expect((await unary("/bridge.v1.WorkerService/Handshake", bad)).code).toBe(grpc.status.UNAUTHENTICATED);
    const health = await unary("/grpc.health.v1.Health/Check");
    expect(health.code).toBe(0);
    expect([...health.bytes!]).toEqual([0x08, 0x01]); // status: SERVING
    client.close();
  });
});

describe("remote workers", () => {
  const token = "remote-test-token";
  /** A free TCP port on loopback. */
  const freePort = () =>
    new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });
  /** `python -m bridge_worker serve --listen 127.0.0.1:<port>`, started as its own process. */
  async function serve(port: number, extra: string[] = []) {
    const tokenFile = join(scratch, "token");
    writeFileSync(tokenFile, token, { mode: 0o600 });
    const proc = spawn(python, ["-m", "bridge_worker", "serve", "--listen", `127.0.0.1:${port}`, "--token-file", tokenFile, "--heartbeat-ms", "100", ...extra], {
      env: { ...process.env, PYTHONPATH: [bundledWorkerPath(), fixtures].join(delimiter) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    proc.stderr.on("data", (chunk: Buffer) => logs.push(chunk.toString()));
    const ready = await createInterface({ input: proc.stdout })[Symbol.asyncIterator]().next();
    const line = JSON.parse(ready.value as string) as { pid: number; grpc: string };
    return { proc, pid: line.pid, address: line.grpc };
  }
  const servers: ChildProcess[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.kill("SIGKILL");
  });

  for (const mode of ["plaintext", "tls"] as const) {
    it(`serves calls over ${mode}, rejects the calls of a killed worker, and reconnects once it listens again`, async () => {
      let tls: { ca: string } | undefined;
      let extra: string[] = [];
      if (mode === "tls") {
        const key = join(scratch, "key.pem");
        const cert = join(scratch, "cert.pem");
        execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], { stdio: "ignore" });
        tls = { ca: readFileSync(cert, "utf8") };
        extra = ["--tls-cert", cert, "--tls-key", key];
      }
      const port = await freePort();
      const first = await serve(port, extra);
      servers.push(first.proc);
      const events: PoolEvent[] = [];
      pool = await createPool({
        python,
        ...fast,
        endpoints: [{ address: first.address, token, ...(tls ? { tls } : {}) }],
        onEvent: (e) => events.push(e),
      });
      const p = pool;
      const tally = new Tally();
      expect(p.workers[0]).toMatchObject({ pid: first.pid, transport: "grpc", address: first.address });
      for (let i = 0; i < 50; i++) await tally.track(p.invoke(add(i, 1)), (r) => unpack(r.value) === i + 1);
      // Heartbeats arrive over gRPC too.
      await expect.poll(() => p.stats().workers[0]?.rssBytes ?? 0, { timeout: 5000 }).toBeGreaterThan(0);
      const g = gate();
      const held = tally.track(p.invoke(fixture("wait_for_file", g.path)));
      await expect.poll(g.started, { timeout: 5000 }).toBe(true);
      first.proc.kill("SIGKILL");
      const killedAt = performance.now();
      const error = (await held) as BridgeError;
      expect(error.code).toBe("worker_crashed");
      // A call made while nothing listens waits (or fails fast once the breaker opens).
      const during = tally.track(p.invoke(add(2, 3)));
      const second = await serve(port, extra);
      servers.push(second.proc);
      await expect.poll(() => p.workers[0]?.pid, { timeout: 15_000 }).toBe(second.pid);
      const reconnectedMs = Math.round(performance.now() - killedAt);
      await during;
      for (let i = 0; i < 50; i++) await tally.track(p.invoke(add(i, 2)), (r) => unpack(r.value) === i + 2);
      const lost = await tally.lost(5000);
      report(`remote worker on loopback (${mode}), killed and restarted`, { ...tally.figures(lost), reconnectedMs });
      expect(lost).toBe(0);
      expect(tally.wrong).toBe(0);
      expect(tally.succeeded).toBeGreaterThanOrEqual(100);
      // Closing the pool leaves the remote worker running: the orchestrator owns it.
      await p.close();
      pool = undefined;
      expect(alive(second.pid)).toBe(true);
    }, 45_000);
  }

  it("a stopped remote worker is dropped as unresponsive, and reconnected once it runs again", async () => {
    const port = await freePort();
    const server = await serve(port);
    servers.push(server.proc);
    const events: PoolEvent[] = [];
    pool = await createPool({ python, ...fast, startTimeoutMs: 2000, endpoints: [{ address: server.address, token }], onEvent: (e) => events.push(e) });
    const p = pool;
    const first = p.workers[0]!.id;
    const g = gate();
    const held = p.invoke(fixture("wait_for_file", g.path)).catch((e: unknown) => e);
    await expect.poll(g.started, { timeout: 5000 }).toBe(true);
    process.kill(server.pid, "SIGSTOP");
    const error = (await held) as BridgeError;
    expect(error.code).toBe("worker_crashed");
    expect(error.details).toMatchObject({ unresponsive: true });
    process.kill(server.pid, "SIGCONT");
    g.open();
    await expect.poll(() => p.workers[0]?.id !== undefined && p.workers[0].id !== first, { timeout: 15_000 }).toBe(true);
    expect(p.workers[0]!.pid).toBe(server.pid); // the same process, reconnected
    expect(unpack((await p.invoke(add(2, 3))).value)).toBe(5);
    expect(events.some((e) => e.type === "worker_unresponsive")).toBe(true);
  }, 30_000);

  it("a pool started before its remote worker waits for it to listen", async () => {
    const port = await freePort();
    const starting = createPool({ python, ...fast, startTimeoutMs: 20_000, endpoints: [{ address: `127.0.0.1:${port}`, token }] });
    await sleep(300); // nothing listens yet: the first connection attempts fail
    const server = await serve(port);
    servers.push(server.proc);
    pool = await starting;
    expect(pool.workers[0]!.pid).toBe(server.pid);
    expect(unpack((await pool.invoke(add(2, 3))).value)).toBe(5);
  });

  it("a remote worker refuses a pool with the wrong token", async () => {
    const port = await freePort();
    const server = await serve(port);
    servers.push(server.proc);
    const error = (await createPool({ python, ...fast, startTimeoutMs: 5000, endpoints: [{ address: server.address, token: "wrong" }] }).catch(
      (e: unknown) => e,
    )) as BridgeError;
    expect(error).toBeInstanceOf(BridgeError);
    expect(error.code).toBe("unavailable");
    expect(error.message).toMatch(/token|UNAUTHENTICATED/i);
  });
});
