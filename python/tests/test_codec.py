"""Unit tests of the msgpack codec (no worker): wire forms, refs, buffers, extension values."""

from __future__ import annotations

import array
import collections
import datetime as dt
import math
import re
import zoneinfo

import msgpack
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from bridge_worker.codec import OUT_OF_BAND_BYTES, Codec, Encoded
from bridge_worker.faults import InvalidArgumentError, NotFoundError, ResourceExhaustedError
from bridge_worker.registry import Registry

UTC = dt.timezone.utc
Ext = msgpack.ExtType


class Peer:
    """What a connection tells the codec; capabilities and limit configurable."""

    def __init__(
        self, capabilities: frozenset[str] = frozenset(), max_buffer_bytes: int = 0
    ) -> None:
        self.capabilities = capabilities
        self.max_buffer_bytes = max_buffer_bytes

    def host_function(self, callback_id: str, name: str, doc: object, params: object) -> object:
        return ("host function", callback_id, name)

    def host_iterator(self, callback_id: str) -> object:
        return ("host iterator", callback_id)


@pytest.fixture
def codec() -> Codec:
    return Codec(Registry())


def raw(encoded: Encoded) -> object:
    return msgpack.unpackb(encoded.data, raw=False, strict_map_key=False)


def packb(value: object) -> bytes:
    return msgpack.packb(value, use_bin_type=True)


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
        (-0.0, -0.0),
        ("s", "s"),
        (b"b", b"b"),
        (bytearray(b"ba"), b"ba"),
        (memoryview(b"mv"), b"mv"),
        ([1, [2]], [1, [2]]),
        ({"k": [1]}, {"k": [1]}),
        ({"a": None, "b": [None]}, {"a": None, "b": [None]}),
        ((1, 2), Ext(3, packb([1, 2]))),
        ({1}, Ext(4, packb([1]))),
        (frozenset({1}), Ext(14, packb([1]))),
        ({1: 2}, Ext(6, packb([1, 2]))),
        ({"a": 1, 2: "b"}, Ext(6, packb(["a", 1, 2, "b"]))),
        ({1: None}, Ext(6, packb([1, None]))),
        (dt.datetime(1970, 1, 1, 0, 0, 1), Ext(8, packb([1_000_000, None, None]))),
        (
            dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=UTC),
            Ext(8, packb([-500_000, 0, None])),
        ),
        (
            dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=5, minutes=30))),
            Ext(8, packb([1704090600_000000, 19800, None])),
        ),
        (
            dt.datetime(2024, 7, 1, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
            Ext(8, packb([1719828000_000000, 7200, "Europe/Paris"])),
        ),
        (dt.date(2024, 2, 29), Ext(9, packb([2024, 2, 29]))),
        (dt.time(1, 2, 3, 4), Ext(10, packb([1, 2, 3, 4, None, None]))),
        (dt.timedelta(days=-1, microseconds=5), Ext(11, packb([-1, 0, 5]))),
    ],
    ids=repr,
)
def test_encode_wire_form(codec: Codec, value: object, wire: object) -> None:
    encoded = codec.encode(value)
    assert encoded.buffers == []
    result = raw(encoded)
    assert result == wire
    if isinstance(wire, float):
        assert math.copysign(1, result) == math.copysign(1, wire)  # -0.0 stays -0.0


def test_encode_nested_extensions(codec: Codec) -> None:
    value = [{"x": (1, {2: {3}})}, {"y": [{4: None}]}]
    inner_set = Ext(4, packb([3]))
    inner_map = Ext(6, packb([2, inner_set]))
    tup = Ext(3, packb([1, inner_map]))
    assert raw(codec.encode(value)) == [{"x": tup}, {"y": [Ext(6, packb([4, None]))]}]
    # The input was not modified along the way.
    assert value == [{"x": (1, {2: {3}})}, {"y": [{4: None}]}]


def test_large_binary_travels_out_of_band_at_any_depth(codec: Codec) -> None:
    small = b"s" * (OUT_OF_BAND_BYTES - 1)
    big = b"b" * OUT_OF_BAND_BYTES
    encoded = codec.encode({"k": [small, big, (big,)], "ba": bytearray(big)})
    assert raw(encoded) == {
        "k": [small, Ext(5, bytes(4)), Ext(3, packb([Ext(5, (1).to_bytes(4, "big"))]))],
        "ba": Ext(5, (2).to_bytes(4, "big")),
    }
    assert [bytes(b) for b in encoded.buffers] == [big, big, big]
    assert codec.decode(encoded.data, [bytearray(b) for b in encoded.buffers]) == {
        "k": [small, big, (big,)],
        "ba": big,
    }


