"""The gRPC server: WorkerService and grpc.health.v1.Health on a unix socket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import platform
import signal
import sys
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from bridge_worker import PROTOCOL_VERSION, __version__
from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker._gen.bridge.v1 import worker_pb2_grpc as pb_grpc
from bridge_worker.channel import ChannelSession
from bridge_worker.describe import describe
from bridge_worker.faults import BridgeFault, NotFoundError
from bridge_worker.lane import lane_path, serve_lane
from bridge_worker.worker import Worker

log = logging.getLogger(__name__)

SERVICE_NAME = "bridge.v1.WorkerService"
#: "lane": the Channel is also served, without gRPC, at ``<socket>.lane`` (see lane.py).
CAPABILITIES = ("channel", "batch", "refs", "cancel", "deadline", "lane")
#: How long SIGTERM/SIGINT let in-flight calls finish.
SIGNAL_GRACE_S = 2.0
# Lets the Shutdown answer and final stream frames leave before the server stops.
_STOP_GRACE_S = 0.25
_SERVER_OPTIONS = (
    # Payloads are the user's data; do not cap them here (the host sets its own limit).
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
)


@dataclass
class ServeOptions:
    """How to run the worker."""

    socket: str
    #: Thread pool size for user code; None = ThreadPoolExecutor's default.
    threads: int | None = None


class WorkerServicer(pb_grpc.WorkerServiceServicer):
    """bridge.v1.WorkerService over one Worker."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker

    async def Handshake(
        self, request: pb.HandshakeRequest, context: grpc.aio.ServicerContext
    ) -> pb.HandshakeResponse:
        return pb.HandshakeResponse(
            protocol_version=min(request.protocol_version, PROTOCOL_VERSION),
            worker_version=__version__,
            python_version=platform.python_version(),
            pid=os.getpid(),
            capabilities=CAPABILITIES,
            python_executable=sys.executable,
            encodings=[pb.ENCODING_MSGPACK],
        )

    async def Describe(
        self, request: pb.DescribeRequest, context: grpc.aio.ServicerContext
    ) -> pb.DescribeResponse:
        loop = asyncio.get_running_loop()
        try:
            result = await loop.run_in_executor(
                self._worker.executor,
                describe,
                request.module,
                request.depth,
                list(request.include),
                list(request.exclude),
            )
        except NotFoundError as exc:
            await context.abort(grpc.StatusCode.NOT_FOUND, str(exc))
        except BridgeFault as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        except BaseException as exc:
            await context.abort(
                grpc.StatusCode.INTERNAL,
                f"importing {request.module!r} raised {type(exc).__qualname__}: {exc}",
            )
        return pb.DescribeResponse(
            schema_version=result.descriptor["schema_version"],
            descriptor_json=result.to_json(),
            warnings=result.warnings,
        )

    async def Channel(
        self, request_iterator: AsyncIterator[pb.HostMessage], context: grpc.aio.ServicerContext
    ) -> None:
        session = ChannelSession(self._worker)
        self._worker.sessions.add(session)
        try:
            await session.serve(request_iterator, context)
        finally:
            self._worker.sessions.discard(session)

    async def Shutdown(
        self, request: pb.ShutdownRequest, context: grpc.aio.ServicerContext
    ) -> pb.ShutdownResponse:
        log.info("Shutdown requested (grace %d ms)", request.grace_ms)
        self._worker.request_shutdown(request.grace_ms / 1000)
        return pb.ShutdownResponse()


def add_worker_service(servicer: WorkerServicer, server: grpc.aio.Server) -> None:
    """Like the generated add_WorkerServiceServicer_to_server, except that Channel
    writes already-serialized WorkerMessage bytes (see wire.py), so its response
    serializer is the identity.
    """
    handlers = {
        "Handshake": grpc.unary_unary_rpc_method_handler(
            servicer.Handshake,
            request_deserializer=pb.HandshakeRequest.FromString,
            response_serializer=pb.HandshakeResponse.SerializeToString,
        ),
        "Describe": grpc.unary_unary_rpc_method_handler(
            servicer.Describe,
            request_deserializer=pb.DescribeRequest.FromString,
            response_serializer=pb.DescribeResponse.SerializeToString,
        ),
        "Channel": grpc.stream_stream_rpc_method_handler(
            servicer.Channel,
            request_deserializer=pb.HostMessage.FromString,
            response_serializer=None,
        ),
        "Shutdown": grpc.unary_unary_rpc_method_handler(
            servicer.Shutdown,
            request_deserializer=pb.ShutdownRequest.FromString,
            response_serializer=pb.ShutdownResponse.SerializeToString,
        ),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),))
    server.add_registered_method_handlers(SERVICE_NAME, handlers)


def default_threads() -> int:
    """ThreadPoolExecutor's own default pool size."""
    return min(32, (os.cpu_count() or 1) + 4)


async def serve(options: ServeOptions, on_ready: Callable[[], None]) -> int:
    """Serve until Shutdown or a signal; returns the exit code.

    ``on_ready`` runs once the socket is bound and the server is accepting.
    """
    loop = asyncio.get_running_loop()
    threads = options.threads or default_threads()
    executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bridge-call")
    worker = Worker(executor, threads)

    server = grpc.aio.server(options=_SERVER_OPTIONS)
    add_worker_service(WorkerServicer(worker), server)
    health_servicer = health.aio.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in ("", SERVICE_NAME):
        await health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)

    address = f"unix:{options.socket}"
    try:
        server.add_insecure_port(address)
    except RuntimeError as exc:
        log.error("cannot bind %s: %s", address, exc)
        return 1
    await server.start()
    try:
        lane = await serve_lane(worker, options.socket)
    except OSError as exc:
        log.error("cannot bind %s: %s", lane_path(options.socket), exc)
        await server.stop(None)
        return 1
    log.info("bridge_worker %s listening on %s (pid %d)", __version__, address, os.getpid())

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, worker.request_shutdown, SIGNAL_GRACE_S)
    on_ready()

    grace_s = await worker.wait_shutdown_request()
    await health_servicer.enter_graceful_shutdown()
    await worker.drain(grace_s)
    lane.close()
    await server.stop(_STOP_GRACE_S)
    with contextlib.suppress(OSError):
        os.unlink(lane_path(options.socket))
    executor.shutdown(wait=False, cancel_futures=True)
    log.info("bridge_worker stopped")
    return 0
