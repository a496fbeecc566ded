/** One way of making a call: resolves when the round trip is done. */
export type CallFn = (a: number, b: number) => Promise<unknown>;

/** Latency percentiles (µs) of sequential calls and throughput at several concurrencies. */
export interface Measurement {
  name: string;
  p50Us: number;
  p99Us: number;
  throughput: Record<number, number>;
}

export const CONCURRENCIES = [1, 16, 64] as const;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;
}

/** Warms up, then measures sequential latency and throughput for `call`. */
export async function measure(name: string, call: CallFn, scale = 1): Promise<Measurement> {
  for (let i = 0; i < 1000; i++) await check(call, i);
  const samples: number[] = [];
  for (let i = 0; i < Math.round(3000 * scale); i++) {
    const start = process.hrtime.bigint();
    await check(call, i);
    samples.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  samples.sort((x, y) => x - y);
  const throughput: Record<number, number> = {};
  for (const concurrency of CONCURRENCIES) {
    const total = Math.round((concurrency === 1 ? 3000 : 30_000) * scale);
    let issued = 0;
    const start = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (issued < total) await check(call, issued++);
      }),
    );
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    throughput[concurrency] = total / seconds;
  }
  return { name, p50Us: percentile(samples, 50), p99Us: percentile(samples, 99), throughput };
}

async function check(call: CallFn, i: number): Promise<void> {
  const result = await call(i, 1);
  if (result !== i + 1) throw new Error(`wrong result ${String(result)} for ${i} + 1`);
}

/** Markdown table of measurements. */
export function table(rows: Measurement[]): string {
  const head = `| path | p50 µs | p99 µs | ${CONCURRENCIES.map((c) => `calls/s @${c}`).join(" | ")} |`;
  const rule = `|---|---:|---:|${CONCURRENCIES.map(() => "---:").join("|")}|`;
  const body = rows.map(
    (r) =>
      `| ${r.name} | ${r.p50Us.toFixed(0)} | ${r.p99Us.toFixed(0)} | ${CONCURRENCIES.map((c) => Math.round(r.throughput[c]!).toLocaleString("en-US")).join(" | ")} |`,
  );
  return [head, rule, ...body].join("\n");
}
