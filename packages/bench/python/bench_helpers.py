"""Python side of the bench workloads (the same functions for every system that can call them)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def identity(value: Any) -> Any:
    """Return the argument: an echo."""
    return value


def call_n(fn: Callable[[int], int], n: int) -> int:
    """Call a host function ``n`` times in a row (one callback round trip each)."""
    total = 0
    for i in range(n):
        total += fn(i)
    return total


def count_to(n: int) -> Iterator[int]:
    """Yield 0..n-1 (a stream of small items)."""
    yield from range(n)
