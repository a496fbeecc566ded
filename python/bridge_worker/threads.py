"""The worker's threads: leader/follower reading, calls run where they are read.

No thread hand-off sits on a call's critical path. The thread that reads a message
off a connection (the *leader*) first hands the reading role to an idle thread (a
*follower*, which becomes the next leader), then runs the first call of the message
itself; further calls of the same message go to the run queue, where idle threads
take them. So a trivial call costs one wake-up (the read) and a slow call never
blocks the calls behind it: someone is always reading, and every queued call has a
thread as long as the budget allows.

The budget, ``max_busy``, bounds the threads *running user code*. Reading does not
count, nor does waiting for a host callback's answer (:meth:`Pool.waiting`), nor a
thread stuck in a call that was cancelled and could not be interrupted
(:meth:`Pool.stuck`): calls nested through callbacks can never deadlock the pool, and
hung threads never starve later calls. Threads are made on demand, up to
``max_threads`` in all, and idle ones above the budget retire after a while.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from contextlib import contextmanager
from typing import Protocol

log = logging.getLogger(__name__)

#: An idle thread beyond the budget exits after this many seconds without work.
_RETIRE_S = 30.0


class Leader(Protocol):
    """A connection that needs a thread reading it."""

    def lead(self, pool: Pool) -> None:
        """Read one message (blocking) and handle it; see :meth:`Pool.handoff_reading`."""
        ...


Job = Callable[[], None]

_local = threading.local()


def in_pool() -> bool:
    """Whether the calling thread is one of a Pool's threads."""
    return getattr(_local, "pool", None) is not None


def current_pool() -> Pool:
    """The Pool the calling thread belongs to (check :func:`in_pool` first)."""
    return _local.pool  # type: ignore[no-any-return]


class Pool:
    """Runs jobs and reads connections on a set of threads grown on demand."""

    def __init__(self, max_busy: int, max_threads: int | None = None) -> None:
        self.max_busy = max(1, max_busy)
        self.max_threads = max_threads or max(64, 4 * self.max_busy)
        self._cond = threading.Condition(threading.Lock())
        self._work: deque[Job] = deque()
        self._readers: deque[Leader] = deque()
        self._threads = 0
        self._idle = 0
        self._waking = 0  # notified, not yet awake
        self._busy = 0  # running a job, budget counted
        self._waiting = 0  # running a job but blocked on the host
        # running a job whose call was cancelled and that could not be interrupted yet
        self._stuck_since: dict[object, float] = {}
        self._stopped = False
        self.jobs_run = 0

    # -- submitting ----------------------------------------------------------------

    def submit(self, job: Job) -> None:
        """Queue a job; a thread runs it as soon as the budget allows."""
        with self._cond:
            self._work.append(job)
            self._wake_locked()

    def read(self, leader: Leader) -> None:
        """Give ``leader`` a reading thread (reading never waits for the budget)."""
        with self._cond:
            self._readers.append(leader)
            self._wake_locked()

    def handoff_reading(self, leader: Leader, jobs: list[Job]) -> None:
        """Called by a leader once its message is read: another thread reads next, this
        one runs the first job at once when the budget allows (the rest are queued).
        """
        inline: Job | None = None
        with self._cond:
            self._readers.append(leader)
            if jobs:
                if self._busy < self.max_busy:
                    inline = jobs[0]
                    self._busy += 1
                    self._work.extend(jobs[1:])
                else:
                    self._work.extend(jobs)
            self._wake_locked()
        if inline is not None:
            self._run(inline)

    def _wake_locked(self) -> None:
        wanted = len(self._readers) + min(len(self._work), max(0, self.max_busy - self._busy))
        missing = wanted - self._waking
        if missing <= 0:
            return
        notify = min(missing, self._idle - self._waking)
        if notify > 0:
            self._cond.notify(notify)
            self._waking += notify
            missing -= notify
        while missing > 0 and self._threads < self.max_threads and not self._stopped:
            self._threads += 1
            missing -= 1
            threading.Thread(target=self._main, name=f"bridge-{self._threads}", daemon=True).start()

    # -- accounting used by calls ---------------------------------------------------

    @contextmanager
    def waiting(self):  # noqa: ANN201 - a context manager
        """While the current job waits for the host, its budget goes to another thread."""
        with self._cond:
            self._busy -= 1
            self._waiting += 1
            self._wake_locked()
        try:
            yield
        finally:
            with self._cond:
                self._waiting -= 1
                self._busy += 1

    def stuck(self, key: object) -> None:
        """The job running ``key`` was cancelled and keeps running: free its budget."""
        with self._cond:
            self._busy -= 1
            self._stuck_since[key] = time.monotonic()
            self._wake_locked()

    def unstuck(self, key: object) -> None:
        """The job marked stuck as ``key`` finished."""
        with self._cond:
            self._stuck_since.pop(key, None)
            self._busy += 1

    def stats(self) -> dict[str, int]:
        """Threads by state, the run queue's length, and the oldest stuck job's age (ms)."""
        with self._cond:
            oldest = min(self._stuck_since.values(), default=None)
            return {
                "threads": self._threads,
                "busy": self._busy,
                "waiting": self._waiting,
                "stuck": len(self._stuck_since),
                "stuck_ms": 0 if oldest is None else int((time.monotonic() - oldest) * 1000),
                "idle": self._idle,
                "queued": len(self._work),
            }

    def stop(self) -> None:
        """Let every idle thread exit (running jobs finish on their own)."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    # -- threads -----------------------------------------------------------------------

    def _run(self, job: Job) -> None:
        try:
            job()
        except BaseException:  # jobs answer their own errors; this is a bug guard
            log.exception("worker job failed")
        finally:
            with self._cond:
                self._busy -= 1
                self.jobs_run += 1
                if self._work and self._busy < self.max_busy:
                    self._wake_locked()

    def _main(self) -> None:
        _local.pool = self
        cond = self._cond
        while True:
            leader: Leader | None = None
            job: Job | None = None
            with cond:
                while True:
                    if self._readers:
                        leader = self._readers.popleft()
                        break
                    if self._work and self._busy < self.max_busy:
                        job = self._work.popleft()
                        self._busy += 1
                        break
                    if self._stopped:
                        self._threads -= 1
                        return
                    self._idle += 1
                    woke = cond.wait(_RETIRE_S)
                    self._idle -= 1
                    if self._waking:
                        self._waking -= 1
                    if not woke and self._threads > self.max_busy + 2:
                        self._threads -= 1
                        return
            if leader is not None:
                try:
                    leader.lead(self)
                except BaseException:
                    log.exception("reading a connection failed")
            else:
                assert job is not None
                self._run(job)
