"""Calls, errors and target resolution through a real worker's Channel."""

from __future__ import annotations

import datetime as dt
import os

from harness import ChannelClient, WorkerProcess, run

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb


def test_call_with_args_and_kwargs(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            assert await client.call_value("operator.add", 2, 3) == 5
            assert await client.call_value("builtins.sorted", [3, 1, 2], reverse=True) == [3, 2, 1]
            assert await client.call_value("os.path.join", "a", "b", "c") == os.path.join(
                "a", "b", "c"
            )
            assert await client.call_value("json:dumps", {"a": [1, 2]}, sort_keys=True) == (
                '{"a": [1, 2]}'
            )
            assert await client.call_value("os.path:basename", "/a/b.txt") == "b.txt"
            # "module:Qual.name" walks attributes after the colon.
            when = await client.call_value("datetime:datetime.fromisoformat", "2020-01-02T03:04:05")
            assert when == dt.datetime(2020, 1, 2, 3, 4, 5)  # naive stays naive
            # An empty args payload is a call without arguments.
            frame = await client.frame("builtins.dict", raw_args=pb.Payload())
            assert frame.result.value.data == b"\x80"  # {}
            assert frame.result.value.encoding == pb.ENCODING_MSGPACK

    run(scenario())


def test_get_and_set_module_attribute(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            assert await client.result("math.pi", op=pb.INVOKE_OP_GET) == 3.141592653589793
            assert await client.result("bridge_testlib:value", op=pb.INVOKE_OP_GET) == "initial"
            assert (
                await client.result("bridge_testlib.value", ["changed"], op=pb.INVOKE_OP_SET)
                is None
            )
            # Resolution is cached, the attribute is not: the new value is seen.
            assert await client.result("bridge_testlib.value", op=pb.INVOKE_OP_GET) == "changed"
            # A whole module comes back as a ref.
            ref = await client.result("json", op=pb.INVOKE_OP_GET)
            assert ref.type == "builtins.module"

    run(scenario())


def test_python_exception(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            error = await client.error("builtins.int", ["x"])
            assert error.code == pb.ERROR_CODE_PYTHON_EXCEPTION
            assert error.message == "ValueError: invalid literal for int() with base 10: 'x'"
            exc = error.exception
            assert exc.type == "builtins.ValueError"
            assert exc.message == "invalid literal for int() with base 10: 'x'"
            # int() is C code called by the worker: no user frame, just the last line.
            assert exc.traceback == "ValueError: invalid literal for int() with base 10: 'x'\n"
            assert not exc.HasField("cause")

            error = await client.error("json.loads", ["{bad"])
            assert error.exception.type == "json.decoder.JSONDecodeError"
            assert error.message.startswith("json.decoder.JSONDecodeError: Expecting property name")
            traceback = error.exception.traceback
            assert traceback.startswith("Traceback (most recent call last):")
            assert 'json/decoder.py", line' in traceback
            assert "bridge_worker" not in traceback  # the worker's own frames are trimmed

    run(scenario())


def test_exception_cause_chain(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            exc = (await client.error("bridge_testlib.raise_from")).exception
            assert (exc.type, exc.message) == ("builtins.RuntimeError", "lookup failed")
            assert "raise RuntimeError" in exc.traceback
            assert (exc.cause.type, exc.cause.message) == ("builtins.KeyError", "'missing'")
            assert "KeyError" in exc.cause.traceback
            assert not exc.cause.HasField("cause")

            exc = (await client.error("bridge_testlib.raise_during_handling")).exception
            assert exc.type == "builtins.ValueError"
            assert exc.cause.type == "builtins.ZeroDivisionError"  # implicit __context__

            exc = (await client.error("bridge_testlib.raise_suppressed")).exception
            assert not exc.HasField("cause")  # `from None` suppresses the context

            exc = (await client.error("bridge_testlib.raise_chain", [20])).exception
            messages = []
            node = exc
            while True:
                messages.append(node.message)
                if not node.HasField("cause"):
                    break
                node = node.cause
            assert messages == [f"level {i}" for i in range(19, 11, -1)]  # capped at 8

    run(scenario())


def test_not_found(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            error = await client.error("no_such_module_xyz.func")
            assert error.code == pb.ERROR_CODE_NOT_FOUND
            assert "no_such_module_xyz.func" in error.message
            assert "no module named 'no_such_module_xyz'" in error.message
            assert not error.HasField("exception")

            error = await client.error("json.no_such_function")
            assert error.code == pb.ERROR_CODE_NOT_FOUND
            assert error.message == (
                "cannot resolve 'json.no_such_function': 'json' has no attribute 'no_such_function'"
            )

            error = await client.error("json:JSONDecoder.nope")
            assert error.code == pb.ERROR_CODE_NOT_FOUND
            assert "'json.JSONDecoder' has no attribute 'nope'" in error.message

            error = await client.error("no_such_module_xyz:f")
            assert error.code == pb.ERROR_CODE_NOT_FOUND

            error = await client.error("os.path.nope", op=pb.INVOKE_OP_GET)
            assert error.code == pb.ERROR_CODE_NOT_FOUND
            assert "'posixpath' has no attribute 'nope'" in error.message

    run(scenario())


def test_invalid_arguments(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            bad = pb.Payload(encoding=pb.ENCODING_MSGPACK, data=b"\xc1")  # never-used byte
            error = await client.error("operator.add", raw_args=bad)
            assert error.code == pb.ERROR_CODE_INVALID_ARGUMENT
            assert "msgpack" in error.message

            not_array = pb.Payload(encoding=pb.ENCODING_MSGPACK, data=b"\x05")
            error = await client.error("operator.add", raw_args=not_array)
            assert error.code == pb.ERROR_CODE_INVALID_ARGUMENT

            error = await client.error("operator.add", op=pb.INVOKE_OP_UNSPECIFIED)
            assert error.code == pb.ERROR_CODE_INVALID_ARGUMENT

            error = await client.error("", [])
            assert error.code == pb.ERROR_CODE_INVALID_ARGUMENT

            malformed = pb.Payload(encoding=pb.ENCODING_MSGPACK, data=b"\x92\x91\xd4\x02\x00\x80")
            error = await client.error("builtins.print", raw_args=malformed)  # ext 2 not an array
            assert error.code == pb.ERROR_CODE_INVALID_ARGUMENT
            assert "extension 2" in error.message

            unknown = pb.Payload(encoding=pb.ENCODING_MSGPACK, data=b"\x92\x91\xd4\x63\x00\x80")
            error = await client.error("builtins.print", raw_args=unknown)  # ext 99
            assert error.code == pb.ERROR_CODE_INVALID_ARGUMENT
            assert "unknown msgpack extension type 99" in error.message

            # The stream survives all of this.
            assert await client.call_value("operator.add", 1, 1) == 2

    run(scenario())


def test_coroutine_results_are_awaited(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            assert await client.call_value("asyncio.sleep", 0, "done") == "done"
            assert await client.call_value("bridge_testlib.sleep_and_count", 0.01) == "slept"
            error = await client.error("bridge_testlib.async_raise")
            assert error.code == pb.ERROR_CODE_PYTHON_EXCEPTION
            assert error.exception.type == "builtins.LookupError"
            assert "async_raise" in error.exception.traceback

    run(scenario())
