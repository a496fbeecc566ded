"""Receive buffers: where an out-of-band value's bytes land when they arrive.

A value the host sends as a 64 MiB ``Uint8Array`` must become a Python ``bytes`` (its
exact type), and an ``NDArray`` a writable ndarray. Receiving into a ``bytearray`` and
then converting costs a zero-fill of the whole buffer (``bytearray(n)``: ~27 ms for
64 MiB on our CI machine, more than the transfer itself) and, for ``bytes``, one more
copy. On CPython the worker instead allocates the ``bytes`` object itself, without
initializing it (``PyBytes_FromStringAndSize(NULL, n)``, what ``bytes`` code in C does
before filling one), receives straight into its memory, and hands that object to the
decoder: a ``bytes`` value is the object as received, an ndarray a writable view of it
(:attr:`Received.view`) that keeps it alive. Nothing else ever sees the object before it is
filled, and its hash is computed only later, from the final contents.

Elsewhere (or if ctypes is unavailable) buffers are ``bytearray``; ``bytes`` values are
then copied once.
"""

from __future__ import annotations

import platform
from typing import Any

_alloc: Any = None
_OFFSET = bytes.__basicsize__ - 1  # where a bytes object's data starts (ob_sval)
_ctypes: Any = None

if platform.python_implementation() == "CPython":
    try:
        import ctypes as _ctypes

        _alloc = _ctypes.pythonapi.PyBytes_FromStringAndSize
        _alloc.restype = _ctypes.py_object
        _alloc.argtypes = (_ctypes.c_void_p, _ctypes.c_ssize_t)
    except (ImportError, AttributeError):  # pragma: no cover - a CPython without ctypes
        _alloc = None


class Received:
    """One received out-of-band buffer: ``data`` (a ``bytes``, or a ``bytearray`` where
    uninitialized bytes cannot be made) and ``view``, a writable view of the same memory
    that keeps it alive (what the transport fills, and what an ndarray wraps)."""

    __slots__ = ("data", "view")

    def __init__(self, n: int) -> None:
        if _alloc is not None and n > 0:
            data: bytes | bytearray = _alloc(None, n)
            # A ctypes array over the object's data. Its type is sized to the next power
            # of two (ctypes keeps every array type it makes: at most ~64 of these ever
            # exist) and the view is cut to n; the array holds the bytes object, so no
            # view outlives it.
            capacity = 1 << (n - 1).bit_length()
            array = (_ctypes.c_char * capacity).from_address(id(data) + _OFFSET)
            array._bridge_owner = data
            self.view = memoryview(array).cast("B")[:n]
        else:
            data = bytearray(n)
            self.view = memoryview(data)
        self.data = data

    def __len__(self) -> int:
        return self.view.nbytes

    def as_bytes(self) -> bytes:
        """The buffer as a ``bytes`` value: itself when it is one, else a copy."""
        data = self.data
        return data if type(data) is bytes else bytes(data)
