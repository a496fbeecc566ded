"""How a message and its out-of-band buffers travel on a gRPC Channel stream.

The message itself goes first, with ``buffer_sizes`` (field 2) listing its payloads'
buffers; then the buffers' bytes follow in ``chunk`` (field 3) messages of at most
:data:`CHUNK_BYTES`. So no gRPC message is larger than a chunk plus the frames,
whatever the size of a value (protobuf's 2 GiB limit, proxies' message limits), and
the lane and gRPC carry the same envelopes and buffers (docs/PROTOCOL.md).
"""

from __future__ import annotations

from typing import Any

from bridge_worker import buffers
from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.faults import InvalidArgumentError
from bridge_worker.wire import varint

#: The largest piece of a buffer one gRPC message carries: 1 MiB.
CHUNK_BYTES = 1 << 20

_SIZES = b"\x12"  # buffer_sizes = 2, packed
_CHUNK = b"\x1a"  # chunk = 3


def chunk_messages(envelope: bytes, buffers: list[Any]) -> list[bytes]:
    """The gRPC messages that carry ``envelope`` (a serialized message) and ``buffers``."""
    if not buffers:
        return [envelope]
    views = [memoryview(b).cast("B") for b in buffers]
    packed = b"".join(varint(v.nbytes) for v in views)
    messages = [envelope + _SIZES + varint(len(packed)) + packed]
    for view in views:
        for at in range(0, view.nbytes, CHUNK_BYTES):
            piece = view[at : at + CHUNK_BYTES]
            messages.append(b"".join((_CHUNK, varint(piece.nbytes), piece)))
    return messages


class Assembler:
    """Puts HostMessages and their buffers back together from a Channel stream."""

    def __init__(self, max_buffer_bytes: int) -> None:
        self._max = max_buffer_bytes
        self._message: pb.HostMessage | None = None
        self._buffers: list[buffers.Received] = []
        self._index = 0
        self._filled = 0

    def push(self, message: pb.HostMessage) -> tuple[pb.HostMessage, list[buffers.Received]] | None:
        """The complete message and its buffers once the last piece arrived, else None."""
        if message.chunk:
            return self._fill(memoryview(message.chunk))
        if self._message is not None:
            raise InvalidArgumentError("a message arrived before the previous one's buffers")
        if not message.buffer_sizes:
            return message, []
        for size in message.buffer_sizes:
            if size > self._max:
                raise InvalidArgumentError(
                    f"a buffer of {size} bytes is more than the worker takes"
                )
        self._message = message
        self._buffers = [buffers.Received(n) for n in message.buffer_sizes]
        self._index = self._filled = 0
        self._skip_filled()
        return self._take()

    def _fill(self, chunk: memoryview) -> tuple[pb.HostMessage, list[buffers.Received]] | None:
        if self._message is None:
            raise InvalidArgumentError("a chunk arrived that no message announced")
        at = 0
        while at < chunk.nbytes:
            if self._index >= len(self._buffers):
                raise InvalidArgumentError("a chunk runs past the buffers its message announced")
            target = self._buffers[self._index].view
            n = min(target.nbytes - self._filled, chunk.nbytes - at)
            target[self._filled : self._filled + n] = chunk[at : at + n]
            self._filled += n
            at += n
            self._skip_filled()
        return self._take()

    def _skip_filled(self) -> None:
        while self._index < len(self._buffers) and self._filled == len(self._buffers[self._index]):
            self._index += 1
            self._filled = 0

    def _take(self) -> tuple[pb.HostMessage, list[buffers.Received]] | None:
        if self._message is None or self._index < len(self._buffers):
            return None
        done = (self._message, self._buffers)
        self._message, self._buffers = None, []
        return done
