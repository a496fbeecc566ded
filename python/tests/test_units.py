"""Unit tests of the small pure pieces: wire bytes, resolution, errors, work queue."""

from __future__ import annotations

import os.path
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bridge_worker import chunks, wire
from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.errors import MAX_CHAIN, error_from_exception, python_exception
from bridge_worker.faults import InvalidArgumentError, NotFoundError
from bridge_worker.interrupt import CallInterrupted, current_slot
from bridge_worker.resolve import Resolver
from bridge_worker.threads import Pool

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("call_id", [0, 1, 127, 128, 300, 16383, 16384, 2**21, 2**31, 2**32 - 1])
@pytest.mark.parametrize("size", [0, 1, 110, 113, 114, 119, 120, 127, 128, 20000])
def test_wire_result_entry_matches_protobuf(call_id: int, size: int) -> None:
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    frame = pb.WorkerFrame(
        id=call_id,
        result=pb.Result(value=pb.Payload(encoding=pb.ENCODING_MSGPACK, data=data)),
    )
    expected = pb.WorkerMessage(frames=[frame, frame]).SerializeToString()
    entry = wire.result_entry(call_id, data)
    assert wire.message([entry, entry]) == expected


def test_wire_error_entry_matches_protobuf() -> None:
    error = pb.Error(code=pb.ERROR_CODE_NOT_FOUND, message="gone")
    expected = pb.WorkerMessage(frames=[pb.WorkerFrame(id=9, error=error)]).SerializeToString()
    assert wire.message([wire.error_entry(9, error)]) == expected


def test_wire_entries_with_buffers_match_protobuf() -> None:
    data, buffers = b"\x91\xd6\x05\x00\x00\x00\x00", [b"a" * 20000, memoryview(b"bc")]
    # Out of band: empty placeholders in the message, the bytes after it.
    payload = pb.Payload(encoding=pb.ENCODING_MSGPACK, data=data, buffers=[b"", b""])
    result = pb.WorkerFrame(id=5, result=pb.Result(value=payload))
    chunk = pb.WorkerFrame(id=6, stream_chunk=pb.StreamChunk(items=payload))
    expected = pb.WorkerMessage(frames=[result, chunk]).SerializeToString()
    entries = [wire.result_entry(5, data, buffers), wire.chunk_entry(6, data, buffers)]
    assert wire.message(entries) == expected


