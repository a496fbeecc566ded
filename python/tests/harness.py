"""Start a real worker process and talk to it with the generated grpc.aio stubs.

The value encoding here is written independently of bridge_worker.codec, straight
from the table in docs/PROTOCOL.md, so the tests check the worker against the spec
rather than against itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
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


def _default(obj: Any) -> Any:
    if isinstance(obj, Ref):
        return msgpack.ExtType(1, msgpack.packb([obj.id, obj.type]))
    if type(obj) is tuple:
        return msgpack.ExtType(3, pack(list(obj)))
    if type(obj) in (set, frozenset):
        return msgpack.ExtType(4, pack(list(obj)))
    if type(obj) is int:  # beyond 64 bits: signed two's-complement big-endian, any length
        length = (obj if obj >= 0 else ~obj).bit_length() // 8 + 1
        return msgpack.ExtType(66, obj.to_bytes(length, "big", signed=True))
    if type(obj) is dict:  # only reached for non-str keys, see pack()
        return msgpack.ExtType(6, pack([x for kv in obj.items() for x in kv]))
    if type(obj) is dt.datetime:
        return msgpack.Timestamp.from_datetime(obj)
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

    return msgpack.packb(_mark(value), default=default, strict_types=True, use_bin_type=True)


def _ext_hook(code: int, data: bytes) -> Any:
    if code == 1:
        ref_id, type_name = msgpack.unpackb(data, raw=False)
        return Ref(ref_id, type_name)
    if code == 3:
        return tuple(unpack(data))
    if code == 4:
        return set(unpack(data))
    if code == 66:
        return int.from_bytes(data, "big", signed=True)
    if code == 6:
        flat = unpack(data)
        return dict(zip(flat[::2], flat[1::2], strict=True))
    return msgpack.ExtType(code, data)


def unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, raw=False, strict_map_key=False, timestamp=3, ext_hook=_ext_hook)


def unpack_raw(data: bytes) -> Any:
    """Decode leaving every extension as msgpack.ExtType, to inspect the wire form."""
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


def payload(value: Any) -> pb.Payload:
    return pb.Payload(encoding=pb.ENCODING_MSGPACK, data=pack(value))


# -- the worker process ---------------------------------------------------------------


class WorkerProcess:
    """``python -m bridge_worker`` on a fresh unix socket."""

    def __init__(self, *extra_args: str) -> None:
        self._tmp = tempfile.TemporaryDirectory(prefix="bwt-")
        self.socket = os.path.join(self._tmp.name, "w.sock")
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SUPPORT), env.get("PYTHONPATH")]))
        env["PYTHONUNBUFFERED"] = "1"
        # A file, not a pipe: nobody drains stderr while the tests run.
        self.stderr_path = os.path.join(self._tmp.name, "stderr.log")
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bridge_worker", "--socket", self.socket, *extra_args],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                env=env,
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
        return f"unix:{self.socket}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=10)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        self._tmp.cleanup()


# -- a Channel client ---------------------------------------------------------------------


class ChannelClient:
    """One Channel stream; answers are collected by frame id."""

    def __init__(self, address: str) -> None:
        self._address = address
        self._next_id = 1
        self._waiters: dict[int, asyncio.Future[pb.WorkerFrame]] = {}
        self.messages: list[pb.WorkerMessage] = []
        self.unexpected: list[pb.WorkerFrame] = []

    async def __aenter__(self) -> ChannelClient:
        self.channel = grpc.aio.insecure_channel(self._address)
        self.stub = pb_grpc.WorkerServiceStub(self.channel)
        self.call = self.stub.Channel()
        self._reader = asyncio.ensure_future(self._read())
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._reader.cancel()
        self.call.cancel()
        await self.channel.close()

    async def _read(self) -> None:
        while True:
            message = await self.call.read()
            if message is grpc.aio.EOF:
                return
            self.messages.append(message)
            for frame in message.frames:
                waiter = self._waiters.pop(frame.id, None)
                if waiter is None or waiter.done():
                    self.unexpected.append(frame)
                else:
                    waiter.set_result(frame)

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

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
    ) -> pb.HostFrame:
        if raw_args is not None:
            data = raw_args
        elif op == pb.INVOKE_OP_CALL:
            data = payload([list(args), kwargs or {}])
        elif op == pb.INVOKE_OP_SET:
            data = payload(list(args))
        else:
            data = None
        invoke = pb.Invoke(op=op, target=target, ref=ref, timeout_ms=timeout_ms, args=data)
        return pb.HostFrame(id=self.new_id(), invoke=invoke)

    def expect(self, frame_id: int) -> asyncio.Future[pb.WorkerFrame]:
        future = asyncio.get_running_loop().create_future()
        self._waiters[frame_id] = future
        return future

    async def send(self, *frames: pb.HostFrame) -> list[asyncio.Future[pb.WorkerFrame]]:
        """Send frames in one HostMessage; futures for the answers to the invokes among them."""
        futures = [self.expect(f.id) for f in frames if f.WhichOneof("kind") == "invoke"]
        await self.call.write(pb.HostMessage(frames=list(frames)))
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
        return unpack(frame.result.value.data)

    async def result(self, target: str, *args: Any, **kw: Any) -> Any:
        """Like frame(), but decode the result (fails on an error)."""
        frame = await self.frame(target, *args, **kw)
        assert frame.WhichOneof("kind") == "result", frame.error
        return unpack(frame.result.value.data)

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

    def frame(self, client: ChannelClient, timeout_ms: int = 0) -> pb.HostFrame:
        """The Invoke of the blocking call."""
        return client.invoke_frame(
            "bridge_testlib.wait_for_file", [self.path], timeout_ms=timeout_ms
        )

    async def started(self) -> None:
        """Wait until the call runs in user code."""
        await until(lambda: os.path.exists(f"{self.path}.started"))

    async def returned(self) -> None:
        """Wait until the user code returned (its result is being handled)."""
        await until(lambda: os.path.exists(f"{self.path}.returned"))

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
