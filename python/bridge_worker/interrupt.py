"""Stopping a call that runs on a thread: an exception raised in that thread.

``PyThreadState_SetAsyncExc`` makes the thread raise :class:`CallInterrupted` at its
next bytecode, so a pure-Python loop stops; C code and blocking system calls see it
only once they return (the caller then reports the thread as stuck). The exception
is scheduled only while the thread is inside the user code of that very call
(:meth:`Slot.user_code`), under a lock, and a still-pending one is withdrawn when the
user code returns, so it can never land in the worker's own code or a later call.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

_set_async_exc = ctypes.pythonapi.PyThreadState_SetAsyncExc
_set_async_exc.argtypes = (ctypes.c_ulong, ctypes.py_object)
_set_async_exc.restype = ctypes.c_int
_NULL = ctypes.py_object()  # a NULL PyObject*: "clear the pending exception"


class CallInterrupted(BaseException):
    """Raised inside a call's thread when the host cancelled it or its deadline passed.

    A BaseException, like KeyboardInterrupt, so ``except Exception`` in user code lets it
    through. The call has already been answered (canceled / deadline_exceeded).
    """


class Slot:
    """One thread's interruptible section."""

    __slots__ = ("_lock", "ident", "interrupted_at", "owner", "pending", "was_interrupted")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.ident = threading.get_ident()
        #: The call whose user code runs now (None outside user code).
        self.owner: object | None = None
        self.pending = False
        #: monotonic() when an interrupt was requested for the current owner.
        self.interrupted_at = 0.0
        #: After user_code() exits: whether interrupt() hit it (read by the same thread).
        self.was_interrupted = False

    def enter(self, owner: object) -> None:
        """``owner``'s user code starts on this thread: :meth:`interrupt` may stop it.

        Pair with :meth:`leave` in a ``finally``.
        """
        with self._lock:
            self.owner = owner
            self.interrupted_at = 0.0

    def leave(self) -> None:
        """The user code returned (or raised): no interrupt can land after this."""
        while True:
            try:
                self._leave()
                return
            except CallInterrupted:  # landed between the body and _leave: retry
                continue

    @contextmanager
    def user_code(self, owner: object) -> Iterator[None]:
        """Run the body as ``owner``'s user code (enter/leave as a context manager)."""
        self.enter(owner)
        try:
            yield
        finally:
            self.leave()

    def _leave(self) -> None:
        with self._lock:
            self.owner = None
            self.was_interrupted = bool(self.interrupted_at)
            self.interrupted_at = 0.0
            if self.pending:
                self.pending = False
                _set_async_exc(self.ident, _NULL)  # withdraw an exception not yet raised

    def interrupt(self, owner: object) -> bool:
        """Raise CallInterrupted in this thread if it still runs ``owner``'s user code.

        True the first time it hits (exactly then, ``was_interrupted`` is True after
        the user code exits), so the caller can pair its accounting with the thread's.
        """
        with self._lock:
            if self.owner is not owner or self.interrupted_at:
                return False
            self.interrupted_at = time.monotonic()
            if not self.pending:
                self.pending = True
                _set_async_exc(self.ident, CallInterrupted)
            return True


_local = threading.local()


def current_slot() -> Slot:
    """The calling thread's slot (made on first use)."""
    slot: Slot | None = getattr(_local, "slot", None)
    if slot is None:
        slot = _local.slot = Slot()
    return slot


def run_interruptible(owner: object, fn: Callable[..., T], *args: Any) -> tuple[Slot, T]:
    """``fn(*args)`` as ``owner``'s interruptible user code; returns the slot too."""
    slot = current_slot()
    with slot.user_code(owner):
        return slot, fn(*args)
