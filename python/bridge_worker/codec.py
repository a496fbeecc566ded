"""MessagePack value encoding, exactly as the table in docs/PROTOCOL.md says.

Encoding is by *exact* type. ``msgpack`` packs None, bool, int64/uint64, float, str
and str-keyed dicts and lists natively (``strict_types=True``); every other type
reaches :meth:`_Encoder.default`, which maps it to one of the extension types of
``ValueExt`` (declared once, in proto/bridge/v1/worker.proto) or, failing all else,
to a remote ref. A value is never silently changed: what has no exact wire form
travels as a ref.

Two rules msgpack cannot express are applied by a walk over the natively packed
containers (:meth:`_Encoder.prepare`) before packing, using C-speed type scans so
flat payloads cost almost nothing extra:

- a dict with any non-str key travels as VALUE_EXT_MAP;
- bytes-like values of ``OUT_OF_BAND_BYTES`` or more travel out of band (in
  Payload.buffers, raw after the message on the local lane), referenced by index, so a
  large value is never copied into the msgpack body.

Decoding is the mirror image; the host's extension values (refs, callbacks, host
iterators) are resolved through the connection's :class:`Peer`.
"""

from __future__ import annotations

import struct
import sys
import threading
import types
from collections.abc import Callable
from typing import Any, Protocol

import msgpack

from bridge_worker import extvalues
from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.buffers import Received
from bridge_worker.faults import BridgeFault, InvalidArgumentError, ResourceExhaustedError
from bridge_worker.registry import Registry, type_name

EXT_REF = pb.VALUE_EXT_REF
EXT_CALLBACK = pb.VALUE_EXT_CALLBACK
EXT_TUPLE = pb.VALUE_EXT_TUPLE
EXT_SET = pb.VALUE_EXT_SET
EXT_BUFFER = pb.VALUE_EXT_BUFFER
EXT_MAP = pb.VALUE_EXT_MAP
EXT_NDARRAY = pb.VALUE_EXT_NDARRAY
EXT_DATETIME = pb.VALUE_EXT_DATETIME
EXT_DATE = pb.VALUE_EXT_DATE
EXT_TIME = pb.VALUE_EXT_TIME
EXT_TIMEDELTA = pb.VALUE_EXT_TIMEDELTA
EXT_ARROW = pb.VALUE_EXT_ARROW
EXT_HOST_ITERATOR = pb.VALUE_EXT_HOST_ITERATOR
EXT_FROZENSET = pb.VALUE_EXT_FROZENSET
EXT_BIGINT = pb.VALUE_EXT_BIGINT

#: Bytes-like values at least this large travel out of band (VALUE_EXT_BUFFER).
OUT_OF_BAND_BYTES = 16 * 1024
#: The most bytes a value may take inline (its msgpack body; out-of-band buffers do not
#: count), so that its message stays under the 256 MiB envelope limit both sides keep.
MAX_INLINE_BYTES = 255 << 20
#: msgpack refuses to nest deeper than this; a deeper (or cyclic) result becomes a ref.
MAX_DEPTH = 500

_UINT32 = struct.Struct(">I")
# Containers whose items need no walk when every item has one of these types.
_FLAT = frozenset({str, int, float, bool, type(None)})
_STR_ONLY = frozenset({str})
_BYTES_LIKE = (bytes, bytearray, memoryview)


class Peer(Protocol):
    """What the codec needs from the connection a value travels on."""

    #: Value capabilities the host declared in its Handshake (e.g. ``"arrow"``).
    capabilities: frozenset[str]
    #: The largest binary value the host can receive (0 = no limit).
    max_buffer_bytes: int

    def host_function(self, callback_id: str, name: str, doc: str | None, params: Any) -> Any:
        """The Python callable standing for a host function (VALUE_EXT_CALLBACK)."""
        ...

    def host_iterator(self, callback_id: str) -> Any:
        """The Python iterator standing for a host iterable (VALUE_EXT_HOST_ITERATOR)."""
        ...


class _NoPeer:
    capabilities: frozenset[str] = frozenset()
    max_buffer_bytes = 0

    def host_function(self, callback_id: str, name: str, doc: str | None, params: Any) -> Any:
        raise InvalidArgumentError("host callbacks need a connection to the host")

    def host_iterator(self, callback_id: str) -> Any:
        raise InvalidArgumentError("host iterators need a connection to the host")


NO_PEER: Peer = _NoPeer()

#: Classes whose instances may stand for host values (bridge_worker.callbacks registers
#: them, with their extension code); such an instance's ``__bridge_host__`` is
#: ``(ext code, callback id)``. Host functions are plain functions with that attribute.
HOST_VALUE_TYPES: dict[type, int] = {}


