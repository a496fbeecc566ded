"""The local lane: records on the worker's unix socket, with its token, without gRPC."""

from __future__ import annotations

import asyncio
import os
import struct
import subprocess
import sys

from harness import TOKEN, BufferRef, WorkerProcess, lane_record, pack, read_record, run, unpack

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb


def _invoke(call_id: int, target: str, *args: object, buffers: int = 0) -> pb.HostFrame:
    return pb.HostFrame(
        id=call_id,
        invoke=pb.Invoke(
            op=pb.INVOKE_OP_CALL,
            target=target,
            args=pb.Payload(
                encoding=pb.ENCODING_MSGPACK, data=pack([list(args), {}]), buffers=[b""] * buffers
            ),
        ),
    )


def _hello(token: str = TOKEN) -> pb.HostFrame:
    return pb.HostFrame(id=1, handshake=pb.HandshakeRequest(protocol_version=1, token=token))


async def _answers(
    reader: asyncio.StreamReader, count: int
) -> dict[int, tuple[pb.WorkerFrame, list[bytes]]]:
    answers: dict[int, tuple[pb.WorkerFrame, list[bytes]]] = {}
    while len(answers) < count:
        message, buffers = await asyncio.wait_for(read_record(reader), 20)
        trailer = iter(buffers)
        for frame in message.frames:
            if frame.WhichOneof("kind") == "heartbeat":
                continue
            own = (
                [next(trailer) for _ in frame.result.value.buffers]
                if frame.HasField("result")
                else []
            )
            answers[frame.id] = (frame, own)
    return answers


def test_lane_answers_a_batch_and_errors(worker: WorkerProcess) -> None:
    async def scenario() -> dict[int, tuple[pb.WorkerFrame, list[bytes]]]:
        reader, writer = await asyncio.open_unix_connection(worker.socket)
        writer.write(
            lane_record(
                [
                    _hello(),
                    _invoke(2, "operator.add", 2, 3),
                    _invoke(3, "math.sqrt", 16),
                    _invoke(4, "json.loads", "{"),
                ]
            )
        )
        answers = await _answers(reader, 4)
        writer.close()
        return answers

    answers = run(scenario())
    assert answers[1][0].handshake.pid == worker.proc.pid
    assert unpack(answers[2][0].result.value.data) == 5
    assert unpack(answers[3][0].result.value.data) == 4.0
    assert answers[4][0].error.code == pb.ERROR_CODE_PYTHON_EXCEPTION
    assert answers[4][0].error.exception.type == "json.decoder.JSONDecodeError"


def test_large_values_travel_after_the_message(worker: WorkerProcess) -> None:
    """64 MiB each way as raw trailer bytes: ext 5 in the body names buffer 0."""
    big = bytes(range(256)) * (1 << 18)

    async def scenario() -> tuple[pb.WorkerFrame, list[bytes]]:
        reader, writer = await asyncio.open_unix_connection(worker.socket, limit=1 << 20)
        body = pack([[BufferRef(0)], {}])
        frame = pb.HostFrame(
            id=2,
            invoke=pb.Invoke(
                op=pb.INVOKE_OP_CALL,
                target="bridge_testlib.identity",
                args=pb.Payload(encoding=pb.ENCODING_MSGPACK, data=body, buffers=[b""]),
            ),
        )
        writer.write(lane_record([_hello(), frame], [big]))
        answers = await _answers(reader, 2)
        writer.close()
        return answers[2]

    frame, buffers = run(scenario())
    assert len(frame.result.value.buffers) == 1  # one placeholder in the message...
    assert frame.result.value.buffers[0] == b""
    assert unpack(frame.result.value.data, buffers) == big  # ...its bytes after it


def test_a_connection_without_the_token_is_refused(worker: WorkerProcess) -> None:
    async def attempt(first: list[pb.HostFrame]) -> bytes:
        reader, writer = await asyncio.open_unix_connection(worker.socket)
        writer.write(lane_record(first))
        data = await asyncio.wait_for(reader.read(), 10)  # the worker closes it unanswered
        writer.close()
        return data

    assert run(attempt([_invoke(2, "os.getpid")])) == b""
    assert run(attempt([_hello("wrong token"), _invoke(2, "os.getpid")])) == b""
    assert "refused a connection without the worker's token" in worker.stderr()


def test_a_dropped_connection_leaves_the_worker_serving(worker: WorkerProcess) -> None:
    async def scenario() -> object:
        _, writer = await asyncio.open_unix_connection(worker.socket)
        # A call left in flight when the host goes away must not take the worker down.
        writer.write(lane_record([_hello(), _invoke(2, "time.sleep", 0.2)]))
        await writer.drain()
        writer.close()
        reader, writer = await asyncio.open_unix_connection(worker.socket)
        writer.write(lane_record([_hello(), _invoke(7, "operator.mul", 6, 7)]))
        answers = await _answers(reader, 2)
        writer.close()
        return unpack(answers[7][0].result.value.data)

    assert run(scenario()) == 42


def test_an_absurd_record_closes_only_its_connection(worker: WorkerProcess) -> None:
    async def scenario() -> tuple[bytes, object]:
        reader, writer = await asyncio.open_unix_connection(worker.socket)
        writer.write(struct.pack(">II", 1 << 31, 0))  # a 2 GiB envelope: refused
        closed = await asyncio.wait_for(reader.read(), 10)
        reader, writer = await asyncio.open_unix_connection(worker.socket)
        writer.write(lane_record([_hello(), _invoke(2, "operator.add", 1, 1)]))
        answers = await _answers(reader, 2)
        writer.close()
        return closed, unpack(answers[2][0].result.value.data)

    assert run(scenario()) == (b"", 2)


def test_socket_is_private_whatever_the_umask(tmp_path: object) -> None:
    path = os.path.join(str(tmp_path), "w.sock")
    grpc_path = path + ".grpc"
    code = (
        "import os, subprocess, sys; os.umask(0);"
        "p = subprocess.Popen([sys.executable, '-m', 'bridge_worker',"
        f" '--socket', {path!r}, '--grpc'], stdin=subprocess.PIPE, stdout=subprocess.PIPE);"
        " p.stdout.readline();"
        f"print(*(oct(os.stat(p).st_mode & 0o777) for p in ({path!r}, {grpc_path!r})));"
        " p.kill()"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True
    )
    assert out.stdout.split() == ["0o600", "0o600"]
