"""Start a real worker process and talk to it over its lane (or gRPC), frame by frame.

The value encoding here is written independently of bridge_worker.codec, straight
from the table in docs/PROTOCOL.md, so the tests check the worker against the spec
rather than against itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import os
import struct
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import grpc
import msgpack

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker._gen.bridge.v1 import worker_pb2_grpc as pb_grpc

SUPPORT = Path(__file__).parent / "support"


# -- encoding, per docs/PROTOCOL.md ----------------------------------------------------


class Ref:
    """A remote ref the worker sent (ext 1)."""

    def __init__(self, ref_id: str, type_name: str) -> None:
        self.id = ref_id
        self.type = type_name

    def __repr__(self) -> str:
        return f"Ref({self.id!r}, {self.type!r})"


class Callback:
    """A host callback to send (ext 2): ``[id, name, doc, params]``."""

    def __init__(
        self, callback_id: str, name: str = "", doc: str | None = None, params: Any = None
    ) -> None:
        self.id = callback_id
        self.name = name
        self.doc = doc
        self.params = params


class BufferRef:
    """An out-of-band buffer reference to send (ext 5): the payload's buffer ``index``."""

    def __init__(self, index: int) -> None:
        self.index = index


def _default(obj: Any) -> Any:
    if isinstance(obj, BufferRef):
        return msgpack.ExtType(5, obj.index.to_bytes(4, "big"))
    if isinstance(obj, Ref):
        return msgpack.ExtType(1, msgpack.packb([obj.id, obj.type]))
    if isinstance(obj, Callback):
        return msgpack.ExtType(2, pack([obj.id, obj.name, obj.doc, obj.params]))
    if type(obj) is tuple:
        return msgpack.ExtType(3, pack(list(obj)))
    if type(obj) is set:
        return msgpack.ExtType(4, pack(list(obj)))
    if type(obj) is frozenset:
        return msgpack.ExtType(14, pack(list(obj)))
    if type(obj) is int:  # beyond 64 bits: signed two's-complement big-endian, any length
        length = (obj if obj >= 0 else ~obj).bit_length() // 8 + 1
        return msgpack.ExtType(66, obj.to_bytes(length, "big", signed=True))
    if type(obj) is dict:  # only reached for non-str keys, see pack()
        return msgpack.ExtType(6, pack([x for kv in obj.items() for x in kv]))
    if type(obj) is dt.date:
        return msgpack.ExtType(9, msgpack.packb([obj.year, obj.month, obj.day]))
    if type(obj) is dt.time:
        assert obj.tzinfo is None, "the test encoder sends naive times only"
        return msgpack.ExtType(
            10, msgpack.packb([obj.hour, obj.minute, obj.second, obj.microsecond, None, None])
        )
    if type(obj) is dt.timedelta:
        return msgpack.ExtType(11, msgpack.packb([obj.days, obj.seconds, obj.microseconds]))
    if type(obj) is dt.datetime:
        if obj.tzinfo is None:
            micros = (obj - dt.datetime(1970, 1, 1)) // dt.timedelta(microseconds=1)
            return msgpack.ExtType(8, msgpack.packb([micros, None, None]))
        micros = (obj - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(
            microseconds=1
        )
        offset = obj.utcoffset()
        assert offset is not None
        return msgpack.ExtType(8, msgpack.packb([micros, int(offset.total_seconds()), None]))
    raise TypeError(f"test encoder cannot encode {obj!r}")


def _mark(obj: Any) -> Any:
    # Dicts with non-str keys must go through _default (ext 6): hide them from msgpack.
    if type(obj) is list:
        return [_mark(x) for x in obj]
    if type(obj) is dict:
        if all(type(k) is str for k in obj):
            return {k: _mark(v) for k, v in obj.items()}
        return _NonStr(obj)
    return obj


class _NonStr:
    def __init__(self, d: dict[Any, Any]) -> None:
        self.d = d


def pack(value: Any) -> bytes:
    def default(obj: Any) -> Any:
        if isinstance(obj, _NonStr):
            return _default(obj.d)
        return _default(obj)

    return msgpack.packb(
        _mark(value),
        default=default,
        strict_types=True,
        use_bin_type=True,
        datetime=False,
        unicode_errors="surrogatepass",
    )


def _ext_hook(code: int, data: bytes, buffers: list[bytes]) -> Any:
    if code == 5:
        return bytes(buffers[int.from_bytes(data, "big")])
    if code == 9:
        return dt.date(*msgpack.unpackb(data))
    if code == 10:
        h, m, s, us, offset, _zone = msgpack.unpackb(data)
        tz = None if offset is None else dt.timezone(dt.timedelta(seconds=offset))
        return dt.time(h, m, s, us, tzinfo=tz)
    if code == 11:
        return dt.timedelta(*msgpack.unpackb(data))
    if code == 1:
        ref_id, type_name = msgpack.unpackb(data, raw=False)
        return Ref(ref_id, type_name)
    if code == 3:
        return tuple(unpack(data, buffers))
    if code == 4:
        return set(unpack(data, buffers))
    if code == 14:
        return frozenset(unpack(data, buffers))
    if code == 66:
        return int.from_bytes(data, "big", signed=True)
    if code == 6:
        flat = unpack(data, buffers)
        return dict(zip(flat[::2], flat[1::2], strict=True))
    if code == 8:
        micros, offset, _zone = msgpack.unpackb(data)
        if offset is None:
            return dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=micros)
        tz = dt.timezone(dt.timedelta(seconds=offset))
        return (
            dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=micros)
        ).astimezone(tz)
    return msgpack.ExtType(code, data)


