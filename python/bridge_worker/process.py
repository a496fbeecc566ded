"""Process plumbing: the ready line, keeping stdout clean, and dying with the host."""

from __future__ import annotations

import contextlib
import json
import os
import sys
import threading

from bridge_worker import PROTOCOL_VERSION


def announce_ready(socket_path: str) -> None:
    """Write the one ready line to stdout, then send all later stdout to stderr.

    After this, ``print()`` in user code (or anything writing to fd 1) lands on
    stderr and can never corrupt the host's view of stdout.
    """
    line = json.dumps(
        {"event": "ready", "pid": os.getpid(), "socket": socket_path, "protocol": PROTOCOL_VERSION}
    )
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), 1)
    # fd 1 is stderr now; make Python's stdout line-buffered like a terminal's.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)


def exit_on_stdin_eof() -> threading.Thread:
    """Start a daemon thread that ends the process as soon as stdin reaches EOF.

    The host holds our stdin pipe open for as long as it lives, so EOF means it died
    (or closed it on purpose): exit at once, whatever user code is doing.
    """

    def watch() -> None:
        try:
            while os.read(0, 65536):
                pass
        except OSError:
            pass
        flush_and_exit(0)

    thread = threading.Thread(target=watch, name="bridge-stdin-watch", daemon=True)
    thread.start()
    return thread


def flush_and_exit(code: int) -> None:
    """Flush stdio and leave now, without waiting for threads still running user code."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