class Encoded:
    """An encoded value: the msgpack body and its out-of-band buffers."""

    __slots__ = ("buffers", "data")

    def __init__(self, data: bytes, buffers: list[Any]) -> None:
        self.data = data
        #: Buffer-protocol objects (bytes, memoryviews of arrays...), in index order.
        self.buffers = buffers

    @property
    def size(self) -> int:
        """Bytes on the wire: the body plus every buffer."""
        return len(self.data) + sum(memoryview(b).nbytes for b in self.buffers)


class _NonStrKeyDict:
    """Marks a dict that must travel as VALUE_EXT_MAP."""

    __slots__ = ("value",)

    def __init__(self, value: dict[Any, Any]) -> None:
        self.value = value


class _OutOfBand:
    """Marks a bytes-like value that travels as a buffer."""

    __slots__ = ("view",)

    def __init__(self, view: memoryview) -> None:
        self.view = view


class _TooDeep(Exception):
    pass


def _packer(default: Callable[[Any], Any]) -> msgpack.Packer:
    return msgpack.Packer(
        default=default,
        strict_types=True,
        use_bin_type=True,
        autoreset=True,
        unicode_errors="surrogatepass",  # Python str may hold lone surrogates; so may JS strings
        datetime=False,
    )


class _Encoder:
    """One encode call: its buffers, refs, and the peer's limits."""

    __slots__ = ("buffers", "codec", "peer", "session")

    def __init__(self, codec: Codec, peer: Peer, session: str) -> None:
        self.codec = codec
        self.peer = peer
        self.session = session
        self.buffers: list[Any] = []

    def pack(self, value: Any) -> bytes:
        return _packer(self.default).pack(self.prepare(value, 0))

    # -- the walk over natively packed containers --------------------------------

    def prepare(self, obj: Any, depth: int) -> Any:
        """``obj``, or a copy with non-str-keyed dicts and large bytes marked."""
        t = type(obj)
        if t is list:
            return self._list(obj, depth)
        if t is dict:
            return self._dict(obj, depth)
        if t is bytes or t is bytearray or t is memoryview:
            return self._bytes(obj)
        return obj

    def _bytes(self, obj: Any) -> Any:
        view = memoryview(obj)
        if view.nbytes < OUT_OF_BAND_BYTES:
            # msgpack packs bytes, bytearray and (contiguous) memoryview as bin.
            return obj if view.c_contiguous else view.tobytes()
        return _OutOfBand(view if view.c_contiguous else memoryview(view.tobytes()))

    def _list(self, items: list[Any], depth: int) -> list[Any]:
        if not items or set(map(type, items)) <= _FLAT:
            return items
        if depth >= MAX_DEPTH:
            raise _TooDeep
        copy: list[Any] | None = None
        prepare = self.prepare
        for i, item in enumerate(items):
            new = prepare(item, depth + 1)
            if new is not item:
                if copy is None:
                    copy = list(items)
                copy[i] = new
        return items if copy is None else copy

    def _dict(self, mapping: dict[Any, Any], depth: int) -> Any:
        if not mapping:
            return mapping
        if set(map(type, mapping)) != _STR_ONLY:
            return _NonStrKeyDict(mapping)
        if set(map(type, mapping.values())) <= _FLAT:
            return mapping
        if depth >= MAX_DEPTH:
            raise _TooDeep
        copy: dict[str, Any] | None = None
        prepare = self.prepare
        for key, value in mapping.items():
            new = prepare(value, depth + 1)
            if new is not value:
                if copy is None:
                    copy = dict(mapping)
                copy[key] = new
        return mapping if copy is None else copy

    # -- everything msgpack does not pack natively -----------------------------

    def nested(self, code: int, value: Any) -> msgpack.ExtType:
        """An extension whose payload is ``value`` packed (with this encoder's rules)."""
        return msgpack.ExtType(code, _packer(self.default).pack(self.prepare(value, 0)))

    def bytes_value(self, view: memoryview) -> Any:
        """A bytes-like value: inline bin when small, else an out-of-band buffer."""
        if view.nbytes < OUT_OF_BAND_BYTES:
            return view.tobytes() if not view.c_contiguous else view
        return self.buffer(view)

    def buffer(self, view: memoryview) -> msgpack.ExtType:
        limit = self.peer.max_buffer_bytes
        if limit and view.nbytes > limit:
            raise ResourceExhaustedError(
                f"a binary value of {_size(view.nbytes)} exceeds the host's limit of"
                f" {_size(limit)} per value (the host's maxBufferBytes)"
            )
        self.buffers.append(view)
        return msgpack.ExtType(EXT_BUFFER, _UINT32.pack(len(self.buffers) - 1))

    def ref(self, obj: Any) -> msgpack.ExtType:
        ref_id = self.codec.registry.add(obj, self.session)
        return msgpack.ExtType(EXT_REF, msgpack.packb([ref_id, type_name(obj)]))

    def default(self, obj: Any) -> Any:
        t = type(obj)
        if t is _OutOfBand:
            return self.buffer(obj.view)
        if t is tuple:
            return self.nested(EXT_TUPLE, list(obj))
        if t is _NonStrKeyDict:
            return self.nested(EXT_MAP, [x for pair in obj.value.items() for x in pair])
        if t is set:
            return self.nested(EXT_SET, list(obj))
        if t is frozenset:
            return self.nested(EXT_FROZENSET, list(obj))
        if t is int:  # only ints beyond 64 bits get here
            return msgpack.ExtType(EXT_BIGINT, big_int_bytes(obj))
        if t is types.FunctionType or t in HOST_VALUE_TYPES:
            host = getattr(obj, "__bridge_host__", None)
            if host is not None:
                # A host value handed back: the host gets its own function or iterable again.
                return msgpack.ExtType(host[0], msgpack.packb([host[1]]))
        special = extvalues.encode(obj, self)
        if special is not None:
            return special
        return self.ref(obj)


