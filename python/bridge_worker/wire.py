"""WorkerMessage bytes, written by hand for the hot path.

A WorkerMessage is ``repeated WorkerFrame frames = 1``, so its encoding is just the
concatenation of one length-delimited field-1 entry per frame, and a batch is one
``b"".join``. Results and stream chunks are built from bytes here (well under half the
cost of constructing nested protobuf messages); rarer frames go through protobuf.
The output is byte-identical to protobuf's serialization (tests/test_wire.py checks).

Payload buffers are out of band on every transport: each is an empty ``buffers``
entry here, and its bytes follow the message: raw in the lane record (lane.py), in
``chunk`` messages on gRPC (chunks.py).
"""

from __future__ import annotations

from typing import Any

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb

_SMALL = [bytes([i]) for i in range(128)]

# Field tags (field number << 3 | wire type).
_FRAMES = b"\x0a"  # WorkerMessage.frames = 1, length-delimited
_FRAME_ID = b"\x08"  # WorkerFrame.id = 1, varint
_FRAME_RESULT = b"\x12"  # WorkerFrame.result = 2
_FRAME_ERROR = b"\x1a"  # WorkerFrame.error = 3
_FRAME_CHUNK = b"\x22"  # WorkerFrame.stream_chunk = 4
_FIRST = b"\x0a"  # Result.value = 1, StreamChunk.items = 1
_EMPTY_BUFFER = b"\x1a\x00"  # Payload.buffers = 3, empty
# Payload.encoding = 1 (varint ENCODING_MSGPACK), then Payload.data = 2 (length-delimited).
_PAYLOAD_MSGPACK_DATA = b"\x08" + bytes([pb.ENCODING_MSGPACK]) + b"\x12"


def varint(n: int) -> bytes:
    """Protobuf base-128 varint of a non-negative int."""
    if n < 0x80:
        return _SMALL[n]
    if n < 0x4000:
        return bytes((n & 0x7F | 0x80, n >> 7))
    if n < 0x200000:
        return bytes((n & 0x7F | 0x80, (n >> 7) & 0x7F | 0x80, n >> 14))
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _id(call_id: int) -> bytes:
    # proto3 omits a zero scalar.
    return _FRAME_ID + varint(call_id) if call_id else b""


def _payload(data: bytes, buffer_count: int) -> bytes:
    body = _PAYLOAD_MSGPACK_DATA + varint(len(data)) + data if data else _PAYLOAD_MSGPACK_DATA[:2]
    return body + _EMPTY_BUFFER * buffer_count if buffer_count else body


def _entry(kind_tag: bytes, call_id: int, body: bytes) -> bytes:
    frame = b"".join((_id(call_id), kind_tag, varint(len(body)), body))
    return _FRAMES + varint(len(frame)) + frame


def result_entry(call_id: int, data: bytes, buffers: list[Any] = ()) -> bytes:  # type: ignore[assignment]
    """The entry for ``WorkerFrame{id, result: {value: {MSGPACK, data, buffers}}}``."""
    n = len(data)
    if 0 < n < 120 and not buffers:  # the common small result: every length is one byte
        frame_id = _FRAME_ID + varint(call_id) if call_id else b""
        size = len(frame_id) + n + 8
        if size < 0x80:
            return b"".join(
                (
                    _FRAMES,
                    _SMALL[size],
                    frame_id,
                    _FRAME_RESULT,
                    _SMALL[n + 6],
                    _FIRST,
                    _SMALL[n + 4],
                    _PAYLOAD_MSGPACK_DATA,
                    _SMALL[n],
                    data,
                )
            )
    payload = _payload(data, len(buffers))
    return _entry(_FRAME_RESULT, call_id, _FIRST + varint(len(payload)) + payload)


def chunk_entry(call_id: int, data: bytes, buffers: list[Any]) -> bytes:
    """The entry for ``WorkerFrame{id, stream_chunk: {items: {MSGPACK, data, buffers}}}``."""
    payload = _payload(data, len(buffers))
    return _entry(_FRAME_CHUNK, call_id, _FIRST + varint(len(payload)) + payload)


def error_entry(call_id: int, error: pb.Error) -> bytes:
    """The WorkerMessage entry for ``WorkerFrame{id, error}``."""
    return _entry(_FRAME_ERROR, call_id, error.SerializeToString())


def frame_entry(frame: pb.WorkerFrame) -> bytes:
    """The entry for any WorkerFrame (the rare kinds, built with protobuf)."""
    body = frame.SerializeToString()
    return _FRAMES + varint(len(body)) + body


def message(entries: list[bytes]) -> bytes:
    """A serialized WorkerMessage holding these entries, in order."""
    return b"".join(entries)
