"""MessagePack value encoding, exactly as the table in docs/PROTOCOL.md says.

Encoding is by *exact* type. ``msgpack`` handles None, bool, int64/uint64, float,
str, bytes, bytearray, list and str-keyed dict natively (``strict_types=True``);
everything else reaches :meth:`Codec._default`, which maps it to an extension type
or, failing all else, to a remote ref (ext 1). A value is never refused.

The one rule msgpack cannot express is "a dict with any non-str key is ext 6": the
packer serialises every exact dict as a map. :func:`_prepare` therefore walks the
natively packed containers (lists and dicts) first and wraps offending dicts, using
C-speed type scans so flat payloads cost almost nothing extra.
"""

from __future__ import annotations

import datetime as _dt
import threading
from typing import Any

import msgpack

from bridge_worker.faults import BridgeFault, InvalidArgumentError
from bridge_worker.registry import Registry, type_name

EXT_REF = 1
EXT_CALLBACK = 2  # reserved: host callback
EXT_TUPLE = 3
EXT_SET = 4
# Ints beyond 64 bits: signed two's-complement big-endian bytes (msgpackr's own format).
EXT_BIGINT = 66
EXT_MAP = 6
EXT_NDARRAY = 7  # reserved: ndarray with out-of-band buffers

_UTC = _dt.timezone.utc
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_UTC)
_NATIVE_SCALARS = frozenset({str, int, float, bool, type(None), bytes, bytearray})
_STR_ONLY = frozenset({str})
# msgpack refuses to nest deeper than this; a deeper (or cyclic) value becomes a ref.
_MAX_DEPTH = 500


class _NonStrKeyDict:
    """Marks a dict that must travel as ext 6."""

    __slots__ = ("value",)

    def __init__(self, value: dict[Any, Any]) -> None:
        self.value = value


class _TooDeep(Exception):
    pass


def _prepare(obj: Any, depth: int = 0) -> Any:
    """Return ``obj``, or a copy whose non-str-keyed dicts are wrapped for ext 6."""
    t = type(obj)
    if t is list:
        return _prepare_list(obj, depth)
    if t is dict:
        return _prepare_dict(obj, depth)
    return obj


def _prepare_list(items: list[Any], depth: int) -> list[Any]:
    if not items or set(map(type, items)) <= _NATIVE_SCALARS:
        return items
    if depth >= _MAX_DEPTH:
        raise _TooDeep
    copy: list[Any] | None = None
    for i, item in enumerate(items):
        t = type(item)
        if t is list or t is dict:
            new = _prepare(item, depth + 1)
            if new is not item:
                if copy is None:
                    copy = list(items)
                copy[i] = new
    return items if copy is None else copy


def _prepare_dict(mapping: dict[Any, Any], depth: int) -> Any:
    if not mapping:
        return mapping
    if set(map(type, mapping)) != _STR_ONLY:
        return _NonStrKeyDict(mapping)
    if set(map(type, mapping.values())) <= _NATIVE_SCALARS:
        return mapping
    if depth >= _MAX_DEPTH:
        raise _TooDeep
    copy: dict[str, Any] | None = None
    for key, value in mapping.items():
        t = type(value)
        if t is list or t is dict:
            new = _prepare(value, depth + 1)
            if new is not value:
                if copy is None:
                    copy = dict(mapping)
                copy[key] = new
    return mapping if copy is None else copy


