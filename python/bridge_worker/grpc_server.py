"""The gRPC server: WorkerService and grpc.health.v1.Health, for remote workers.

Imported only when the worker serves gRPC (``serve --listen HOST:PORT`` or
``--grpc``): importing grpcio costs ~30 MB and ~100 ms, which a local worker on the
lane never pays. A Channel stream is served by the same :class:`Connection` as a lane
socket; only reading (the stream's iterator, on this server's event loop) and
writing (queued to that loop) differ, and calls run on the worker's threads.

Every RPC but the health service needs ``authorization: Bearer <token>`` metadata when
the worker has a token (kubelet's gRPC probes send no metadata, hence the exception).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker._gen.bridge.v1 import worker_pb2_grpc as pb_grpc
from bridge_worker.chunks import Assembler, chunk_messages
from bridge_worker.connection import Connection, handshake_response
from bridge_worker.describe import describe_response
from bridge_worker.lane import MAX_BUFFER_BYTES
from bridge_worker.worker import Worker

log = logging.getLogger(__name__)

SERVICE_NAME = "bridge.v1.WorkerService"
_SERVER_OPTIONS = (
    # Payloads are the user's data; do not cap them here (the host sets its own limit).
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
)
# Lets the Shutdown answer and final stream frames leave before the server stops.
_STOP_GRACE_S = 0.25
_CODES = {
    pb.ERROR_CODE_NOT_FOUND: grpc.StatusCode.NOT_FOUND,
    pb.ERROR_CODE_INVALID_ARGUMENT: grpc.StatusCode.INVALID_ARGUMENT,
}


@dataclass
class Tls:
    """PEM files for a TLS listener."""

    cert: str
    key: str

    def read(self) -> tuple[bytes, bytes]:
        """(private key, certificate chain) bytes, as grpc wants them."""
        with open(self.key, "rb") as key, open(self.cert, "rb") as cert:
            return key.read(), cert.read()


class _GrpcTransport:
    """A Channel stream's write side: messages (and their buffers' chunks) queued to the
    server's loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.queue: asyncio.Queue[list[bytes] | None] = asyncio.Queue()
        self._closed = False

    def write(self, entries: list[bytes], buffers: list[Any]) -> None:
        if self._closed:
            raise OSError("the Channel stream ended")
        messages = chunk_messages(b"".join(entries), buffers)
        self._loop.call_soon_threadsafe(self.queue.put_nowait, messages)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._loop.call_soon_threadsafe(self.queue.put_nowait, None)


class _TokenInterceptor(grpc.aio.ServerInterceptor):
    """Refuses every RPC without the worker's token, except health checks."""

    def __init__(self, token: str) -> None:
        self._expected = f"Bearer {token}".encode()

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        if details.method.startswith("/grpc.health.v1.Health/"):
            return await continuation(details)
        metadata = dict(details.invocation_metadata or ())
        given = metadata.get("authorization", "")
        if hmac.compare_digest(given.encode() if isinstance(given, str) else given, self._expected):
            return await continuation(details)
        return _unauthenticated(details)


