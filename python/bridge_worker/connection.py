"""One host connection, whatever carries it: frames in, answers out, calls in between.

A Connection serves one local-lane socket or one gRPC Channel stream. It checks the
handshake (and its token) first, routes every frame, keeps the table of calls in
flight, writes answers in batches, and is the codec's :class:`~bridge_worker.codec.Peer`
(host functions, host iterators, what the host can decode).

Writes are flat-combined: a thread with an answer appends it to the outbox; if no
thread is writing it becomes the writer and sends everything queued by then in one
record (one system call), so answers that finish together share a message, and no
writer thread sits on the critical path.
"""

from __future__ import annotations

import contextlib
import hmac
import itertools
import logging
import os
import platform
import sys
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Protocol

from bridge_worker import PROTOCOL_VERSION, __version__, callbacks, streams, telemetry, threads
from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.calls import Call, running_call
from bridge_worker.codec import Encoded
from bridge_worker.errors import error, error_from_exception
from bridge_worker.faults import InvalidArgumentError
from bridge_worker.host import HostUnavailableError
from bridge_worker.wire import error_entry, frame_entry

if TYPE_CHECKING:
    from bridge_worker.threads import Job
    from bridge_worker.worker import Worker

log = logging.getLogger(__name__)

#: Features every worker offers (HandshakeResponse.capabilities).
CAPABILITIES = (
    "channel",
    "batch",
    "refs",
    "cancel",
    "deadline",
    "interrupt",
    "stream",
    "callbacks",
    "sessions",
    "heartbeat",
    "buffers",
)


class Transport(Protocol):
    """Where a connection's records go."""

    def write(self, entries: list[bytes], buffers: list[Any]) -> None:
        """Send one WorkerMessage made of ``entries`` (blocking is fine)."""
        ...

    def close(self) -> None: ...


class Writer:
    """Batches answers from many threads into few writes (see the module docstring).

    A thread running a batch of calls (threads.batching()) only queues its answers; the
    batch's end, or the pool's watchdog when a call in it is slow, flushes them.
    """

    def __init__(self, transport: Transport, on_error: Any, pool: threads.Pool | None) -> None:
        self._transport = transport
        self._on_error = on_error
        self._pool = pool
        self._lock = threading.Lock()
        self._entries: list[bytes] = []
        self._buffers: list[Any] = []
        self._writing = False
        self.closed = False

    def send(self, entry: bytes, buffers: list[Any] = ()) -> None:  # type: ignore[assignment]
        with self._lock:
            if self.closed:
                return
            self._entries.append(entry)
            if buffers:
                self._buffers.extend(buffers)
        if self._pool is not None and threads.batching():
            self._pool.hold(self)
            return
        self.flush()

    def flush(self) -> None:
        """Write everything queued (one write per round); returns at once if a write is on."""
        with self._lock:
            if self._writing or not self._entries:
                return
            self._writing = True
        transport = self._transport
        while True:
            with self._lock:
                entries, buffers = self._entries, self._buffers
                if not entries:
                    self._writing = False
                    return
                self._entries, self._buffers = [], []
            try:
                transport.write(entries, buffers)
            except (OSError, ValueError) as exc:
                with self._lock:
                    self.closed = True
                    self._writing = False
                    self._entries, self._buffers = [], []
                self._on_error(exc)
                return

    def close(self) -> None:
        with self._lock:
            self.closed = True


