import { fileURLToPath } from "node:url";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BridgeError, createBridge, type Bridge } from "../src/index.js";

const fixtures = fileURLToPath(new URL("./fixtures", import.meta.url));
const exporter = new InMemorySpanExporter();

interface PySpan {
  name: string;
  kind: string;
  traceId: string;
  spanId: string;
  parentId: string | null;
  attributes: Record<string, unknown>;
  status: string;
}

let bridge: Bridge;

beforeAll(async () => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  bridge = await createBridge({ env: { PYTHONPATH: fixtures }, setup: (worker) => worker.call("values_fixtures.otel_setup") });
});

afterAll(async () => {
  await bridge?.close();
  trace.disable();
  context.disable();
});

const spanNamed = (name: string): ReadableSpan => {
  const found = exporter.getFinishedSpans().filter((s) => s.name === name);
  expect(found, `one span named ${name}`).toHaveLength(1);
  return found[0]!;
};
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe("telemetry", () => {
  it("a TS → Python → TS → Python chain is one trace, each span the child of the one before", async () => {
    exporter.reset();
    const double = async (x: number) => bridge.call<number>("values_fixtures.counted", [x]);
    expect(await bridge.call("values_fixtures.call_back", [double, 21])).toBe(42);
    const py = (await bridge.call<PySpan[]>("values_fixtures.otel_spans")).filter((s) => s.name.startsWith("bridge run values_fixtures.c") || s.name === "fixture work");

    const outer = spanNamed("bridge call values_fixtures.call_back");
    const callback = spanNamed("bridge callback double");
    const inner = spanNamed("bridge call values_fixtures.counted");
    const pyOuter = py.find((s) => s.name === "bridge run values_fixtures.call_back")!;
    const pyWork = py.find((s) => s.name === "fixture work")!;
    const pyInner = py.find((s) => s.name === "bridge run values_fixtures.counted")!;
    const traceId = outer.spanContext().traceId;
    for (const s of [callback, inner]) expect(s.spanContext().traceId).toBe(traceId);
    for (const s of [pyOuter, pyWork, pyInner]) expect(s.traceId).toBe(traceId);
    expect(parentOf(outer)).toBeUndefined();
    expect(pyOuter.parentId).toBe(outer.spanContext().spanId);
    expect(pyOuter.kind).toBe("SERVER");
    expect(pyWork.parentId).toBe(pyOuter.spanId); // the library's own span nests under the call's
    expect(parentOf(callback)).toBe(pyWork.spanId);
    expect(parentOf(inner)).toBe(callback.spanContext().spanId);
    expect(pyInner.parentId).toBe(inner.spanContext().spanId);

    expect(outer.attributes).toMatchObject({ "bridge.op": "call", "bridge.target": "values_fixtures.call_back", "bridge.worker": "w1", "bridge.outcome": "ok" });
    expect(outer.attributes["bridge.request.bytes"]).toBeGreaterThan(0);
    expect(outer.attributes["bridge.response.bytes"]).toBeGreaterThan(0);
    expect(pyOuter.attributes).toMatchObject({ "bridge.target": "values_fixtures.call_back", "bridge.outcome": "ok" });
  });

  it("with no tracer provider in the worker, a callback's span is the child of the call's", async () => {
    await using plain = await createBridge({ env: { PYTHONPATH: fixtures } });
    exporter.reset();
    const double = async (x: number) => Promise.resolve(x * 2);
    expect(await plain.call("values_fixtures.call_back", [double, 4])).toBe(8);
    const outer = spanNamed("bridge call values_fixtures.call_back");
    const callback = spanNamed("bridge callback double");
    expect(callback.spanContext().traceId).toBe(outer.spanContext().traceId);
    expect(parentOf(callback)).toBe(outer.spanContext().spanId);
  });

  it("a failed call's span carries the error code, on both sides", async () => {
    exporter.reset();
    const error = (await bridge.call("values_fixtures.counted", ["fail"]).catch((e: unknown) => e)) as BridgeError;
    expect(error).toBeInstanceOf(BridgeError);
    const span = spanNamed("bridge call values_fixtures.counted");
    expect(span.attributes["bridge.outcome"]).toBe(error.code);
    expect(span.status.code).toBe(2); // ERROR
    expect(span.events.some((e) => e.name === "exception")).toBe(true);
    const py = await bridge.call<PySpan[]>("values_fixtures.otel_spans");
    const failed = py.filter((s) => s.name === "bridge run values_fixtures.counted" && s.status === "ERROR").at(-1)!;
    expect(failed.attributes["bridge.outcome"]).toBe(error.code);
    // A value refused before it is sent is a failed span too.
    await bridge.call("values_fixtures.echo", [Symbol("x")]).catch(() => undefined);
    expect(spanNamed("bridge call values_fixtures.echo").attributes["bridge.outcome"]).toBe("invalid_argument");
  });

  it("worker start, exit and restart are recorded", async () => {
    exporter.reset();
    const victim = bridge.pool.workers[0]!;
    process.kill(victim.pid, "SIGKILL");
    await expect.poll(() => exporter.getFinishedSpans().some((s) => s.name === "bridge worker_started"), { timeout: 15_000 }).toBe(true);
    const exited = spanNamed("bridge worker_exited");
    expect(exited.attributes).toMatchObject({ "bridge.worker.id": victim.id, "bridge.worker.pid": victim.pid, "bridge.expected": false });
    expect(spanNamed("bridge worker_started").attributes["bridge.worker.id"]).not.toBe(victim.id);
  });
});
