"""Hypothesis strategies for the values Python sends the host, and what "the same" means.

Used in two places: ``tests/test_codec_properties.py`` (encode then decode, in-process)
and ``packages/runtime/test/fixtures/values_fixtures.py`` (Python → a real TS host →
Python, through a host callback). :func:`expected` is the value table's lossy column
written down once: what comes back for what was sent (a tuple comes back a list...).
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# Any code point, lone surrogates included (they cross as WTF-8).
_ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
texts = st.one_of(
    st.text(_ANY_CHAR, max_size=12),
    st.text(max_size=40),
    st.text(st.characters(max_codepoint=0x7F), min_size=31, max_size=300),
)

# Every msgpack integer boundary, each side, and far beyond 64 bits.
_BOUNDARIES = [
    b + d
    for b in (0, 2**4, 2**5, 2**7, 2**8, 2**15, 2**16, 2**31, 2**32, 2**53, 2**63, 2**64)
    for d in (-1, 0, 1)
]
ints = st.one_of(
    st.sampled_from(_BOUNDARIES + [-b for b in _BOUNDARIES]),
    st.integers(),
    st.integers(min_value=-(2**200), max_value=2**200),
)
floats = st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True)

_ZONES = [
    dt.timezone.utc,
    dt.timezone(dt.timedelta(hours=5, minutes=30)),
    dt.timezone(dt.timedelta(hours=-8)),
]
_ZONE_KEYS = ["Europe/Paris", "America/New_York", "Asia/Tokyo"]
timezones = st.one_of(
    st.none(),
    st.sampled_from(_ZONES),
    st.sampled_from(_ZONE_KEYS).map(zoneinfo.ZoneInfo),
)
datetimes = st.datetimes(
    min_value=dt.datetime(1, 1, 2),
    max_value=dt.datetime(9999, 12, 30),
    timezones=timezones,
    allow_imaginary=False,  # a wall time a DST jump skips has no instant to cross as
)
times = st.times(timezones=st.one_of(st.none(), st.sampled_from(_ZONES)))

_DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float16", "float32", "float64", "complex64", "complex128"]  # fmt: skip
ndarrays = st.sampled_from(_DTYPES).flatmap(
    lambda dtype: hnp.arrays(np.dtype(dtype), hnp.array_shapes(min_dims=0, max_dims=3, max_side=4))
)

hashables = st.one_of(ints, texts, st.booleans(), st.none(), st.binary(max_size=8))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    ints,
    floats,
    texts,
    st.binary(max_size=64),
    # Large enough to travel out of band (16 KiB and more).
    st.integers(16 << 10, 40 << 10).map(lambda n: (bytes(range(256)) * (n // 256 + 1))[:n]),
    st.builds(bytearray, st.binary(max_size=16)),
    datetimes,
    st.dates(),
    times,
    st.timedeltas(),
    ndarrays,
    st.builds(object),  # no Python form in TS: a ref, the same object when it comes back
)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=6),
        st.lists(children, max_size=4).map(tuple),
        st.dictionaries(texts, children, max_size=6),
        st.dictionaries(hashables, children, max_size=4),
        st.sets(hashables, max_size=4),
        st.frozensets(hashables, max_size=4),
    )


values = st.recursive(scalars, _containers, max_leaves=24)


def expected(value: Any, through_js: bool = True) -> Any:
    """What comes back to Python for ``value`` encoded and decoded again.

    ``through_js``: the value went to the TS host and came back as it arrived there, so
    it took JS's forms on the way: a tuple is an array (back as a list), a frozenset a
    Set (back as a set), a float with an integral value a number (back as an int).
    In-process (encode then decode), only bytearray and memoryview change (to bytes).
    """
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, (list, tuple)):
        items = [expected(v, through_js) for v in value]
        return items if through_js or isinstance(value, list) else tuple(items)
    if isinstance(value, (set, frozenset)):
        items = {expected(v, through_js) for v in value}
        return items if through_js or isinstance(value, set) else frozenset(items)
    if isinstance(value, dict):
        return {expected(k, through_js): expected(v, through_js) for k, v in value.items()}
    # A JS number with an integral value is an int in Python; -0.0 stays a float.
    if (
        through_js
        and type(value) is float
        and value.is_integer()
        and abs(value) <= _SAFE
        and (math.copysign(1, value) > 0 or value != 0)
    ):
        return int(value)
    return value


_SAFE = 2**53 - 1


def same(a: Any, b: Any, path: str = "value") -> None:
    """Asserts ``a`` and ``b`` are the same value, type for type; names where they differ."""
    if type(a) is not type(b):
        raise AssertionError(f"{path}: {type(a).__name__} {a!r} became {type(b).__name__} {b!r}")
    if isinstance(a, float):
        exact = a == b and math.copysign(1, a) == math.copysign(1, b)
        if not (exact or (math.isnan(a) and math.isnan(b))):
            raise AssertionError(f"{path}: {a!r} became {b!r}")
    elif isinstance(a, (list, tuple)):
        if len(a) != len(b):
            raise AssertionError(f"{path}: length {len(a)} became {len(b)}")
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{path}[{i}]")
    elif isinstance(a, dict):
        if set(a) != set(b) or _ordered(a) != _ordered(b):
            raise AssertionError(f"{path}: keys {list(a)!r} became {list(b)!r}")
        for k in a:
            same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape or a.tobytes() != b.tobytes():
            raise AssertionError(
                f"{path}: {a.dtype}{a.shape} {a!r} became {b.dtype}{b.shape} {b!r}"
            )
    elif isinstance(a, dt.datetime):
        # Naive comparison ignores fold; the offset tells an ambiguous wall time's fold.
        if (a.replace(tzinfo=None), a.utcoffset(), _zone_key(a.tzinfo)) != (
            b.replace(tzinfo=None),
            b.utcoffset(),
            _zone_key(b.tzinfo),
        ):
            raise AssertionError(f"{path}: {a!r} became {b!r}")
    elif isinstance(a, dt.time):
        if (a.replace(tzinfo=None), a.utcoffset()) != (b.replace(tzinfo=None), b.utcoffset()):
            raise AssertionError(f"{path}: {a!r} became {b!r}")
    elif type(a) is object:
        if a is not b:
            raise AssertionError(f"{path}: a ref came back as another object")
    elif a != b:
        raise AssertionError(f"{path}: {a!r} became {b!r}")


def _ordered(d: dict[Any, Any]) -> list[Any]:
    """The keys whose order must survive: all but array-index strings ("0", "17"), which a
    JS object lists first, in numeric order, whatever order they were set in."""
    return [
        k
        for k in d
        if not (
            type(k) is str
            and k.isascii()
            and k.isdigit()
            and k == str(int(k))
            and int(k) < 2**32 - 1
        )
    ]


def _zone_key(tz: Any) -> Any:
    return getattr(tz, "key", None)
