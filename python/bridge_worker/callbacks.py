"""Host values in Python: TypeScript functions and iterables, called back over the channel.

A CallbackRequest frame carries the callback id and the encoded arguments; the host
answers with a CallbackResult frame carrying the same request id. A thread making
the call waits on a :class:`Waiter` with its budget released (threads.Pool.waiting),
so callbacks nest to any depth while other calls keep running; a coroutine awaits an
asyncio future instead. When Python drops a host function, the host is told
(ReleaseRefs on the worker frame ``release_callbacks``) and drops its side.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import keyword
import threading
import types
import weakref
from collections import deque
from typing import TYPE_CHECKING, Any

from bridge_worker import aio, threads
from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.codec import EXT_CALLBACK, EXT_HOST_ITERATOR, HOST_VALUE_TYPES
from bridge_worker.host import HostError, HostUnavailableError
from bridge_worker.interrupt import CallInterrupted

if TYPE_CHECKING:
    from bridge_worker.connection import Connection

# JSON Schema type names (how hosts declare parameters) to Python annotations.
_ANNOTATIONS: dict[str, Any] = {
    "string": str,
    "number": float,
    "integer": int,
    "boolean": bool,
    "array": list,
    "object": dict,
    "null": type(None),
}


class Waiter:
    """One pending host callback: settled by the reader, waited on by the caller."""

    __slots__ = ("_event", "_future", "_loop", "buffers", "cancelled", "error", "payload")

    def __init__(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._event = threading.Event()
        self._loop = loop
        self._future: asyncio.Future[None] | None = loop.create_future() if loop else None
        self.payload: pb.Payload | None = None
        self.buffers: list[Any] = []
        self.error: BaseException | None = None
        self.cancelled = False

    def _wake(self) -> None:
        self._event.set()
        if self._loop is not None and self._future is not None:
            future = self._future
            self._loop.call_soon_threadsafe(lambda: future.done() or future.set_result(None))

    def resolve(self, payload: pb.Payload, buffers: list[Any]) -> None:
        self.payload = payload
        self.buffers = buffers
        self._wake()

    def fail(self, exc: BaseException) -> None:
        self.error = exc
        self._wake()

    def cancel(self) -> None:
        """The call waiting here was cancelled: stop waiting."""
        self.cancelled = True
        self._wake()

    def wait(self) -> None:
        self._event.wait()
        if self.cancelled:
            raise CallInterrupted

    async def await_(self) -> None:
        assert self._future is not None
        await self._future
        if self.cancelled:
            raise asyncio.CancelledError


def _host_error(error: pb.Error) -> HostError:
    if error.code == pb.ERROR_CODE_HOST_EXCEPTION:
        return HostError(error.message, error.host_error_name or "Error", error.host_stack)
    if error.code == pb.ERROR_CODE_UNAVAILABLE:
        return HostUnavailableError(error.message, "BridgeError")
    return HostError(error.message, "BridgeError")


def _signature(params: Any) -> inspect.Signature | None:
    """The signature a host declared: ``[{name, type?, required?, default?, kind?}]``."""
    if type(params) is not list:
        return None
    out: list[inspect.Parameter] = []
    try:
        for spec in params:
            if type(spec) is not dict or type(spec.get("name")) is not str:
                return None
            kind = {
                "positional": inspect.Parameter.POSITIONAL_ONLY,
                "keyword": inspect.Parameter.KEYWORD_ONLY,
                "rest": inspect.Parameter.VAR_POSITIONAL,
                "kwargs": inspect.Parameter.VAR_KEYWORD,
            }.get(spec.get("kind"), inspect.Parameter.POSITIONAL_OR_KEYWORD)
            optional = spec.get("required") is False or "default" in spec
            default = spec.get("default") if optional else inspect.Parameter.empty
            if kind in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD):
                default = inspect.Parameter.empty
            annotation = _ANNOTATIONS.get(spec.get("type"), inspect.Parameter.empty)  # type: ignore[arg-type]
            if optional and annotation is not inspect.Parameter.empty and default is None:
                annotation = annotation | None
            out.append(
                inspect.Parameter(spec["name"], kind, default=default, annotation=annotation)
            )
        return inspect.Signature(out)
    except (ValueError, TypeError):
        return None  # names that are not identifiers, parameters out of order...


_ANYTHING = inspect.Signature(
    [
        inspect.Parameter("args", inspect.Parameter.VAR_POSITIONAL),
        inspect.Parameter("kwargs", inspect.Parameter.VAR_KEYWORD),
    ]
)


def host_function(
    conn: Connection, callback_id: str, name: str, doc: str | None, params: Any
) -> types.FunctionType:
    """A Python function standing for the host function ``callback_id``."""

    def host_function(*args: Any, **kwargs: Any) -> Any:
        if _running_loop():
            return conn.acall_host(callback_id, args, kwargs)
        return conn.call_host(callback_id, args, kwargs)

    ident = name if name.isidentifier() and not keyword.iskeyword(name) else "host_function"
    host_function.__name__ = ident
    host_function.__qualname__ = ident
    host_function.__doc__ = doc or None
    host_function.__module__ = "bridge_worker.host"
    # Without a declared signature (a TS function of arity 0 may take ...rest), the
    # function takes anything: say so plainly, not with this wrapper's own annotations.
    signature = _signature(params) or _ANYTHING
    host_function.__signature__ = signature  # type: ignore[attr-defined]
    host_function.__annotations__ = {
        p.name: p.annotation
        for p in signature.parameters.values()
        if p.annotation is not inspect.Parameter.empty
    }
    host_function.__bridge_host__ = (EXT_CALLBACK, callback_id)  # type: ignore[attr-defined]
    weakref.finalize(host_function, conn.release_callback, callback_id)
    return host_function  # type: ignore[return-value]


class HostIterator:
    """A host iterable (a TS ``AsyncIterable`` or ``Iterable``) as a Python iterator.

    Works both ways: ``for x in it`` (blocking each pull on the host) and
    ``async for x in it``. Items are fetched in batches; ``close()`` (or dropping it)
    tells the host to stop its iterator.
    """

    _BATCH = 64

    def __init__(self, conn: Connection, callback_id: str) -> None:
        self.__bridge_host__ = (EXT_HOST_ITERATOR, callback_id)
        self._conn = conn
        self._id = callback_id
        self._items: deque[Any] = deque()
        self._done = False
        self._finalizer = weakref.finalize(self, conn.release_callback, callback_id)

    def __iter__(self) -> HostIterator:
        return self

    def __next__(self) -> Any:
        while not self._items:
            if self._done:
                raise StopIteration
            self._fill(self._conn.call_host(self._id, ("next", self._BATCH), {}))
        return self._items.popleft()

    def __aiter__(self) -> HostIterator:
        return self

    async def __anext__(self) -> Any:
        while not self._items:
            if self._done:
                raise StopAsyncIteration
            self._fill(await self._conn.acall_host(self._id, ("next", self._BATCH), {}))
        return self._items.popleft()

    def _fill(self, answer: Any) -> None:
        if type(answer) is not list or len(answer) != 2 or type(answer[0]) is not list:
            raise HostError("the host iterator answered a malformed batch", "BridgeError")
        self._items.extend(answer[0])
        self._done = bool(answer[1])

    def close(self) -> None:
        """Stop the host's iterator (its ``return()`` runs)."""
        if not self._done:
            self._done = True
            self._items.clear()
            with contextlib.suppress(HostError):
                self._conn.call_host(self._id, ("return",), {})

    async def aclose(self) -> None:
        if not self._done:
            self._done = True
            self._items.clear()
            with contextlib.suppress(HostError):
                await self._conn.acall_host(self._id, ("return",), {})


HOST_VALUE_TYPES[HostIterator] = EXT_HOST_ITERATOR


def _running_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def wait_blocking(waiter: Waiter) -> None:
    """Wait for a host answer on this thread, releasing the thread's budget meanwhile."""
    if threads.in_pool():
        with threads.current_pool().waiting():
            waiter.wait()
    else:
        waiter.wait()


__all__ = ["HostIterator", "Waiter", "aio", "host_function", "wait_blocking"]
