"""Target resolution: ``pkg.mod.qualname`` or ``pkg.mod:qualname`` to a Python object.

The import half (which module, which attribute path) is cached per target string; the
attribute walk runs on every call, so re-assigned module attributes are seen.
"""

from __future__ import annotations

import importlib
import operator
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from bridge_worker.faults import InvalidArgumentError, NotFoundError


def _import(name: str) -> ModuleType | None:
    """Import ``name``; None if that module does not exist. Errors raised by its code propagate."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        # Only "this very module is missing" means "not a module"; a module that
        # exists but imports something missing is a real error and propagates.
        if exc.name == name:
            return None
        raise


def walk(obj: Any, path: tuple[str, ...], target: str, base: str) -> Any:
    """``getattr`` along ``path``; NotFoundError naming ``target`` if an attribute is missing.

    ``base`` names ``obj`` in messages, e.g. ``json`` or ``remote object r3``.
    """
    for i, attr in enumerate(path):
        try:
            obj = getattr(obj, attr)
        except AttributeError:
            where = ".".join((base, *path[:i]))
            raise NotFoundError(
                f"cannot resolve {target!r}: {where!r} has no attribute {attr!r}"
            ) from None
    return obj


class Resolver:
    """Resolves module targets, caching (module, attribute path) per target string."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[ModuleType, tuple[str, ...]]] = {}
        # target -> (module, C-level getter for the attribute path); the hot path.
        self._getters: dict[str, tuple[ModuleType, Callable[[Any], Any] | None]] = {}

    def split(self, target: str) -> tuple[ModuleType, tuple[str, ...]]:
        """The module a target lives in and the attribute path inside it (imports as needed)."""
        hit = self._cache.get(target)
        if hit is None:
            # No lock: imports have their own per-module locks, and two threads that
            # race here compute the same answer.
            hit = self._cache[target] = self._split(target)
        return hit

    def resolve(self, target: str) -> Any:
        """The object ``target`` names."""
        hit = self._getters.get(target)
        if hit is None:
            module, path = self.split(target)
            getter = operator.attrgetter(".".join(path)) if path else None
            hit = self._getters[target] = (module, getter)
        module, getter = hit
        if getter is None:
            return module
        try:
            return getter(module)
        except AttributeError:
            # Walk again for a message naming the missing attribute.
            return walk(module, self._cache[target][1], target, module.__name__)

    def resolve_parent(self, target: str) -> tuple[Any, str]:
        """The object holding the last attribute of ``target``, and that attribute's name."""
        module, path = self.split(target)
        if not path:
            raise InvalidArgumentError(
                f"cannot assign to {target!r}: it is a module, not an attribute"
            )
        return walk(module, path[:-1], target, module.__name__), path[-1]

    def _split(self, target: str) -> tuple[ModuleType, tuple[str, ...]]:
        if not target:
            raise InvalidArgumentError("empty target: name a module attribute like 'json.dumps'")
        if ":" in target:
            module_name, _, qualname = target.partition(":")
            if not module_name or ":" in qualname:
                raise InvalidArgumentError(
                    f"malformed target {target!r}: expected 'pkg.mod:qualname'"
                )
            module = _import(module_name)
            if module is None:
                raise NotFoundError(f"cannot resolve {target!r}: no module named {module_name!r}")
            path = tuple(qualname.split(".")) if qualname else ()
            if any(not part for part in path):
                raise InvalidArgumentError(f"malformed target {target!r}: empty attribute name")
            return module, path

        parts = target.split(".")
        if any(not part for part in parts):
            raise InvalidArgumentError(f"malformed target {target!r}: empty name between dots")
        module = _import(parts[0])
        if module is None:
            raise NotFoundError(f"cannot resolve {target!r}: no module named {parts[0]!r}")
        # Longest importable prefix: only a package can have submodules, so descend
        # while the current module is a package and the next name imports.
        i = 1
        # (A module may also plant plain submodules in sys.modules, like os.path.)
        while i < len(parts) and (
            hasattr(module, "__path__") or ".".join(parts[: i + 1]) in sys.modules
        ):
            sub = _import(".".join(parts[: i + 1]))
            if sub is None:
                break
            module = sub
            i += 1
        return module, tuple(parts[i:])
