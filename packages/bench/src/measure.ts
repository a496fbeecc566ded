import { readdirSync, readFileSync } from "node:fs";
import type { System } from "./systems.js";

/** Concurrency levels of the throughput columns. */
export const CONCURRENCIES = [1, 16, 64, 256] as const;

/** What one child process measures of one system (undefined: not supported or failed). */
export interface Measurement {
  p50Us?: number | undefined;
  p99Us?: number | undefined;
  throughput?: Record<number, number> | undefined;
  bytesMBps?: number | undefined;
  float64MBps?: number | undefined;
  idleRssMB?: number | undefined;
  afterLargeRssMB?: number | undefined;
  fairP99Ms?: number | undefined;
  callbackUs?: number | undefined;
  streamItemUs?: number | undefined;
  /** CPU time per call at 64 in flight: this Node process, and its child processes (Python). */
  hostCpuUs?: number | undefined;
  childCpuUs?: number | undefined;
  errors?: string[] | undefined;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

async function check(system: System, i: number): Promise<void> {
  const result = await system.add(i, 1);
  if (result !== i + 1) throw new Error(`wrong result ${String(result)} for ${i} + 1`);
}

/** Sequential latency after warm-up: p50 and p99 in µs. */
export async function latency(system: System, scale: number): Promise<{ p50Us: number; p99Us: number }> {
  for (let i = 0; i < Math.round(3000 * scale); i++) await check(system, i);
  const samples: number[] = [];
  for (let i = 0; i < Math.round(5000 * scale); i++) {
    const start = process.hrtime.bigint();
    await check(system, i);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  samples.sort((x, y) => x - y);
  return { p50Us: percentile(samples, 50), p99Us: percentile(samples, 99) };
}

/** Calls per second with `concurrency` calls in flight. */
export async function throughput(system: System, concurrency: number, scale: number): Promise<number> {
  const total = Math.round((concurrency === 1 ? 5000 : 40_000) * scale);
  let issued = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (issued < total) await check(system, issued++);
    }),
  );
  return total / (Number(process.hrtime.bigint() - start) / 1e9);
}

/** CPU ticks (1/100 s) used so far by every descendant process of this one (Linux). */
function descendantsCpuTicks(): number {
  let ticks = 0;
  const visit = (pid: number) => {
    let tids: string[] = [];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      return;
    }
    for (const tid of tids) {
      let children = "";
      try {
        children = readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8");
      } catch {
        continue;
      }
      for (const child of children.split(" ").filter(Boolean).map(Number)) {
        try {
          // Fields 14 and 15 (utime, stime) after the parenthesized command name.
          const stat = readFileSync(`/proc/${child}/stat`, "utf8");
          const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
          ticks += Number(fields[11]) + Number(fields[12]);
        } catch {
          // the child exited
        }
        visit(child);
      }
    }
  };
  visit(process.pid);
  return ticks;
}

/** CPU µs per call with 64 calls in flight, on the host and in its child processes. */
export async function cpuPerCall(system: System, scale: number): Promise<{ hostCpuUs: number; childCpuUs: number }> {
  const total = Math.round(80_000 * scale);
  const host = process.cpuUsage();
  const child = descendantsCpuTicks();
  let issued = 0;
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (issued < total) await check(system, issued++);
    }),
  );
  const used = process.cpuUsage(host);
  return { hostCpuUs: (used.user + used.system) / total, childCpuUs: ((descendantsCpuTicks() - child) * 10_000) / total };
}

/** MB/s of a round trip (both directions counted) of `size` bytes. */
export async function echoRate<T extends ArrayBufferView>(echo: (data: T) => Promise<T>, make: () => T, rounds: number): Promise<number> {
  const data = make();
  const first = await echo(data); // warm-up (and a check)
  if (first.byteLength !== data.byteLength) throw new Error(`echoed ${first.byteLength} bytes of ${data.byteLength}`);
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await echo(data);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (2 * data.byteLength * rounds) / seconds / 1e6;
}

/** A process's resident set size in MB (Linux). */
export function rssMB(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = /^VmRSS:\s+(\d+)/m.exec(status)?.[1];
    return kb ? Number(kb) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** p99 (ms) of 1,000 fast calls made while one call sleeps 1 s on the same worker. */
export async function fairness(system: System): Promise<number> {
  const slow = system.sleep!(1);
  await new Promise((r) => setTimeout(r, 20));
  const samples: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const start = process.hrtime.bigint();
    await check(system, i);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  await slow;
  samples.sort((x, y) => x - y);
  return percentile(samples, 99);
}

/** µs per host callback made from Python. */
export async function callbackCost(system: System, scale: number): Promise<number> {
  const n = Math.round(2000 * scale);
  await system.callbacks!(50);
  const start = process.hrtime.bigint();
  await system.callbacks!(n);
  return Number(process.hrtime.bigint() - start) / 1000 / n;
}

/** µs per streamed item (a Python generator consumed with for await). */
export async function streamCost(system: System, scale: number): Promise<number> {
  const n = Math.round(100_000 * scale);
  await system.stream!(1000);
  const start = process.hrtime.bigint();
  const seen = await system.stream!(n);
  if (seen !== n) throw new Error(`streamed ${seen} of ${n} items`);
  return Number(process.hrtime.bigint() - start) / 1000 / n;
}
