"""The worker's threads: calls run where they are read, a watchdog keeps it fair.

A connection is read by one thread at a time, its *leader*. The leader reads a
message, routes its frames, and then runs the calls it carried itself, one after the
other, before it reads again. Their answers are written together, in one system call,
when the batch is done. So a trivial call costs no thread wake-up at all besides the
read, and a batch of 64 costs one read and one write, with no GIL ping-pong between
threads running microsecond calls.

A slow call must never hold up the others. A *watchdog* thread looks every
``watch_ms`` (1 ms) at the jobs running: when one has run longer than that, the
watchdog hands the leader's reading role to an idle thread, lets an idle thread take
over the calls queued behind the slow one, and flushes answers still waiting to be
written. So a call that sleeps, waits on I/O or runs C code that releases the GIL
delays the rest by about a millisecond, once. The watchdog parks itself when the
worker has been idle for a while, so an idle worker wakes nobody.

The budget, ``max_busy``, bounds the threads *running user code*. Reading does not
count, nor does waiting for a host callback's answer (:meth:`Pool.waiting`, which also
hands off the reading role at once: the answer must be read), nor a thread stuck in a
call that was cancelled and could not be interrupted (:meth:`Pool.stuck`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

log = logging.getLogger(__name__)

#: An idle thread beyond the budget exits after this many seconds without work.
_RETIRE_S = 30.0
#: The watchdog parks after this long with no job running and nothing queued.
_WATCHDOG_IDLE_S = 0.25
#: A batch's answers are flushed early after this many jobs, so the host can work on
#: them (and send more calls) while the rest of the batch runs: the two overlap. 8
#: measured best with 16 calls in flight (~100k calls/s against ~53k with 16) and costs
#: ~5% with 64 (more writes, each answering fewer calls).
_FLUSH_EVERY = 8


class Leader(Protocol):
    """A connection that needs a thread reading it."""

    def lead(self, pool: Pool) -> bool:
        """Read one message (blocking) and route it, calling :meth:`Pool.dispatch` with its
        jobs; False once the connection is closed (nothing more to read).
        """
        ...


class Flushable(Protocol):
    """A writer whose answers may wait for the end of a batch."""

    def flush(self) -> None: ...


Job = Callable[[], None]

_local = threading.local()


def in_pool() -> bool:
    """Whether the calling thread is one of a Pool's threads."""
    return getattr(_local, "pool", None) is not None


def current_pool() -> Pool:
    """The Pool the calling thread belongs to (check :func:`in_pool` first)."""
    return _local.pool  # type: ignore[no-any-return]


def batching() -> bool:
    """Whether the calling thread runs a batch: its answers are written at the end of it."""
    return _local.__dict__.get("batching", False)


