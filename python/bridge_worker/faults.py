"""Failures the worker reports with a Bridge error code instead of a Python exception."""

from __future__ import annotations

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb


class BridgeFault(Exception):
    """A failure that maps to one ``ErrorCode``; ``str(fault)`` is the user-facing message."""

    code: int = pb.ERROR_CODE_INTERNAL


class NotFoundError(BridgeFault):
    """A module, attribute or remote ref that does not exist."""

    code = pb.ERROR_CODE_NOT_FOUND


class InvalidArgumentError(BridgeFault):
    """A request the worker cannot decode or does not understand."""

    code = pb.ERROR_CODE_INVALID_ARGUMENT


class UnavailableError(BridgeFault):
    """The worker is shutting down and takes no new calls."""

    code = pb.ERROR_CODE_UNAVAILABLE


class ResourceExhaustedError(BridgeFault):
    """A limit was reached: a value too large for the host, too many objects in a session."""

    code = pb.ERROR_CODE_RESOURCE_EXHAUSTED
