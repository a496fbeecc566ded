"""One multiplexed Channel stream: a reader, per-call dispatch, and a batching writer.

Throughput comes from batching, since grpcio costs ~100 us per message whatever it
carries. The reader dispatches every frame of a HostMessage in one pass into a WorkQueue
run by the worker's thread pool (never the event loop); a thread encodes its own
answer and posts it to a deque, and only the first post of a burst costs a
``call_soon_threadsafe``; the one writer coroutine packs every answer queued by the
time it runs into one WorkerMessage.

``_pending`` (id -> _Call) is touched only on the event loop thread. A call leaves it
exactly once, when it is answered (result, error, cancel, deadline or shutdown), so
every Invoke gets exactly one answer and late results are dropped. Ids are uint32
and the host may reuse one once its call is answered, so a late result is matched
by its _Call object, never by id alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Iterator
from typing import Any, Protocol

import grpc

from bridge_worker import wire
from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.errors import error, error_from_exception
from bridge_worker.wire import error_entry, result_entry
from bridge_worker.worker import Worker
from bridge_worker.workqueue import WorkQueue

log = logging.getLogger(__name__)

#: Most frames, and about the most bytes, one WorkerMessage carries.
MAX_BATCH_FRAMES = 512
MAX_BATCH_BYTES = 4 * 1024 * 1024
# How long close() lets the writer flush before giving up on a stuck client.
_CLOSE_FLUSH_S = 1.0

# Results of these types are never awaitable: skip inspect.isawaitable for them.
_PLAIN = frozenset({int, float, str, bytes, bool, type(None), list, dict, tuple})


class MessageSink(Protocol):
    """Where serialized WorkerMessages go: a gRPC stream's context, or the lane's socket."""

    async def write(self, message: bytes) -> None: ...


class _Call:
    """An accepted, unanswered call: what to stop if it must be abandoned."""

    __slots__ = ("abandoned", "task", "timer")

    def __init__(self) -> None:
        #: Set on the loop; a runner skips an abandoned call it has not started.
        self.abandoned = False
        self.task: asyncio.Future[Any] | None = None
        self.timer: asyncio.TimerHandle | None = None

    def abandon(self) -> None:
        self.abandoned = True
        if self.task is not None:
            self.task.cancel()
        if self.timer is not None:
            self.timer.cancel()


class _Outcome:
    """An awaited result (or exception) waiting for a thread to encode it."""

    __slots__ = ("exc", "value")

    def __init__(self, value: Any, exc: BaseException | None) -> None:
        self.value = value
        self.exc = exc


def _close_awaitable(value: object) -> None:
    # Avoid "coroutine was never awaited" warnings for results nobody wants.
    if inspect.iscoroutine(value):
        value.close()


class ChannelSession:
    """Serves one Channel RPC."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        self._invoker = worker.invoker
        self._codec = worker.codec
        self._loop = asyncio.get_running_loop()
        self._pending: dict[int, _Call] = {}
        self._work: WorkQueue[tuple[int, _Call, pb.Invoke | _Outcome]] = WorkQueue(
            worker.executor, worker.threads, self._execute
        )
        # (call id, call, entry or awaitable, is awaitable) posted by threads; one
        # call_soon_threadsafe drains a whole burst.
        self._done: deque[tuple[int, _Call, Any, bool]] = deque()
        self._done_scheduled = False
        # Serialized WorkerMessage entries (see wire.py) waiting for the writer.
        self._out: list[bytes] = []
        self._out_bytes = 0
        self._wake = asyncio.Event()
        self._reading = True
        self._closing = False
        self._writer_done = asyncio.Event()

    def inflight(self) -> int:
        """Calls accepted and not answered yet."""
        return len(self._pending)

    async def serve(self, requests: AsyncIterator[pb.HostMessage], context: MessageSink) -> None:
        """Run until the host ends its side and every call is answered, or close() is called."""
        reader = asyncio.ensure_future(self._read(requests))
        try:
            await self._write(context)
        finally:
            self._writer_done.set()
            reader.cancel()
            for call in self._pending.values():
                call.abandon()
            self._pending.clear()

    async def close(self) -> None:
        """Answer what is still pending with UNAVAILABLE, flush, and end the stream."""
        for call_id in list(self._pending):
            self._abort(
                call_id, pb.ERROR_CODE_UNAVAILABLE, "the worker shut down before the call finished"
            )
        self._closing = True
        self._wake.set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._writer_done.wait(), _CLOSE_FLUSH_S)

    # -- reading and dispatch (event loop) ----------------------------------------

    async def _read(self, requests: AsyncIterator[pb.HostMessage]) -> None:
        try:
            async for message in requests:
                self._dispatch(message.frames)
        except (asyncio.CancelledError, grpc.aio.AioRpcError, ConnectionError):
            pass
        finally:
            self._reading = False
            self._wake.set()

    def _dispatch(self, frames: Any) -> None:
        queued = False
        for frame in frames:
            kind = frame.WhichOneof("kind")
            if kind == "invoke":
                queued |= self._invoke(frame.id, frame.invoke)
            elif kind == "cancel":
                self._abort(frame.id, pb.ERROR_CODE_CANCELED, "the call was canceled")
            elif kind == "release":
                self._worker.registry.release(frame.release.refs)
            elif frame.id not in self._pending:
                self._send_error(
                    frame.id,
                    pb.ERROR_CODE_INVALID_ARGUMENT,
                    "frame has no invoke, cancel or release",
                )
        if queued:
            self._kick()

    def _invoke(self, call_id: int, invoke: pb.Invoke) -> bool:
        if call_id in self._pending:
            log.warning("ignoring a second Invoke with the in-flight id %d", call_id)
            return False
        if self._worker.draining or self._closing:
            self._send_error(call_id, pb.ERROR_CODE_UNAVAILABLE, "the worker is shutting down")
            return False
        call = self._pending[call_id] = _Call()
        self._work.put((call_id, call, invoke))
        if invoke.timeout_ms:
            call.timer = self._loop.call_later(
                invoke.timeout_ms / 1000, self._expire, call_id, call, invoke.timeout_ms
            )
        return True

    def _kick(self) -> None:
        try:
            self._work.kick()
        except RuntimeError:  # the executor is shut down: close() answers what is left
            log.warning("no threads left to run calls")

    def _expire(self, call_id: int, call: _Call, timeout_ms: int) -> None:
        if self._pending.get(call_id) is call:
            self._abort(
                call_id,
                pb.ERROR_CODE_DEADLINE_EXCEEDED,
                f"the call exceeded its {timeout_ms} ms deadline",
            )

    def _abort(self, call_id: int, code: int, message: str) -> None:
        """Answer a pending call with an error now; its late result will be dropped."""
        call = self._pending.pop(call_id, None)
        if call is None:
            return  # answered already, or never existed
        if self._worker.draining and not self._pending:
            self._worker.notify_idle()
        call.abandon()
        self._send_error(call_id, code, message)

    # -- worker threads -------------------------------------------------------------

    def _execute(self, item: tuple[int, _Call, pb.Invoke | _Outcome]) -> None:
        """Thread: run one call (or encode an awaited outcome) and post the answer."""
        call_id, call, work = item
        if call.abandoned:
            return
        if type(work) is _Outcome:
            self._reply(call_id, call, work.value, work.exc)
            return
        try:
            value = self._invoker.run(work)
        except BaseException as exc:
            self._reply(call_id, call, None, exc)
            return
        if type(value) not in _PLAIN and inspect.isawaitable(value):
            self._post(call_id, call, value, True)
        else:
            self._reply(call_id, call, value, None)

    def _reply(self, call_id: int, call: _Call, value: Any, exc: BaseException | None) -> None:
        """Thread: serialize the answer frame and post it."""
        try:
            if exc is None:
                entry = result_entry(call_id, self._codec.encode(value))
            else:
                entry = error_entry(call_id, error_from_exception(exc))
        except BaseException as failure:  # encoding never raises by design; be safe anyway
            log.exception("could not build the answer to call %d", call_id)
            entry = error_entry(
                call_id,
                error(pb.ERROR_CODE_INTERNAL, f"could not encode the answer: {failure!r}"),
            )
        self._post(call_id, call, entry)

    def _post(self, call_id: int, call: _Call, item: Any, awaitable: bool = False) -> None:
        """Thread: hand an answer to the loop; only the first of a burst wakes it."""
        self._done.append((call_id, call, item, awaitable))
        if not self._done_scheduled:
            self._done_scheduled = True
            with contextlib.suppress(RuntimeError):  # the loop is gone: the worker is exiting
                self._loop.call_soon_threadsafe(self._drain_done)

    # -- completion (event loop) ----------------------------------------------------

    def _drain_done(self) -> None:
        # Reset first: a thread that posts after this point schedules another drain.
        self._done_scheduled = False
        done = self._done
        pending = self._pending
        out = self._out
        size = 0
        while done:
            call_id, call, item, awaitable = done.popleft()
            if awaitable:
                self._start_awaitable(call_id, call, item)
                continue
            # Canceled, timed out or closed meanwhile (and maybe the id reused since):
            # drop the late answer.
            if pending.get(call_id) is not call:
                continue
            del pending[call_id]
            if call.timer is not None:
                call.timer.cancel()
            out.append(item)
            size += len(item)
        self._out_bytes += size
        if out:
            self._wake.set()
        if self._worker.draining and not pending:
            self._worker.notify_idle()

    def _start_awaitable(self, call_id: int, call: _Call, awaitable: Awaitable[Any]) -> None:
        if self._pending.get(call_id) is not call:
            _close_awaitable(awaitable)
            return
        try:
            task = asyncio.ensure_future(awaitable)
        except BaseException as exc:
            self._queue_outcome(call_id, call, _Outcome(None, exc))
            return
        call.task = task
        task.add_done_callback(functools.partial(self._awaited, call_id, call))

    def _awaited(self, call_id: int, call: _Call, task: asyncio.Future[Any]) -> None:
        if self._pending.get(call_id) is not call or call.task is not task:
            return
        call.task = None
        if task.cancelled():
            self._abort(call_id, pb.ERROR_CODE_CANCELED, "the coroutine was cancelled")
            return
        exc = task.exception()
        # Encoding (or formatting a traceback) may be slow: do it off the loop too.
        self._queue_outcome(call_id, call, _Outcome(None if exc else task.result(), exc))

    def _queue_outcome(self, call_id: int, call: _Call, outcome: _Outcome) -> None:
        self._work.put((call_id, call, outcome))
        self._kick()

    # -- writing (event loop) -------------------------------------------------------

    def _send_error(self, call_id: int, code: int, message: str) -> None:
        self._send(error_entry(call_id, error(code, message)))

    def _send(self, entry: bytes) -> None:
        self._out.append(entry)
        self._out_bytes += len(entry)
        self._wake.set()

    async def _write(self, context: MessageSink) -> None:
        while True:
            if not self._out:
                if self._closing or (not self._reading and not self._pending):
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            entries, self._out = self._out, []
            size, self._out_bytes = self._out_bytes, 0
            if len(entries) <= MAX_BATCH_FRAMES and size <= MAX_BATCH_BYTES:
                await context.write(wire.message(entries))
            else:
                for batch in batches(entries):
                    await context.write(wire.message(batch))


def batches(entries: list[bytes]) -> Iterator[list[bytes]]:
    """Split entries into messages of at most MAX_BATCH_FRAMES and ~MAX_BATCH_BYTES.

    A single entry larger than MAX_BATCH_BYTES still travels, alone.
    """
    batch: list[bytes] = []
    size = 0
    for entry in entries:
        if batch and (len(batch) >= MAX_BATCH_FRAMES or size + len(entry) > MAX_BATCH_BYTES):
            yield batch
            batch, size = [], 0
        batch.append(entry)
        size += len(entry)
    if batch:
        yield batch
