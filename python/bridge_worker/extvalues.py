"""The extension values beyond msgpack's own: dates and times, arrays, Arrow tables.

:func:`encode` gives the wire form of such a value, or None when it has none (the
codec then sends a ref); :func:`decode` reads one back. numpy, pyarrow and pandas are
never imported to *encode*: a value of their types can only exist once user code
imported them, so ``sys.modules`` tells. Decoding imports them when the host sends
such a value.
"""

from __future__ import annotations

import array
import datetime as _dt
import importlib
import math
import sys
from typing import TYPE_CHECKING, Any

import msgpack

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.faults import InvalidArgumentError

if TYPE_CHECKING:
    from bridge_worker.codec import _Decoder, _Encoder

#: Returned by :func:`decode` for a code this module does not know.
UNKNOWN = object()

_UTC = _dt.timezone.utc
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)
_EPOCH_NAIVE = _dt.datetime(1970, 1, 1)

# (numpy dtype kind, itemsize) -> the dtype name on the wire.
_DTYPES = {
    ("b", 1): "bool",
    ("i", 1): "int8",
    ("i", 2): "int16",
    ("i", 4): "int32",
    ("i", 8): "int64",
    ("u", 1): "uint8",
    ("u", 2): "uint16",
    ("u", 4): "uint32",
    ("u", 8): "uint64",
    ("f", 2): "float16",
    ("f", 4): "float32",
    ("f", 8): "float64",
    ("c", 8): "complex64",
    ("c", 16): "complex128",
}
_WIRE_DTYPES = frozenset(_DTYPES.values())
# array.array typecodes by wire dtype, for workers without numpy (1-D arrays only).
_TYPECODES = {
    "int8": "b",
    "uint8": "B",
    "int16": "h",
    "uint16": "H",
    "int32": "i",
    "uint32": "I",
    "int64": "q",
    "uint64": "Q",
    "float32": "f",
    "float64": "d",
}


def _bits(name: str) -> int:
    return int("".join(c for c in name if c.isdigit()))


# array.array typecodes to wire dtypes, by the platform's item sizes ('l' is 8 bytes on
# Linux x86-64 and 4 on Windows).
_ARRAY_DTYPES = {
    code: f"{'u' if code.isupper() else ''}int{array.array(code).itemsize * 8}"
    for code in "bBhHiIlLqQ"
}
_ARRAY_DTYPES.update({"f": "float32", "d": "float64"})


# -- encoding ------------------------------------------------------------------------


def encode(obj: Any, enc: _Encoder) -> msgpack.ExtType | Any | None:
    """The wire form of ``obj`` if it is one of the extension values, else None."""
    t = type(obj)
    if t is _dt.datetime:
        fields = _datetime_fields(obj)
        return None if fields is None else enc.nested(pb.VALUE_EXT_DATETIME, fields)
    if t is _dt.date:
        return enc.nested(pb.VALUE_EXT_DATE, [obj.year, obj.month, obj.day])
    if t is _dt.timedelta:
        return enc.nested(pb.VALUE_EXT_TIMEDELTA, [obj.days, obj.seconds, obj.microseconds])
    if t is _dt.time:
        fields = _time_fields(obj)
        return None if fields is None else enc.nested(pb.VALUE_EXT_TIME, fields)
    if t is array.array:
        dtype = _ARRAY_DTYPES.get(obj.typecode)
        if dtype is None:
            return None
        return enc.nested(pb.VALUE_EXT_NDARRAY, [dtype, [len(obj)], memoryview(obj).cast("B")])
    module = t.__module__.partition(".")[0]
    if module == "numpy":
        return _encode_numpy(obj, enc)
    if module == "pyarrow" or module == "pandas":
        return _encode_arrow(obj, enc)
    return None


def _whole_seconds(delta: _dt.timedelta | None) -> int | None:
    if delta is None or delta.microseconds:
        return None
    return delta.days * 86400 + delta.seconds


def _zone_fields(tz: _dt.tzinfo | None, offset: _dt.timedelta | None) -> tuple[Any, Any] | None:
    """(utc offset seconds or None, zone key or None); None when the tzinfo has no exact form."""
    if tz is None:
        return (None, None)
    if type(tz) is _dt.timezone:
        seconds = _whole_seconds(offset)
        # A custom name (timezone(delta, "CET")) would be lost: such values travel as refs.
        if seconds is None or tz.tzname(None) != _dt.timezone(offset).tzname(None):  # type: ignore[arg-type]
            return None
        return (seconds, None)
    zoneinfo = sys.modules.get("zoneinfo")
    if zoneinfo is not None and type(tz) is zoneinfo.ZoneInfo and tz.key:
        seconds = _whole_seconds(offset)
        return (0 if seconds is None else seconds, tz.key)
    return None


