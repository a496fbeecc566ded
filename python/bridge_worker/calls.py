"""One Invoke from accept to answer: run on a thread, await a coroutine, or stream.

A call is answered exactly once. Its connection's pending table is the arbiter:
whoever removes the call from it (the call's own thread with a result, a Cancel,
the deadline, the connection closing) sends the one answer, so a late result is
dropped and never reaches a reused id.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import inspect
import logging
import time
from typing import TYPE_CHECKING, Any

from bridge_worker import aio, telemetry
from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.errors import error, error_from_exception
from bridge_worker.interrupt import CallInterrupted, Slot, current_slot
from bridge_worker.timers import Timer
from bridge_worker.wire import error_entry, result_entry

if TYPE_CHECKING:
    from bridge_worker.connection import Connection

log = logging.getLogger(__name__)

_NO_BUFFERS: list[Any] = []
#: A call is not started this close to its deadline. Calls read in one message share a
#: deadline to within microseconds: when the first one's fires and frees its thread,
#: the next must not start a moment before its own fires too.
_START_SLACK_S = 0.0005
# Results of these types are never awaitable: skip inspect.isawaitable for them.
_PLAIN = frozenset({int, float, str, bytes, bool, type(None), list, dict, tuple})

#: The call a coroutine belongs to (threads know theirs from their slot: see running_call).
_coroutine_call: contextvars.ContextVar[Call | None] = contextvars.ContextVar(
    "bridge_current_call", default=None
)


def running_call() -> Call | None:
    """The call whose code is running on this thread or in this task (for host callbacks)."""
    owner = current_slot().owner
    if type(owner) is Call:
        return owner
    return _coroutine_call.get()


class Call:
    """An accepted Invoke that has not been answered yet."""

    __slots__ = (
        "buffers",
        "conn",
        "deadline",
        "done",
        "future",
        "id",
        "invoke",
        "slot",
        "span",
        "timer",
        "waiter",
    )

    def __init__(
        self, conn: Connection, call_id: int, invoke: pb.Invoke, buffers: list[Any]
    ) -> None:
        self.conn = conn
        self.id = call_id
        self.invoke = invoke
        self.buffers: list[Any] | None = buffers
        #: Set once the call is answered or abandoned; its thread skips what is left.
        self.done = False
        self.slot: Slot | None = None
        self.future: concurrent.futures.Future[Any] | None = None
        self.timer: Timer | None = None
        #: time.monotonic() when its deadline passes (0: none); set with ``timer``.
        self.deadline = 0.0
        #: A host callback this call's thread is waiting for (see callbacks.py).
        self.waiter: Any = None
        #: The OpenTelemetry span continuing the host's trace (telemetry.py), if any.
        self.span: Any = None

    @property
    def session(self) -> str:
        return self.invoke.session

    # -- running (a pool thread) --------------------------------------------------

    def run(self) -> None:
        """The job: execute the Invoke and answer it (or start awaiting / streaming)."""
        if self.done:
            return
        if self.deadline and time.monotonic() >= self.deadline - _START_SLACK_S:
            # It waited for a thread until (about) its deadline, and the timer answers it:
            # starting it now could only leave one more thread stuck in a call nobody
            # waits for (the host's clock started first: it has given up already).
            return
        conn = self.conn
        slot = self.slot = current_slot()
        span = self.span = telemetry.start(self.invoke, self.id)
        token = telemetry.activate(span) if span is not None else None
        try:
            slot.enter(self)
            try:
                value = conn.worker.invoker.run(self.invoke, self.buffers or _NO_BUFFERS, conn)
            finally:
                slot.leave()
                if token is not None:
                    telemetry.deactivate(token)
        except CallInterrupted:
            return  # cancelled or timed out: answered already
        except BaseException as exc:
            self.fail(exc)
            return
        finally:
            self.buffers = None  # let large arguments go as soon as the call returns
            if slot.was_interrupted:  # stop() released this thread's budget: take it back
                conn.worker.pool.unstuck(self)
        if self.invoke.op == pb.INVOKE_OP_ITERATE:
            conn.start_stream(self, value)
            self._end_span("ok")
        elif type(value) not in _PLAIN and inspect.isawaitable(value):
            self.await_(value)
        else:
            self.succeed(value)

    def await_(self, awaitable: Any) -> None:
        if self.done:
            _close(awaitable)
            return
        context = contextvars.copy_context()
        context.run(_coroutine_call.set, self)
        if self.span is not None:
            context.run(telemetry.activate, self.span)

        def settled(future: concurrent.futures.Future[Any]) -> None:
            # On the loop thread: encoding may be slow, so answer from a pool thread.
            self.conn.worker.pool.submit(lambda: self._settle(future))

        self.future = aio.start(context.run(_task, awaitable), settled)
        if self.done:  # cancelled while starting
            self.future.cancel()

    def _settle(self, future: concurrent.futures.Future[Any]) -> None:
        if future.cancelled():
            self.conn.abort(self, pb.ERROR_CODE_CANCELED, "the coroutine was cancelled")
            return
        exc = future.exception()
        if exc is not None:
            self.fail(exc)
        else:
            self.succeed(future.result())

    def succeed(self, value: Any) -> None:
        """Encode the result and answer (a thread)."""
        if self.done:
            return
        conn = self.conn
        try:
            encoded = conn.encode(value, self.session)
        except BaseException as exc:
            self.fail(exc)
            return
        conn.answer(self, result_entry(self.id, encoded.data, encoded.buffers), encoded.buffers)
        self._end_span("ok")

    def fail(self, exc: BaseException) -> None:
        """Answer with the error ``exc`` stands for."""
        if self.done:
            return
        try:
            failure = error_from_exception(exc)
        except BaseException as problem:  # formatting never fails by design; be safe anyway
            log.exception("could not build the error answer of call %d", self.id)
            failure = error(pb.ERROR_CODE_INTERNAL, f"could not report the error: {problem!r}")
        self.conn.answer(self, error_entry(self.id, failure))
        self._end_span(_code_name(failure.code), failure.message)

    def _end_span(self, outcome: str, message: str = "") -> None:
        span = self.span
        if span is not None:
            self.span = None
            telemetry.end(span, outcome, message)

    # -- stopping (any thread) -----------------------------------------------------

    def stop(self) -> None:
        """Stop the work of a call that was just removed from its connection's table."""
        self.done = True
        if self.timer is not None:
            self.timer.cancel()
        future = self.future
        if future is not None:
            future.cancel()
        waiter = self.waiter
        if waiter is not None:
            waiter.cancel()
        slot = self.slot
        if slot is not None and slot.interrupt(self):
            # Until its user code returns, the thread no longer counts against the budget.
            self.conn.worker.pool.stuck(self)
        self._end_span("canceled", "stopped before it finished (cancelled, timed out, host gone)")


def _code_name(code: int) -> str:
    """``ERROR_CODE_INVALID_ARGUMENT`` -> ``invalid_argument`` (the host's BridgeError codes)."""
    return pb.ErrorCode.Name(code).removeprefix("ERROR_CODE_").lower()


async def _task(awaitable: Any) -> Any:
    return await awaitable


def _close(value: object) -> None:
    # Avoid "coroutine was never awaited" warnings for results nobody wants.
    if inspect.iscoroutine(value):
        value.close()
