"""Iterators for the streaming tests."""

from __future__ import annotations

from collections.abc import AsyncIterator


async def countdown(n: int) -> AsyncIterator[int]:
    """Yield n, n-1, ..., 1 from an async generator."""
    while n > 0:
        yield n
        n -= 1
