"""Describe: a module's public API as descriptor JSON (schema version 0, minimal).

Document shape::

    {"schema_version": 0, "module": "json",
     "modules": [{"name": "json", "doc": "...", "members": [
         {"name": "dumps", "kind": "function", "signature": "(obj, *, ...)", "doc": "..."},
         {"name": "JSONDecoder", "kind": "class", ...},
         {"name": "decoder", "kind": "module", "module": "json.decoder"},
         {"name": "VERSION", "kind": "value", "type": "builtins.str"}]}]}

``modules`` lists the requested module first, then submodules down to ``depth``
(breadth first). Public names are ``__all__`` or else ``dir()`` without leading
underscores. ``include``/``exclude`` hold dotted paths relative to the requested
module (``dumps``, ``decoder.JSONDecoder``); naming a submodule covers everything in
it. One member that cannot be described never fails the module: it becomes a
warning. Runs in a worker thread (importing runs arbitrary code).
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from bridge_worker.faults import InvalidArgumentError, NotFoundError
from bridge_worker.registry import type_name

SCHEMA_VERSION = 0


@dataclass
class Description:
    """The descriptor document and the members that could not be described."""

    descriptor: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """Deterministic JSON of the descriptor."""
        return json.dumps(self.descriptor, ensure_ascii=False, separators=(",", ":"))


def _first_line(obj: Any) -> str:
    doc = inspect.getdoc(obj)
    if not doc:
        return ""
    return doc.strip().splitlines()[0].strip()


def _kind(obj: Any) -> str:
    if inspect.ismodule(obj):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return "value"


def _public_names(module: ModuleType) -> list[str]:
    names = getattr(module, "__all__", None)
    if names is None:
        return sorted(name for name in dir(module) if not name.startswith("_"))
    return [str(name) for name in names]


class _Filter:
    """include/exclude over dotted paths relative to the described module."""

    def __init__(self, include: list[str], exclude: list[str]) -> None:
        self.include = set(include)
        self.exclude = set(exclude)

    @staticmethod
    def _prefixes(path: str) -> list[str]:
        parts = path.split(".")
        return [".".join(parts[: i + 1]) for i in range(len(parts))]

    def keeps(self, path: str) -> bool:
        prefixes = self._prefixes(path)
        if any(p in self.exclude for p in prefixes):
            return False
        return not self.include or any(p in self.include for p in prefixes)

    def enters(self, path: str) -> bool:
        """Whether a submodule at ``path`` may hold kept members."""
        if any(p in self.exclude for p in self._prefixes(path)):
            return False
        return (
            not self.include
            or self.keeps(path)
            or any(name.startswith(path + ".") for name in self.include)
        )


def _member(name: str, obj: Any) -> dict[str, Any]:
    kind = _kind(obj)
    entry: dict[str, Any] = {"name": name, "kind": kind}
    if kind == "module":
        entry["module"] = obj.__name__
        return entry
    if kind == "value":
        entry["type"] = type_name(obj)
        return entry
    if kind == "class":
        entry["qualname"] = f"{obj.__module__}.{obj.__qualname__}"
    try:
        entry["signature"] = str(inspect.signature(obj))
    except (TypeError, ValueError):
        entry["signature"] = None  # builtins without __text_signature__, some classes
    entry["doc"] = _first_line(obj)
    return entry


def _describe_module(
    module: ModuleType, root: str, flt: _Filter, warnings: list[str]
) -> dict[str, Any]:
    rel = module.__name__[len(root) + 1 :]
    members = []
    try:
        names = _public_names(module)
    except Exception as exc:
        warnings.append(f"{module.__name__}: cannot list names: {type(exc).__name__}: {exc}")
        names = []
    for name in names:
        path = f"{rel}.{name}" if rel else name
        if not flt.keeps(path):
            continue
        try:
            obj = getattr(module, name)
            members.append(_member(name, obj))
        except Exception as exc:
            warnings.append(f"{module.__name__}.{name}: {type(exc).__name__}: {exc}")
    return {"name": module.__name__, "doc": _first_line(module), "members": members}


def _submodules(
    module: ModuleType, root: str, flt: _Filter, warnings: list[str]
) -> list[ModuleType]:
    found: dict[str, ModuleType] = {}
    prefix = module.__name__ + "."
    for name in dir(module):
        if name.startswith("_"):
            continue
        obj = getattr(module, name, None)
        if inspect.ismodule(obj) and obj.__name__ == prefix + name:
            found[obj.__name__] = obj
    for info in pkgutil.iter_modules(getattr(module, "__path__", None) or []):
        full = prefix + info.name
        if info.name.startswith("_") or full in found:
            continue
        if not flt.enters(full[len(root) + 1 :]):
            continue
        try:
            found[full] = importlib.import_module(full)
        except BaseException as exc:
            warnings.append(f"{full}: import failed: {type(exc).__name__}: {exc}")
    return [found[name] for name in sorted(found) if flt.enters(name[len(root) + 1 :])]


def describe(module_name: str, depth: int, include: list[str], exclude: list[str]) -> Description:
    """Describe ``module_name`` and its submodules down to ``depth``."""
    if not module_name:
        raise InvalidArgumentError("Describe needs a module name")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name or module_name.startswith(f"{exc.name}."):
            raise NotFoundError(f"no module named {module_name!r}") from None
        raise
    flt = _Filter(include, exclude)
    warnings: list[str] = []
    modules = []
    queue = [(module, 0)]
    seen: set[str] = set()
    while queue:
        current, level = queue.pop(0)
        if current.__name__ in seen:
            continue
        seen.add(current.__name__)
        modules.append(_describe_module(current, module_name, flt, warnings))
        if level < depth:
            queue.extend(
                (sub, level + 1) for sub in _submodules(current, module_name, flt, warnings)
            )
    descriptor = {"schema_version": SCHEMA_VERSION, "module": module_name, "modules": modules}
    return Description(descriptor, warnings)