class _Decoder:
    """One decode call: the payload's buffers and the peer that sent it."""

    __slots__ = ("buffers", "codec", "peer")

    def __init__(self, codec: Codec, peer: Peer, buffers: list[Any]) -> None:
        self.codec = codec
        self.peer = peer
        self.buffers = buffers

    def unpack(self, data: bytes) -> Any:
        return msgpack.unpackb(
            data,
            raw=False,
            strict_map_key=False,
            ext_hook=self.ext_hook,
            unicode_errors="surrogatepass",
            timestamp=0,
        )

    def array(self, code: int, data: bytes) -> list[Any]:
        value = self.unpack(data)
        if type(value) is not list:
            raise InvalidArgumentError(f"extension {code} must hold a msgpack array")
        return value

    def buffer(self, data: bytes) -> Any:
        if len(data) != 4:
            raise InvalidArgumentError("a buffer reference (ext 5) must be a 4-byte index")
        (index,) = _UINT32.unpack(data)
        try:
            return self.buffers[index]
        except IndexError:
            raise InvalidArgumentError(
                f"buffer {index} is referenced but the payload has {len(self.buffers)}"
            ) from None

    def ext_hook(self, code: int, data: bytes) -> Any:
        if code == EXT_REF:
            ref = self.unpack(data)
            if type(ref) is not list or not ref or type(ref[0]) is not str:
                raise InvalidArgumentError("ext 1 (remote ref) must be [ref_id: str, type: str]")
            return self.codec.registry.get(ref[0])
        if code == EXT_TUPLE:
            return tuple(self.array(code, data))
        if code in (EXT_SET, EXT_FROZENSET):
            items = list(map(hashable, self.array(code, data)))
            out = set(items) if code == EXT_SET else frozenset(items)
            if len(out) != len(items):
                _collision(items)
            return out
        if code == EXT_BUFFER:
            buffer = self.buffer(data)
            return buffer.as_bytes() if type(buffer) is Received else bytes(buffer)
        if code == EXT_BIGINT:
            return int.from_bytes(data, "big", signed=True)
        if code == EXT_MAP:
            flat = self.array(code, data)
            if len(flat) % 2:
                raise InvalidArgumentError("ext 6 (map) needs an even number of items")
            keys = list(map(hashable, flat[::2]))
            out = dict(zip(keys, flat[1::2], strict=True))
            if len(out) != len(keys):
                _collision(keys)
            return out
        if code == EXT_CALLBACK:
            fields = self.array(code, data)
            if not fields or type(fields[0]) is not str:
                raise InvalidArgumentError("ext 2 (host callback) must start with its id")
            name, doc, params = [*fields, None, None, None][1:4]
            return self.peer.host_function(fields[0], name or "", doc, params)
        if code == EXT_HOST_ITERATOR:
            fields = self.array(code, data)
            if not fields or type(fields[0]) is not str:
                raise InvalidArgumentError("ext 13 (host iterator) must start with its id")
            return self.peer.host_iterator(fields[0])
        value = extvalues.decode(code, data, self)
        if value is not extvalues.UNKNOWN:
            return value
        raise InvalidArgumentError(f"unknown msgpack extension type {code}")

    def raw_bytes(self, value: Any) -> Any:
        """A bytes-like field of an extension: inline bin, or a buffer the decoder resolved.

        Out-of-band buffers are kept as they came, as a writable view (buffers.py), so
        an ndarray can wrap one without a copy.
        """
        if type(value) is msgpack.ExtType and value.code == EXT_BUFFER:
            buffer = self.buffer(value.data)
            return buffer.view if type(buffer) is Received else buffer
        if isinstance(value, _BYTES_LIKE):
            return value
        raise InvalidArgumentError("expected binary data (bin or ext 5)")


