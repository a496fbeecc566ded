"""Executing one ``Invoke``: resolve the target, decode arguments, call, get or set.

Everything here runs in a worker thread, never on the event loop: imports and
user code may block for as long as they like.
"""

from __future__ import annotations

from typing import Any

from bridge_worker._gen.bridge.v1 import worker_pb2 as pb
from bridge_worker.codec import Codec, Peer
from bridge_worker.faults import InvalidArgumentError
from bridge_worker.registry import Registry
from bridge_worker.resolve import Resolver, walk

_CALL = pb.INVOKE_OP_CALL
_GET = pb.INVOKE_OP_GET
_SET = pb.INVOKE_OP_SET
_ITERATE = pb.INVOKE_OP_ITERATE
_MSGPACK = pb.ENCODING_MSGPACK
_UNSPECIFIED = pb.ENCODING_UNSPECIFIED
_STR_ONLY = frozenset({str})


class Invoker:
    """Runs Invoke messages against modules and remote objects."""

    def __init__(self, registry: Registry, codec: Codec, resolver: Resolver) -> None:
        self.registry = registry
        self.codec = codec
        self.resolver = resolver

    def run(self, invoke: pb.Invoke, buffers: list[Any], peer: Peer) -> Any:
        """Execute ``invoke`` and return its value (possibly an awaitable, for the caller to await).

        ``buffers`` are the out-of-band buffers of its args payload; ``peer`` is the
        connection the call came on. ITERATE returns the object to iterate.
        Raises a BridgeFault for a bad request, or whatever the user code raised.
        """
        op = invoke.op
        if op == _CALL:
            fn = self._target(invoke)
            payload = invoke.args
            if not payload.data:
                return fn()
            value = self._decode(payload, buffers, peer)
            # Fast path for the usual well-formed [list, {str: ...}].
            if type(value) is list and len(value) == 2:
                args, kwargs = value
                if type(args) is list and type(kwargs) is dict:
                    if not kwargs:
                        return fn(*args)
                    if set(map(type, kwargs)) == _STR_ONLY:
                        return fn(*args, **kwargs)
            args, kwargs = _call_args(value)
            return fn(*args, **kwargs)
        if op in (_GET, _ITERATE):
            return self._target(invoke)
        if op == _SET:
            owner, attr = self._owner(invoke)
            setattr(owner, attr, self._set_value(invoke.args, buffers, peer))
            return None
        raise InvalidArgumentError(f"unknown invoke op {op}: expected CALL, GET, SET or ITERATE")

    # -- targets --------------------------------------------------------------

    def _target(self, invoke: pb.Invoke) -> Any:
        if not invoke.ref:
            return self.resolver.resolve(invoke.target)
        obj = self.registry.get(invoke.ref)
        target = invoke.target
        if not target:
            return obj
        return walk(obj, _path(target), target, f"remote object {invoke.ref}")

    def _owner(self, invoke: pb.Invoke) -> tuple[Any, str]:
        target = invoke.target
        if not invoke.ref:
            return self.resolver.resolve_parent(target)
        if not target:
            raise InvalidArgumentError("SET on a remote object needs an attribute name as target")
        obj = self.registry.get(invoke.ref)
        path = _path(target)
        return walk(obj, path[:-1], target, f"remote object {invoke.ref}"), path[-1]

    # -- arguments ------------------------------------------------------------

    def _decode(self, payload: pb.Payload, buffers: list[Any], peer: Peer) -> Any:
        encoding = payload.encoding
        if encoding != _MSGPACK and encoding != _UNSPECIFIED:
            raise InvalidArgumentError(f"unsupported payload encoding {encoding}")
        return self.codec.decode(payload.data, buffers, peer)

    def _set_value(self, payload: pb.Payload, buffers: list[Any], peer: Peer) -> Any:
        value = self._decode(payload, buffers, peer) if payload.data else None
        if type(value) is not list or len(value) != 1:
            raise InvalidArgumentError("SET args must be a msgpack array [value]")
        return value[0]


def _path(target: str) -> tuple[str, ...]:
    path = tuple(target.split("."))
    if any(not part for part in path):
        raise InvalidArgumentError(f"malformed attribute path {target!r}")
    return path


def _call_args(value: Any) -> tuple[list[Any] | tuple[Any, ...], dict[str, Any]]:
    """Validate a decoded CALL payload ``[args, kwargs]`` (``kwargs`` may be absent or nil)."""
    if type(value) is not list or not 1 <= len(value) <= 2:
        raise InvalidArgumentError("CALL args must be a msgpack array [args, kwargs]")
    args = value[0]
    if type(args) is not list and type(args) is not tuple:
        raise InvalidArgumentError("CALL args[0] (positional arguments) must be an array")
    kwargs = value[1] if len(value) == 2 else {}
    if kwargs is None:
        kwargs = {}
    if type(kwargs) is not dict or (kwargs and set(map(type, kwargs)) != _STR_ONLY):
        raise InvalidArgumentError("CALL args[1] (keyword arguments) must be a map with str keys")
    return args, kwargs