def _unauthenticated(details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
    async def deny(request: Any, context: grpc.aio.ServicerContext) -> None:
        await context.abort(grpc.StatusCode.UNAUTHENTICATED, "a valid worker token is required")

    if details.method.endswith("/Channel"):
        return grpc.stream_stream_rpc_method_handler(deny)
    return grpc.unary_unary_rpc_method_handler(deny)


class WorkerServicer(pb_grpc.WorkerServiceServicer):
    """bridge.v1.WorkerService over one Worker."""

    def __init__(self, worker: Worker) -> None:
        self._worker = worker
        self._count = 0

    async def Handshake(
        self, request: pb.HandshakeRequest, context: grpc.aio.ServicerContext
    ) -> pb.HandshakeResponse:
        return handshake_response(self._worker, request)

    async def Describe(
        self, request: pb.DescribeRequest, context: grpc.aio.ServicerContext
    ) -> pb.DescribeResponse:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[tuple[pb.DescribeResponse, pb.Error | None]] = loop.create_future()

        def job() -> None:
            outcome = describe_response(request)
            loop.call_soon_threadsafe(lambda: done.done() or done.set_result(outcome))

        self._worker.pool.submit(job)
        response, fault = await done
        if fault is not None:
            await context.abort(_CODES.get(fault.code, grpc.StatusCode.INTERNAL), fault.message)
        return response

    async def Channel(
        self, request_iterator: AsyncIterator[pb.HostMessage], context: grpc.aio.ServicerContext
    ) -> AsyncIterator[bytes]:
        self._count += 1
        transport = _GrpcTransport(asyncio.get_running_loop())
        conn = Connection(self._worker, transport, f"gRPC channel {self._count}")
        conn.authenticated = True  # the interceptor checked the token
        self._worker.add(conn)
        pool = self._worker.pool

        async def read() -> None:
            assembler = Assembler(MAX_BUFFER_BYTES)
            try:
                async for message in request_iterator:
                    whole = assembler.push(message)
                    if whole is None:
                        continue
                    for job in conn.handle(*whole):
                        pool.submit(job)
                    if conn.closed:
                        return
            except (asyncio.CancelledError, grpc.aio.AioRpcError):
                pass
            except Exception:
                log.exception("%s: reading failed", conn.name)
            finally:
                conn.close()

        reader = asyncio.ensure_future(read())
        try:
            while True:
                messages = await transport.queue.get()
                if messages is None:
                    break
                for message in messages:
                    yield message
        finally:
            reader.cancel()
            conn.close()

    async def Shutdown(
        self, request: pb.ShutdownRequest, context: grpc.aio.ServicerContext
    ) -> pb.ShutdownResponse:
        log.info("Shutdown requested (grace %d ms)", request.grace_ms)
        self._worker.request_shutdown(request.grace_ms / 1000)
        return pb.ShutdownResponse()


def _handlers(servicer: WorkerServicer) -> dict[str, grpc.RpcMethodHandler]:
    """Like the generated table, except Channel yields serialized WorkerMessage bytes."""
    return {
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


class GrpcServer:
    """The gRPC server, on its own event loop thread."""

    def __init__(self, worker: Worker, address: str, tls: Tls | None = None) -> None:
        self._worker = worker
        self._address = address
        self._tls = tls
        self._loop = asyncio.new_event_loop()
        self._server: grpc.aio.Server | None = None
        self._health: Any = None
        self.port = 0

    def start(self) -> None:
        """Bind and start serving; raises RuntimeError if the address cannot be bound."""
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            try:
                self._loop.run_until_complete(self._start())
            except BaseException as exc:
                failure.append(exc)
                started.set()
                return
            started.set()
            self._loop.run_forever()

        threading.Thread(target=run, name="bridge-grpc", daemon=True).start()
        started.wait()
        if failure:
            raise RuntimeError(f"cannot serve gRPC on {self._address}: {failure[0]}")

    async def _start(self) -> None:
        token = self._worker.token
        interceptors = [_TokenInterceptor(token)] if token else []
        server = grpc.aio.server(options=_SERVER_OPTIONS, interceptors=interceptors)
        handlers = _handlers(WorkerServicer(self._worker))
        server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler(SERVICE_NAME, handlers),)
        )
        server.add_registered_method_handlers(SERVICE_NAME, handlers)
        self._health = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self._health, server)
        for name in ("", SERVICE_NAME):
            await self._health.set(name, health_pb2.HealthCheckResponse.SERVING)
        if self._tls is not None:
            credentials = grpc.ssl_server_credentials([self._tls.read()])
            self.port = server.add_secure_port(self._address, credentials)
        else:
            self.port = server.add_insecure_port(self._address)
        await server.start()
        self._server = server

    def not_serving(self) -> None:
        """Report NOT_SERVING on the health service from now on (the worker is draining)."""

        async def mark() -> None:
            if self._health is not None:
                await self._health.enter_graceful_shutdown()

        try:
            asyncio.run_coroutine_threadsafe(mark(), self._loop).result(timeout=2)
        except Exception:
            log.warning("could not mark the health service NOT_SERVING")

    def stop(self) -> None:
        """Enter graceful shutdown (health NOT_SERVING) and stop the server."""

        async def stop() -> None:
            if self._health is not None:
                await self._health.enter_graceful_shutdown()
            if self._server is not None:
                await self._server.stop(_STOP_GRACE_S)

        future = asyncio.run_coroutine_threadsafe(stop(), self._loop)
        try:
            future.result(timeout=_STOP_GRACE_S + 2)
        except Exception:
            log.warning("the gRPC server did not stop cleanly")
