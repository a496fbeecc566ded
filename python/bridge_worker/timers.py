"""Deadlines: one daemon thread runs every scheduled callback at its time (started on first use)."""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable


class Timer:
    """A scheduled callback; :meth:`cancel` stops it if it has not run."""

    __slots__ = ("_fn", "cancelled")

    def __init__(self, fn: Callable[[], None]) -> None:
        self._fn = fn
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True

    def fire(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self._fn()


class Timers:
    """A heap of timers served by one thread."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, Timer]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def schedule(self, delay_s: float, fn: Callable[[], None]) -> Timer:
        """Run ``fn`` on the timer thread after ``delay_s`` seconds."""
        timer = Timer(fn)
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay_s, next(self._seq), timer))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="bridge-timers", daemon=True)
                self._thread.start()
            elif self._heap[0][2] is timer:
                self._cond.notify()
        return timer

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    while self._heap and self._heap[0][2].cancelled:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._cond.wait()
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        timer = heapq.heappop(self._heap)[2]
                        break
                    self._cond.wait(wait)
            try:
                timer.fire()
            except Exception:  # a timer callback answers its own errors
                import logging

                logging.getLogger(__name__).exception("timer callback failed")
