"""Every row of the docs/PROTOCOL.md value table, through a real worker and back."""

from __future__ import annotations

import datetime as dt
import math

import msgpack
import pytest
from harness import ChannelClient, Ref, WorkerProcess, run, unpack, unpack_raw

UTC = dt.timezone.utc

# (value sent, type the worker sees, value that comes back)
ROUND_TRIPS = [
    (None, "builtins.NoneType", None),
    (True, "builtins.bool", True),
    (False, "builtins.bool", False),
    (0, "builtins.int", 0),
    (-1, "builtins.int", -1),
    (2**63 - 1, "builtins.int", 2**63 - 1),
    (-(2**63), "builtins.int", -(2**63)),
    (2**64 - 1, "builtins.int", 2**64 - 1),
    (2**64, "builtins.int", 2**64),
    (2**100, "builtins.int", 2**100),
    (-(2**70), "builtins.int", -(2**70)),
    (1.5, "builtins.float", 1.5),
    (math.inf, "builtins.float", math.inf),
    (-math.inf, "builtins.float", -math.inf),
    ("", "builtins.str", ""),
    ("héllo ✓", "builtins.str", "héllo ✓"),
    (b"\x00\xffbytes", "builtins.bytes", b"\x00\xffbytes"),
    ([], "builtins.list", []),
    ([1, "a", [2.5, None]], "builtins.list", [1, "a", [2.5, None]]),
    ({"a": 1, "b": {"c": [1]}}, "builtins.dict", {"a": 1, "b": {"c": [1]}}),
    # None is a value like any other: a key holding it is kept, at any depth.
    ({"a": 1, "b": None}, "builtins.dict", {"a": 1, "b": None}),
    ({"n": None}, "builtins.dict", {"n": None}),
    ([None, {"x": None}, [None]], "builtins.list", [None, {"x": None}, [None]]),
    ({"deep": {"k": [{"v": None}]}}, "builtins.dict", {"deep": {"k": [{"v": None}]}}),
    ({1: None, "s": None}, "builtins.dict", {1: None, "s": None}),
    ((None, {"t": None}), "builtins.tuple", (None, {"t": None})),
    ({1: "one", (1, 2): "pair"}, "builtins.dict", {1: "one", (1, 2): "pair"}),
    ((1, "a", (2,)), "builtins.tuple", (1, "a", (2,))),
    ((), "builtins.tuple", ()),
    ({1, 2, 3}, "builtins.set", {1, 2, 3}),
    (frozenset({1, "a"}), "builtins.frozenset", frozenset({1, "a"})),
    ({"a": None, "b": [None, {"c": None}]}, "builtins.dict", {"a": None, "b": [None, {"c": None}]}),
    ([None, None], "builtins.list", [None, None]),
    ("lone \udc80 surrogate", "builtins.str", "lone \udc80 surrogate"),
    (b"x" * 100_000, "builtins.bytes", b"x" * 100_000),
    (dt.date(2024, 2, 29), "datetime.date", dt.date(2024, 2, 29)),
    (dt.time(13, 5, 9, 250), "datetime.time", dt.time(13, 5, 9, 250)),
    (
        dt.timedelta(days=-3, seconds=5, microseconds=7),
        "datetime.timedelta",
        dt.timedelta(days=-3, seconds=5, microseconds=7),
    ),
    (dt.datetime(2021, 1, 1, 0, 0, 0, 5), "datetime.datetime", dt.datetime(2021, 1, 1, 0, 0, 0, 5)),
    (
        dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
        "datetime.datetime",
        dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC),
    ),
    (
        dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
        "datetime.datetime",
        dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
    ),
]


@pytest.mark.parametrize(("value", "seen", "back"), ROUND_TRIPS, ids=repr)
def test_round_trip(worker: WorkerProcess, value: object, seen: str, back: object) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            assert await client.call_value("bridge_testlib.type_of", value) == seen
            result = await client.call_value("bridge_testlib.identity", value)
            assert type(result) is type(back)
            assert result == back

    run(scenario())


