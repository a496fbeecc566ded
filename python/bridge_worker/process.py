"""Process plumbing: the ready line, keeping stdout clean, dying with the host, the token."""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import threading
from typing import Any

from bridge_worker import PROTOCOL_VERSION

#: The environment variable the host passes the worker's token in (never argv).
TOKEN_ENV = "BRIDGE_WORKER_TOKEN"
_PR_SET_PDEATHSIG = 1


def announce_ready(**fields: Any) -> None:
    """Write the one ready line to stdout, then send all later stdout to stderr.

    After this, ``print()`` in user code (or anything writing to fd 1) lands on
    stderr and can never corrupt the host's view of stdout.
    """
    line = json.dumps(
        {"event": "ready", "pid": os.getpid(), "protocol": PROTOCOL_VERSION, **fields}
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


def die_with_parent() -> None:
    """On Linux, have the kernel SIGKILL this process when the host process dies."""
    if not sys.platform.startswith("linux"):
        return
    parent = os.getppid()
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent or parent == 1:  # the host died before prctl took effect
        flush_and_exit(0)


def read_token(token_file: str | None) -> str | None:
    """The worker's token: from ``token_file``, else from $BRIDGE_WORKER_TOKEN.

    The variable is removed from the environment once read, so user code and the
    processes it starts never see it.
    """
    token = os.environ.pop(TOKEN_ENV, None)
    if token_file:
        with open(token_file, encoding="utf-8") as fh:
            token = fh.read().strip()
    return token or None


def flush_and_exit(code: int) -> None:
    """Flush stdio and leave now, without waiting for threads still running user code."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
