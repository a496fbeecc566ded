"""Concurrent calls on one Channel: no head-of-line blocking, cancel, deadlines, batching."""

from __future__ import annotations

import asyncio
import time

from harness import ChannelClient, WorkerProcess, run, unpack

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb


def test_slow_call_does_not_block_fast_call(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            start = time.monotonic()
            (slow,) = await client.send(client.invoke_frame("time.sleep", [1]))
            (fast,) = await client.send(client.invoke_frame("operator.add", [1, 2]))
            frame = await asyncio.wait_for(fast, 5)
            assert unpack(frame.result.value.data) == 3
            assert time.monotonic() - start < 0.5
            assert not slow.done()
            assert (await asyncio.wait_for(slow, 5)).WhichOneof("kind") == "result"

    run(scenario())


def test_cancel_sleeping_thread_call(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            frame = client.invoke_frame("time.sleep", [0.6])
            (answer,) = await client.send(frame)
            await asyncio.sleep(0.05)
            start = time.monotonic()
            await client.send(pb.HostFrame(id=frame.id, cancel=pb.Cancel()))
            reply = await asyncio.wait_for(answer, 5)
            assert time.monotonic() - start < 0.3
            assert reply.WhichOneof("kind") == "error"
            assert reply.error.code == pb.ERROR_CODE_CANCELED
            # The thread's late result is dropped, not sent as a second answer.
            await asyncio.sleep(0.8)
            assert client.unexpected == []
            # Cancelling an answered (or unknown) call is a no-op.
            await client.send(pb.HostFrame(id=frame.id, cancel=pb.Cancel()))
            assert await client.call_value("operator.add", 1, 1) == 2
            assert client.unexpected == []

    run(scenario())


def test_id_reused_after_cancel_gets_only_its_own_answer(worker: WorkerProcess) -> None:
    """Ids are uint32 and may be reused once answered: a late result must not leak."""

    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            frame = client.invoke_frame("time.sleep", [0.3])
            (first,) = await client.send(frame)
            await client.send(pb.HostFrame(id=frame.id, cancel=pb.Cancel()))
            assert (await asyncio.wait_for(first, 5)).error.code == pb.ERROR_CODE_CANCELED
            reuse = client.invoke_frame("operator.add", [1, 2])
            reuse.id = frame.id
            (second,) = await client.send(reuse)
            assert unpack((await asyncio.wait_for(second, 5)).result.value.data) == 3
            await asyncio.sleep(0.5)  # the sleep finishes; its result is dropped
            assert client.unexpected == []

    run(scenario())


def test_cancel_coroutine_cancels_the_task(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            before = await client.result("bridge_testlib.cancelled", op=pb.INVOKE_OP_GET)
            frame = client.invoke_frame("bridge_testlib.sleep_and_count", [30])
            (answer,) = await client.send(frame)
            await asyncio.sleep(0.1)
            start = time.monotonic()
            await client.send(pb.HostFrame(id=frame.id, cancel=pb.Cancel()))
            reply = await asyncio.wait_for(answer, 5)
            assert time.monotonic() - start < 0.3
            assert reply.error.code == pb.ERROR_CODE_CANCELED
            await asyncio.sleep(0.05)
            after = await client.result("bridge_testlib.cancelled", op=pb.INVOKE_OP_GET)
            assert after == before + 1  # the coroutine saw CancelledError

    run(scenario())


def test_deadline(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            start = time.monotonic()
            error = await client.error("time.sleep", [2], timeout_ms=100)
            assert error.code == pb.ERROR_CODE_DEADLINE_EXCEEDED
            assert "100 ms" in error.message
            assert time.monotonic() - start < 1
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