class Connection:
    """Serves the frames of one host connection."""

    def __init__(self, worker: Worker, transport: Transport, name: str) -> None:
        self.worker = worker
        self.transport = transport
        self.name = name
        self.writer = Writer(transport, self._write_failed, worker.pool)
        self.authenticated = worker.token is None
        self.handshaken = False
        #: Peer: what the host can decode.
        self.capabilities: frozenset[str] = frozenset()
        self.max_buffer_bytes = 0
        self._lock = threading.Lock()
        self._pending: dict[int, Any] = {}  # call id -> Call (or a Call streaming)
        self._streams: dict[int, streams.Stream] = {}
        self._waiters: dict[int, callbacks.Waiter] = {}
        self._callback_ids = itertools.count(1)
        self._released: list[str] = []
        #: When the message being handled was read (0: not needed yet).
        self._received = 0.0
        self.closed = False

    # -- frames in ---------------------------------------------------------------------

    def handle(self, message: pb.HostMessage, buffers: list[Any]) -> list[Job]:
        """Route every frame of a message; returns the jobs (calls) to run.

        ``buffers`` are the raw buffers that followed the message on the lane, in order
        (empty over gRPC, where payloads carry their own).
        """
        jobs: list[Job] = []
        trailer = iter(buffers)
        cancels_seen = False
        self._received = 0.0  # read once, by the first Invoke with a deadline
        for frame in message.frames:
            kind = frame.WhichOneof("kind")
            if not self.authenticated:
                if kind == "handshake" and self._check_token(frame.handshake.token):
                    self.authenticated = True
                else:
                    log.warning("%s: refused a connection without the worker's token", self.name)
                    self.close()
                    return []
            if kind == "invoke":
                invoke = frame.invoke
                job = self._invoke(frame.id, invoke, self._buffers(invoke.args, trailer))
                if job is not None:
                    jobs.append(job)
            elif kind == "cancel":
                if not cancels_seen:
                    cancels_seen = True
                    self._mark_cancelled(message)
                self._stop(frame.id, pb.ERROR_CODE_CANCELED, "the call was canceled")
            elif kind == "release":
                self.worker.registry.release(frame.release.refs)
            elif kind == "callback_result":
                self._callback_result(frame.id, frame.callback_result, trailer)
            elif kind == "credit":
                stream = self._streams.get(frame.id)
                if stream is not None:
                    stream.add_credit(frame.credit.items)
            elif kind == "release_session":
                self.worker.registry.release_session(frame.release_session.session)
            elif kind == "handshake":
                self._handshake(frame.id, frame.handshake)
            elif kind == "describe":
                jobs.append(self._describe_job(frame.id, frame.describe))
            elif kind == "shutdown":
                self.send_frame(pb.WorkerFrame(id=frame.id, shutdown=pb.ShutdownResponse()))
                self.worker.request_shutdown(frame.shutdown.grace_ms / 1000)
            elif frame.id not in self._pending:
                self.writer.send(
                    error_entry(
                        frame.id,
                        error(
                            pb.ERROR_CODE_INVALID_ARGUMENT, "frame has no kind this worker knows"
                        ),
                    )
                )
        return jobs

    def _buffers(self, payload: pb.Payload, trailer: Iterator[Any]) -> list[Any]:
        count = len(payload.buffers)
        if not count:
            return []
        try:
            return [next(trailer) for _ in range(count)]
        except StopIteration:
            raise InvalidArgumentError(
                "a payload names more buffers than the message carries"
            ) from None

    def _check_token(self, token: str) -> bool:
        expected = self.worker.token
        return expected is None or hmac.compare_digest(token.encode(), expected.encode())

    def _invoke(self, call_id: int, invoke: pb.Invoke, buffers: list[Any]) -> Job | None:
        worker = self.worker
        if worker.draining:
            self.writer.send(
                error_entry(
                    call_id, error(pb.ERROR_CODE_UNAVAILABLE, "the worker is shutting down")
                )
            )
            return None
        call = Call(self, call_id, invoke, buffers)
        with self._lock:
            if call_id in self._pending:
                log.warning("ignoring a second Invoke with the in-flight id %d", call_id)
                return None
            self._pending[call_id] = call
        if invoke.timeout_ms:
            ms = invoke.timeout_ms
            # Calls that arrived together share the clock they started on, so their
            # deadlines stay in the order the host gave them, whatever preempts this loop.
            if not self._received:
                self._received = time.monotonic()
            call.deadline = self._received + ms / 1000
            call.timer = worker.timers.schedule(
                ms / 1000,
                lambda: self._stop(
                    call_id,
                    pb.ERROR_CODE_DEADLINE_EXCEEDED,
                    f"the call exceeded its {ms} ms deadline",
                    call,
                ),
            )
        return call.run

    def _mark_cancelled(self, message: pb.HostMessage) -> None:
        """Mark every call this message cancels as done before stopping the first of them.

        Stopping a call frees its thread's budget, and a thread may then start a call
        still queued; when the same message cancels that one too (calls sharing a
        deadline), it must not start only to be stuck. Answers still come from _stop.
        """
        for frame in message.frames:
            if frame.WhichOneof("kind") == "cancel":
                call = self._pending.get(frame.id)
                if call is not None:
                    call.done = True

    def _stop(self, call_id: int, code: int, message: str, only: Call | None = None) -> None:
        """Answer a pending call with an error now (cancel, deadline) and stop its work."""
        with self._lock:
            call = self._pending.get(call_id)
            if call is None or (only is not None and call is not only):
                return
            del self._pending[call_id]
            stream = self._streams.pop(call_id, None)
        call.stop()
        if stream is not None:
            stream.close(code, message)
        else:
            self.writer.send(error_entry(call_id, error(code, message)))
        self.worker.notify_progress()

    def abort(self, call: Call, code: int, message: str) -> None:
        """Answer ``call`` with an error if it is still pending."""
        self._stop(call.id, code, message, call)

    # -- answers out -------------------------------------------------------------------

    def answer(self, call: Call, entry: bytes, buffers: list[Any] = ()) -> bool:  # type: ignore[assignment]
        """Send ``call``'s one answer, unless it was answered already (then drop it)."""
        with self._lock:
            if self._pending.get(call.id) is not call:
                return False
            del self._pending[call.id]
            self._streams.pop(call.id, None)
        call.done = True
        if call.timer is not None:
            call.timer.cancel()
        self.writer.send(entry, buffers)
        self.worker.notify_progress()
        return True

    def send_frame(self, frame: pb.WorkerFrame) -> None:
        """Send a frame that answers no call (control responses, heartbeats)."""
        self.writer.send(frame_entry(frame))

    def encode(self, value: Any, session: str = "") -> Encoded:
        """Encode a value for this host (its capabilities and limits)."""
        return self.worker.codec.encode(value, self, session)

    def start_stream(self, call: Call, source: Any) -> None:
        """ITERATE: stream ``source`` as ``call``'s answer."""
        try:
            stream = streams.open_stream(self, call, source)
        except BaseException as exc:
            call.fail(exc)
            return
        with self._lock:
            if self._pending.get(call.id) is not call:
                return  # cancelled meanwhile
            self._streams[call.id] = stream
        stream.start()

    def inflight(self) -> int:
        """Calls accepted and not answered yet."""
        return len(self._pending)

    # -- control ------------------------------------------------------------------------

    def _handshake(self, request_id: int, request: pb.HandshakeRequest) -> None:
        self.capabilities = frozenset(request.capabilities)
        self.max_buffer_bytes = request.max_buffer_bytes
        self.handshaken = True
        self.send_frame(
            pb.WorkerFrame(id=request_id, handshake=handshake_response(self.worker, request))
        )

    def _describe_job(self, request_id: int, request: pb.DescribeRequest) -> Job:
        def job() -> None:
            from bridge_worker.describe import describe_response

            response, fault = describe_response(request)
            if fault is not None:
                self.writer.send(error_entry(request_id, fault))
            else:
                self.send_frame(pb.WorkerFrame(id=request_id, describe=response))

        return job

    # -- host callbacks (Peer) -------------------------------------------------------------

    def host_function(self, callback_id: str, name: str, doc: str | None, params: Any) -> Any:
        return callbacks.host_function(self, callback_id, name, doc, params)

    def host_iterator(self, callback_id: str) -> Any:
        return callbacks.HostIterator(self, callback_id)

    def _request(self, callback_id: str, args: Any, kwargs: Any, waiter: callbacks.Waiter) -> int:
        if self.closed:
            raise HostUnavailableError(
                f"the host that owns callback {callback_id} is gone (its bridge was closed)",
                "BridgeError",
            )
        parent = running_call()
        encoded = self.encode([list(args), dict(kwargs)], parent.session if parent else "")
        request_id = next(self._callback_ids) & 0xFFFFFFFF or next(self._callback_ids)
        with self._lock:
            self._waiters[request_id] = waiter
        payload = pb.Payload(encoding=pb.ENCODING_MSGPACK, data=encoded.data)
        payload.buffers.extend(b"" for _ in encoded.buffers)
        frame = pb.WorkerFrame(
            id=request_id,
            callback_request=pb.CallbackRequest(
                callback=callback_id,
                args=payload,
                call_id=parent.id if parent else 0,
                trace=telemetry.current(parent.invoke if parent else None),
            ),
        )
        if parent is not None:
            parent.waiter = waiter
        self.writer.send(frame_entry(frame), encoded.buffers)
        if self.closed:  # closed while sending: nobody will answer
            waiter.fail(
                HostUnavailableError(
                    f"the host that owns callback {callback_id} is gone (the connection to the"
                    " host closed)",
                    "BridgeError",
                )
            )
        return request_id

    def _outcome(self, request_id: int, waiter: callbacks.Waiter) -> Any:
        with self._lock:
            self._waiters.pop(request_id, None)
        parent = running_call()
        if parent is not None and parent.waiter is waiter:
            parent.waiter = None
        if waiter.error is not None:
            raise waiter.error
        assert waiter.payload is not None
        return self.worker.codec.decode(waiter.payload.data, waiter.buffers, self)

    def call_host(self, callback_id: str, args: Any, kwargs: Any) -> Any:
        """Call a host function from a thread; blocks it (only it) until the host answers."""
        waiter = callbacks.Waiter()
        request_id = self._request(callback_id, args, kwargs, waiter)
        try:
            callbacks.wait_blocking(waiter)
        finally:
            if waiter.cancelled:
                with self._lock:
                    self._waiters.pop(request_id, None)
        return self._outcome(request_id, waiter)

    async def acall_host(self, callback_id: str, args: Any, kwargs: Any) -> Any:
        """Call a host function from a coroutine."""
        import asyncio

        waiter = callbacks.Waiter(asyncio.get_running_loop())
        request_id = self._request(callback_id, args, kwargs, waiter)
        try:
            await waiter.await_()
        finally:
            if waiter.cancelled:
                with self._lock:
                    self._waiters.pop(request_id, None)
        return self._outcome(request_id, waiter)

    def _callback_result(
        self, request_id: int, result: pb.CallbackResult, trailer: Iterator[Any]
    ) -> None:
        outcome = result.WhichOneof("outcome")
        buffers = self._buffers(result.value, trailer) if outcome == "value" else []
        with self._lock:
            waiter = self._waiters.get(request_id)
        if waiter is None:
            return  # the caller gave up (its call was cancelled)
        if outcome == "value":
            waiter.resolve(result.value, buffers)
        else:
            waiter.fail(callbacks._host_error(result.error))

    def release_callback(self, callback_id: str) -> None:
        """Python dropped a host value: tell the host (batched with the next write)."""
        if self.closed:
            return
        self.send_frame(pb.WorkerFrame(release_callbacks=pb.ReleaseRefs(refs=[callback_id])))

    # -- ending --------------------------------------------------------------------------

    def abandon_all(self, err: pb.Error) -> None:
        """Answer every pending call with ``err`` and stop its work (shutdown)."""
        with self._lock:
            calls = list(self._pending.items())
            self._pending.clear()
            open_streams = dict(self._streams)
            self._streams.clear()
        for call_id, call in calls:
            call.stop()
            stream = open_streams.get(call_id)
            if stream is not None:
                stream.close(err.code, err.message)
            else:
                self.writer.send(error_entry(call_id, err))

    def _write_failed(self, exc: BaseException) -> None:
        log.debug("%s: write failed (%s); closing", self.name, exc)
        self.close()

    def close(self) -> None:
        """The host is gone: stop every call, fail every callback wait, close the socket."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            calls = list(self._pending.values())
            self._pending.clear()
            open_streams = list(self._streams.values())
            self._streams.clear()
            waiters = list(self._waiters.values())
            self._waiters.clear()
        self.writer.close()
        for call in calls:
            call.stop()
        for stream in open_streams:
            stream.close(pb.ERROR_CODE_CANCELED, "the host closed the connection")
        gone = HostUnavailableError("the connection to the host closed", "BridgeError")
        for waiter in waiters:
            waiter.fail(gone)
        with contextlib.suppress(OSError):
            self.transport.close()
        self.worker.forget(self)


def handshake_response(worker: Worker, request: pb.HandshakeRequest) -> pb.HandshakeResponse:
    """What the worker says of itself (the lane's handshake frame and the gRPC RPC)."""
    return pb.HandshakeResponse(
        protocol_version=min(request.protocol_version, PROTOCOL_VERSION),
        worker_version=__version__,
        python_version=platform.python_version(),
        pid=os.getpid(),
        capabilities=[*CAPABILITIES, *worker.extra_capabilities],
        python_executable=sys.executable,
        encodings=[pb.ENCODING_MSGPACK],
        max_threads=worker.pool.max_busy,
        heartbeat_ms=worker.heartbeat_ms,
    )


__all__ = ["CAPABILITIES", "Connection", "Transport", "Writer", "error_from_exception"]