def test_a_value_too_large_for_the_host_is_refused_not_sent(codec: Codec) -> None:
    with pytest.raises(
        ResourceExhaustedError,
        match=r"32768 bytes \(32.0 KiB\) exceeds the host.s limit of 16384 bytes",
    ):
        codec.encode([b"x" * (32 * 1024)], Peer(max_buffer_bytes=16 * 1024))


def test_encode_refs_for_everything_else(codec: Codec) -> None:
    counter = collections.Counter("aab")
    wire = raw(
        codec.encode(
            [counter, collections.OrderedDict(), 1j, dt.datetime(2020, 1, 1, tzinfo=_Tz())]
        )
    )
    assert isinstance(wire, list)
    types = [msgpack.unpackb(ext.data)[1] for ext in wire]
    assert types == [
        "collections.Counter",
        "collections.OrderedDict",
        "builtins.complex",
        "datetime.datetime",
    ]
    first = msgpack.unpackb(wire[0].data)
    assert codec.registry.get(first[0]) is counter


class _Tz(dt.tzinfo):
    """A tzinfo with no exact wire form (not datetime.timezone or zoneinfo)."""

    def utcoffset(self, when: object) -> dt.timedelta:
        return dt.timedelta(hours=1)

    def dst(self, when: object) -> dt.timedelta:
        return dt.timedelta(0)


def test_encode_never_fails_on_odd_values(codec: Codec) -> None:
    cyclic: list[object] = []
    cyclic.append(cyclic)
    deep: list[object] = []
    for _ in range(2000):
        deep = [deep]
    for value in (cyclic, deep, {"x": object()}, [1, object()]):
        wire = raw(codec.encode(value))
        assert isinstance(wire, (Ext, list, dict))


def test_sessions_own_the_refs_their_calls_create(codec: Codec) -> None:
    codec.encode(object(), session="s1")
    codec.encode([object(), object()], session="s1")
    codec.encode(object())
    registry = codec.registry
    assert (len(registry), registry.session_size("s1")) == (4, 3)
    assert registry.release_session("s1") == 3
    assert (len(registry), registry.session_size("s1")) == (1, 0)


def test_decode_extensions(codec: Codec) -> None:
    obj = object()
    ref_id = codec.registry.add(obj)
    data = packb(
        [
            Ext(3, packb([1, 2])),
            Ext(4, packb([1, [2, 3]])),
            Ext(14, packb([1])),
            Ext(6, packb([[1, 2], "pair", 3, None])),
            Ext(66, b"\x01" + bytes(8)),
            Ext(1, packb([ref_id, "builtins.object"])),
            Ext(8, packb([1_500_000, None, None])),
            Ext(8, packb([0, 3600, None])),
            Ext(8, packb([0, 0, "Asia/Tokyo"])),
            Ext(9, packb([2000, 1, 2])),
            Ext(11, packb([0, 1, 2])),
            "lone \udc80".encode("utf-8", "surrogatepass"),
        ]
    )
    # The last item is bin here (bytes), so check strings separately below.
    got = codec.decode(data)
    assert got[:6] == [(1, 2), {1, (2, 3)}, frozenset({1}), {(1, 2): "pair", 3: None}, 2**64, obj]
    assert got[6] == dt.datetime(1970, 1, 1, 0, 0, 1, 500000)
    assert got[7] == dt.datetime(1970, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert got[8].tzinfo == zoneinfo.ZoneInfo("Asia/Tokyo")
    assert got[8].hour == 9
    assert got[9:11] == [dt.date(2000, 1, 2), dt.timedelta(seconds=1, microseconds=2)]
    surrogate = msgpack.packb("lone \udc80", unicode_errors="surrogatepass")
    assert codec.decode(surrogate) == "lone \udc80"
    callback = codec.decode(packb(Ext(2, packb(["c7", "search", "doc", None]))), peer=Peer())
    assert callback == ("host function", "c7", "search")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\xc1", "undecodable msgpack payload"),
        (packb(Ext(99, b"")), "unknown msgpack extension type 99"),
        (packb(Ext(1, packb("r1"))), "ext 1 (remote ref) must be"),
        (packb(Ext(6, packb([1]))), "even number of items"),
        (packb(Ext(3, packb(5))), "must hold a msgpack array"),
        (packb(Ext(5, b"\x00\x00\x00\x03")), "buffer 3 is referenced but the payload has 0"),
        (packb(Ext(4, packb([{}]))), "cannot use as a dict key or set item"),
        (packb(Ext(9, packb([2023, 2, 29]))), "outside Python's range"),
        (packb(Ext(8, packb([0, None, "No/Such_Zone"]))), "unknown time zone"),
        (packb(Ext(7, packb(["int32", [3], b"\x00" * 8]))), "array data is 8 bytes"),
        (packb(Ext(7, packb(["object", [1], b""]))), "unknown array dtype"),
    ],
)
def test_decode_rejects_bad_payloads(codec: Codec, data: bytes, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=re.escape(message)):
        codec.decode(data)


