"""The typed-JSON value language of proto/bridge/v1/value-vectors.json, for Python.

A value is one-key object naming its type: ``{"int": "123"}``, ``{"float": "nan"}``,
``{"str": "..."}``, ``{"bytes": "00ff"}``, ``{"list": [...]}``, ``{"tuple": [...]}``,
``{"set": [...]}``, ``{"frozenset": [...]}``, ``{"dict": [[k, v], ...]}`` (any keys),
``{"datetime": [micros, offset, zone]}``, ``{"date": [y, m, d]}``,
``{"time": [h, m, s, us, offset, zone]}``, ``{"timedelta": [d, s, us]}``,
``{"ndarray": [dtype, shape, "hex"]}``, ``{"ref": [id, type]}``, ``{"nil": null}``,
``{"bool": true}``. packages/runtime/test/value-json.ts reads the same language.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from typing import Any

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_EPOCH_NAIVE = dt.datetime(1970, 1, 1)


def _float(x: float) -> str:
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0 and math.copysign(1, x) < 0:
        return "-0"
    return repr(x)


def to_json(value: Any) -> dict[str, Any]:
    """The typed JSON of a Python value."""
    import numpy as np

    t = type(value)
    if value is None:
        return {"nil": None}
    if t is bool:
        return {"bool": value}
    if t is int:
        return {"int": str(value)}
    if t is float:
        return {"float": _float(value)}
    if t is str:
        return {"str": value}
    if t in (bytes, bytearray):
        return {"bytes": bytes(value).hex()}
    if t is list:
        return {"list": [to_json(v) for v in value]}
    if t is tuple:
        return {"tuple": [to_json(v) for v in value]}
    if t is set:
        return {"set": [to_json(v) for v in value]}
    if t is frozenset:
        return {"frozenset": [to_json(v) for v in value]}
    if t is dict:
        return {"dict": [[to_json(k), to_json(v)] for k, v in value.items()]}
    if t is dt.datetime:
        base = _EPOCH_NAIVE if value.tzinfo is None else _EPOCH
        micros = (value - base) // dt.timedelta(microseconds=1)
        offset = None if value.tzinfo is None else int(value.utcoffset().total_seconds())
        zone = getattr(value.tzinfo, "key", None)
        return {"datetime": [str(micros), offset, zone]}
    if t is dt.date:
        return {"date": [value.year, value.month, value.day]}
    if t is dt.time:
        return {"time": [value.hour, value.minute, value.second, value.microsecond, None, None]}
    if t is dt.timedelta:
        return {"timedelta": [value.days, value.seconds, value.microseconds]}
    if t is np.ndarray:
        return {
            "ndarray": [
                value.dtype.name,
                list(value.shape),
                value.astype(value.dtype.newbyteorder("<")).tobytes().hex(),
            ]
        }
    raise TypeError(f"no typed JSON for {value!r}")


def from_json(node: dict[str, Any], refs: dict[str, Any] | None = None) -> Any:
    """The Python value a typed-JSON node stands for."""
    import numpy as np

    ((kind, body),) = node.items()
    if kind == "nil":
        return None
    if kind == "bool":
        return body
    if kind == "int":
        return int(body)
    if kind == "float":
        return {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "-0": -0.0}.get(body) or float(
            body
        )
    if kind == "str":
        return body
    if kind == "bytes":
        return bytes.fromhex(body)
    if kind == "list":
        return [from_json(v, refs) for v in body]
    if kind == "tuple":
        return tuple(from_json(v, refs) for v in body)
    if kind == "set":
        return {from_json(v, refs) for v in body}
    if kind == "frozenset":
        return frozenset(from_json(v, refs) for v in body)
    if kind == "dict":
        return {from_json(k, refs): from_json(v, refs) for k, v in body}
    if kind == "datetime":
        micros, offset, zone = body
        delta = dt.timedelta(microseconds=int(micros))
        if zone is not None:
            return (_EPOCH + delta).astimezone(zoneinfo.ZoneInfo(zone))
        if offset is None:
            return _EPOCH_NAIVE + delta
        tz = dt.timezone.utc if offset == 0 else dt.timezone(dt.timedelta(seconds=offset))
        return (_EPOCH + delta).astimezone(tz)
    if kind == "date":
        return dt.date(*body)
    if kind == "time":
        h, m, s, us, _offset, _zone = body
        return dt.time(h, m, s, us)
    if kind == "timedelta":
        return dt.timedelta(*body)
    if kind == "ndarray":
        dtype, shape, data = body
        return np.frombuffer(bytes.fromhex(data), dtype=np.dtype(dtype).newbyteorder("<")).reshape(
            shape
        )
    if kind == "ref":
        assert refs is not None
        return refs[body[0]]
    raise ValueError(f"unknown typed-JSON kind {kind!r}")
