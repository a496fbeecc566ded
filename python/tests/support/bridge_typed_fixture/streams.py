"""Generators, async generators and coroutines."""

from collections.abc import AsyncIterator, Generator, Iterator


def count_up(n: int) -> Iterator[int]:
    """Yield 0..n-1."""
    yield from range(n)


def gen_full(n: int) -> Generator[int, None, str]:
    """A generator with a return value."""
    yield from range(n)
    return "done"


async def acount(n: int) -> AsyncIterator[int]:
    """Async-yield 0..n-1."""
    for i in range(n):
        yield i


async def fetch(url: str, *, timeout: float = 1.0) -> bytes:
    """Pretend to fetch ``url``."""
    return url.encode()


def returns_iter(n: int) -> Iterator[int]:
    """Returns an iterator without being a generator."""
    return iter(range(n))
