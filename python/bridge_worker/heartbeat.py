"""Heartbeats: liveness and load, from a thread that needs no event loop.

Every ``heartbeat_ms`` the worker sends each connection a Heartbeat frame with its
load (busy, waiting and stuck threads, queued calls) and its resident set size. The
thread needs only the GIL: if Python code holds the GIL in C for long, deadlocks, or
the process is stopped, the heartbeats stop and the host replaces the worker.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb

if TYPE_CHECKING:
    from bridge_worker.worker import Worker

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """This process's resident set size now (0 where /proc is not available)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


def heartbeat(worker: Worker) -> pb.Heartbeat:
    """The worker's load now."""
    stats = worker.pool.stats()
    return pb.Heartbeat(
        busy_threads=stats["busy"],
        waiting_threads=stats["waiting"],
        queued=stats["queued"],
        stuck_threads=stats["stuck"],
        stuck_ms=stats["stuck_ms"],
        rss_bytes=rss_bytes(),
        calls=worker.pool.jobs_run,
    )


def start(worker: Worker) -> threading.Thread | None:
    """Send heartbeats to every handshaken connection until the process exits."""
    if worker.heartbeat_ms <= 0:
        return None
    period = worker.heartbeat_ms / 1000

    def beat() -> None:
        stop = threading.Event()
        while not stop.wait(period):
            frame = pb.WorkerFrame(heartbeat=heartbeat(worker))
            for conn in worker.live_connections():
                if conn.handshaken and not conn.closed:
                    conn.send_frame(frame)

    thread = threading.Thread(target=beat, name="bridge-heartbeat", daemon=True)
    thread.start()
    return thread
