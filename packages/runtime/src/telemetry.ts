import { context, trace, SpanKind, SpanStatusCode, TraceFlags, type Context, type Span, type SpanContext } from "@opentelemetry/api";
import { BridgeError, type PoolEvent, type TraceContext } from "@bridge/pool";

/**
 * OpenTelemetry for calls (docs/ARCHITECTURE.md, "Telemetry"): a CLIENT span per call
 * and a span per host callback Python makes, through `@opentelemetry/api`. With no SDK
 * registered every span is the API's non-recording one and nothing else happens (no
 * attributes, no trace context on the wire). With one, the call's W3C trace context
 * travels in the Invoke frame, the worker continues it (when `opentelemetry-api` is
 * installed there), and a callback's context comes back in the CallbackRequest: a
 * TS → Python → TS chain is one trace.
 * @private
 */
const tracer = trace.getTracer("@bridge/runtime");

/** Attribute names, in one place. */
export const ATTR = {
  op: "bridge.op",
  target: "bridge.target",
  worker: "bridge.worker",
  session: "bridge.session",
  outcome: "bridge.outcome",
  requestBytes: "bridge.request.bytes",
  responseBytes: "bridge.response.bytes",
  callback: "bridge.callback",
  memo: "bridge.memo",
} as const;

/** What a call's span learns on the way (set by the call, read by {@link endSpan}). @private */
export interface SpanOutcome {
  span: Span;
  workerId?: string | undefined;
  requestBytes?: number;
  responseBytes?: number;
  memo?: "hit" | "miss" | "bypass";
  error?: unknown;
}

/** A call's span, or undefined when nothing records (no SDK, or a sampler said no). @private */
export function startCallSpan(op: string, target: string, session: string | undefined): Span | undefined {
  const span = tracer.startSpan(`bridge ${op} ${target}`, { kind: SpanKind.CLIENT });
  if (!span.isRecording()) return undefined;
  span.setAttribute(ATTR.op, op);
  span.setAttribute(ATTR.target, target);
  if (session) span.setAttribute(ATTR.session, session);
  return span;
}

/** Ends a span with its outcome (`ok` or the error's code). @private */
export function endSpan(span: Span, outcome: Omit<SpanOutcome, "span">): void {
  if (outcome.workerId) span.setAttribute(ATTR.worker, outcome.workerId);
  if (outcome.requestBytes !== undefined) span.setAttribute(ATTR.requestBytes, outcome.requestBytes);
  if (outcome.responseBytes !== undefined) span.setAttribute(ATTR.responseBytes, outcome.responseBytes);
  if (outcome.memo) span.setAttribute(ATTR.memo, outcome.memo);
  const error = outcome.error;
  if (error === undefined) {
    span.setAttribute(ATTR.outcome, "ok");
  } else {
    span.setAttribute(ATTR.outcome, error instanceof BridgeError ? error.code : "error");
    if (error instanceof Error) span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : typeof error === "string" ? error : "a non-Error was thrown" });
  }
  span.end();
}

/** The W3C trace context of `span`, for the Invoke frame. @private */
export function traceContextOf(span: Span): TraceContext {
  const c = span.spanContext();
  const traceparent = `00-${c.traceId}-${c.spanId}-${(c.traceFlags & TraceFlags.SAMPLED ? 1 : 0).toString(16).padStart(2, "0")}`;
  const tracestate = c.traceState?.serialize();
  return tracestate ? { traceparent, tracestate } : { traceparent };
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The remote span context a CallbackRequest carries, if any (and valid). @private */
function remoteContext(carrier: TraceContext | undefined): SpanContext | undefined {
  const match = carrier?.traceparent ? TRACEPARENT.exec(carrier.traceparent) : null;
  if (!match || match[1] === "ff") return undefined;
  const spanContext: SpanContext = { traceId: match[2]!, spanId: match[3]!, traceFlags: parseInt(match[4]!, 16), isRemote: true };
  return trace.isSpanContextValid(spanContext) ? spanContext : undefined;
}

/**
 * Runs a host callback inside a SERVER span whose parent is the Python span that made
 * it; calls made from the callback are children of that span. Without telemetry (no
 * trace context came, or nothing records), runs `fn` as it is.
 * @private
 */
export async function inCallbackSpan<T>(name: string, carrier: TraceContext | undefined, fn: () => Promise<T>): Promise<T> {
  const parent = remoteContext(carrier);
  if (!parent) return fn();
  const parentContext: Context = trace.setSpanContext(context.active(), parent);
  const span = tracer.startSpan(`bridge callback ${name}`, { kind: SpanKind.SERVER }, parentContext);
  if (!span.isRecording()) return context.with(trace.setSpan(parentContext, span), fn);
  span.setAttribute(ATTR.callback, name);
  try {
    const value = await context.with(trace.setSpan(parentContext, span), fn);
    endSpan(span, {});
    return value;
  } catch (error) {
    endSpan(span, { error });
    throw error;
  }
}

/**
 * A pool event (a worker started, exited, was restarted...) as a short INTERNAL span
 * named after it, with the event's fields as attributes. @private
 */
export function recordPoolEvent(event: PoolEvent): void {
  const span = tracer.startSpan(`bridge ${event.type}`, { kind: SpanKind.INTERNAL, root: true });
  if (!span.isRecording()) return;
  const attributes = (prefix: string, fields: object) => {
    for (const [key, value] of Object.entries(fields)) {
      if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") span.setAttribute(`${prefix}${key}`, value);
    }
  };
  attributes("bridge.", event);
  if ("worker" in event) attributes("bridge.worker.", event.worker);
  if ("error" in event) attributes("bridge.error.", { code: event.error.code, message: event.error.message });
  span.addEvent(event.type);
  span.end();
}