def big_int_bytes(value: int) -> bytes:
    """The shortest signed two's-complement big-endian bytes of ``value`` (ext 66's data)."""
    magnitude = value if value >= 0 else ~value
    return value.to_bytes(magnitude.bit_length() // 8 + 1, "big", signed=True)


def _timestamp(value: _dt.datetime) -> msgpack.Timestamp:
    # Exact integer arithmetic: datetime.timestamp() is a float and treats naive as local.
    if value.tzinfo is None:
        value = value.replace(tzinfo=_UTC)
    delta = value - _EPOCH
    seconds = delta.days * 86400 + delta.seconds
    return msgpack.Timestamp(seconds, delta.microseconds * 1000)


class Codec:
    """Encodes and decodes Payload.data; remote refs go to and come from ``registry``.

    Thread-safe: each thread gets its own packer.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._local = threading.local()

    # -- encoding -------------------------------------------------------------

    def _packer(self) -> msgpack.Packer:
        return msgpack.Packer(
            default=self._default, strict_types=True, use_bin_type=True, autoreset=True
        )

    def encode(self, value: Any) -> bytes:
        """Encode one value; anything without a wire form becomes a remote ref."""
        packer = getattr(self._local, "packer", None)
        if packer is None:
            packer = self._local.packer = self._packer()
        try:
            return packer.pack(_prepare(value))
        except Exception:
            # Too deep, cyclic, or a container holding something that refused to
            # encode: hand the whole value over as a ref rather than fail the call.
            packer.reset()
            return packer.pack(self._ref(value))

    def _nested(self, value: Any) -> bytes:
        # The thread's packer is mid-pack when _default runs, so use a fresh one.
        return self._packer().pack(_prepare(value))

    def _ref(self, value: Any) -> msgpack.ExtType:
        ref_id = self.registry.add(value)
        return msgpack.ExtType(EXT_REF, self._packer().pack([ref_id, type_name(value)]))

    def _default(self, obj: Any) -> Any:
        t = type(obj)
        if t is tuple:
            return msgpack.ExtType(EXT_TUPLE, self._nested(list(obj)))
        if t is set or t is frozenset:
            return msgpack.ExtType(EXT_SET, self._nested(list(obj)))
        if t is int:  # only ints beyond 64 bits get here
            return msgpack.ExtType(EXT_BIGINT, big_int_bytes(obj))
        if t is _NonStrKeyDict:
            flat = [x for pair in obj.value.items() for x in pair]
            return msgpack.ExtType(EXT_MAP, self._nested(flat))
        if t is _dt.datetime:
            return _timestamp(obj)
        return self._ref(obj)

    # -- decoding -------------------------------------------------------------

    def decode(self, data: bytes) -> Any:
        """Decode one value. Raises InvalidArgumentError, or NotFoundError for a released ref."""
        try:
            return msgpack.unpackb(
                data,
                raw=False,
                strict_map_key=False,
                timestamp=3,
                ext_hook=self._ext_hook,
            )
        except BridgeFault:
            raise
        except Exception as exc:
            raise InvalidArgumentError(f"undecodable msgpack payload: {exc}") from exc

    def _unpack(self, data: bytes) -> Any:
        return msgpack.unpackb(
            data, raw=False, strict_map_key=False, timestamp=3, ext_hook=self._ext_hook
        )

    def _ext_hook(self, code: int, data: bytes) -> Any:
        if code == EXT_REF:
            ref = self._unpack(data)
            if type(ref) is not list or not ref or type(ref[0]) is not str:
                raise InvalidArgumentError("ext 1 (remote ref) must be [ref_id: str, type: str]")
            return self.registry.get(ref[0])
        if code == EXT_TUPLE:
            return tuple(self._unpack_array(code, data))
        if code == EXT_SET:
            return set(self._unpack_array(code, data))
        if code == EXT_BIGINT:
            return int.from_bytes(data, "big", signed=True)
        if code == EXT_MAP:
            flat = self._unpack_array(code, data)
            if len(flat) % 2:
                raise InvalidArgumentError("ext 6 (map) needs an even number of items")
            return dict(zip(map(_key, flat[::2]), flat[1::2], strict=True))
        if code in (EXT_CALLBACK, EXT_NDARRAY):
            raise InvalidArgumentError(f"ext {code} is reserved and not supported by this worker")
        raise InvalidArgumentError(f"unknown msgpack extension type {code}")

    def _unpack_array(self, code: int, data: bytes) -> list[Any]:
        value = self._unpack(data)
        if type(value) is not list:
            raise InvalidArgumentError(f"ext {code} must hold a msgpack array")
        return value


def _key(value: Any) -> Any:
    """A dict key from the host: arrays (JS has no tuples) become tuples, so they hash."""
    if type(value) is list:
        return tuple(_key(item) for item in value)
    return value
