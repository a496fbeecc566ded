import { fileURLToPath } from "node:url";
import { PythonError, createBridge, type PyRef } from "@bridge/runtime";

// Uses $BRIDGE_PYTHON, else the repo's dev environment that scripts/setup.sh creates.
const python = process.env.BRIDGE_PYTHON ?? fileURLToPath(new URL("../../../python/.venv/bin/python", import.meta.url));

await using bridge = await createBridge({ python, workers: 2 });
const [worker] = bridge.pool.workers;
console.log(`Python ${worker?.pythonVersion} workers: ${bridge.pool.workers.map((w) => `${w.id} (pid ${w.pid})`).join(", ")}`);

// Functions: positional arguments stay positional, keyword arguments go in an object.
console.log("math.sqrt(2)            =", await bridge.call("math.sqrt", [2]));
console.log("sorted(..., reverse=True) =", await bridge.call("builtins.sorted", [[3, 1, 2]], { reverse: true }));
const statistics = bridge.module("statistics");
console.log("statistics.mean         =", await statistics.call("mean", [[1, 2, 3, 4]]));
console.log("math.factorial(25)      =", await bridge.call("math.factorial", [25]), "(a bigint)");

// Objects stay in Python and come back as remote refs.
{
  await using counter = await bridge.call<PyRef>("collections.Counter", ["abracadabra"]);
  console.log(`${counter.toString()}.most_common(2) =`, await counter.call("most_common", [2]));
}

// Python exceptions arrive as PythonError, with the Python type and traceback.
try {
  await bridge.call("json.loads", ["{not json"]);
} catch (error) {
  if (!(error instanceof PythonError)) throw error;
  console.log(`json.loads raised ${error.pythonType}: ${error.pythonMessage}`);
}

// Deadlines: the call rejects with deadline_exceeded and the worker is told to stop.
const late = await bridge.call("time.sleep", [1], {}, { timeoutMs: 50 }).catch((e: Error) => e.message);
console.log("time.sleep(1) with a 50 ms deadline ->", late);

// Many calls in flight are batched onto one stream per worker.
const started = performance.now();
const sums = await Promise.all(Array.from({ length: 10_000 }, (_, i) => bridge.call<number>("operator.add", [i, 1])));
const ms = performance.now() - started;
console.log(`10,000 concurrent operator.add calls in ${ms.toFixed(0)} ms (${Math.round(10_000 / (ms / 1000)).toLocaleString("en-US")} calls/s); last = ${sums.at(-1)}`);