def _inline_checked(encoded: Encoded) -> Encoded:
    if len(encoded.data) > MAX_INLINE_BYTES:
        raise ResourceExhaustedError(
            f"the value takes {len(encoded.data)} bytes inline (str, numbers, small binaries),"
            f" more than the {MAX_INLINE_BYTES} one message carries; return large data as"
            " bytes or an array, which travel out of band"
        )
    return encoded


def _collision(items: list[Any]) -> None:
    """Refuse distinct host keys (or set items) that are one key in Python.

    The host never sends one Map key or Set item twice, so any two that are equal here
    (1 and 1n, true and 1, two arrays with the same items) would silently merge.
    """
    seen: dict[Any, Any] = {}
    for item in items:
        if item in seen:
            raise InvalidArgumentError(
                f"{seen[item]!r} and {item!r} are distinct values in the host but equal as"
                " Python dict keys or set items (a number and a bigint of one value, true"
                " and 1, or two arrays with the same items); one would be lost"
            )
        seen[item] = item


def hashable(value: Any) -> Any:
    """A dict key or set item from the host: arrays (JS has no tuples) become tuples."""
    if type(value) is list:
        return tuple(map(hashable, value))
    return value


def big_int_bytes(value: int) -> bytes:
    """The shortest signed two's-complement big-endian bytes of ``value`` (ext 66's data)."""
    magnitude = value if value >= 0 else ~value
    return value.to_bytes(magnitude.bit_length() // 8 + 1, "big", signed=True)


def _size(n: int) -> str:
    """``1048577 bytes (1.0 MiB)``: exact, and readable."""
    scaled = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if scaled < 1024 or unit == "GiB":
            return f"{n} bytes" if unit == "B" else f"{n} bytes ({scaled:.1f} {unit})"
        scaled /= 1024
    return f"{n} bytes"  # pragma: no cover


_SCALARS = frozenset({str, float, bool, type(None)})
_INT64_MIN = -(2**63)
_UINT64_MAX = 2**64 - 1


class Codec:
    """Encodes and decodes Payload contents; remote refs live in ``registry``.

    Thread-safe: every call builds its own packer state.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._local = threading.local()

    def _scalar_packer(self) -> msgpack.Packer:
        packer = getattr(self._local, "packer", None)
        if packer is None:
            packer = self._local.packer = _packer(_refuse)
        return packer

    def encode(self, value: Any, peer: Peer = NO_PEER, session: str = "") -> Encoded:
        """Encode one value; what has no exact wire form becomes a remote ref.

        Raises ResourceExhaustedError when a binary value exceeds the peer's limit.
        """
        t = type(value)
        if t in _SCALARS or (t is int and _INT64_MIN <= value <= _UINT64_MAX):
            try:
                return _inline_checked(Encoded(self._scalar_packer().pack(value), []))
            except UnicodeEncodeError:  # pragma: no cover - surrogatepass encodes every str
                pass
        encoder = _Encoder(self, peer, session)
        try:
            return _inline_checked(Encoded(encoder.pack(value), encoder.buffers))
        except BridgeFault:
            raise
        except Exception:
            # Too deep, cyclic, or a container holding something that refused to
            # encode: hand the whole value over as a ref rather than fail the call.
            encoder = _Encoder(self, peer, session)
            return Encoded(_packer(encoder.default).pack(encoder.ref(value)), [])

    def decode(self, data: bytes, buffers: list[Any] | None = None, peer: Peer = NO_PEER) -> Any:
        """Decode one value. Raises InvalidArgumentError, or NotFoundError for a released ref."""
        try:
            return _Decoder(self, peer, buffers or []).unpack(data)
        except BridgeFault:
            raise
        except TypeError as exc:
            raise InvalidArgumentError(
                f"the arguments hold a value Python cannot use as a dict key or set item: {exc}"
            ) from exc
        except Exception as exc:
            raise InvalidArgumentError(f"undecodable msgpack payload: {exc}") from exc


def _refuse(obj: Any) -> Any:
    raise TypeError(f"cannot pack {type(obj)!r}")


def numpy_loaded() -> Any:
    """numpy, if some code in this process imported it (never imports it itself)."""
    return sys.modules.get("numpy")