def _datetime_fields(value: _dt.datetime) -> list[Any] | None:
    zone = _zone_fields(value.tzinfo, value.utcoffset() if value.tzinfo else None)
    if zone is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        if value.tzinfo is not None:
            return None  # a tzinfo that gives no offset has no instant
        delta = value - _EPOCH_NAIVE
    else:
        delta = value - _EPOCH
    micros = (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds
    return [micros, zone[0], zone[1]]


def _time_fields(value: _dt.time) -> list[Any] | None:
    zone = _zone_fields(value.tzinfo, value.utcoffset() if value.tzinfo else None)
    if zone is None:
        return None
    return [value.hour, value.minute, value.second, value.microsecond, zone[0], zone[1]]


def _encode_numpy(obj: Any, enc: _Encoder) -> Any:
    np = sys.modules["numpy"]
    if type(obj) is np.ndarray:
        name = _DTYPES.get((obj.dtype.kind, obj.dtype.itemsize))
        if name is None or obj.dtype.fields is not None:
            return None  # object, str, datetime64, structured...: a ref
        shape = list(obj.shape)
        if not obj.dtype.isnative:
            obj = obj.astype(obj.dtype.newbyteorder("="))
        if not obj.flags.c_contiguous:
            obj = obj.copy(order="C")
        data = memoryview(obj.reshape(-1).view(np.uint8))
        return enc.nested(pb.VALUE_EXT_NDARRAY, [name, shape, data])
    if isinstance(obj, np.generic):
        kind = obj.dtype.kind
        if kind == "b":
            return bool(obj)
        if kind in "iu":
            return int(obj)
        if kind == "f" and obj.dtype.itemsize <= 8:
            return float(obj)
        if kind == "U":
            return str(obj)
        if kind == "S":
            return bytes(obj)
    return None


def _encode_arrow(obj: Any, enc: _Encoder) -> Any:
    if "arrow" not in enc.peer.capabilities:
        return None
    pa = sys.modules.get("pyarrow")
    kind = "table"
    if type(obj).__name__ == "DataFrame" and type(obj).__module__.partition(".")[0] == "pandas":
        try:
            pa = importlib.import_module("pyarrow")
            obj = pa.Table.from_pandas(obj)
        except Exception:  # no pyarrow, or a column Arrow cannot type: a ref
            return None
        kind = "dataframe"
    elif pa is None or type(obj) not in (pa.Table, pa.RecordBatch):
        return None
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, obj.schema) as writer:
        writer.write(obj)
    return enc.nested(pb.VALUE_EXT_ARROW, [kind, memoryview(sink.getvalue())])


# -- decoding ------------------------------------------------------------------------


def _fields(data: bytes, code: int, sizes: tuple[int, ...]) -> list[Any]:
    value = msgpack.unpackb(data, raw=False, strict_map_key=False)
    if type(value) is not list or len(value) not in sizes:
        raise InvalidArgumentError(f"extension {code} has a malformed payload")
    return value


def _zone(offset: Any, zone: Any) -> _dt.tzinfo | None:
    if zone is not None:
        try:
            return importlib.import_module("zoneinfo").ZoneInfo(zone)
        except Exception as exc:
            raise InvalidArgumentError(f"unknown time zone {zone!r}: {exc}") from None
    if offset is None:
        return None
    if offset == 0:
        return _UTC
    return _dt.timezone(_dt.timedelta(seconds=offset))


def decode(code: int, data: bytes, dec: _Decoder) -> Any:
    """The value of extension ``code``, or UNKNOWN if this module does not handle it."""
    try:
        if code == pb.VALUE_EXT_DATETIME:
            micros, offset, zone = _fields(data, code, (3,))
            tz = _zone(offset, zone)
            delta = _dt.timedelta(microseconds=micros)
            if tz is None:
                return _EPOCH_NAIVE + delta
            return (_EPOCH + delta).astimezone(tz)
        if code == pb.VALUE_EXT_DATE:
            return _dt.date(*_fields(data, code, (3,)))
        if code == pb.VALUE_EXT_TIME:
            h, m, s, us, offset, zone = _fields(data, code, (6,))
            return _dt.time(h, m, s, us, tzinfo=_zone(offset, zone))
        if code == pb.VALUE_EXT_TIMEDELTA:
            days, seconds, micros = _fields(data, code, (3,))
            return _dt.timedelta(days=days, seconds=seconds, microseconds=micros)
    except (OverflowError, ValueError, TypeError) as exc:
        raise InvalidArgumentError(f"a date or time outside Python's range: {exc}") from None
    if code == pb.VALUE_EXT_NDARRAY:
        name, shape, raw = _fields(data, code, (3,))
        return _ndarray(name, shape, dec.raw_bytes(raw))
    if code == pb.VALUE_EXT_ARROW:
        kind, raw = _fields(data, code, (2,))
        return _arrow(kind, dec.raw_bytes(raw))
    return UNKNOWN


def _optional(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _ndarray(name: Any, shape: Any, data: Any) -> Any:
    if name not in _WIRE_DTYPES:
        raise InvalidArgumentError(f"unknown array dtype {name!r}")
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        raise InvalidArgumentError(f"malformed array shape {shape!r}")
    np = _optional("numpy")
    if np is None:
        code = _TYPECODES.get(name)
        if len(shape) != 1 or code is None or array.array(code).itemsize * 8 != _bits(name):
            raise InvalidArgumentError(
                f"a {name} array of shape {shape} needs numpy, which is not installed in"
                " the worker's environment (1-D integer and float arrays arrive as"
                " array.array without it)"
            )
        values = array.array(code)
        values.frombytes(data)
        if len(values) != shape[0]:
            raise InvalidArgumentError(f"array data holds {len(values)} items, shape says {shape}")
        return values
    dtype = np.dtype(name)
    count = math.prod(shape)
    if memoryview(data).nbytes != count * dtype.itemsize:
        raise InvalidArgumentError(
            f"array data is {memoryview(data).nbytes} bytes; {name} of shape {shape}"
            f" needs {count * dtype.itemsize}"
        )
    result = np.frombuffer(data, dtype=dtype).reshape(shape)
    # Inline data is an immutable bytes object: copy so the array is writable like any other.
    return result if result.flags.writeable else result.copy()


def _arrow(kind: Any, data: Any) -> Any:
    pa = _optional("pyarrow")
    if pa is None:
        raise InvalidArgumentError(
            "an Arrow table was sent, but pyarrow is not installed in the worker's environment"
        )
    table = pa.ipc.open_stream(pa.py_buffer(data)).read_all()
    metadata = table.schema.metadata or {}
    if (kind == "dataframe" or b"pandas" in metadata) and _optional("pandas") is not None:
        return table.to_pandas()
    return table
