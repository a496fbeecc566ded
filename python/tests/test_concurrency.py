"""Concurrent calls on one Channel: no head-of-line blocking, cancel, deadlines, batching."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from harness import ChannelClient, Gate, WorkerProcess, poll, run, unpack, until

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb


def test_slow_call_does_not_block_fast_call(worker: WorkerProcess, tmp_path: Path) -> None:
    async def scenario() -> None:
        gate = Gate(tmp_path)
        async with ChannelClient(worker) as client:
            (slow,) = await client.send(gate.frame(client))
            await gate.started()
            (fast,) = await client.send(client.invoke_frame("operator.add", [1, 2]))
            frame = await asyncio.wait_for(fast, 10)
            assert unpack(frame.result.value.data) == 3
            # The slow call cannot end before its gate opens: the fast one passed it.
            assert not slow.done()
            assert not gate.has_returned
            gate.open()
            assert unpack((await asyncio.wait_for(slow, 10)).result.value.data) is True

    run(scenario())


def test_cancel_blocked_thread_call(worker: WorkerProcess, tmp_path: Path) -> None:
    async def scenario() -> None:
        gate = Gate(tmp_path)
        async with ChannelClient(worker) as client:
            frame = gate.frame(client)
            (answer,) = await client.send(frame)
            await gate.started()
            await client.send(pb.HostFrame(id=frame.id, cancel=pb.Cancel()))
            reply = await asyncio.wait_for(answer, 10)
            # The call is still blocked in user code: the answer is the cancel's.
            assert not gate.has_returned
            assert reply.WhichOneof("kind") == "error"
            assert reply.error.code == pb.ERROR_CODE_CANCELED
            # The worker stops the call's thread (CallInterrupted at its next bytecode),
            # and nothing more is sent for it.
            await gate.interrupted()
            assert not gate.has_returned
            assert await client.call_value("operator.add", 1, 1) == 2
            assert client.unexpected == []
            # Cancelling an answered (or unknown) call is a no-op.
            await client.send(pb.HostFrame(id=frame.id, cancel=pb.Cancel()))
            assert await client.call_value("operator.add", 1, 1) == 2
            assert client.unexpected == []

    run(scenario())


def test_id_reused_after_cancel_gets_only_its_own_answer(
    worker: WorkerProcess, tmp_path: Path
) -> None:
    """Ids are uint32 and may be reused once answered: a late result must not leak."""

    async def scenario() -> None:
        gate = Gate(tmp_path)
        async with ChannelClient(worker) as client:
            frame = gate.frame(client, stubborn=True)  # it survives the interrupt
            (first,) = await client.send(frame)
            await gate.started()
            await client.send(pb.HostFrame(id=frame.id, cancel=pb.Cancel()))
            assert (await asyncio.wait_for(first, 10)).error.code == pb.ERROR_CODE_CANCELED
            await gate.interrupted()
            reuse = client.invoke_frame("operator.add", [1, 2])
            reuse.id = frame.id
            (second,) = await client.send(reuse)
            assert unpack((await asyncio.wait_for(second, 10)).result.value.data) == 3
            # Now the first call ends, under the reused id: its result must be dropped.
            gate.open()
            await gate.returned()
            assert await client.call_value("operator.add", 2, 2) == 4
            assert client.unexpected == []

    run(scenario())


def test_cancel_coroutine_cancels_the_task(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:

            def counter(name: str) -> Callable[[], Awaitable[int]]:
                return lambda: client.result(f"bridge_testlib.{name}", op=pb.INVOKE_OP_GET)

            started, cancelled = await counter("started")(), await counter("cancelled")()
            frame = client.invoke_frame("bridge_testlib.sleep_and_count", [3600])
            (answer,) = await client.send(frame)
            await poll(counter("started"), lambda n: n == started + 1)
            await client.send(pb.HostFrame(id=frame.id, cancel=pb.Cancel()))
            # An hour-long sleep answered at all: only the cancel can have ended it.
            reply = await asyncio.wait_for(answer, 10)
            assert reply.error.code == pb.ERROR_CODE_CANCELED
            # The coroutine itself saw CancelledError (it was not merely abandoned).
            await poll(counter("cancelled"), lambda n: n == cancelled + 1)

    run(scenario())


def test_deadline(worker: WorkerProcess, tmp_path: Path) -> None:
    async def scenario() -> None:
        gate = Gate(tmp_path)
        async with ChannelClient(worker) as client:
            (answer,) = await client.send(gate.frame(client, timeout_ms=100))
            reply = await asyncio.wait_for(answer, 10)
            assert reply.error.code == pb.ERROR_CODE_DEADLINE_EXCEEDED
            assert "100 ms" in reply.error.message
            # The gate is still closed: the deadline, not the call's end, answered.
            assert not gate.has_returned
            gate.open()
            assert await client.result("operator.add", [1, 1], timeout_ms=5000) == 2

    run(scenario())


def test_batch_of_frames_all_answered(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            frames = [client.invoke_frame("operator.mul", [i, 2]) for i in range(200)]
            futures = await client.send(*frames)  # one HostMessage
            replies = await asyncio.wait_for(asyncio.gather(*futures), 10)
            assert [unpack(r.result.value.data) for r in replies] == [i * 2 for i in range(200)]
            assert [r.id for r in replies] == [f.id for f in frames]
            # Answers share messages: far fewer WorkerMessages than frames.
            answers = [m for m in client.messages if any(f.HasField("result") for f in m.frames)]
            assert sum(len(m.frames) for m in answers) == 200
            assert len(answers) < 200
            assert max(len(m.frames) for m in answers) > 1

    run(scenario())


def test_many_concurrent_mixed_calls(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            frames = []
            for i in range(300):
                if i % 3 == 0:
                    frames.append(client.invoke_frame("operator.add", [i, 1]))
                elif i % 3 == 1:
                    frames.append(client.invoke_frame("asyncio.sleep", [0.001, i]))
                else:
                    frames.append(client.invoke_frame("builtins.int", ["x"]))
            futures = []
            for chunk in range(0, 300, 37):  # several HostMessages, interleaved
                futures += await client.send(*frames[chunk : chunk + 37])
            replies = await asyncio.wait_for(asyncio.gather(*futures), 10)
            for i, reply in enumerate(replies):
                if i % 3 == 0:
                    assert unpack(reply.result.value.data) == i + 1
                elif i % 3 == 1:
                    assert unpack(reply.result.value.data) == i
                else:
                    assert reply.error.code == pb.ERROR_CODE_PYTHON_EXCEPTION
            assert client.unexpected == []

    run(scenario())


def test_two_channels_share_refs(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as one, ChannelClient(worker) as two:
            ref = await one.call_value("fractions.Fraction", 1, 4)
            assert await two.result("denominator", ref=ref.id, op=pb.INVOKE_OP_GET) == 4

    run(scenario())


def _started(gate: Gate) -> bool:
    return os.path.exists(f"{gate.path}.started")


def _stuck(client: ChannelClient) -> int:
    """Stuck threads in the worker's latest heartbeat."""
    return client.heartbeats[-1].stuck_threads if client.heartbeats else 0


