"""What every connection of one worker process shares: objects, codec, threads, lifecycle."""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.codec import Codec
from bridge_worker.errors import error
from bridge_worker.invoke import Invoker
from bridge_worker.registry import Registry
from bridge_worker.resolve import Resolver
from bridge_worker.threads import Pool
from bridge_worker.timers import Timers

if TYPE_CHECKING:
    from bridge_worker.connection import Connection

log = logging.getLogger(__name__)

#: Heartbeat period when none is given (HandshakeResponse.heartbeat_ms).
DEFAULT_HEARTBEAT_MS = 500


def default_threads() -> int:
    """How many threads may run user code at once by default."""
    return 16


class Worker:
    """Process-wide state: the object registry, the codec, the threads, shutdown."""

    def __init__(
        self,
        *,
        threads: int | None = None,
        token: str | None = None,
        heartbeat_ms: int = DEFAULT_HEARTBEAT_MS,
        extra_capabilities: tuple[str, ...] = (),
    ) -> None:
        self.registry = Registry()
        self.codec = Codec(self.registry)
        self.resolver = Resolver()
        self.invoker = Invoker(self.registry, self.codec, self.resolver)
        self.pool = Pool(threads or default_threads())
        self.timers = Timers()
        #: Every connection must prove this in its Handshake (None: no check).
        self.token = token
        self.heartbeat_ms = heartbeat_ms
        self.extra_capabilities = extra_capabilities
        self.connections: set[Connection] = set()
        self._connections_lock = threading.Lock()
        #: True once Shutdown (or a signal) was received: new calls are refused.
        self.draining = False
        self._shutdown = threading.Event()
        self._grace_s = 0.0
        self._progress = threading.Condition()

    # -- connections -----------------------------------------------------------------

    def add(self, conn: Connection) -> None:
        with self._connections_lock:
            self.connections.add(conn)

    def forget(self, conn: Connection) -> None:
        with self._connections_lock:
            self.connections.discard(conn)
        self.notify_progress()

    def live_connections(self) -> list[Connection]:
        with self._connections_lock:
            return list(self.connections)

    def inflight(self) -> int:
        """Calls accepted on any connection and not answered yet."""
        return sum(conn.inflight() for conn in self.live_connections())

    # -- shutdown ----------------------------------------------------------------------

    def request_shutdown(self, grace_s: float) -> None:
        """Stop taking calls; :meth:`wait_shutdown_request` returns. Idempotent."""
        if not self.draining:
            self.draining = True
            self._grace_s = grace_s
        self._shutdown.set()

    def wait_shutdown_request(self) -> float:
        """Block until :meth:`request_shutdown`; returns the grace period in seconds."""
        while not self._shutdown.wait(0.5):
            pass
        return self._grace_s

    def notify_progress(self) -> None:
        """A call was answered: wake :meth:`drain` (only while draining)."""
        if self.draining:
            with self._progress:
                self._progress.notify_all()

    def drain(self, grace_s: float) -> None:
        """Wait up to ``grace_s`` for in-flight calls; answer the rest UNAVAILABLE."""
        deadline = time.monotonic() + grace_s
        with self._progress:
            while self.inflight() and time.monotonic() < deadline:
                self._progress.wait(min(0.05, max(0.0, deadline - time.monotonic())))
        for conn in self.live_connections():
            conn.abandon_all(
                error(pb.ERROR_CODE_UNAVAILABLE, "the worker shut down before the call finished")
            )