def test_grpc_chunks_carry_buffers_of_any_size_in_pieces() -> None:
    frames = pb.HostMessage(frames=[pb.HostFrame(id=3)]).SerializeToString()
    big = bytes(range(256)) * ((3 * chunks.CHUNK_BYTES) // 256 + 7)
    buffers = [big, b"", memoryview(b"xyz")]
    messages = chunks.chunk_messages(frames, buffers)
    assert max(len(m) for m in messages[1:]) <= chunks.CHUNK_BYTES + 8
    first = pb.HostMessage.FromString(messages[0])
    assert list(first.buffer_sizes) == [len(big), 0, 3]
    assert [f.id for f in first.frames] == [3]
    assembler = chunks.Assembler(1 << 40)
    outcomes = [assembler.push(pb.HostMessage.FromString(m)) for m in messages]
    assert outcomes[:-1] == [None] * (len(messages) - 1)
    message, got = outcomes[-1]
    assert [b.as_bytes() for b in got] == [big, b"", b"xyz"]
    assert [f.id for f in message.frames] == [3]
    # A message without buffers is complete at once; one with only empty buffers too.
    assert assembler.push(pb.HostMessage(frames=[pb.HostFrame(id=4)]))[1] == []
    assert [b.as_bytes() for b in assembler.push(pb.HostMessage(buffer_sizes=[0]))[1]] == [b""]


def test_grpc_chunks_out_of_order_or_too_large_are_refused() -> None:
    with pytest.raises(InvalidArgumentError, match="no message announced"):
        chunks.Assembler(100).push(pb.HostMessage(chunk=b"x"))
    with pytest.raises(InvalidArgumentError, match="more than the worker takes"):
        chunks.Assembler(100).push(pb.HostMessage(buffer_sizes=[101]))
    assembler = chunks.Assembler(100)
    assembler.push(pb.HostMessage(buffer_sizes=[2]))
    with pytest.raises(InvalidArgumentError, match="runs past"):
        assembler.push(pb.HostMessage(chunk=b"abc"))


def test_resolver_longest_importable_prefix() -> None:
    resolver = Resolver()
    assert resolver.resolve("os.path.join") is os.path.join
    module, path = resolver.split("os.path.join")
    assert module is os.path
    assert path == ("join",)
    assert resolver.split("xml.etree.ElementTree.parse")[0].__name__ == "xml.etree.ElementTree"
    assert resolver.resolve("json:JSONDecoder.decode").__qualname__ == "JSONDecoder.decode"
    assert resolver.resolve("json") is sys.modules["json"]


@pytest.mark.parametrize(
    ("target", "error", "message"),
    [
        ("no_such_mod_q", NotFoundError, "no module named 'no_such_mod_q'"),
        ("json.nope", NotFoundError, "'json' has no attribute 'nope'"),
        ("no_such_mod_q:x", NotFoundError, "no module named 'no_such_mod_q'"),
        ("", InvalidArgumentError, "empty target"),
        ("json..dumps", InvalidArgumentError, "malformed target 'json..dumps'"),
        ("json:a:b", InvalidArgumentError, "malformed target 'json:a:b'"),
    ],
)
def test_resolver_errors(target: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=re.escape(message)):
        Resolver().resolve(target)


def test_exception_chain_and_cap() -> None:
    try:
        try:
            raise KeyError("k")
        except KeyError as inner:
            raise ValueError("outer") from inner
    except ValueError as exc:
        proto = python_exception(exc)
    assert (proto.type, proto.message) == ("builtins.ValueError", "outer")
    assert (proto.cause.type, proto.cause.message) == ("builtins.KeyError", "'k'")
    assert "raise ValueError" in proto.traceback
    assert "KeyError" not in proto.traceback  # causes are in .cause, not repeated

    # A cycle (a.__context__ is b and b.__context__ is a) stops at the cap.
    a, b = ValueError("a"), ValueError("b")
    a.__context__, b.__context__ = b, a
    node, depth = python_exception(a), 1
    while node.HasField("cause"):
        node, depth = node.cause, depth + 1
    assert depth == MAX_CHAIN

    error = error_from_exception(NotFoundError("missing thing"))
    assert (error.code, error.message) == (pb.ERROR_CODE_NOT_FOUND, "missing thing")
    assert not error.HasField("exception")


def test_pool_runs_everything_without_head_of_line_blocking() -> None:
    done: list[int] = []
    gate = threading.Event()
    lock = threading.Lock()

    def job(item: int) -> None:
        if item == 0:
            gate.wait(5)
        with lock:
            done.append(item)

    pool = Pool(max_busy=4)
    pool.submit(lambda: job(0))
    for i in range(1, 101):
        pool.submit(lambda i=i: job(i))  # type: ignore[misc]
    deadline = time.monotonic() + 5
    while len(done) < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(done) == list(range(1, 101))  # item 0 still blocked
    gate.set()
    while len(done) < 101 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sorted(done) == list(range(101))
    pool.stop()


def test_pool_budget_counts_running_jobs_only() -> None:
    """max_busy bounds jobs running user code; one waiting on the host gives its budget away."""
    pool = Pool(max_busy=1)
    release, started = threading.Event(), threading.Event()
    order: list[str] = []

    def waiting_job() -> None:
        with pool.waiting():  # as a host callback's wait does
            started.set()
            release.wait(5)
        order.append("waiter")

    pool.submit(waiting_job)
    assert started.wait(5)
    ran = threading.Event()
    pool.submit(lambda: (order.append("other"), ran.set()))
    assert ran.wait(5)  # ran although the budget is 1: the waiter gave it up
    release.set()
    deadline = time.monotonic() + 5
    while len(order) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert order == ["other", "waiter"]
    pool.stop()


def test_interrupt_stops_a_python_loop_and_only_its_owner() -> None:
    slots: dict[str, object] = {}
    outcome: list[str] = []

    def spin() -> None:
        slot = current_slot()
        slots["slot"] = slot
        try:
            with slot.user_code("call-1"):
                while True:
                    pass
        except CallInterrupted:
            outcome.append("interrupted")

    thread = threading.Thread(target=spin)
    thread.start()
    while "slot" not in slots:
        time.sleep(0.001)
    slot = slots["slot"]
    assert slot.interrupt("call-2") is False  # not the call it runs
    assert slot.interrupt("call-1") is True
    thread.join(5)
    assert not thread.is_alive()
    assert outcome == ["interrupted"]
    assert slot.was_interrupted


def test_generated_stubs_are_fresh() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "python" / "scripts" / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
