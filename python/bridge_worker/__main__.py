"""CLI: the worker's two modes.

``python -m bridge_worker --socket PATH``: a local worker, started by a Bridge host.
It serves the local lane at PATH (and gRPC at ``unix:PATH.grpc`` with ``--grpc``),
exits when its stdin reaches EOF or its parent dies, and takes its token from
$BRIDGE_WORKER_TOKEN.

``python -m bridge_worker serve --listen HOST:PORT``: a remote worker, run by an
orchestrator (Kubernetes, systemd...). It serves gRPC (WorkerService plus
grpc.health.v1) on that address, optionally with TLS, and needs a token from
$BRIDGE_WORKER_TOKEN or ``--token-file`` (never argv).
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import sys

from bridge_worker import __version__
from bridge_worker.process import (
    announce_ready,
    die_with_parent,
    exit_on_stdin_eof,
    flush_and_exit,
    read_token,
)

#: How long SIGTERM (and SIGINT in remote mode) let in-flight calls finish by default.
SIGNAL_GRACE_MS = 2000


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="how many threads may run user code at once (default: 16)",
    )
    parser.add_argument(
        "--heartbeat-ms",
        type=int,
        default=None,
        help="heartbeat period in milliseconds, 0 to send none (default: 500)",
    )
    parser.add_argument("--token-file", default=None, help="file holding the worker's token")
    parser.add_argument(
        "--grace-ms",
        type=int,
        default=SIGNAL_GRACE_MS,
        help="how long SIGTERM lets calls in flight finish before they are answered"
        f" UNAVAILABLE and the worker exits (default: {SIGNAL_GRACE_MS})",
    )
    parser.add_argument(
        "--spin-us",
        type=int,
        default=None,
        help="local lane: poll this long for the next record before sleeping, when idle"
        " (default: 50; 0 never polls)",
    )
    parser.add_argument(
        "--log-level",
        default="WARNING",
        type=str.upper,
        choices=["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
        help="log level for the worker's own messages on stderr (default: WARNING)",
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bridge_worker",
        description="Bridge's Python worker: serves Python libraries to a TypeScript host.",
    )
    parser.add_argument("--version", action="version", version=f"bridge_worker {__version__}")
    parser.add_argument("--socket", help="local mode: the lane's unix socket path")
    parser.add_argument(
        "--grpc", action="store_true", help="local mode: also serve gRPC at unix:SOCKET.grpc"
    )
    _common(parser)
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="remote mode: serve gRPC on a network address")
    serve.add_argument("--listen", required=True, help="HOST:PORT to listen on, e.g. 0.0.0.0:50051")
    serve.add_argument("--tls-cert", default=None, help="PEM certificate chain (enables TLS)")
    serve.add_argument("--tls-key", default=None, help="PEM private key for --tls-cert")
    serve.add_argument(
        "--insecure-no-token",
        action="store_true",
        help="accept connections without a token (only behind your own authentication)",
    )
    _common(serve)
    return parser


def _logging(level: str) -> None:
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
    own.setLevel(level)
    own.propagate = False


def main(argv: list[str] | None = None) -> None:
    """Run the worker until Shutdown, a signal, or (local mode) stdin EOF."""
    parser = _parser()
    opts = parser.parse_args(argv)
    if opts.threads is not None and opts.threads < 1:
        parser.error("--threads must be at least 1")
    remote = opts.command == "serve"
    if not remote and not opts.socket:
        parser.error("give --socket PATH (local mode) or the serve command (remote mode)")
    _logging(opts.log_level)
    if not remote:
        die_with_parent()
    try:
        token = read_token(opts.token_file)
    except OSError as exc:
        parser.error(f"cannot read --token-file: {exc}")
    if remote and token is None and not opts.insecure_no_token:
        parser.error(
            "a remote worker needs a token: set BRIDGE_WORKER_TOKEN or give --token-file"
            " (or --insecure-no-token behind your own authentication)"
        )
    if remote and bool(opts.tls_cert) != bool(opts.tls_key):
        parser.error("--tls-cert and --tls-key go together")

    from bridge_worker import heartbeat
    from bridge_worker.worker import DEFAULT_HEARTBEAT_MS, Worker

    beat = DEFAULT_HEARTBEAT_MS if opts.heartbeat_ms is None else opts.heartbeat_ms
    worker = Worker(
        threads=opts.threads, token=token, heartbeat_ms=beat, extra_capabilities=("lane",)
    )
    log = logging.getLogger("bridge_worker")
    grpc_server = None
    lane_socket = None
    ready: dict[str, object] = {}
    if remote or opts.grpc:
        from bridge_worker.grpc_server import GrpcServer, Tls

        address = opts.listen if remote else f"unix:{opts.socket}.grpc"
        tls = Tls(opts.tls_cert, opts.tls_key) if remote and opts.tls_cert else None
        if not remote:
            old = os.umask(0o177)  # the gRPC socket file is private to its user too
        try:
            grpc_server = GrpcServer(worker, address, tls)
            grpc_server.start()
        except RuntimeError as exc:
            log.error("%s", exc)
            flush_and_exit(1)
        finally:
            if not remote:
                os.umask(old)
        ready["grpc"] = (
            address if not remote else f"{address.rpartition(':')[0]}:{grpc_server.port}"
        )
    if not remote:
        from bridge_worker import lane

        try:
            lane_socket = lane.bind(opts.socket)
        except OSError as exc:
            log.error("cannot bind %s: %s", opts.socket, exc)
            flush_and_exit(1)
        lane.serve(worker, lane_socket, 50 if opts.spin_us is None else opts.spin_us)
        ready["socket"] = opts.socket
    heartbeat.start(worker)

    signal_grace_s = max(0, opts.grace_ms) / 1000
    signal.signal(signal.SIGTERM, lambda *_: worker.request_shutdown(signal_grace_s))
    # A local worker belongs to its host: a terminal's Ctrl-C reaches the whole process
    # group, and the host decides (its close() drains, or it dies and the worker follows).
    # A no-op handler, not SIG_IGN, which processes started by user code would inherit.
    # A remote worker treats SIGINT like SIGTERM.
    signal.signal(
        signal.SIGINT,
        (lambda *_: worker.request_shutdown(signal_grace_s)) if remote else (lambda *_: None),
    )
    announce_ready(**ready)
    if not remote:
        exit_on_stdin_eof()
    log.info("bridge_worker %s serving (pid %d): %s", __version__, os.getpid(), ready)

    grace_s = worker.wait_shutdown_request()
    if grpc_server is not None:
        grpc_server.not_serving()  # health probes see it leaving at once, not after the drain
    worker.drain(grace_s)
    if lane_socket is not None:
        with contextlib.suppress(OSError):
            lane_socket.close()
        with contextlib.suppress(OSError):
            os.unlink(opts.socket)
    if grpc_server is not None:
        grpc_server.stop()
    for conn in worker.live_connections():
        conn.close()
    log.info("bridge_worker stopped")
    # Threads may still be running user code past the grace period: do not wait for them.
    flush_and_exit(0)


if __name__ == "__main__":
    main()
