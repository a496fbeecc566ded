"""ITERATE: a Python iterator streamed to the host, paced by credit.

The host opens a stream with ``Invoke{op: ITERATE, credit: n}`` and grants more with
Credit frames as its consumer takes items; the worker never sends more items than it
was granted, so a slow consumer keeps the producer bounded. Items travel in
StreamChunk frames (batched while they come fast), then one StreamEnd (with an Error
if the iterator raised). A Cancel closes the iterator: a generator's ``finally`` runs.

- A sync iterator is advanced on pool threads, one producer job at a time, and no
  thread is held while the stream waits for credit.
- An async iterator is driven by one task on the worker's event loop from start to
  end, so libraries whose generators enter cancel scopes or context managers (anyio,
  ``dspy.streamify``) see every step in the same task.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from bridge_worker import aio, threads
from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.errors import error, error_from_exception
from bridge_worker.interrupt import CallInterrupted, current_slot
from bridge_worker.wire import chunk_entry, frame_entry

if TYPE_CHECKING:
    from bridge_worker.calls import Call
    from bridge_worker.connection import Connection

log = logging.getLogger(__name__)

#: Items granted when the Invoke names no credit.
DEFAULT_CREDIT = 64
#: Most items one chunk carries.
MAX_CHUNK_ITEMS = 256
#: A chunk is sent once its first item waited this long, or an item took this long.
_FLUSH_S = 0.001


def _end_entry(call_id: int, err: pb.Error | None) -> bytes:
    end = pb.StreamEnd(error=err) if err is not None else pb.StreamEnd()
    return frame_entry(pb.WorkerFrame(id=call_id, stream_end=end))


class Stream:
    """What both kinds of streams share: credit, chunks, the end."""

    def __init__(self, conn: Connection, call: Call) -> None:
        self.conn = conn
        self.call = call
        self.credit = call.invoke.credit or DEFAULT_CREDIT
        self.closed = False

    def send_items(self, items: list[Any]) -> None:
        if not items:
            return
        encoded = self.conn.encode(items, self.call.session)
        entry = chunk_entry(self.call.id, encoded.data, encoded.buffers)
        self.conn.writer.send(entry, encoded.buffers)

    def end(self, exc: BaseException | None = None) -> None:
        err = None if exc is None else error_from_exception(exc)
        self.conn.answer(self.call, _end_entry(self.call.id, err))

    def add_credit(self, items: int) -> None:
        raise NotImplementedError

    def close(self, code: int, message: str) -> None:
        """Cancel or deadline: answer the end now, then close the iterator."""
        raise NotImplementedError

    def _answer_closed(self, code: int, message: str) -> None:
        # The call was removed from the pending table by whoever closes it.
        self.conn.writer.send(_end_entry(self.call.id, error(code, message)))


class SyncStream(Stream):
    """A sync iterator, advanced on pool threads while credit lasts.

    Items produced close together share a chunk. Items waiting in a chunk while the
    next ``next()`` is slow are not held back by it: the batch is registered with the
    pool (:meth:`threads.Pool.hold`), whose watchdog flushes it once the job has run
    a millisecond, so an item reaches the host whether or not another one follows.
    """

    def __init__(self, conn: Connection, call: Call, iterator: Any) -> None:
        super().__init__(conn, call)
        self._iterator = iterator
        self._lock = threading.Lock()
        #: Serializes sends (the producer's and the watchdog's), so chunks keep their order.
        self._send_lock = threading.Lock()
        self._batch: list[Any] = []
        self._running = True  # the first producer job is scheduled by start()

    def start(self) -> None:
        self.conn.worker.pool.submit(self._produce)

    def add_credit(self, items: int) -> None:
        with self._lock:
            self.credit += items
            if self._running or self.closed:
                return
            self._running = True
        self.conn.worker.pool.submit(self._produce)

    def close(self, code: int, message: str) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self._batch = []
            running = self._running
        self._answer_closed(code, message)
        if running:
            slot = self.call.slot
            if slot is not None:
                slot.interrupt(self)  # stops a next() that runs Python code
        else:
            self.conn.worker.pool.submit(self._close_iterator)

    def flush(self) -> None:
        """Send the items batched so far (the producer, or the pool's watchdog)."""
        with self._send_lock:
            with self._lock:
                items, self._batch = self._batch, []
                if self.closed:
                    return
            self._send(items)

    def _close_iterator(self) -> None:
        close = getattr(self._iterator, "close", None)
        if close is not None:
            try:
                close()  # GeneratorExit at the generator's yield: its finally runs
            except BaseException:
                log.exception("closing a streamed iterator raised")

    def _produce(self) -> None:
        slot = self.call.slot = current_slot()
        pool = threads.current_pool() if threads.in_pool() else None
        started = 0.0
        iterator = self._iterator
        while True:
            with self._lock:
                if self.closed or self.credit == 0:
                    closed = self.closed
                    self._running = False
                    break
                self.credit -= 1
            before = time.monotonic()
            try:
                with slot.user_code(self):
                    item = next(iterator)
            except StopIteration:
                self._finish(None)
                return
            except CallInterrupted:
                closed = True
                break
            except BaseException as exc:
                self._finish(exc)
                return
            now = time.monotonic()
            with self._lock:
                if self.closed:
                    continue  # the loop's check ends it
                self._batch.append(item)
                size = len(self._batch)
            if size == 1:
                started = now
            if size >= MAX_CHUNK_ITEMS or now - started >= _FLUSH_S or now - before >= _FLUSH_S:
                self.flush()
            elif size == 1:
                if pool is not None:
                    pool.hold(self)  # flushed by the watchdog if the next item is slow
                else:
                    self.flush()
        if closed:
            self._close_iterator()
        else:
            self.flush()

    def _send(self, batch: list[Any]) -> None:
        try:
            self.send_items(batch)
        except BaseException as exc:  # an item too large for the host, say
            with self._lock:
                if self.closed:
                    return
                self.closed = True
                running = self._running
            self.end(exc)
            if not running:
                self._close_iterator()
            elif self.call.slot is not None:
                self.call.slot.interrupt(self)

    def _finish(self, exc: BaseException | None) -> None:
        with self._send_lock:
            with self._lock:
                items, self._batch = self._batch, []
                if self.closed:
                    self._running = False
                    return
                self.closed = True
                self._running = False
            try:
                self.send_items(items)
            except BaseException as failure:
                exc = exc or failure
            self.end(exc)


class AsyncStream(Stream):
    """An async iterator, driven by one task on the worker's event loop."""

    def __init__(self, conn: Connection, call: Call, iterator: Any) -> None:
        super().__init__(conn, call)
        self._iterator = iterator
        self._loop = aio.loop()
        self._more = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop.call_soon_threadsafe(self._start)

    def _start(self) -> None:
        if not self.closed:
            self._task = self._loop.create_task(self._pump())

    def add_credit(self, items: int) -> None:
        def grant() -> None:
            self.credit += items
            self._more.set()

        self._loop.call_soon_threadsafe(grant)

    def close(self, code: int, message: str) -> None:
        if self.closed:
            return
        self.closed = True
        self._answer_closed(code, message)

        def cancel() -> None:
            if self._task is not None:
                self._task.cancel()

        self._loop.call_soon_threadsafe(cancel)

    async def _pump(self) -> None:
        iterator = self._iterator
        failure: BaseException | None = None
        dropped = aio.adopt_dropped_generators()
        try:
            while not self.closed:
                while self.credit == 0:
                    self._more.clear()
                    await self._more.wait()
                self.credit -= 1
                try:
                    item = await iterator.__anext__()
                except StopAsyncIteration:
                    break
                self.send_items([item])
        except asyncio.CancelledError:
            pass
        except BaseException as exc:
            failure = exc
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                try:
                    await aclose()
                except BaseException:
                    log.exception("closing a streamed async iterator raised")
            # Generators it left suspended (nested ones) are closed here, in this task too.
            await aio.close_adopted(dropped)
        if not self.closed:
            self.closed = True
            self.end(failure)


def open_stream(conn: Connection, call: Call, source: Any) -> Stream:
    """The stream for an ITERATE's target (an iterator, async iterator or iterable)."""
    if hasattr(source, "__anext__"):
        return AsyncStream(conn, call, source)
    if hasattr(source, "__next__"):
        return SyncStream(conn, call, source)
    if hasattr(source, "__aiter__") and not hasattr(source, "__iter__"):
        return AsyncStream(conn, call, source.__aiter__())
    return SyncStream(conn, call, iter(source))
