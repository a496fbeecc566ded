"""What Python code sees of the TypeScript host: its functions, its errors, its tools.

A TypeScript function passed to Python (anywhere in a call's arguments) arrives as a
plain Python function with the ``__name__``, ``__doc__`` and ``inspect.signature``
the host declared (``bridge.fn(fn, { name, description, parameters })``), so
libraries that introspect their callbacks (``dspy.Tool``, click, LangChain...) accept
it. Calling it from a thread blocks that thread only, until the host answers; called
on a thread running an event loop it returns an awaitable instead::

    def apply(fn, x):          # sync: blocks this call's thread while TS runs
        return fn(x)

    async def apply_async(fn, x):
        return await fn(x)

A TS exception arrives as :class:`HostError`. Functions the host registered by name
(``bridge.tools.register(name, fn, meta)`` in TypeScript) are in :data:`tools`::

    from bridge_worker.host import tools
    tools["search"]("query")
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, MutableMapping
from typing import Any


class HostError(Exception):
    """A TypeScript function called from Python threw.

    ``str(error)`` is the JavaScript message; :attr:`name` the error's name
    (``"TypeError"``...) and :attr:`stack` its JavaScript stack trace.
    """

    def __init__(self, message: str, name: str = "Error", stack: str = "") -> None:
        super().__init__(message)
        self.name = name
        self.stack = stack

    def __str__(self) -> str:
        message = super().__str__()
        return f"{self.name}: {message}" if self.name and self.name != "Error" else message


class HostUnavailableError(HostError):
    """The host that owns a function is gone (its bridge closed, or the connection broke)."""


class _Tools(MutableMapping[str, Callable[..., Any]]):
    """Host functions registered by name, for Python code to call."""

    def __init__(self) -> None:
        self._items: dict[str, Callable[..., Any]] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> Callable[..., Any]:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise KeyError(f"no host tool named {name!r} (registered: {known})") from None

    def __setitem__(self, name: str, fn: Callable[..., Any]) -> None:
        with self._lock:
            self._items[name] = fn

    def __delitem__(self, name: str) -> None:
        with self._lock:
            del self._items[name]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)


#: Host functions registered by name (``bridge.tools.register`` in TypeScript).
tools: MutableMapping[str, Callable[..., Any]] = _Tools()


def register_tool(name: str, fn: Callable[..., Any]) -> None:
    """Called by the host (``bridge.tools.register``): make ``fn`` available as ``tools[name]``."""
    tools[name] = fn


def unregister_tool(name: str) -> None:
    """Called by the host (``bridge.tools.unregister``)."""
    tools.pop(name, None)


__all__ = ["HostError", "HostUnavailableError", "register_tool", "tools", "unregister_tool"]
