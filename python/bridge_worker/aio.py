"""The worker's asyncio loop, for coroutines user code returns: started on first use.

Calls run on threads; a call whose result is awaitable (a coroutine, a Future, an
object with ``__await__``) is awaited here, on one loop in one daemon thread, so
coroutines of every call share a loop as asyncio libraries expect. A worker that
never sees a coroutine never starts it (nor pays for it).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

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
