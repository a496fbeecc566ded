import { fileURLToPath } from "node:url";
import { cpus } from "node:os";
import { loadManifest } from "@bridge/manifest";
import { WORKER_REQUIREMENTS, bundledWorkerPath, createPool } from "@bridge/pool";
import { createBridge } from "@bridge/runtime";
import { ensureEnvironment, specFromManifest } from "@bridge/uv";
import { pack, unpack } from "msgpackr";
import { startGrpcJsChannel } from "./grpcjs-channel.js";
import { measure, table, type Measurement } from "./measure.js";
import { startStdioFloor } from "./stdio-floor.js";

// Calls a trivial Python function (operator.add) many ways and prints one table.
// Scale the work with BENCH_SCALE (default 1); choose the interpreter with BRIDGE_PYTHON.
const python = process.env.BRIDGE_PYTHON ?? fileURLToPath(new URL("../../../python/.venv/bin/python", import.meta.url));
const scale = Number(process.env.BENCH_SCALE ?? "1");
const rows: Measurement[] = [];

const floor = startStdioFloor(python);
rows.push(await measure("floor: newline-JSON stdio pipe to a Python loop", floor.call, scale));
floor.close();

for (const [label, options] of [
  ["@bridge/runtime `bridge.call(\"operator.add\")`, 1 worker (local lane)", { python }],
  ["@bridge/runtime, 2 workers (local lane)", { python, workers: 2 }],
  ["@bridge/runtime, 1 worker over the gRPC Channel", { python, transport: "grpc" as const }],
] as const) {
  const bridge = await createBridge(options);
  rows.push(await measure(label, (a, b) => bridge.call("operator.add", [a, b]), scale));
  await bridge.close();
}

for (const transport of ["auto", "grpc"] as const) {
  const pool = await createPool({ python, transport });
  rows.push(
    await measure(
      transport === "auto" ? "transport: local lane (pool.invoke)" : "transport: connect-node gRPC Channel (pool.invoke)",
      async (a, b) => unpack((await pool.invoke({ op: "call", target: "operator.add", args: pack([[a, b], {}]) })).data) as unknown,
      scale,
    ),
  );
  await pool.close();
}

const grpcJs = await startGrpcJsChannel(python);
rows.push(await measure("transport: @grpc/grpc-js Channel (same batching)", grpcJs.call, scale));
grpcJs.close();

console.log(`\nBridge bench: operator.add round trips; node ${process.version}, ${cpus().length} cores, ${cpus()[0]?.model ?? ""}\n`);
console.log(table(rows));

// A no-op ensureEnvironment (nothing changed: no uv process), on the DSPy example's
// environment that scripts/setup.sh builds. Tests check that no uv runs, not how fast.
const loaded = await loadManifest(fileURLToPath(new URL("../../../apps/dspy-sdk/dspy.bridge.yaml", import.meta.url)));
const worker = { source: bundledWorkerPath(), requirements: [...WORKER_REQUIREMENTS] };
const noop: number[] = [];
for (let i = 0; i < 101; i++) {
  noop.push((await ensureEnvironment(specFromManifest(loaded), { projectDir: loaded.dir, worker, frozen: true })).durationMs);
}
noop.sort((x, y) => x - y);
console.log(`
no-op ensureEnvironment (apps/dspy-sdk): median ${noop[50]!.toFixed(2)} ms, p99 ${noop[99]!.toFixed(2)} ms over 101 calls`);
process.exit(0);