def unpack(data: bytes, buffers: Iterable[bytes] = ()) -> Any:
    bufs = list(buffers)
    return msgpack.unpackb(
        data,
        raw=False,
        strict_map_key=False,
        ext_hook=lambda code, raw: _ext_hook(code, raw, bufs),
        unicode_errors="surrogatepass",
    )


def unpack_raw(data: bytes) -> Any:
    """Decode leaving every extension as msgpack.ExtType, to inspect the wire form."""
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def payload(value: Any) -> pb.Payload:
    return pb.Payload(encoding=pb.ENCODING_MSGPACK, data=pack(value))


# -- the worker process ---------------------------------------------------------------


TOKEN = "test-token"


class WorkerProcess:
    """``python -m bridge_worker --socket PATH --grpc`` on a fresh socket, with a token."""

    def __init__(self, *extra_args: str, token: str | None = TOKEN, grpc_too: bool = True) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="bwt-")
        self.socket = os.path.join(self._tmp.name, "w.sock")
        self.token = token
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SUPPORT), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        env.pop("BRIDGE_WORKER_TOKEN", None)
        if token is not None:
            env["BRIDGE_WORKER_TOKEN"] = token
        # A file, not a pipe: nobody drains stderr while the tests run.
        self.stderr_path = os.path.join(self._tmp.name, "stderr.log")
        args = [sys.executable, "-m", "bridge_worker", "--socket", self.socket, *extra_args]
        if grpc_too:
            args.append("--grpc")
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env
            )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"worker did not start: {self.stderr()}")
        self.ready_line = line.decode()
        self.ready = json.loads(line)

    def stderr(self) -> str:
        with open(self.stderr_path, encoding="utf-8", errors="replace") as fh:
            return fh.read()

    @property
    def address(self) -> str:
        """The worker's gRPC address."""
        return f"unix:{self.socket}.grpc"

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        """gRPC call metadata carrying the token."""
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self._tmp.cleanup()


# -- channel clients ------------------------------------------------------------------------


_HEADER = struct.Struct(">II")


def lane_record(frames: Iterable[pb.HostFrame], buffers: Iterable[bytes] = ()) -> bytes:
    """One lane record (docs/PROTOCOL.md): header, sizes, envelope, buffers."""
    body = pb.HostMessage(frames=list(frames)).SerializeToString()
    bufs = list(buffers)
    sizes = b"".join(struct.pack(">Q", len(b)) for b in bufs)
    return _HEADER.pack(len(body), len(bufs)) + sizes + body + b"".join(bufs)


