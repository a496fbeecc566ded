"""The local lane: the worker's frames on a plain unix socket, read by its own threads.

Wire format, both directions: one *record* per message::

    u32 envelope_length | u32 buffer_count | buffer_count x u64 buffer_size
    | envelope (a serialized HostMessage or WorkerMessage) | buffer 0 | buffer 1 | ...

(all big-endian). The buffers are the out-of-band buffers of the message's payloads,
in frame order; in the envelope each payload lists them as empty ``buffers`` entries.
So a 64 MiB value is written with one ``sendmsg`` straight from its memory and read
straight into its own buffer, never copied into a protobuf message, and its size is
not limited by a 32-bit length.

A connection's first frame must be a Handshake carrying the worker's token; the
socket file is private to its user (mode 0600 whatever the umask).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import struct
import threading
from typing import TYPE_CHECKING, Any

from google.protobuf.message import DecodeError

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.connection import Connection
from bridge_worker.faults import BridgeFault

if TYPE_CHECKING:
    from bridge_worker.threads import Pool
    from bridge_worker.worker import Worker

log = logging.getLogger(__name__)

_HEADER = struct.Struct(">II")
#: The envelope (frames without their buffers) of one record may not exceed this: 256 MiB.
MAX_ENVELOPE_BYTES = 256 << 20
#: No single buffer may exceed this (a corrupt header must not allocate terabytes): 64 GiB.
MAX_BUFFER_BYTES = 64 << 30
# sendmsg takes at most IOV_MAX (1024 on Linux) parts at once.
_IOV_MAX = 1024


class LaneTransport:
    """Records on one blocking unix socket."""

    inline = False

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self._reader = sock.makefile("rb", buffering=1 << 16)
        self._closed = False

    def _read_exact(self, n: int) -> bytes:
        data = self._reader.read(n)
        if data is None or len(data) != n:
            raise EOFError
        return data

    def _read_into(self, buffer: bytearray) -> None:
        view = memoryview(buffer)
        got = 0
        while got < len(buffer):
            n = self._reader.readinto(view[got:])
            if not n:
                raise EOFError
            got += n

    def read(self) -> tuple[bytes, list[bytearray]]:
        """The next record: (envelope, buffers). Raises EOFError when the host closed."""
        size, count = _HEADER.unpack(self._read_exact(8))
        sizes = struct.unpack(f">{count}Q", self._read_exact(8 * count)) if count else ()
        if size > MAX_ENVELOPE_BYTES or any(n > MAX_BUFFER_BYTES for n in sizes):
            raise ValueError(f"a lane record declares {size} + {sum(sizes)} bytes; refused")
        envelope = self._read_exact(size)
        buffers = []
        for n in sizes:
            buffer = bytearray(n)
            self._read_into(buffer)
            buffers.append(buffer)
        return envelope, buffers

    def write(self, entries: list[bytes], buffers: list[Any]) -> None:
        envelope = b"".join(entries)
        views = [memoryview(b).cast("B") for b in buffers]
        header = _HEADER.pack(len(envelope), len(views))
        if views:
            header += struct.pack(f">{len(views)}Q", *(v.nbytes for v in views))
        parts = [memoryview(header), memoryview(envelope), *views]
        sock = self.sock
        i = 0
        while i < len(parts):
            if not parts[i].nbytes:
                i += 1
                continue
            sent = sock.sendmsg(parts[i : i + _IOV_MAX])
            # Skip what was sent; a part sent only partly continues where it stopped.
            while sent:
                n = parts[i].nbytes
                if sent >= n:
                    sent -= n
                    i += 1
                else:
                    parts[i] = parts[i][sent:]
                    sent = 0

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._reader.close()
        with contextlib.suppress(OSError):
            self.sock.close()


class LaneConnection(Connection):
    """A Connection read by the pool's leader/follower threads."""

    transport: LaneTransport

    def lead(self, pool: Pool) -> None:
        """Read one record and handle it (threads.Leader)."""
        if self.closed:
            return
        try:
            envelope, buffers = self.transport.read()
            message = pb.HostMessage.FromString(envelope)
        except (EOFError, OSError):
            self.close()
            return
        except (ValueError, DecodeError) as exc:
            log.warning("%s: unreadable record (%s); closing the connection", self.name, exc)
            self.close()
            return
        try:
            jobs = self.handle(message, buffers)
        except BridgeFault as exc:
            log.warning("%s: %s; closing the connection", self.name, exc)
            self.close()
            return
        if not self.closed:
            pool.handoff_reading(self, jobs)
        else:
            for job in jobs:
                pool.submit(job)


def bind(path: str) -> socket.socket:
    """A listening unix socket at ``path``, mode 0600 whatever the umask."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        server.bind(path)
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    server.listen(16)
    return server


def serve(worker: Worker, server: socket.socket) -> threading.Thread:
    """Accept lane connections on ``server`` in a daemon thread."""

    def accept() -> None:
        count = 0
        while True:
            try:
                sock, _ = server.accept()
            except OSError:
                return  # the listening socket was closed: shutting down
            count += 1
            conn = LaneConnection(worker, LaneTransport(sock), f"lane connection {count}")
            worker.add(conn)
            worker.pool.read(conn)

    thread = threading.Thread(target=accept, name="bridge-accept", daemon=True)
    thread.start()
    return thread