def test_nan_round_trip(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            assert math.isnan(await client.call_value("bridge_testlib.identity", math.nan))

    run(scenario())


def test_none_values_in_kwargs_and_results(worker: WorkerProcess) -> None:
    """Keys whose value is None survive decoding (kwargs, args) and encoding (results)."""

    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            # What the worker decoded, as text: nothing is encoded on the way back.
            received = await client.call_value("bridge_testlib.kwargs_repr", a=1, b=None)
            assert received == "{'a': 1, 'b': None}"
            assert await client.call_value("builtins.repr", {"a": None}) == "{'a': None}"
            # What the worker encodes, from values built in Python.
            assert await client.call_value("builtins.dict", a=1, b=None) == {"a": 1, "b": None}
            built = await client.call_value("builtins.dict.fromkeys", ["x", "y"])
            assert built == {"x": None, "y": None}

    run(scenario())


def _raw_result(worker: WorkerProcess, target: str, *args: object, **kwargs: object) -> object:
    async def scenario() -> object:
        async with ChannelClient(worker) as client:
            frame = await client.frame(target, args, kwargs)
            assert frame.WhichOneof("kind") == "result", frame.error
            return unpack_raw(frame.result.value.data)

    return run(scenario())


def test_wire_forms(worker: WorkerProcess) -> None:
    """What the worker writes, byte for byte where the table fixes it."""
    ext = msgpack.ExtType
    # Ints beyond 64 bits: ext 66, shortest signed two's-complement big-endian bytes.
    assert _raw_result(worker, "builtins.pow", 2, 100) == ext(66, bytes([0x10]) + bytes(12))
    assert _raw_result(worker, "operator.neg", 2**70) == ext(66, bytes([0xC0]) + bytes(8))
    assert _raw_result(worker, "builtins.pow", 2, 64) == ext(66, bytes([0x01]) + bytes(8))
    assert _raw_result(worker, "builtins.pow", 2, 71) == ext(66, bytes([0, 0x80]) + bytes(8))
    assert _raw_result(worker, "operator.sub", -(2**63), 1) == ext(66, b"\xff\x7f" + b"\xff" * 7)
    assert _raw_result(worker, "operator.sub", 2**64, 1) == 2**64 - 1  # still a msgpack int
    assert _raw_result(worker, "builtins.tuple", [1, 2]) == ext(3, msgpack.packb([1, 2]))
    assert _raw_result(worker, "builtins.set", [7]) == ext(4, msgpack.packb([7]))
    assert _raw_result(worker, "builtins.frozenset", [7]) == ext(14, msgpack.packb([7]))
    assert _raw_result(worker, "builtins.dict", [[1, "a"]]) == ext(6, msgpack.packb([1, "a"]))
    assert _raw_result(worker, "builtins.bytearray", b"xy") == b"xy"  # bin
    assert _raw_result(worker, "builtins.dict", k=1) == {"k": 1}  # map
    assert _raw_result(worker, "builtins.dict", k=None) == {"k": None}  # a nil value, kept
    # A non-str key anywhere makes that dict ext 6, however deep.
    nested = _raw_result(worker, "bridge_testlib.identity", [{"a": {"b": {2: None}}}])
    assert nested == [{"a": {"b": ext(6, msgpack.packb([2, None]))}}]
    # datetime: ext 8, [microseconds since the epoch, UTC offset (nil = naive), zone key].
    naive = _raw_result(worker, "datetime:datetime", 2021, 1, 1, 0, 0, 0, 5)
    assert naive == ext(8, msgpack.packb([1609459200_000005, None, None]))
    # A dict value of None is a nil, never a dropped key, at any depth.
    assert _raw_result(worker, "builtins.dict", a=1, b=None) == {"a": 1, "b": None}
    assert _raw_result(worker, "bridge_testlib.identity", [None, {"x": [None]}]) == [
        None,
        {"x": [None]},
    ]
    # Large bytes travel out of band: ext 5 holds the buffer's index.
    big = _raw_result(worker, "builtins.bytes", 1 << 20)
    assert big == ext(5, bytes(4))


def test_aware_datetime_keeps_its_offset(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            east = dt.datetime(2024, 1, 1, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=5)))
            iso, tz = await client.call_value("bridge_testlib.describe_datetime", east)
            assert (iso, tz) == ("2024-01-01T12:00:00+05:00", "UTC+05:00")
            back = await client.call_value("bridge_testlib.identity", east)
            assert back == east
            assert back.utcoffset() == dt.timedelta(hours=5)

    run(scenario())


@pytest.mark.parametrize(
    ("key", "type_name"),
    [
        ("ordered", "collections.OrderedDict"),
        ("point", "bridge_testlib.Point"),
        ("color", "bridge_testlib.Color"),
    ],
)
def test_exact_types_only(worker: WorkerProcess, key: str, type_name: str) -> None:
    """dict subclasses, namedtuples and IntEnums become refs, never lossy copies."""

    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            values = await client.call_value("bridge_testlib.sample_values")
            ref = values[key]
            assert isinstance(ref, Ref)
            assert ref.type == type_name

    run(scenario())


def test_unencodable_values_become_refs(worker: WorkerProcess) -> None:
    async def scenario() -> None:
        async with ChannelClient(worker) as client:
            ref = await client.call_value("builtins.object")
            assert ref.type == "builtins.object"
            # A cyclic list cannot be msgpack: the whole value becomes a ref.
            frame = await client.frame("builtins.eval", ["(lambda l: (l.append(l), l)[1])([])"])
            value = unpack(frame.result.value.data)
            assert isinstance(value, Ref)
            assert value.type == "builtins.list"

    run(scenario())
