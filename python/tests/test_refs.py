"""Remote refs: objects the worker keeps, used by id, released by the host."""

from __future__ import annotations

from fractions import Fraction

from harness import ChannelClient, Ref, WorkerProcess, run

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb


def test_counter_ref_method_and_release(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            counter = await client.call_value("collections.Counter", "abracadabra")
            assert isinstance(counter, Ref)
            assert counter.type == "collections.Counter"
            assert counter.id

            # A method on the ref (most_common returns a list of tuples: ext 3 items).
            top = await client.result("most_common", [2], ref=counter.id)
            assert top == [("a", 5), ("b", 2)]
            # An attribute path on the ref, read with GET.
            name = await client.result("__class__.__name__", ref=counter.id, op=pb.INVOKE_OP_GET)
            assert name == "Counter"
            # Empty target = the object itself; CALL on a callable ref calls it.
            itself = await client.result("", ref=counter.id, op=pb.INVOKE_OP_GET)
            assert itself.type == "collections.Counter"
            assert itself.id != counter.id  # every hand-out is a new, separately released id
            # A ref travels back as an argument (ext 1, host to worker).
            assert await client.call_value("builtins.len", counter) == 5

            release = pb.ReleaseRefs(refs=[counter.id, "r-unknown"])
            await client.send(pb.HostFrame(id=client.new_id(), release=release))

            error = await client.error("most_common", [1], ref=counter.id)
            assert error.code == pb.ERROR_CODE_NOT_FOUND
            assert counter.id in error.message
            error = await client.error("builtins.len", [counter])
            assert error.code == pb.ERROR_CODE_NOT_FOUND
            assert counter.id in error.message
            assert client.unexpected == []  # ReleaseRefs gets no answer

    run(scenario())


def test_fraction_ref_attributes(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            third = await client.call_value("fractions.Fraction", 1, 3)
            assert third.type == "fractions.Fraction"
            get = pb.INVOKE_OP_GET
            assert await client.result("numerator", ref=third.id, op=get) == 1
            assert await client.result("denominator", ref=third.id, op=get) == 3
            assert await client.result("__str__", ref=third.id) == "1/3"
            doubled = await client.call_value("operator.mul", third, 2)
            assert doubled.type == "fractions.Fraction"
            assert doubled.id != third.id
            assert await client.call_value("builtins.str", doubled) == str(Fraction(2, 3))

            error = await client.error("nope", ref=third.id, op=get)
            assert error.code == pb.ERROR_CODE_NOT_FOUND
            assert f"'remote object {third.id}' has no attribute 'nope'" in error.message

    run(scenario())


def test_set_attribute_and_call_ref(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            obj = await client.call_value("bridge_testlib.Custom", 20)
            assert obj.type == "bridge_testlib.Custom"
            assert await client.result("n", [21], ref=obj.id, op=pb.INVOKE_OP_SET) is None
            assert await client.result("n", ref=obj.id, op=pb.INVOKE_OP_GET) == 21
            assert await client.result("double", ref=obj.id) == 42
            assert await client.result("", [1], ref=obj.id) == 22  # calls the object itself

            error = await client.error("", [1], ref=obj.id, op=pb.INVOKE_OP_SET)
            assert error.code == pb.ERROR_CODE_INVALID_ARGUMENT

    run(scenario())


def test_unknown_ref(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            error = await client.error("x", ref="r999999999")
            assert error.code == pb.ERROR_CODE_NOT_FOUND
            assert "r999999999" in error.message

    run(scenario())
