"""Host functions kept past their connection, for test_callbacks.py."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

from bridge_worker.host import HostError

_stored: dict[str, Callable[..., Any]] = {}
_outcomes: dict[str, Any] = {}


def store(name: str, fn: Callable[..., Any]) -> None:
    """Keep ``fn`` beyond the call that brought it (a module-level registry of callbacks)."""
    _stored[name] = fn


def call_stored(name: str) -> Any:
    return _stored[name]()


async def acall_stored(name: str) -> Any:
    return await _stored[name]()


def catch_stored(name: str) -> list[str]:
    """Call a stored function; the classes of what it raised, as Python code catching it sees."""
    try:
        _stored[name]()
    except HostError as error:
        return [f"{c.__module__}.{c.__qualname__}" for c in type(error).__mro__[:3]] + [str(error)]
    return []


def call_and_record(name: str, fn: Callable[..., Any]) -> Any:
    """Call ``fn`` (blocking on the host); record how it ended, for another connection."""
    try:
        _outcomes[name] = ["value", fn()]
    except BaseException as error:
        kind = f"{type(error).__module__}.{type(error).__qualname__}"
        _outcomes[name] = ["error", kind, str(error)]
        raise
    return _outcomes[name]


def outcome(name: str) -> Any:
    return _outcomes.get(name)


def call_in_thread(name: str, fn: Callable[..., Any]) -> None:
    """Call ``fn`` from a thread of the user's own (not the call's), recording the outcome."""
    import threading

    threading.Thread(target=lambda: _swallow(call_and_record, name, fn), daemon=True).start()


def _swallow(fn: Callable[..., Any], *args: Any) -> None:
    with contextlib.suppress(BaseException):  # recorded already
        fn(*args)