async def read_record(reader: asyncio.StreamReader) -> tuple[pb.WorkerMessage, list[bytes]]:
    size, count = _HEADER.unpack(await reader.readexactly(8))
    sizes = struct.unpack(f">{count}Q", await reader.readexactly(8 * count)) if count else ()
    message = pb.WorkerMessage.FromString(await reader.readexactly(size))
    return message, [await reader.readexactly(n) for n in sizes]


class ChannelClient:
    """One channel to a worker: its lane (default), or its gRPC Channel (``grpc=True``).

    Answers are collected by frame id; heartbeats are kept in ``heartbeats``, callback
    requests in ``callbacks`` (and answered by ``on_callback`` if set).
    """

    def __init__(
        self, worker: WorkerProcess, *, grpc: bool = False, handshake: bool = True
    ) -> None:
        self._worker = worker
        self._grpc = grpc
        self._handshake = handshake
        self._next_id = 1
        self._waiters: dict[int, asyncio.Future[pb.WorkerFrame]] = {}
        self.messages: list[pb.WorkerMessage] = []
        self.unexpected: list[pb.WorkerFrame] = []
        self.heartbeats: list[pb.Heartbeat] = []
        self.callbacks: list[pb.WorkerFrame] = []
        self.chunks: dict[int, list[Any]] = {}
        #: The out-of-band buffers of the last payload-carrying frame of each id.
        self.frame_buffers: dict[int, list[bytes]] = {}
        self.released_callbacks: list[str] = []
        self.on_callback: Any = None
        self.handshake_response: pb.HandshakeResponse | None = None
        self._tasks: set[asyncio.Future[None]] = set()

    async def __aenter__(self) -> ChannelClient:
        if self._grpc:
            self.channel = grpc.aio.insecure_channel(self._worker.address)
            self.stub = pb_grpc.WorkerServiceStub(self.channel)
            self.call = self.stub.Channel(metadata=self._worker.metadata)
        else:
            self.reader, self.writer = await asyncio.open_unix_connection(self._worker.socket)
        self._reader_task = asyncio.ensure_future(self._read())
        if self._handshake:
            frame_id = self.new_id()
            waiter = self.expect(frame_id)
            request = pb.HandshakeRequest(protocol_version=1, token=self._worker.token or "")
            await self.write(pb.HostFrame(id=frame_id, handshake=request))
            answer = await asyncio.wait_for(waiter, 10)
            self.handshake_response = answer.handshake
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._reader_task.cancel()
        if self._grpc:
            self.call.cancel()
            await self.channel.close()
        else:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()

    async def write(self, *frames: pb.HostFrame, buffers: Iterable[bytes] = ()) -> None:
        if self._grpc:
            await self.call.write(pb.HostMessage(frames=list(frames)))
        else:
            self.writer.write(lane_record(frames, buffers))
            await self.writer.drain()

    async def _next_message(self) -> tuple[pb.WorkerMessage, list[bytes]] | None:
        if self._grpc:
            message = await self.call.read()
            return None if message is grpc.aio.EOF else (message, [])
        try:
            return await read_record(self.reader)
        except asyncio.IncompleteReadError:
            return None

    async def _read(self) -> None:
        while True:
            got = await self._next_message()
            if got is None:
                for waiter in self._waiters.values():
                    if not waiter.done():
                        waiter.set_exception(ConnectionError("the worker closed the channel"))
                return
            message, buffers = got
            self.messages.append(message)
            trailer = iter(buffers)
            for frame in message.frames:
                kind = frame.WhichOneof("kind")
                carried = {
                    "result": lambda f: f.result.value,
                    "stream_chunk": lambda f: f.stream_chunk.items,
                    "callback_request": lambda f: f.callback_request.args,
                }.get(kind)
                if carried is not None:
                    placeholders = list(carried(frame).buffers)
                    self.frame_buffers[frame.id] = (
                        placeholders if self._grpc else [next(trailer) for _ in placeholders]
                    )
                if kind == "heartbeat":
                    self.heartbeats.append(frame.heartbeat)
                    continue
                if kind == "release_callbacks":
                    self.released_callbacks.extend(frame.release_callbacks.refs)
                    continue
                if kind == "callback_request":
                    self.callbacks.append(frame)
                    if self.on_callback is not None:
                        self._tasks.add(asyncio.ensure_future(self._answer_callback(frame)))
                    continue
                if kind == "stream_chunk":
                    items = unpack(
                        frame.stream_chunk.items.data, self.frame_buffers.get(frame.id, ())
                    )
                    self.chunks.setdefault(frame.id, []).extend(items)
                    continue
                waiter = self._waiters.pop(frame.id, None)
                if waiter is None or waiter.done():
                    self.unexpected.append(frame)
                else:
                    waiter.set_result(frame)

    async def _answer_callback(self, frame: pb.WorkerFrame) -> None:
        args, kwargs = unpack(
            frame.callback_request.args.data, self.frame_buffers.get(frame.id, ())
        )
        try:
            value = await self.on_callback(frame.callback_request.callback, args, kwargs)
            result = pb.CallbackResult(value=payload(value))
        except Exception as exc:  # the "host function" threw
            result = pb.CallbackResult(
                error=pb.Error(
                    code=pb.ERROR_CODE_HOST_EXCEPTION,
                    message=str(exc),
                    host_error_name=type(exc).__name__,
                    host_stack=f"{type(exc).__name__}: {exc}\n    at host.js:1:1",
                )
            )
        await self.write(pb.HostFrame(id=frame.id, callback_result=result))

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    async def control(self, **kind: Any) -> pb.WorkerFrame:
        """Send a control request (handshake=, describe=, shutdown=) and await its answer."""
        frame_id = self.new_id()
        waiter = self.expect(frame_id)
        await self.write(pb.HostFrame(id=frame_id, **kind))
        return await asyncio.wait_for(waiter, 30)

    async def shutdown(self, grace_ms: int) -> None:
        """Ask the worker to drain (up to grace_ms) and exit."""
        answer = await self.control(shutdown=pb.ShutdownRequest(grace_ms=grace_ms))
        assert answer.WhichOneof("kind") == "shutdown", answer

    def invoke_frame(
        self,
        target: str,
        args: Iterable[Any] = (),
        kwargs: dict[str, Any] | None = None,
        *,
        op: int = pb.INVOKE_OP_CALL,
        ref: str = "",
        timeout_ms: int = 0,
        raw_args: pb.Payload | None = None,
        session: str = "",
        credit: int = 0,
    ) -> pb.HostFrame:
        if raw_args is not None:
            data = raw_args
        elif op == pb.INVOKE_OP_CALL:
            data = payload([list(args), kwargs or {}])
        elif op == pb.INVOKE_OP_SET:
            data = payload(list(args))
        else:
            data = None
        invoke = pb.Invoke(
            op=op,
            target=target,
            ref=ref,
            timeout_ms=timeout_ms,
            args=data,
            session=session,
            credit=credit,
        )
        return pb.HostFrame(id=self.new_id(), invoke=invoke)

    def expect(self, frame_id: int) -> asyncio.Future[pb.WorkerFrame]:
        future = asyncio.get_running_loop().create_future()
        self._waiters[frame_id] = future
        return future

    async def send(
        self, *frames: pb.HostFrame, buffers: Iterable[bytes] = ()
    ) -> list[asyncio.Future[pb.WorkerFrame]]:
        """Send frames in one message; futures for the answers to the invokes among them."""
        futures = [self.expect(f.id) for f in frames if f.WhichOneof("kind") == "invoke"]
        await self.write(*frames, buffers=buffers)
        return futures

    async def frame(
        self, target: str, *args: Any, timeout: float = 10, **kw: Any
    ) -> pb.WorkerFrame:
        """Invoke and return the answering WorkerFrame."""
        (future,) = await self.send(self.invoke_frame(target, *args, **kw))
        return await asyncio.wait_for(future, timeout)

    async def call_value(self, target: str, *args: Any, **kwargs: Any) -> Any:
        """CALL target(*args, **kwargs) and return the decoded result (fails on an error)."""
        frame = await self.frame(target, args, kwargs)
        assert frame.WhichOneof("kind") == "result", frame.error
        return self.value(frame)

    def value(self, frame: pb.WorkerFrame) -> Any:
        """The decoded value of a result frame."""
        return unpack(frame.result.value.data, self.frame_buffers.get(frame.id, ()))

    async def result(self, target: str, *args: Any, **kw: Any) -> Any:
        """Like frame(), but decode the result (fails on an error)."""
        frame = await self.frame(target, *args, **kw)
        assert frame.WhichOneof("kind") == "result", frame.error
        return self.value(frame)

    async def error(self, target: str, *args: Any, **kw: Any) -> pb.Error:
        """Like frame(), but expect an error."""
        frame = await self.frame(target, *args, **kw)
        assert frame.WhichOneof("kind") == "error", frame.result
        return frame.error