class Pool:
    """Runs jobs and reads connections on threads grown on demand (see the module docstring)."""

    def __init__(
        self, max_busy: int, max_threads: int | None = None, watch_ms: float = 1.0
    ) -> None:
        self.max_busy = max(1, max_busy)
        self.max_threads = max_threads or max(64, 4 * self.max_busy)
        self._watch_s = watch_ms / 1000
        self._cond = threading.Condition(threading.Lock())
        self._work: deque[Job] = deque()
        self._readers: deque[Leader] = deque()  # connections waiting for a reading thread
        self._reading: dict[int, Leader] = {}  # thread -> the connection it leads
        self._threads = 0
        self._idle = 0
        self._waking = 0  # notified, not yet awake
        self._busy = 0  # running a job, budget counted
        self._waiting = 0  # running a job but blocked on the host
        self._running: dict[int, float] = {}  # thread -> when its current job started
        self._drainers = 0  # threads in a drain loop, not waiting on the host
        self._stuck_since: dict[object, float] = {}
        self._writers: set[Flushable] = set()  # writers with answers held for a batch
        self._watchdog_parked = True
        self._watchdog: threading.Thread | None = None
        self._last_activity = 0.0
        self._stopped = False
        self.jobs_run = 0

    # -- submitting ----------------------------------------------------------------

    def submit(self, job: Job) -> None:
        """Queue a job (from any thread); an idle thread runs it unless one is running jobs."""
        with self._cond:
            self._work.append(job)
            self._last_activity = time.monotonic()
            if self._watchdog_parked:
                self._unpark_locked()
            self._wake_locked()

    def read(self, leader: Leader) -> None:
        """Give ``leader`` a reading thread (reading never waits for the budget)."""
        with self._cond:
            self._readers.append(leader)
            self._wake_locked()

    def dispatch(self, leader: Leader, jobs: list[Job]) -> bool:
        """Called by a leader once a message is routed: run its jobs (and whatever else is
        queued) on this thread, then return whether this thread still leads ``leader``
        (the watchdog may have handed the reading role on while a job was slow).
        """
        me = threading.get_ident()
        if jobs:
            with self._cond:
                self._work.extend(jobs)
                self._last_activity = time.monotonic()
                if self._watchdog_parked:
                    self._unpark_locked()
            self._drain(me)
        with self._cond:
            return self._reading.get(me) is leader

    def hold(self, writer: Flushable) -> None:
        """A writer holds answers for this batch: the watchdog flushes it if the batch is slow."""
        if writer in self._writers:  # the usual case after a batch's first answer
            return
        with self._cond:
            self._writers.add(writer)

    def _wake_locked(self) -> None:
        """Wake (or make) threads for every connection without a reader, and one for queued
        work when no thread is draining it (a drainer in a slow job does not count).
        """
        wanted = len(self._readers)
        if self._work and self._busy < self.max_busy and self._drainers - self._slow_locked() <= 0:
            wanted += 1
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

    def _slow_locked(self) -> int:
        if not self._running:
            return 0
        limit = time.monotonic() - self._watch_s
        return sum(1 for started in self._running.values() if started < limit)

    # -- running jobs ------------------------------------------------------------------

    def _drain(self, me: int) -> None:
        """Run queued jobs on this thread until the queue is empty or the budget is used."""
        cond = self._cond
        work = self._work
        running = self._running
        monotonic = time.monotonic
        while True:
            with cond:
                if not work or self._busy >= self.max_busy:
                    return
                self._busy += 1  # this thread is busy for the whole batch
                self._drainers += 1
            _local.batching = True
            done = 0
            try:
                while True:
                    try:
                        job = work.popleft()  # atomic; the lock guards only the accounting
                    except IndexError:
                        break
                    running[me] = monotonic()  # read by the watchdog
                    try:
                        job()
                    except BaseException:  # jobs answer their own errors; this is a bug guard
                        log.exception("worker job failed")
                    done += 1
                    if done % _FLUSH_EVERY == 0 and work:
                        self._flush_held()
            finally:
                with cond:
                    running.pop(me, None)
                    self._busy -= 1
                    self._drainers -= 1
                    self.jobs_run += done
                _local.batching = False
                self._flush_held()
            # Jobs queued meanwhile (by another thread, or while the budget was full): go on.

    def _flush_held(self) -> None:
        with self._cond:
            writers, self._writers = self._writers, set()
        for writer in writers:
            writer.flush()

    # -- accounting used by calls ---------------------------------------------------

    @contextmanager
    def waiting(self) -> Iterator[None]:
        """While the current job waits for the host, its budget and its reading role go to
        other threads, and the answers it holds are written (the host must see them).
        """
        me = threading.get_ident()
        self._flush_held()
        draining = batching()
        with self._cond:
            self._busy -= 1
            self._waiting += 1
            self._running.pop(me, None)
            if draining:
                self._drainers -= 1
            leader = self._reading.pop(me, None)
            if leader is not None:
                self._readers.append(leader)
            self._wake_locked()
        try:
            yield
        finally:
            with self._cond:
                self._waiting -= 1
                self._busy += 1
                self._running[me] = time.monotonic()
                if draining:
                    self._drainers += 1

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

    def idle(self) -> bool:
        """No job is running or queued (a reader may spin briefly for the next record)."""
        return not self._running and not self._work

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

    # -- the watchdog --------------------------------------------------------------------

    def _unpark_locked(self) -> None:
        self._watchdog_parked = False
        if self._watchdog is None:
            self._watchdog = threading.Thread(
                target=self._watch, name="bridge-watchdog", daemon=True
            )
            self._watchdog.start()
        else:
            self._cond.notify_all()  # the parked watchdog waits on the same condition

    def _watch(self) -> None:
        cond = self._cond
        while True:
            time.sleep(self._watch_s)
            flush = False
            with cond:
                if self._stopped:
                    return
                now = time.monotonic()
                limit = now - self._watch_s
                slow = [ident for ident, started in self._running.items() if started < limit]
                for ident in slow:
                    leader = self._reading.pop(ident, None)
                    if leader is not None:  # its connection must keep being read
                        self._readers.append(leader)
                if slow or self._readers:
                    self._wake_locked()
                flush = bool(slow) and bool(self._writers)
                if (
                    not self._running
                    and not self._work
                    and now - self._last_activity > _WATCHDOG_IDLE_S
                ):
                    self._watchdog_parked = True
                    while self._watchdog_parked and not self._stopped:
                        cond.wait()
            if flush:
                self._flush_held()

    # -- threads -----------------------------------------------------------------------

    def _main(self) -> None:
        _local.pool = self
        me = threading.get_ident()
        cond = self._cond
        while True:
            leader: Leader | None = None
            with cond:
                while True:
                    if self._readers:
                        leader = self._readers.popleft()
                        self._reading[me] = leader
                        break
                    if self._work and self._busy < self.max_busy:
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
                self._lead(me, leader)
            else:
                self._drain(me)

    def _lead(self, me: int, leader: Leader) -> None:
        """Read and serve ``leader`` for as long as this thread keeps its reading role."""
        try:
            while leader.lead(self):
                with self._cond:
                    if self._reading.get(me) is not leader:
                        return  # handed on while a job was slow
        except BaseException:
            log.exception("reading a connection failed")
        finally:
            with self._cond:
                if self._reading.get(me) is leader:
                    del self._reading[me]


def job_age(pool: Pool) -> dict[int, float]:  # pragma: no cover - debugging aid
    """Seconds each running job has run (for logs)."""
    now = time.monotonic()
    with pool._cond:
        return {ident: now - started for ident, started in pool._running.items()}


__all__: list[Any] = ["Leader", "Pool", "batching", "current_pool", "in_pool"]
