"""Python exceptions and Bridge faults as ``Error`` protos."""

from __future__ import annotations

import os
import traceback
from types import TracebackType

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.faults import BridgeFault

#: How many exceptions of a cause chain travel, the raised one included.
MAX_CHAIN = 8

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def qualified_type(exc: BaseException) -> str:
    """``module.QualName`` of the exception's class, e.g. ``builtins.ValueError``."""
    cls = type(exc)
    return f"{cls.__module__}.{cls.__qualname__}"


def _message(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:
        return f"<unprintable {type(exc).__qualname__}>"


def _user_frames(tb: TracebackType | None) -> TracebackType | None:
    """Skip the worker's own frames at the top of a traceback (noise to the user).

    An exception raised by a C function called straight from the worker keeps no
    frame at all and formats as just its ``Type: message`` line.
    """
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        tb = tb.tb_next
    return tb


def _format(exc: BaseException) -> str:
    try:
        lines = traceback.format_exception(
            type(exc), exc, _user_frames(exc.__traceback__), chain=False
        )
        return "".join(lines)
    except Exception:
        return f"{qualified_type(exc)}: {_message(exc)}\n"


def _cause(exc: BaseException) -> BaseException | None:
    if exc.__cause__ is not None:
        return exc.__cause__
    if exc.__context__ is not None and not exc.__suppress_context__:
        return exc.__context__
    return None


def python_exception(exc: BaseException) -> pb.PythonException:
    """The exception, its traceback and up to MAX_CHAIN - 1 causes as a PythonException."""
    root = pb.PythonException()
    node = root
    current: BaseException | None = exc
    for depth in range(MAX_CHAIN):
        node.type = qualified_type(current)
        node.message = _message(current)
        node.traceback = _format(current)
        current = _cause(current)
        if current is None or depth == MAX_CHAIN - 1:
            break
        node = node.cause
    return root


def short_type(exc: BaseException) -> str:
    """``ValueError`` for builtins, ``json.decoder.JSONDecodeError`` otherwise."""
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else qualified_type(exc)


def error_from_exception(exc: BaseException) -> pb.Error:
    """An Error for anything raised while serving a call."""
    if isinstance(exc, BridgeFault):
        return pb.Error(code=exc.code, message=str(exc))
    message = _message(exc)
    return pb.Error(
        code=pb.ERROR_CODE_PYTHON_EXCEPTION,
        message=f"{short_type(exc)}: {message}" if message else short_type(exc),
        exception=python_exception(exc),
    )


def error(code: int, message: str) -> pb.Error:
    """An Error without a Python exception."""
    return pb.Error(code=code, message=message)
