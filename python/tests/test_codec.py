"""Unit tests of the msgpack codec (pure functions, no worker)."""

from __future__ import annotations

import collections
import datetime as dt
import math

import msgpack
import pytest

from bridge_worker.codec import Codec
from bridge_worker.faults import InvalidArgumentError, NotFoundError
from bridge_worker.registry import Registry

UTC = dt.timezone.utc
Ext = msgpack.ExtType


@pytest.fixture
def codec() -> Codec:
    return Codec(Registry())


def raw(data: bytes) -> object:
    return msgpack.unpackb(data, raw=False, strict_map_key=False)


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (None, None),
        (True, True),
        (7, 7),
        (-(2**63), -(2**63)),
        (2**64 - 1, 2**64 - 1),
        (2**64, Ext(66, b"\x01" + bytes(8))),
        (-(2**63) - 1, Ext(66, b"\xff\x7f" + b"\xff" * 7)),
        (2**70, Ext(66, b"\x40" + bytes(8))),
        (-(2**70), Ext(66, b"\xc0" + bytes(8))),
        (1.25, 1.25),
        ("s", "s"),
        (b"b", b"b"),
        (bytearray(b"ba"), b"ba"),
        ([1, [2]], [1, [2]]),
        ({"k": [1]}, {"k": [1]}),
        ({"a": 1, "b": None}, {"a": 1, "b": None}),
        ([{"n": None}], [{"n": None}]),
        ((1, 2), Ext(3, msgpack.packb([1, 2]))),
        (frozenset({1}), Ext(4, msgpack.packb([1]))),
        ({1: 2}, Ext(6, msgpack.packb([1, 2]))),
        ({"a": 1, 2: "b"}, Ext(6, msgpack.packb(["a", 1, 2, "b"]))),
        (dt.datetime(1970, 1, 1, 0, 0, 1), msgpack.Timestamp(1, 0)),
        (
            dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
            msgpack.Timestamp(-1, 500000000),
        ),
    ],
    ids=repr,
)
def test_encode_wire_form(codec: Codec, value: object, wire: object) -> None:
    assert raw(codec.encode(value)) == wire


def test_encode_nested_extensions(codec: Codec) -> None:
    value = [{"x": (1, {2: {3}})}, {"y": [{4: None}]}]
    inner_set = Ext(4, msgpack.packb([3]))
    inner_map = Ext(6, msgpack.packb([2, inner_set]))
    tup = Ext(3, msgpack.packb([1, inner_map]))
    assert raw(codec.encode(value)) == [{"x": tup}, {"y": [Ext(6, msgpack.packb([4, None]))]}]
    # The input was not modified along the way.
    assert value == [{"x": (1, {2: {3}})}, {"y": [{4: None}]}]


def test_encode_refs_for_everything_else(codec: Codec) -> None:
    counter = collections.Counter("aab")
    wire = raw(codec.encode([counter, collections.OrderedDict()]))
    assert isinstance(wire, list)
    first, second = (raw(ext.data) for ext in wire)
    assert first[1] == "collections.Counter"
    assert second[1] == "collections.OrderedDict"
    assert codec.registry.get(first[0]) is counter
    assert first[0] != second[0]


def test_encode_never_fails(codec: Codec) -> None:
    cyclic: list[object] = []
    cyclic.append(cyclic)
    wire = raw(codec.encode(cyclic))
    assert isinstance(wire, Ext)
    assert wire.code == 1
    ref_id, type_name = raw(wire.data)
    assert type_name == "builtins.list"
    assert codec.registry.get(ref_id) is cyclic

    deep: list[object] = []
    node = deep
    for _ in range(2000):
        node.append([])
        node = node[0]  # type: ignore[assignment]
    assert raw(codec.encode(deep)).code == 1  # type: ignore[union-attr]


def test_decode_extensions(codec: Codec) -> None:
    ref_id = codec.registry.add(obj := object())
    data = msgpack.packb(
        [
            Ext(1, msgpack.packb([ref_id, "builtins.object"])),
            Ext(3, msgpack.packb([1, 2])),
            Ext(4, msgpack.packb([1, 1, 2])),
            # msgpackr writes 64-bit chunks; any length is accepted.
            Ext(66, (-123456789012345678901234567890).to_bytes(16, "big", signed=True)),
            Ext(6, msgpack.packb([1, "a", "k", None])),
            msgpack.Timestamp(0, 1000),
            {1: "int key"},
        ]
    )
    decoded = codec.decode(data)
    assert decoded[0] is obj
    assert decoded[1:6] == [
        (1, 2),
        {1, 2},
        -123456789012345678901234567890,
        {1: "a", "k": None},
        dt.datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    ]
    assert type(decoded[1]) is tuple
    assert decoded[5].tzinfo is not None
    assert decoded[6] == {1: "int key"}


def test_round_trip(codec: Codec) -> None:
    value = {
        "t": (1, (2, 3)),
        "s": {1, 2},
        "big": [2**200, -(2**64), 2**70000],
        "inf": math.inf,
        "d": {(1, 2): b"x"},
    }
    assert codec.decode(codec.encode(value)) == value


@pytest.mark.parametrize(
    "data",
    [
        b"\xc1",
        msgpack.packb(Ext(2, b"")),
        msgpack.packb(Ext(7, b"")),
        msgpack.packb(Ext(42, b"")),
        msgpack.packb(Ext(5, b"12")),  # not a Bridge extension
        msgpack.packb(Ext(6, msgpack.packb([1]))),
        msgpack.packb(Ext(4, msgpack.packb([[1]]))),  # unhashable set item
        msgpack.packb(Ext(3, msgpack.packb(1))),
        msgpack.packb(Ext(1, msgpack.packb(5))),
    ],
)
def test_decode_rejects_bad_payloads(codec: Codec, data: bytes) -> None:
    with pytest.raises(InvalidArgumentError):
        codec.decode(data)


def test_decode_released_ref(codec: Codec) -> None:
    ref_id = codec.registry.add(object())
    codec.registry.release([ref_id, "unknown"])
    with pytest.raises(NotFoundError, match=ref_id):
        codec.decode(msgpack.packb(Ext(1, msgpack.packb([ref_id, "builtins.object"]))))


def test_ext6_array_keys_become_tuples() -> None:
    from bridge_worker.codec import EXT_MAP

    codec = Codec(Registry())
    flat = msgpack.packb([[1, [2, 3]], "a", 4, "b"])
    value = codec.decode(msgpack.packb(msgpack.ExtType(EXT_MAP, flat)))
    assert value == {(1, (2, 3)): "a", 4: "b"}
