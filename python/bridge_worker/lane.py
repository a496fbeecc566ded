"""The local lane: the Channel's frames over a plain unix socket, without HTTP/2.

gRPC stays the protocol for control (Handshake, Describe, Shutdown, health), for
remote workers and as the fallback; a local host that sees the ``"lane"`` capability
may carry its calls here instead. grpcio costs ~100 us per message on the Python side
alone; a length-prefixed frame on an asyncio stream costs a few.

Wire format, both directions: a 4-byte big-endian length, then that many bytes of a
serialized ``HostMessage`` (host to worker) or ``WorkerMessage`` (worker to host).
Each connection is one ChannelSession, exactly as one Channel RPC is.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.channel import ChannelSession
from bridge_worker.worker import Worker

log = logging.getLogger(__name__)

#: A frame larger than this is refused (the connection is closed): 1 GiB.
MAX_FRAME_BYTES = 1 << 30


def lane_path(socket_path: str) -> str:
    """Where the lane listens, next to the gRPC socket."""
    return f"{socket_path}.lane"


class _StreamWriterContext:
    """What ChannelSession needs of a gRPC context: ``write`` of serialized messages."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer

    async def write(self, message: bytes) -> None:
        self._writer.writelines((len(message).to_bytes(4, "big"), message))
        await self._writer.drain()


async def _messages(reader: asyncio.StreamReader) -> AsyncIterator[pb.HostMessage]:
    while True:
        try:
            header = await reader.readexactly(4)
            size = int.from_bytes(header, "big")
            if size > MAX_FRAME_BYTES:
                log.warning("lane frame of %d bytes refused; closing the connection", size)
                return
            body = await reader.readexactly(size)
        except (asyncio.IncompleteReadError, ConnectionError):
            return  # the host closed its side
        yield pb.HostMessage.FromString(body)


async def serve_lane(worker: Worker, socket_path: str) -> asyncio.AbstractServer:
    """Start accepting lane connections at ``lane_path(socket_path)``."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = ChannelSession(worker)
        worker.sessions.add(session)
        try:
            await session.serve(_messages(reader), _StreamWriterContext(writer))
        except ConnectionError:
            pass
        finally:
            worker.sessions.discard(session)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    return await asyncio.start_unix_server(handle, path=lane_path(socket_path))
