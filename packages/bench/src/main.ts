import { fileURLToPath } from "node:url";
import { cpus } from "node:os";
import { createPool } from "@bridge/pool";
import { createBridge } from "@bridge/runtime";
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

const bridge = await createBridge({ python });
rows.push(await measure("@bridge/runtime `bridge.call(\"operator.add\")`, 1 worker", (a, b) => bridge.call("operator.add", [a, b]), scale));
await bridge.close();

const bridge2 = await createBridge({ python, workers: 2 });
rows.push(await measure("@bridge/runtime, 2 workers", (a, b) => bridge2.call("operator.add", [a, b]), scale));
await bridge2.close();

const pool = await createPool({ python });
rows.push(
  await measure(
    "transport: connect-node gRPC Channel (pool.invoke, kept)",
    async (a, b) => unpack((await pool.invoke({ op: "call", target: "operator.add", args: pack([[a, b], {}]) })).data),
    scale,
  ),
);
await pool.close();

const grpcJs = await startGrpcJsChannel(python);
rows.push(await measure("transport: @grpc/grpc-js Channel (same batching)", grpcJs.call, scale));
grpcJs.close();

console.log(`\nBridge bench: operator.add round trips; node ${process.version}, ${cpus().length} cores, ${cpus()[0]?.model ?? ""}\n`);
console.log(table(rows));
process.exit(0);
