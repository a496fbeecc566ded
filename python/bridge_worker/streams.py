"""Pull-based streaming: the host iterates a Python iterator by taking batches.

``PyRef.iterate()`` in @bridge/runtime calls ``take(iterator, n)`` until it reports
the end. Generators, iterators and async iterators all work; an iterable that is not
an iterator (a list, a dict view) is iterated from its start.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any


def take(source: Any, n: int) -> Any:
    """Up to ``n`` next items of ``source`` and whether it is exhausted: ``[items, done]``.

    For an async iterator this returns a coroutine, which the worker awaits on its loop.
    """
    if hasattr(source, "__anext__"):
        return _atake(source, n)
    iterator: Iterator[Any] = source if hasattr(source, "__next__") else iter(source)
    items: list[Any] = []
    for _ in range(n):
        try:
            items.append(next(iterator))
        except StopIteration:
            return [items, True]
    return [items, False]


async def _atake(source: AsyncIterator[Any], n: int) -> list[Any]:
    items: list[Any] = []
    for _ in range(n):
        try:
            items.append(await source.__anext__())
        except StopAsyncIteration:
            return [items, True]
    return [items, False]
