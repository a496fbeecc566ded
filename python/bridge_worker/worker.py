"""What every Channel of one worker process shares: objects, codec, threads, lifecycle."""

from __future__ import annotations

import asyncio
import contextlib
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from bridge_worker.codec import Codec
from bridge_worker.invoke import Invoker
from bridge_worker.registry import Registry
from bridge_worker.resolve import Resolver

if TYPE_CHECKING:
    from bridge_worker.channel import ChannelSession


class Worker:
    """Process-wide state; lives on the event loop thread (its executor runs user code)."""

    def __init__(self, executor: ThreadPoolExecutor, threads: int) -> None:
        self.executor = executor
        #: How many threads the executor runs user code on.
        self.threads = threads
        self.registry = Registry()
        self.codec = Codec(self.registry)
        self.resolver = Resolver()
        self.invoker = Invoker(self.registry, self.codec, self.resolver)
        self.sessions: set[ChannelSession] = set()
        #: True once Shutdown (or a signal) was received: new calls are refused.
        self.draining = False
        self._shutdown: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self._idle = asyncio.Event()

    def request_shutdown(self, grace_s: float) -> None:
        """Stop taking calls; :meth:`wait_shutdown_request` returns ``grace_s``. Idempotent."""
        self.draining = True
        if not self._shutdown.done():
            self._shutdown.set_result(grace_s)

    async def wait_shutdown_request(self) -> float:
        """Wait for :meth:`request_shutdown`; returns the grace period in seconds."""
        return await self._shutdown

    def notify_idle(self) -> None:
        """A channel ran out of pending calls while draining: re-check in :meth:`drain`."""
        self._idle.set()

    def inflight(self) -> int:
        """Calls accepted on any channel and not answered yet."""
        return sum(session.inflight() for session in self.sessions)

    async def drain(self, grace_s: float) -> None:
        """Wait up to ``grace_s`` for in-flight calls, then close every channel."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + grace_s
        while self.inflight() and loop.time() < deadline:
            self._idle.clear()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._idle.wait(), deadline - loop.time())
        await asyncio.gather(*(session.close() for session in list(self.sessions)))