# -- ordering without a clock ---------------------------------------------------------------


async def until(condition: Callable[[], bool], timeout: float = 10) -> None:
    """Wait until ``condition()`` holds; fail if it does not within ``timeout`` seconds.

    The timeout bounds a failure, it asserts nothing about speed.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, f"still not true after {timeout} s: {condition}"
        await asyncio.sleep(0.005)


T = TypeVar("T")


async def poll(
    fetch: Callable[[], Awaitable[T]], done: Callable[[T], bool], timeout: float = 10
) -> T:
    """Fetch (e.g. ask the worker) until ``done(value)``; return that value, or fail."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not done(value := await fetch()):
        assert loop.time() < deadline, f"last value after {timeout} s: {value!r}"
        await asyncio.sleep(0.005)
    return value


class Gate:
    """A call's end, controlled by the test: ``bridge_testlib.wait_for_file`` on a path.

    The call blocks in user code until :meth:`open` creates the file, so whatever the
    test sees before that happened while the call was still running.
    """

    def __init__(self, directory: Path, name: str = "gate") -> None:
        self.path = str(directory / name)

    def frame(
        self, client: ChannelClient, timeout_ms: int = 0, stubborn: bool = False
    ) -> pb.HostFrame:
        """The Invoke of the blocking call (``stubborn``: it ignores interrupts)."""
        return client.invoke_frame(
            "bridge_testlib.wait_for_file",
            [self.path],
            {"stubborn": True} if stubborn else {},
            timeout_ms=timeout_ms,
        )

    async def started(self) -> None:
        """Wait until the call runs in user code."""
        await until(lambda: os.path.exists(f"{self.path}.started"))

    async def returned(self) -> None:
        """Wait until the user code returned (its result is being handled)."""
        await until(lambda: os.path.exists(f"{self.path}.returned"))

    async def interrupted(self) -> None:
        """Wait until the worker stopped the call (CallInterrupted raised in its thread)."""
        await until(lambda: os.path.exists(f"{self.path}.interrupted"))

    @property
    def has_returned(self) -> bool:
        return os.path.exists(f"{self.path}.returned")

    def open(self) -> None:
        Path(self.path).touch()


_loop: asyncio.AbstractEventLoop | None = None


def run(coro: Any) -> Any:
    """Run a test scenario on the one event loop all tests share.

    grpc.aio binds its completion-queue poller to a loop; a fresh loop per test
    (asyncio.run) leaves it posting to a closed one.
    """
    global _loop
    if _loop is None:
        _loop = asyncio.new_event_loop()
        asyncio.set_event_loop(_loop)
    return _loop.run_until_complete(coro)