def test_decode_released_ref_is_not_found(codec: Codec) -> None:
    ref_id = codec.registry.add(object())
    codec.registry.release([ref_id])
    with pytest.raises(NotFoundError):
        codec.decode(packb(Ext(1, packb([ref_id, "builtins.object"]))))


# -- numpy, array.array, Arrow -------------------------------------------------------


@pytest.mark.parametrize(
    "array_",
    [
        np.arange(6, dtype=np.float64).reshape(2, 3),
        np.arange(6, dtype=np.int32).reshape(3, 2).T,  # not contiguous: copied to C order
        np.array([True, False]),
        np.array(5, dtype=np.uint8),  # 0-d
        np.zeros((0, 3), dtype=np.int64),
        np.array([1.5, -2], dtype=">f4"),  # big-endian: little-endian on the wire
        np.array([1 + 2j, 3j], dtype=np.complex64),
        np.arange(4, dtype=np.float16),
        np.arange(10_000, dtype=np.float64),  # out of band
    ],
    ids=lambda a: f"{a.dtype}{list(a.shape)}",
)
def test_ndarray_round_trip(codec: Codec, array_: np.ndarray) -> None:
    encoded = codec.encode(array_)
    wire = raw(encoded)
    assert isinstance(wire, Ext)
    assert wire.code == 7
    dtype, shape, _data = msgpack.unpackb(wire.data, strict_map_key=False)
    assert shape == list(array_.shape)
    assert np.dtype(dtype) == array_.dtype.newbyteorder("=")
    back = codec.decode(encoded.data, [bytearray(b) for b in encoded.buffers])
    assert back.dtype == array_.dtype.newbyteorder("=")
    assert back.shape == array_.shape
    assert np.array_equal(back, array_)
    assert back.flags.writeable


def test_numpy_scalars_arrive_as_python_numbers(codec: Codec) -> None:
    values = [
        np.float64(1.5),
        np.float32(0.25),
        np.int64(-3),
        np.uint8(7),
        np.bool_(True),
        np.str_("s"),
    ]
    assert raw(codec.encode(values)) == [1.5, 0.25, -3, 7, True, "s"]
    assert isinstance(raw(codec.encode(np.longdouble(1))), Ext)  # no exact float64: a ref


def test_array_array_travels_like_an_ndarray_and_back(codec: Codec) -> None:
    encoded = codec.encode(array.array("d", [1.0, 2.5]))
    dtype, shape, data = msgpack.unpackb(raw(encoded).data)
    assert (dtype, shape, data) == ("float64", [2], array.array("d", [1.0, 2.5]).tobytes())


def test_arrow_tables_only_for_hosts_that_decode_them(codec: Codec) -> None:
    table = pa.table({"a": [1, 2], "b": ["x", None]})
    assert raw(codec.encode(table)).code == 1  # a ref without the "arrow" capability
    encoded = codec.encode(table, Peer(frozenset({"arrow"})))
    kind, data = msgpack.unpackb(raw(encoded).data, strict_map_key=False)
    assert kind == "table"
    assert pa.ipc.open_stream(pa.py_buffer(data)).read_all().equals(table)
    assert codec.decode(encoded.data, encoded.buffers).equals(table)


def test_dataframes_travel_as_arrow_and_come_back_as_dataframes(codec: Codec) -> None:
    frame = pd.DataFrame({"x": [1.5, 2.5], "name": ["a", "b"]})
    encoded = codec.encode(frame, Peer(frozenset({"arrow"})))
    kind, _ = msgpack.unpackb(raw(encoded).data, strict_map_key=False)
    assert kind == "dataframe"
    back = codec.decode(encoded.data, encoded.buffers)
    pd.testing.assert_frame_equal(back, frame)
