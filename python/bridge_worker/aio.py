"""The worker's asyncio loop, for coroutines user code returns: started on first use.

Calls run on threads; a call whose result is awaitable (a coroutine, a Future, an
object with ``__await__``) is awaited here, on one loop in one daemon thread, so
coroutines of every call share a loop as asyncio libraries expect. A worker that
never sees a coroutine never starts it (nor pays for it).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import logging
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None


def loop() -> asyncio.AbstractEventLoop:
    """The worker's running event loop (started on the first call)."""
    global _loop
    if _loop is not None:
        return _loop
    with _lock:
        if _loop is None:
            ready = threading.Event()
            new = asyncio.new_event_loop()

            def run() -> None:
                asyncio.set_event_loop(new)
                new.call_soon(ready.set)
                new.run_forever()

            threading.Thread(target=run, name="bridge-asyncio", daemon=True).start()
            ready.wait()
            _loop = new
    return _loop


def in_loop_thread() -> bool:
    """Whether the calling thread is the worker loop's thread."""
    try:
        return asyncio.get_running_loop() is _loop
    except RuntimeError:
        return False


async def _await(awaitable: Awaitable[Any]) -> Any:
    return await awaitable


def start(
    awaitable: Awaitable[Any], done: Callable[[concurrent.futures.Future[Any]], None]
) -> concurrent.futures.Future[Any]:
    """Await ``awaitable`` on the loop as its own task; ``done(future)`` runs when it settles.

    ``future.cancel()`` cancels the task (thread-safe).
    """
    coro: Coroutine[Any, Any, Any] = (
        awaitable if asyncio.iscoroutine(awaitable) else _await(awaitable)  # type: ignore[assignment]
    )
    future = asyncio.run_coroutine_threadsafe(coro, loop())
    future.add_done_callback(done)
    return future


#: Async generators finalized (dropped unfinished) while the task that set this runs.
_adopted: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "bridge_adopted_generators", default=None
)


def _install_finalizer() -> None:
    """Wrap the loop thread's async generator finalizer (once): see adopt_dropped_generators."""
    firstiter, finalizer = sys.get_asyncgen_hooks()
    if getattr(finalizer, "__bridge__", False):
        return

    def adopting(agen: Any) -> None:
        pending = _adopted.get()
        if pending is not None:
            pending.append(agen)  # closed by the task that dropped it, see close_adopted()
        elif finalizer is not None:
            finalizer(agen)

    adopting.__bridge__ = True  # type: ignore[attr-defined]
    sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=adopting)


def adopt_dropped_generators() -> list[Any]:
    """Call at the start of a task on the worker's loop: async generators dropped unfinished
    while it runs (an ``async for`` left early leaves its inner generator suspended) are
    handed to it instead of being closed by asyncio in a new task, where a cancel scope or
    task group they entered (anyio, ``dspy.streamify``) would fail to exit. Close them with
    :func:`close_adopted` before the task ends.
    """
    _install_finalizer()
    pending: list[Any] = []
    _adopted.set(pending)
    return pending


async def close_adopted(pending: list[Any]) -> None:
    """Close, in the calling task, the generators :func:`adopt_dropped_generators` collected."""
    while pending:
        agen = pending.pop(0)
        try:
            await agen.aclose()
        except BaseException:
            log.exception("closing a dropped async generator raised")
