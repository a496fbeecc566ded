"""The local lane: Channel frames, length-prefixed, on ``<socket>.lane`` (no gRPC)."""

from __future__ import annotations

import asyncio

from harness import WorkerProcess, pack, run, unpack

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.lane import lane_path


def _invoke(call_id: int, target: str, *args: object) -> pb.HostFrame:
    return pb.HostFrame(
        id=call_id,
        invoke=pb.Invoke(
            op=pb.INVOKE_OP_CALL,
            target=target,
            args=pb.Payload(encoding=pb.ENCODING_MSGPACK, data=pack([list(args), {}])),
        ),
    )


async def _send(writer: asyncio.StreamWriter, *frames: pb.HostFrame) -> None:
    body = pb.HostMessage(frames=frames).SerializeToString()
    writer.write(len(body).to_bytes(4, "big") + body)
    await writer.drain()


async def _receive(reader: asyncio.StreamReader) -> pb.WorkerMessage:
    size = int.from_bytes(await reader.readexactly(4), "big")
    return pb.WorkerMessage.FromString(await reader.readexactly(size))


def test_lane_answers_a_batch_and_errors(worker: WorkerProcess) -> None:
    async def scenario() -> dict[int, pb.WorkerFrame]:
        reader, writer = await asyncio.open_unix_connection(lane_path(worker.socket))
        await _send(
            writer,
            _invoke(1, "operator.add", 2, 3),
            _invoke(2, "math.sqrt", 16),
            _invoke(3, "json.loads", "{"),
        )
        answers: dict[int, pb.WorkerFrame] = {}
        while len(answers) < 3:
            for frame in (await asyncio.wait_for(_receive(reader), 10)).frames:
                answers[frame.id] = frame
        writer.close()
        await writer.wait_closed()
        return answers

    answers = run(scenario())
    assert unpack(answers[1].result.value.data) == 5
    assert unpack(answers[2].result.value.data) == 4.0
    assert answers[3].error.code == pb.ERROR_CODE_PYTHON_EXCEPTION
    assert answers[3].error.exception.type == "json.decoder.JSONDecodeError"


def test_lane_is_announced_and_a_dropped_connection_leaves_the_worker_serving(
    worker: WorkerProcess,
) -> None:
    async def scenario() -> object:
        _, writer = await asyncio.open_unix_connection(lane_path(worker.socket))
        # A call left in flight when the host goes away must not take the worker down.
        await _send(writer, _invoke(1, "time.sleep", 0.2))
        writer.close()
        reader, writer = await asyncio.open_unix_connection(lane_path(worker.socket))
        await _send(writer, _invoke(7, "operator.mul", 6, 7))
        frame = (await asyncio.wait_for(_receive(reader), 10)).frames[0]
        writer.close()
        return unpack(frame.result.value.data)

    assert run(scenario()) == 42