def test_calls_queued_past_their_deadline_never_start(tmp_path: Path) -> None:
    """One thread, three calls sharing a deadline: the first sticks (it ignores the
    interrupt), and the two queued behind it must not start once its thread is freed."""
    worker = WorkerProcess("--threads", "1")
    gates = [Gate(tmp_path, f"g{i}") for i in range(3)]

    async def scenario() -> list[int]:
        async with ChannelClient(worker) as client:
            frames = [g.frame(client, timeout_ms=300, stubborn=True) for g in gates]
            answers = await client.send(*frames)
            codes = [(await asyncio.wait_for(a, 10)).error.code for a in answers]
            # Answered; the first call's thread is stuck, which frees the budget, yet
            # nothing else started (the heartbeat's count says so too).
            await until(lambda: _stuck(client) == 1)
            assert not _started(gates[1])
            assert not _started(gates[2])
            for g in gates:
                g.open()
            return codes

    try:
        assert run(scenario()) == [pb.ERROR_CODE_DEADLINE_EXCEEDED] * 3
        assert _started(gates[0])
    finally:
        worker.stop()


def test_calls_cancelled_together_never_start(tmp_path: Path) -> None:
    """As above with the host's Cancel frames for all three in one message."""
    worker = WorkerProcess("--threads", "1")
    gates = [Gate(tmp_path, f"c{i}") for i in range(3)]

    async def scenario() -> list[int]:
        async with ChannelClient(worker) as client:
            frames = [g.frame(client, stubborn=True) for g in gates]
            answers = await client.send(*frames)
            await gates[0].started()
            await client.write(*(pb.HostFrame(id=f.id, cancel=pb.Cancel()) for f in frames))
            codes = [(await asyncio.wait_for(a, 10)).error.code for a in answers]
            await until(lambda: _stuck(client) == 1)
            assert not _started(gates[1])
            assert not _started(gates[2])
            for g in gates:
                g.open()
            return codes

    try:
        assert run(scenario()) == [pb.ERROR_CODE_CANCELED] * 3
    finally:
        worker.stop()
