"""A run queue drained by a few long-running jobs on a ThreadPoolExecutor.

Submitting one executor job per call costs a Future, a queue put and usually a
thread wake-up each, and the wake-ups fight over the GIL. Here calls go into a
deque; ``kick()`` (once per incoming batch) submits just enough runner jobs that
every queued item has a runner free to take it, and each runner keeps popping
items until the deque is empty. A slow item occupies one runner only, so it never
blocks the items behind it while the pool has threads to spare.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")


class WorkQueue(Generic[T]):
    """Runs ``handle(item)`` for every item put, in ``executor``, with at most ``limit`` runners."""

    def __init__(self, executor: Executor, limit: int, handle: Callable[[T], None]) -> None:
        self._executor = executor
        self._limit = max(1, limit)
        self._handle = handle
        self._items: deque[T] = deque()
        self._lock = threading.Lock()
        self._runners = 0  # runner jobs submitted and not finished
        self._busy = 0  # runners inside handle()

    def put(self, item: T) -> None:
        """Queue an item; call :meth:`kick` after a batch of puts."""
        self._items.append(item)

    def kick(self) -> None:
        """Give every queued item a free runner (up to the limit).

        Raises RuntimeError if the executor is shut down.
        """
        with self._lock:
            idle = self._runners - self._busy
            want = min(len(self._items) - idle, self._limit - self._runners)
            if want <= 0:
                return
            self._runners += want
        for i in range(want):
            try:
                self._executor.submit(self._run)
            except BaseException:
                with self._lock:
                    self._runners -= want - i
                raise

    def _run(self) -> None:
        items = self._items
        lock = self._lock
        handle = self._handle
        item_done = False
        while True:
            with lock:
                if item_done:
                    self._busy -= 1
                if not items:
                    self._runners -= 1
                    return
                item = items.popleft()
                self._busy += 1
            item_done = True
            try:
                handle(item)
            except BaseException:  # handle() answers its own errors; this is a bug guard
                log.exception("work item failed")
