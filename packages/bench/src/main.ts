// `pnpm bench`: Bridge beside the bridges a user would pick instead (pythonia,
// node-calls-python) and a raw stdio floor, in one run, on one interpreter. Each system
// is measured in a fresh Node process, three repetitions interleaved; the table shows
// medians, then Bridge's ratios to pythonia. BENCH_SCALE scales the call counts,
// BENCH_REPS the repetitions, BRIDGE_PYTHON picks the interpreter.
import { execFile } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { CONCURRENCIES, type Measurement } from "./measure.js";
import { SYSTEMS } from "./systems.js";
import { uvNoop } from "./uv-noop.js";

const python = process.env.BRIDGE_PYTHON ?? fileURLToPath(new URL("../../../python/.venv/bin/python", import.meta.url));
const reps = Number(process.env.BENCH_REPS ?? "3");
const child = fileURLToPath(new URL("./child.js", import.meta.url));

interface Row extends Measurement {
  coldMs?: number;
  idleRssMB?: number;
}

function run(index: number, mode: "calls" | "cold"): Promise<Row> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--expose-gc", child, String(index), mode],
      { env: { ...process.env, BRIDGE_PYTHON: python }, timeout: 600_000, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        const line = stdout.trim().split("\n").at(-1) ?? "";
        try {
          resolve(JSON.parse(line) as Row);
        } catch {
          resolve({ errors: [`${mode} run failed: ${error?.message.split("\n")[0] ?? ""} ${stderr.split("\n").slice(-3).join(" ")}`] });
        }
      },
    );
  });
}

const median = (values: Array<number | undefined>): number | undefined => {
  const known = values.filter((v): v is number => v !== undefined && Number.isFinite(v)).sort((a, b) => a - b);
  return known.length ? known[Math.floor(known.length / 2)] : undefined;
};

const samples: Row[][] = SYSTEMS.map(() => []);
for (let rep = 0; rep < reps; rep++) {
  for (let i = 0; i < SYSTEMS.length; i++) {
    const calls = await run(i, "calls");
    const cold = await run(i, "cold");
    samples[i]!.push({ ...calls, ...cold, errors: [...(calls.errors ?? []), ...(cold.errors ?? [])] });
    process.stderr.write(`rep ${rep + 1}/${reps}: ${SYSTEMS[i]!.name} done\n`);
  }
}

const rows = samples.map((runs) => {
  const pick = (f: (r: Row) => number | undefined) => median(runs.map(f));
  return {
    p50Us: pick((r) => r.p50Us),
    p99Us: pick((r) => r.p99Us),
    throughput: Object.fromEntries(CONCURRENCIES.map((c) => [c, pick((r) => r.throughput?.[c])])),
    bytesMBps: pick((r) => r.bytesMBps),
    float64MBps: pick((r) => r.float64MBps),
    coldMs: pick((r) => r.coldMs),
    idleRssMB: pick((r) => r.idleRssMB),
    afterLargeRssMB: pick((r) => r.afterLargeRssMB),
    fairP99Ms: pick((r) => r.fairP99Ms),
    callbackUs: pick((r) => r.callbackUs),
    streamItemUs: pick((r) => r.streamItemUs),
    hostCpuUs: pick((r) => r.hostCpuUs),
    childCpuUs: pick((r) => r.childCpuUs),
    errors: [...new Set(runs.flatMap((r) => r.errors ?? []))],
  };
});

const fmt = (v: number | undefined, digits = 0) => (v === undefined ? "—" : v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const head = [
  "system",
  "p50 µs",
  "p99 µs",
  ...CONCURRENCIES.map((c) => `calls/s @${c}`),
  "64 MiB bytes MB/s",
  "64 MiB float64 MB/s",
  "cold start ms",
  "idle worker RSS MB",
  "RSS after 64 MiB MB",
  "fair p99 ms",
  "callback µs",
  "stream item µs",
  "CPU µs/call @64: Node",
  "CPU µs/call @64: Python",
];
const lines = [`| ${head.join(" | ")} |`, `|---|${head.slice(1).map(() => "---:").join("|")}|`];
rows.forEach((r, i) => {
  lines.push(
    `| ${[
      SYSTEMS[i]!.name,
      fmt(r.p50Us),
      fmt(r.p99Us),
      ...CONCURRENCIES.map((c) => fmt(r.throughput[c])),
      fmt(r.bytesMBps),
      fmt(r.float64MBps),
      fmt(r.coldMs),
      fmt(r.idleRssMB, 1),
      fmt(r.afterLargeRssMB, 1),
      fmt(r.fairP99Ms, 2),
      fmt(r.callbackUs, 1),
      fmt(r.streamItemUs, 2),
      fmt(r.hostCpuUs, 1),
      fmt(r.childCpuUs, 1),
    ].join(" | ")} |`,
  );
});

const pythonia = rows[SYSTEMS.findIndex((s) => s.name.startsWith("pythonia"))];
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? "—" : `${(a / b).toFixed(2)}×`);
const ratios = ["", "Ratios to pythonia (p50 and p99: lower is better; throughput: higher is better):", "", "| system | p50 | p99 | @1 | @16 | @64 | @256 | cold start |", "|---|---:|---:|---:|---:|---:|---:|---:|"];
rows.forEach((r, i) => {
  if (!SYSTEMS[i]!.name.startsWith("Bridge") || !pythonia) return;
  ratios.push(
    `| ${SYSTEMS[i]!.name} | ${ratio(r.p50Us, pythonia.p50Us)} | ${ratio(r.p99Us, pythonia.p99Us)} | ${CONCURRENCIES.map((c) => ratio(r.throughput[c], pythonia.throughput[c])).join(" | ")} | ${ratio(r.coldMs, pythonia.coldMs)} |`,
  );
});

const problems = rows.flatMap((r, i) => r.errors.map((e) => `- ${SYSTEMS[i]!.name}: ${e}`));
console.log(
  [
    `\nBridge bench: ${reps} interleaved repetitions, medians; node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; python ${python}\n`,
    ...lines,
    ...ratios,
    ...(problems.length ? ["", "Not measured:", ...problems] : []),
    "",
    await uvNoop(),
  ].join("\n"),
);
