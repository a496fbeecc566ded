"""Write proto/bridge/v1/value-vectors.json: golden byte vectors of the value encoding.

Each vector is a value (in a small typed-JSON language both test suites read) and the
bytes of its encoding by the worker's codec. vitest and pytest each decode the bytes,
compare with the value, and re-encode: both sides must produce exactly these bytes
(or, where a language has no such type, the documented normal form in ``ts``).

    python/.venv/bin/python python/scripts/value_vectors.py          # rewrite
    python/.venv/bin/python python/scripts/value_vectors.py --check  # exit 1 if stale

Run it only to add vectors; a change to an existing vector's bytes is a wire change.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import zoneinfo
from pathlib import Path
from typing import Any

import msgpack
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "python"))
sys.path.insert(0, str(ROOT / "python" / "tests"))

from value_json import to_json  # noqa: E402

from bridge_worker.codec import Codec  # noqa: E402
from bridge_worker.registry import Registry  # noqa: E402

OUT = ROOT / "proto" / "bridge" / "v1" / "value-vectors.json"

# (name, Python value, the TS re-encoding when TS has no such type, or None)
VECTORS: list[tuple[str, Any, Any]] = [
    ("nil", None, None),
    ("true", True, None),
    ("false", False, None),
    *[(f"int {n}", n, None) for n in (0, 1, 127, 128, 255, 256, 65535, 65536, 2**32 - 1, 2**32)],
    ("int 2^53 - 1 (largest safe)", 2**53 - 1, None),
    ("int 2^53", 2**53, None),
    ("int 2^64 - 1", 2**64 - 1, None),
    *[(f"int {n}", n, None) for n in (-1, -32, -33, -128, -129, -32768, -32769, -(2**31))],
    ("int -2^31 - 1", -(2**31) - 1, None),
    ("int -2^53 + 1 (smallest safe)", -(2**53) + 1, None),
    ("int -2^63", -(2**63), None),
    ("int 2^64 (ext 66)", 2**64, None),
    ("int -2^63 - 1 (ext 66)", -(2**63) - 1, None),
    ("int 2^100 (ext 66)", 2**100, None),
    ("float 1.5", 1.5, None),
    ("float -0.0", -0.0, None),
    ("float NaN", math.nan, None),
    ("float inf", math.inf, None),
    ("float -inf", -math.inf, None),
    ("float 1e300", 1e300, None),
    ("float 2^60 (integral, beyond safe)", float(2**60), None),
    ("str empty", "", None),
    ("str ascii", "hello", None),
    ("str 31 chars (fixstr)", "a" * 31, None),
    ("str 32 chars (str8)", "b" * 32, None),
    ("str 300 chars (str16)", "c" * 300, None),
    ("str unicode", "héllo ✓ 😀", None),
    ("str lone surrogate (WTF-8)", "x\udc80y", None),
    ("str key __proto__", {"__proto__": 1}, None),
    ("bytes empty", b"", None),
    ("bytes", b"\x00\x01\xff", None),
    ("bytes 300 (bin16)", bytes(range(256)) + bytes(44), None),
    ("list empty", [], None),
    ("list nested with nil", [1, [2, None], "x"], None),
    ("list 16 items (array16)", list(range(16)), None),
    ("dict empty", {}, None),
    ("dict with nil values", {"a": 1, "b": None, "c": {"d": None}}, None),
    ("dict 16 keys (map16)", {f"k{i}": i for i in range(16)}, None),
    ("tuple (ext 3; TS: an array)", (1, "a"), [1, "a"]),
    ("set (ext 4)", {3}, None),
    ("frozenset (ext 14; TS: a Set)", frozenset({4}), {4}),
    ("dict with int keys (ext 6)", {1: "a", 2: None}, None),
    (
        "dict with tuple keys (ext 6; TS: array keys)",
        {(1, 2): "pair"},
        msgpack.packb(msgpack.ExtType(6, msgpack.packb([[1, 2], "pair"]))),
    ),
    ("datetime naive", dt.datetime(2024, 2, 29, 13, 5, 9, 250), None),
    ("datetime UTC", dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc), None),
    (
        "datetime before 1970",
        dt.datetime(1969, 12, 31, 23, 59, 59, 500000, tzinfo=dt.timezone.utc),
        None,
    ),
    (
        "datetime fixed offset",
        dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone(dt.timedelta(hours=-5, minutes=-30))),
        None,
    ),
    (
        "datetime zoneinfo",
        dt.datetime(2024, 7, 1, 12, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
        None,
    ),
    ("date", dt.date(2024, 2, 29), None),
    ("time", dt.time(23, 59, 58, 999999), None),
    ("timedelta negative", dt.timedelta(days=-3, seconds=5, microseconds=7), None),
    ("ndarray float64 2x2", np.array([[1.5, 2.5], [-0.0, math.inf]]), None),
    ("ndarray int64", np.array([1, -(2**62)], dtype=np.int64), None),
    ("ndarray bool", np.array([True, False, True]), None),
    ("ndarray uint8 0-d", np.array(7, dtype=np.uint8), None),
    ("ndarray complex64", np.array([1 + 2j], dtype=np.complex64), None),
    (
        "mixed nesting",
        {"xs": [(1, {2}), {"y": [b"\x01", None]}], "when": dt.date(2001, 1, 1)},
        None,
    ),
]


def as_in_typescript(value: Any) -> Any:
    """The value as TypeScript holds it: no tuples (arrays), no frozensets (Sets)."""
    if type(value) in (list, tuple):
        return [as_in_typescript(v) for v in value]
    if type(value) in (set, frozenset):
        return {as_in_typescript(v) for v in value}
    if type(value) is dict:
        return {k: as_in_typescript(v) for k, v in value.items()}
    return value


def build() -> list[dict[str, Any]]:
    out = []
    for name, value, ts in VECTORS:
        codec = Codec(Registry())
        encoded = codec.encode(value)
        assert not encoded.buffers, name
        entry: dict[str, Any] = {"name": name, "value": to_json(value), "hex": encoded.data.hex()}
        if isinstance(ts, bytes):  # written by hand: Python cannot hold the TS form
            ts_bytes = ts
        else:
            ts_bytes = codec.encode(ts if ts is not None else as_in_typescript(value)).data
        if ts_bytes != encoded.data:
            entry["ts"] = ts_bytes.hex()
        out.append(entry)
    # A ref: its id is the first a fresh registry hands out.
    codec = Codec(Registry())
    encoded = codec.encode([object()])
    out.append(
        {
            "name": "ref (ext 1)",
            "value": {"list": [{"ref": ["r1", "builtins.object"]}]},
            "hex": encoded.data.hex(),
        }
    )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    opts = parser.parse_args()
    text = json.dumps(build(), indent=1, ensure_ascii=True) + "\n"
    if opts.check:
        if OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.relative_to(ROOT)} is stale", file=sys.stderr)
            return 1
        return 0
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {len(build())} vectors to {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
