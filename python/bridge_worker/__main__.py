"""CLI: ``python -m bridge_worker --socket PATH [--threads N] [--log-level LEVEL]``."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from bridge_worker import __version__
from bridge_worker.process import announce_ready, exit_on_stdin_eof, flush_and_exit
from bridge_worker.server import ServeOptions, serve


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bridge_worker",
        description="Bridge's Python worker: serves Python libraries to a Node host over gRPC.",
    )
    parser.add_argument("--socket", required=True, help="unix socket path to listen on")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="threads running user code (default: Python's ThreadPoolExecutor default)",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
        help="log level for the worker's own messages on stderr (default: WARNING)",
    )
    parser.add_argument("--version", action="version", version=f"bridge_worker {__version__}")
    return parser


def main(argv: list[str] | None = None) -> None:
    """Run the worker until Shutdown, a signal, or stdin EOF."""
    opts = _parser().parse_args(argv)
    if opts.threads is not None and opts.threads < 1:
        _parser().error("--threads must be at least 1")
    # Configure only our own logger: the root logger belongs to the libraries the user
    # calls (their warnings still reach stderr through logging's last-resort handler).
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(
            "%(asctime)s %(levelname)s bridge_worker[%(process)d] %(name)s: %(message)s"
        )
    )
    own = logging.getLogger("bridge_worker")
    own.addHandler(handler)
    own.setLevel(opts.log_level)
    own.propagate = False

    def on_ready() -> None:
        announce_ready(opts.socket)
        exit_on_stdin_eof()

    code = asyncio.run(serve(ServeOptions(socket=opts.socket, threads=opts.threads), on_ready))
    # Threads may still be running user code past the grace period: do not wait for them.
    flush_and_exit(code)


if __name__ == "__main__":
    main()
