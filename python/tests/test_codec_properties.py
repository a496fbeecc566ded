"""Property tests of the codec, in-process: whatever Python value is encoded decodes the same.

The same strategies drive ``packages/runtime/test/properties.test.ts``, where values go
Python -> a real TS host -> Python (``value_strategies.expected`` says what changes there).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from hypothesis import given, settings

from bridge_worker.codec import Codec
from bridge_worker.registry import Registry

sys.path.insert(0, str(Path(__file__).parent / "support"))
from value_strategies import expected, same, values


class _Host:
    """A peer that decodes Arrow (so DataFrames would cross) and takes any size."""

    capabilities = frozenset({"arrow"})
    max_buffer_bytes = 0


@settings(max_examples=1000, deadline=None, database=None)
@given(values)
def test_every_value_decodes_as_it_was_encoded(value: Any) -> None:
    codec = Codec(Registry())
    encoded = codec.encode(value, _Host())
    same(expected(value, through_js=False), codec.decode(encoded.data, encoded.buffers))
