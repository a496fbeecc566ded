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
import select
import socket
import struct
import threading
import time
from typing import TYPE_CHECKING, Any

from google.protobuf.message import DecodeError

from bridge_worker import buffers as buffers_
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
    """Records on one blocking unix socket, read through a buffer of its own.

    ``spin_s`` > 0: before blocking for the next record, poll the socket for up to that
    long (only when no call is running). A host making calls one after another sends
    the next within microseconds; catching it without sleeping saves a wake-up, which
    on virtual machines costs tens of microseconds.
    """

    def __init__(self, sock: socket.socket, spin_s: float = 0.0) -> None:
        self.sock = sock
        self._buf = bytearray(1 << 16)
        self._view = memoryview(self._buf)
        self._start = 0  # unread bytes are _buf[_start:_end]
        self._end = 0
        self._spin_s = spin_s
        self._poll = select.poll() if spin_s > 0 else None
        if self._poll is not None:
            self._poll.register(sock, select.POLLIN)
        self.idle = lambda: True  # set by the connection: may the reader spin now?
        self._closed = False

    def _fill(self, n: int) -> None:
        """Make at least ``n`` unread bytes available (growing the buffer if needed)."""
        while self._end - self._start < n:
            if self._start and (self._end == self._start or len(self._buf) - self._start < n):
                # Move what is unread to the front (usually nothing).
                kept = self._end - self._start
                self._buf[:kept] = self._buf[self._start : self._end]
                self._start, self._end = 0, kept
            if len(self._buf) - self._start < n:
                grown = bytearray(max(n, 2 * len(self._buf)))
                kept = self._end - self._start
                grown[:kept] = self._buf[self._start : self._end]
                self._buf, self._view = grown, memoryview(grown)
                self._start, self._end = 0, kept
            if self._start == self._end == 0 and self._poll is not None and self.idle():
                self._spin()
            got = self.sock.recv_into(self._view[self._end :])
            if not got:
                raise EOFError
            self._end += got

    def _spin(self) -> None:
        deadline = time.monotonic() + self._spin_s
        poll = self._poll
        assert poll is not None
        while not poll.poll(0):
            if time.monotonic() > deadline:
                return

    def _take(self, n: int) -> bytes:
        self._fill(n)
        data = bytes(self._view[self._start : self._start + n])
        self._start += n
        if self._start == self._end:
            self._start = self._end = 0
        return data

    def _take_into(self, view: memoryview) -> None:
        """Fill ``view`` from what is buffered, then straight from the socket (no copy)."""
        have = min(self._end - self._start, view.nbytes)
        view[:have] = self._view[self._start : self._start + have]
        self._start += have
        if self._start == self._end:
            self._start = self._end = 0
        got = have
        while got < view.nbytes:
            n = self.sock.recv_into(view[got:])
            if not n:
                raise EOFError
            got += n

    def read(self) -> tuple[bytes, list[buffers_.Received]]:
        """The next record: (envelope, buffers). Raises EOFError when the host closed."""
        size, count = _HEADER.unpack(self._take(8))
        sizes = struct.unpack(f">{count}Q", self._take(8 * count)) if count else ()
        if size > MAX_ENVELOPE_BYTES or any(n > MAX_BUFFER_BYTES for n in sizes):
            raise ValueError(f"a lane record declares {size} + {sum(sizes)} bytes; refused")
        envelope = self._take(size)
        buffers = []
        for n in sizes:
            buffer = buffers_.Received(n)
            self._take_into(buffer.view)
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
            self.sock.close()


class LaneConnection(Connection):
    """A Connection read by the pool's leader/follower threads."""

    transport: LaneTransport

    def lead(self, pool: Pool) -> bool:
        """Read one record, route it, run its calls (threads.Leader); False once closed."""
        if self.closed:
            return False
        try:
            envelope, buffers = self.transport.read()
            message = pb.HostMessage.FromString(envelope)
        except (EOFError, OSError):
            self.close()
            return False
        except (ValueError, DecodeError) as exc:
            log.warning("%s: unreadable record (%s); closing the connection", self.name, exc)
            self.close()
            return False
        try:
            jobs = self.handle(message, buffers)
        except BridgeFault as exc:
            log.warning("%s: %s; closing the connection", self.name, exc)
            self.close()
            return False
        if self.closed:
            for job in jobs:
                pool.submit(job)
            return False
        return pool.dispatch(self, jobs)


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


def serve(worker: Worker, server: socket.socket, spin_us: int = 0) -> threading.Thread:
    """Accept lane connections on ``server`` in a daemon thread (``spin_us``: see LaneTransport)."""

    def accept() -> None:
        count = 0
        while True:
            try:
                sock, _ = server.accept()
            except OSError:
                return  # the listening socket was closed: shutting down
            count += 1
            transport = LaneTransport(sock, spin_us / 1e6)
            conn = LaneConnection(worker, transport, f"lane connection {count}")
            transport.idle = worker.pool.idle
            worker.add(conn)
            worker.pool.read(conn)

    thread = threading.Thread(target=accept, name="bridge-accept", daemon=True)
    thread.start()
    return thread
