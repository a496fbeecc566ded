"""Host functions that outlive their host: a clear exception, never a hang."""

from __future__ import annotations

from harness import Callback, ChannelClient, WorkerProcess, poll, run, until

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb

LIB = "bridge_testlib_callbacks"


def test_calling_a_host_function_after_its_connection_closed_raises(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as host:
            assert await host.call_value(f"{LIB}.store", "gone", Callback("c1", "ping")) is None
        # That host is gone; another one asks Python to call its function.
        async with ChannelClient(worker) as other:
            error = await other.error(f"{LIB}.call_stored", ["gone"])
            assert error.code == pb.ERROR_CODE_PYTHON_EXCEPTION
            assert error.exception.type == "bridge_worker.host.HostUnavailableError"
            # The worker may notice the first host left before the call or while it waits.
            message = error.exception.message
            assert "callback c1 is gone" in message or "connection to the host closed" in message
            # Python code catches it as the one documented type, HostError.
            caught = await other.call_value(f"{LIB}.catch_stored", "gone")
            assert caught[:3] == [
                "bridge_worker.host.HostUnavailableError",
                "bridge_worker.host.HostError",
                "builtins.Exception",
            ]
            # From a coroutine as well.
            error = await other.error(f"{LIB}.acall_stored", ["gone"])
            assert error.exception.type == "bridge_worker.host.HostUnavailableError"

    run(scenario())


def test_waits_on_a_host_that_goes_end(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as host:  # it never answers callbacks
            await host.send(host.invoke_frame(f"{LIB}.call_and_record", ["call", Callback("c2")]))
            await host.call_value(f"{LIB}.call_in_thread", "thread", Callback("c3"))
            await until(lambda: len(host.callbacks) == 2)
        async with ChannelClient(worker) as other:
            # A thread of the user's own gets the documented exception...
            thread = await poll(lambda: other.call_value(f"{LIB}.outcome", "thread"), bool)
            assert thread[:2] == ["error", "bridge_worker.host.HostUnavailableError"]
            assert "connection to the host closed" in thread[2]
            # ...and a call of that host is stopped, as any call whose host is gone.
            call = await poll(lambda: other.call_value(f"{LIB}.outcome", "call"), bool)
            assert call[:2] == ["error", "bridge_worker.interrupt.CallInterrupted"]

    run(scenario())


def test_dropping_a_host_function_tells_the_host(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as host:
            host.on_callback = _answer
            assert await host.call_value(f"{LIB}.store", "kept", Callback("c3", "kept")) is None
            assert await host.call_value(f"{LIB}.call_stored", "kept") == "answered c3"
            assert host.released_callbacks == []
            await host.call_value(f"{LIB}.store", "kept", None)  # replaced: the last reference goes
            await until(lambda: host.released_callbacks == ["c3"])

    run(scenario())


async def _answer(callback_id: str, args: list[object], kwargs: dict[str, object]) -> str:
    return f"answered {callback_id}"
