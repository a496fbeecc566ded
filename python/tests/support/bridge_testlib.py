"""Functions the tests call inside the worker (on the worker's PYTHONPATH)."""

from __future__ import annotations

import asyncio
import collections
import enum
import os
import time
from pathlib import Path
from typing import Any

started = 0
cancelled = 0
value = "initial"


def identity(x: Any) -> Any:
    return x


def kwargs_repr(**kwargs: Any) -> str:
    """What the worker decoded the keyword arguments to, as text (no encoding on the way back)."""
    return repr(kwargs)


def wait_for_file(path: str, timeout: float = 60, stubborn: bool = False) -> bool:
    """Block this thread until the test creates ``path``; False if ``timeout`` passes first.

    A call whose end the test controls, with no clock in the test: ``<path>.started``
    appears once the call runs in user code, ``<path>.returned`` just before it returns,
    ``<path>.interrupted`` if the worker stopped it (a cancel or a deadline); a
    ``stubborn`` call swallows that and returns late, once the gate opens.
    The test opens the gate by creating ``path`` itself, so no call is needed for it,
    not even while the worker refuses calls (draining).
    """
    Path(f"{path}.started").touch()
    deadline = time.monotonic() + timeout
    opened = True
    while True:
        try:
            while not os.path.exists(path):
                if time.monotonic() > deadline:
                    opened = False
                    break
                time.sleep(0.005)
            break
        except BaseException:
            # Cancelled or timed out: the worker raised CallInterrupted in this thread.
            Path(f"{path}.interrupted").touch()
            if not stubborn:  # a stubborn call swallows it and goes on (a late result)
                raise
    Path(f"{path}.returned").touch()
    return opened


def type_of(x: Any) -> str:
    return f"{type(x).__module__}.{type(x).__qualname__}"


def describe_datetime(x: Any) -> list[Any]:
    """[isoformat, tzname] so tests can check what the worker received."""
    return [x.isoformat(), x.tzname()]


def raise_from() -> None:
    try:
        {}["missing"]
    except KeyError as exc:
        raise RuntimeError("lookup failed") from exc


def raise_during_handling() -> None:
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        raise ValueError("while handling")  # noqa: B904 - the implicit __context__ is the point


def raise_suppressed() -> None:
    try:
        1 / 0  # noqa: B018
    except ZeroDivisionError:
        raise ValueError("context suppressed") from None


def raise_chain(n: int) -> None:
    """Raise an exception whose __cause__ chain is n exceptions long."""
    exc: BaseException | None = None
    for i in range(n):
        new = ValueError(f"level {i}")
        new.__cause__ = exc
        exc = new
    assert exc is not None
    raise exc


async def sleep_and_count(seconds: float) -> str:
    """Sleep; ``started`` counts the calls that began, ``cancelled`` those cancelled."""
    global cancelled, started
    started += 1
    try:
        await asyncio.sleep(seconds)
    except asyncio.CancelledError:
        cancelled += 1
        raise
    return "slept"


async def async_raise() -> None:
    await asyncio.sleep(0)
    raise LookupError("async failure")


class Color(enum.IntEnum):
    RED = 1


Point = collections.namedtuple("Point", "x y")


class Custom:
    def __init__(self, n: int) -> None:
        self.n = n

    def double(self) -> int:
        return self.n * 2

    def __call__(self, k: int) -> int:
        return self.n + k


def sample_values() -> dict[str, Any]:
    """Values whose encoding the tests inspect on the wire."""
    return {
        "ordered": collections.OrderedDict(a=1),
        "point": Point(1, 2),
        "color": Color.RED,
    }


def echo_print(text: str) -> str:
    print(text)
    return text
