import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { PyRef } from "@bridge/runtime";

/** What every bridge under test offers the workloads (undefined: not supported). */
export interface System {
  /** operator.add(a, b). */
  add(a: number, b: number): Promise<unknown>;
  /** Python echoes a byte buffer back: bytes(x). */
  echoBytes?: (data: Uint8Array) => Promise<Uint8Array>;
  /** Python echoes a float64 ndarray back. */
  echoFloat64?: (data: Float64Array) => Promise<Float64Array>;
  /** Python sleeps `seconds` (a slow call). */
  sleep?: (seconds: number) => Promise<unknown>;
  /** Python calls a host function `n` times; resolves when done. */
  callbacks?: (n: number) => Promise<unknown>;
  /** Python yields `n` items; the host consumes them all. */
  stream?: (n: number) => Promise<number>;
  /** The Python process's pid (undefined when Python runs in this process). */
  pythonPid(): number | undefined;
  close(): Promise<void>;
}

/** How the bench names and starts each system. */
export interface SystemSpec {
  name: string;
  start(python: string): Promise<System>;
}

const support = fileURLToPath(new URL("../python", import.meta.url));

// The floor: the leanest honest bridge, newline-delimited JSON over a stdio pipe to a
// Python loop. No supervision, no types, no cancellation, no concurrency in Python.
const LOOP = String.raw`
import base64, json, operator, sys, time
out = sys.stdout
for line in sys.stdin:
    msg = json.loads(line)
    op = msg["op"]
    if op == "add":
        result = operator.add(*msg["args"])
    elif op == "bytes":
        result = base64.b64encode(base64.b64decode(msg["args"][0])).decode()
    else:
        result = time.sleep(msg["args"][0])
    out.write(json.dumps({"id": msg["id"], "result": result}) + "\n")
    out.flush()
`;

const floor: SystemSpec = {
  name: "newline-JSON stdio pipe to a Python loop (floor)",
  start(python) {
    const child = spawn(python, ["-u", "-c", LOOP], { stdio: ["pipe", "pipe", "inherit"] });
    const pending = new Map<number, (value: unknown) => void>();
    let nextId = 0;
    createInterface({ input: child.stdout }).on("line", (line) => {
      const msg = JSON.parse(line) as { id: number; result: unknown };
      pending.get(msg.id)?.(msg.result);
      pending.delete(msg.id);
    });
    const send = (op: string, args: unknown[]) =>
      new Promise<unknown>((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        child.stdin.write(`${JSON.stringify({ id, op, args })}\n`);
      });
    return Promise.resolve({
      add: (a, b) => send("add", [a, b]),
      echoBytes: async (data) => new Uint8Array(Buffer.from((await send("bytes", [Buffer.from(data).toString("base64")])) as string, "base64")),
      sleep: (s) => send("sleep", [s]),
      pythonPid: () => child.pid,
      close: () => {
        child.kill();
        return Promise.resolve();
      },
    });
  },
};

const pythonia: SystemSpec = {
  name: "pythonia 1.2.6",
  async start(python) {
    process.env.PYTHON_BIN = python;
    // pythonia's proxies are untyped: give the few calls used here a type.
    type Proxy = Record<string, (...args: unknown[]) => Promise<unknown>> & { decode(): Promise<unknown> };
    const py = (await import("pythonia")).python as unknown as ((module: string) => Promise<Record<string, (...args: unknown[]) => Promise<Proxy>>>) & { exit(): void };
    const operator = await py("operator");
    const time = await py("time");
    const base64 = await py("base64");
    const helpers = await py(`${support}/bench_helpers.py`);
    return {
      add: (a, b) => operator.add!(a, b),
      // pythonia moves bytes as JSON: base64 text is the only way through.
      echoBytes: async (data) => {
        const decoded = await base64.b64decode!(Buffer.from(data).toString("base64"));
        const text = (await (await base64.b64encode!(decoded)).decode()) as string;
        return new Uint8Array(Buffer.from(text, "base64"));
      },
      sleep: (s) => time.sleep!(s),
      callbacks: (n) => helpers.call_n!((x: number) => x + 1, n),
      pythonPid: () => undefined,
      close: () => {
        py.exit();
        return Promise.resolve();
      },
    };
  },
};

const nodeCallsPython: SystemSpec = {
  name: "node-calls-python 1.11.1 (in-process)",
  async start(python) {
    const { interpreter: py } = await import("node-calls-python");
    const site = await sitePackages(python);
    if (site) py.addImportPath(site);
    py.addImportPath(support);
    const operator = await py.import("operator", false);
    const time = await py.import("time", false);
    const builtins = await py.import("builtins", false);
    return {
      add: (a, b) => py.call(operator, "add", a, b),
      echoBytes: async (data) => new Uint8Array((await py.call(builtins, "bytes", data)) as ArrayBuffer),
      sleep: (s) => py.call(time, "sleep", s),
      pythonPid: () => undefined,
      close: () => Promise.resolve(),
    };
  },
};

async function sitePackages(python: string): Promise<string | undefined> {
  const child = spawn(python, ["-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  for await (const chunk of child.stdout) out += String(chunk);
  return out.trim() || undefined;
}

/**
 * Registers an OpenTelemetry SDK that records every span and exports it nowhere: what
 * telemetry costs a call when an application traces, beside the same system without.
 */
async function recordSpans(): Promise<void> {
  const { context, trace } = await import("@opentelemetry/api");
  const { AsyncLocalStorageContextManager } = await import("@opentelemetry/context-async-hooks");
  const { BasicTracerProvider, SimpleSpanProcessor } = await import("@opentelemetry/sdk-trace-base");
  const discard = { export: (_spans: unknown, done: (result: { code: 0 }) => void) => done({ code: 0 }), shutdown: () => Promise.resolve() };
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(discard)] }));
}

function bridgeSystem(name: string, options: { workers?: number; transport?: "grpc" }, telemetry = false): SystemSpec {
  return {
    name,
    async start(python) {
      if (telemetry) await recordSpans();
      const { createBridge, NDArray } = await import("@bridge/runtime");
      const bridge = await createBridge({ python, env: { PYTHONPATH: support }, ...options });
      return {
        add: (a, b) => bridge.call("operator.add", [a, b]),
        echoBytes: (data) => bridge.call<Uint8Array>("builtins.bytes", [data]),
        echoFloat64: async (data) => (await bridge.call<InstanceType<typeof NDArray>>("bench_helpers.identity", [new NDArray(data)])).data as Float64Array,
        sleep: (s) => bridge.call("time.sleep", [s]),
        callbacks: (n) => bridge.call("bench_helpers.call_n", [(x: number) => x + 1, n]),
        stream: async (n) => {
          const gen = await bridge.call<PyRef>("bench_helpers.count_to", [n]);
          let seen = 0;
          for await (const _ of gen.iterate({ highWaterMark: 256 })) seen++;
          return seen;
        },
        pythonPid: () => bridge.pool.workers[0]?.pid,
        close: () => bridge.close(),
      };
    },
  };
}

/** Every system, in the table's order. */
export const SYSTEMS: readonly SystemSpec[] = [
  floor,
  pythonia,
  nodeCallsPython,
  bridgeSystem("Bridge, 1 worker, local lane", {}),
  bridgeSystem("Bridge, 2 workers, local lane", { workers: 2 }),
  bridgeSystem("Bridge, 1 worker, gRPC Channel", { transport: "grpc" }),
  bridgeSystem("Bridge, 1 worker, local lane, OpenTelemetry SDK recording", {}, true),
];
