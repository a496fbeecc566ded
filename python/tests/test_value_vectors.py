"""Golden byte vectors of the value encoding (proto/bridge/v1/value-vectors.json).

Read by this suite and by packages/runtime/test/value-vectors.test.ts: both codecs decode
every vector to the value it names and re-encode it to exactly its bytes.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from value_json import from_json

from bridge_worker.codec import Codec
from bridge_worker.registry import Registry

ROOT = Path(__file__).resolve().parents[2]
VECTORS = json.loads((ROOT / "proto" / "bridge" / "v1" / "value-vectors.json").read_text("utf-8"))


def same(a: Any, b: Any) -> bool:
    """Equality that also tells -0.0 from 0.0, NaN from NaN, types apart, arrays by content."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (
            a == b and math.copysign(1, a) == math.copysign(1, b)
        )
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if hasattr(a, "tzinfo") and a.tzinfo is not None:
        return a == b and a.utcoffset() == b.utcoffset() and str(a.tzinfo) == str(b.tzinfo)
    return bool(a == b)


def test_the_vectors_cover_the_table() -> None:
    assert len(VECTORS) >= 70


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_decodes_and_reencodes_exactly(vector: dict[str, Any]) -> None:
    codec = Codec(Registry())
    obj = object()
    assert codec.registry.add(obj) == "r1"  # the ref vector names the first id
    data = bytes.fromhex(vector["hex"])
    decoded = codec.decode(data)
    assert same(decoded, from_json(vector["value"], {"r1": obj}))
    reencoded = Codec(Registry()).encode(decoded)
    if vector["name"].startswith("ref"):
        return  # re-encoding an object makes a new ref in a new registry: same bytes, by design
    assert reencoded.data.hex() == vector["hex"]


def test_vectors_are_what_the_generator_writes() -> None:
    script = ROOT / "python" / "scripts" / "value_vectors.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
