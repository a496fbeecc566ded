"""OpenTelemetry in the worker: the host's trace, continued (docs/ARCHITECTURE.md, "Telemetry").

When an Invoke carries the host span's W3C trace context and ``opentelemetry-api`` is
importable in the worker's environment, the call runs inside a SERVER span whose
parent is the host's span, made current for the call's code (so a library's own spans
nest under it), and a host callback made from that code carries the current span's
context back in its CallbackRequest. Without a trace context, or without
opentelemetry, nothing here runs beyond one attribute check per call.

The worker never configures OpenTelemetry: spans exist only once the user's code (a
``setup`` call, ``sitecustomize``, an auto-instrumentation agent) installs a tracer
provider. Until then a call gets no span at all (making one would cost a few µs per call
for nothing), and a callback carries the host span's own context back, so the host's
spans still form one trace.
"""

from __future__ import annotations

from typing import Any

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb

_otel: Any = None  # None: not looked for yet; False: not installed; else _Otel


class _Otel:
    """The pieces of opentelemetry-api the worker uses, imported once."""

    def __init__(self) -> None:
        from opentelemetry import context, trace
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        self.context = context
        self.trace = trace
        self.propagator = TraceContextTextMapPropagator()
        self.tracer = trace.get_tracer("bridge_worker")
        self.server = trace.SpanKind.SERVER
        self.error = trace.StatusCode.ERROR
        self._unset = (trace.ProxyTracerProvider, trace.NoOpTracerProvider)

    def configured(self) -> bool:
        """Whether a tracer provider was installed (by the user's code)."""
        return not isinstance(self.trace.get_tracer_provider(), self._unset)


def _load() -> _Otel | None:
    global _otel
    if _otel is None:
        try:
            _otel = _Otel()
        except ImportError:
            _otel = False
    return _otel or None


def start(invoke: pb.Invoke, call_id: int) -> Any:
    """The call's span, if the host sent a trace context and opentelemetry is installed."""
    if not invoke.trace.traceparent:
        return None
    otel = _load()
    if otel is None or not otel.configured():
        return None
    carrier = {"traceparent": invoke.trace.traceparent}
    if invoke.trace.tracestate:
        carrier["tracestate"] = invoke.trace.tracestate
    parent = otel.propagator.extract(carrier)
    attributes: dict[str, Any] = {"bridge.target": invoke.target, "bridge.call_id": call_id}
    if invoke.session:
        attributes["bridge.session"] = invoke.session
    if invoke.ref:
        attributes["bridge.ref"] = invoke.ref
    name = f"bridge run {invoke.target or invoke.ref}"
    return otel.tracer.start_span(name, context=parent, kind=otel.server, attributes=attributes)


def activate(span: Any) -> Any:
    """Makes ``span`` current (in this thread, or in the context being run); a token."""
    otel = _otel
    return otel.context.attach(otel.trace.set_span_in_context(span))


def deactivate(token: Any) -> None:
    _otel.context.detach(token)


def end(span: Any, outcome: str, message: str = "") -> None:
    """Ends the call's span: ``outcome`` is ``ok`` or the error code's name."""
    span.set_attribute("bridge.outcome", outcome)
    if outcome != "ok":
        span.set_status(_otel.error, message)
    span.end()


def current(invoke: pb.Invoke | None) -> pb.TraceContext | None:
    """The trace context for a CallbackRequest made by the call ``invoke`` (None: none):
    the current span's, or without one (no provider installed) the host span's."""
    otel = _otel
    if otel:
        carrier: dict[str, str] = {}
        otel.propagator.inject(carrier)
        if "traceparent" in carrier:
            return pb.TraceContext(
                traceparent=carrier["traceparent"], tracestate=carrier.get("tracestate", "")
            )
    if invoke is not None and invoke.trace.traceparent:
        return invoke.trace
    return None
