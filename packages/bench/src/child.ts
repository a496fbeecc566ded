// One fresh Node process measures one system: `node dist/child.js <system index> calls|cold`.
// Prints one JSON line (a Measurement, or {coldMs}) on stdout.
import { CONCURRENCIES, callbackCost, cpuPerCall, echoRate, fairness, latency, rssMB, streamCost, throughput, type Measurement } from "./measure.js";
import { SYSTEMS } from "./systems.js";

const [index, mode] = process.argv.slice(2);
const spec = SYSTEMS[Number(index)]!;
const python = process.env.BRIDGE_PYTHON!;
const scale = Number(process.env.BENCH_SCALE ?? "1");
const MiB64 = 64 << 20;

async function attempt<T>(errors: string[], what: string, run: () => Promise<T>): Promise<T | undefined> {
  try {
    return await run();
  } catch (error) {
    errors.push(`${what}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    return undefined;
  }
}

if (mode === "cold") {
  const start = performance.now();
  const system = await spec.start(python); // imports the library, starts Python
  await system.add(1, 1);
  const coldMs = performance.now() - start;
  const pid = system.pythonPid();
  await new Promise((r) => setTimeout(r, 300)); // let the idle worker settle
  const idleRssMB = pid === undefined ? undefined : rssMB(pid);
  console.log(JSON.stringify({ coldMs, idleRssMB }));
  await system.close();
  process.exit(0);
}

const system = await spec.start(python);
const errors: string[] = [];
const out: Measurement = { errors };
Object.assign(out, await attempt(errors, "latency", () => latency(system, scale)));
out.throughput = {};
for (const c of CONCURRENCIES) {
  const value = await attempt(errors, `throughput @${c}`, () => throughput(system, c, scale));
  if (value !== undefined) out.throughput[c] = value;
}
Object.assign(out, await attempt(errors, "CPU per call", () => cpuPerCall(system, scale)));
if (system.echoBytes) {
  const echo = system.echoBytes;
  out.bytesMBps = await attempt(errors, "64 MiB bytes", () => echoRate(echo, () => new Uint8Array(MiB64).fill(7), 3));
}
if (system.echoFloat64) {
  const echo = system.echoFloat64;
  out.float64MBps = await attempt(errors, "64 MiB float64", () => echoRate(echo, () => new Float64Array(MiB64 / 8).fill(1.5), 3));
}
const pid = system.pythonPid();
if (pid !== undefined) {
  (globalThis as { gc?: () => void }).gc?.(); // release the echoed buffers' refs, if any
  await new Promise((r) => setTimeout(r, 500));
  out.afterLargeRssMB = rssMB(pid);
}
if (system.sleep) out.fairP99Ms = await attempt(errors, "fairness", () => fairness(system));
if (system.callbacks) out.callbackUs = await attempt(errors, "callbacks", () => callbackCost(system, scale));
if (system.stream) out.streamItemUs = await attempt(errors, "stream", () => streamCost(system, scale));
console.log(JSON.stringify(out));
await system.close();
process.exit(0);
