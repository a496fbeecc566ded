"""What one Describe carries around: the filter, the griffe view, the warnings."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import Any

from bridge_worker.introspect import typeexpr as tx
from bridge_worker.introspect.static import ExprTypes, StaticPackage
from bridge_worker.introspect.typeexpr import TypeExpr


class Filter:
    """include/exclude over dotted paths relative to the described module.

    A path is kept when no prefix of it is excluded and either include is empty, a
    prefix of it is included, or an include entry lies below it (``utils.DummyLM``
    keeps ``utils``; ``Predict.forward`` keeps ``Predict`` with only ``forward``).
    """

    def __init__(self, include: list[str], exclude: list[str]) -> None:
        self.include = {p.strip(".") for p in include if p.strip(".")}
        self.exclude = {p.strip(".") for p in exclude if p.strip(".")}

    @staticmethod
    def _prefixes(path: str) -> list[str]:
        parts = path.split(".")
        return [".".join(parts[: i + 1]) for i in range(len(parts))]

    def excluded(self, path: str) -> bool:
        return any(p in self.exclude for p in self._prefixes(path))

    def included(self, path: str) -> bool:
        """Whether everything at and below ``path`` is wanted (unless excluded)."""
        return not self.include or any(p in self.include for p in self._prefixes(path))

    def below(self, path: str) -> list[str]:
        """Include entries strictly below ``path``, relative to it."""
        prefix = path + "." if path else ""
        return sorted(p[len(prefix) :] for p in self.include if p.startswith(prefix) and p != path)

    def keeps(self, path: str) -> bool:
        if self.excluded(path):
            return False
        return self.included(path) or bool(self.below(path))

    def named(self, path: str) -> bool:
        """Whether an include entry names ``path`` or something below it."""
        return bool(self.include) and (path in self.include or bool(self.below(path)))


@dataclass
class Context:
    """State of one Describe."""

    root: str
    static: StaticPackage | None
    flt: Filter
    warnings: list[dict[str, str]] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set)

    @property
    def top(self) -> str:
        return self.root.split(".")[0]

    @property
    def stubs(self) -> bool:
        """Whether typeshed's stdlib stubs are merged into the griffe view."""
        return self.static is not None and self.static.stubs is not None

    def warn(self, path: str, code: str, message: str) -> None:
        if (path, message) not in self._seen:
            self._seen.add((path, message))
            self.warnings.append({"path": path, "code": code, "message": message})

    def _report(self, texts: list[str], where: str) -> None:
        for text in texts:
            self.warn(where, "unresolved_annotation", f"cannot resolve annotation {text!r}")

    def static_type(self, raw: Any, module: str | None, where: str) -> TypeExpr | None:
        """A griffe annotation as a TypeExpr (None when there is none)."""
        if raw is None:
            return None
        conv = ExprTypes(self.static, module)
        result = conv.convert(raw)
        self._report(conv.drain(), where)
        return result

    def runtime_type(self, raw: Any, globalns: dict[str, Any], where: str) -> TypeExpr | None:
        """A runtime annotation as a TypeExpr (None when there is none)."""
        if raw is inspect.Parameter.empty or raw is inspect.Signature.empty:
            return None
        conv = tx.RuntimeTypes(globalns)
        result = conv.convert(raw)
        self._report(conv.drain(), where)
        return result

    def doc_type(self, raw: Any, module: str | None) -> TypeExpr | None:
        """A type written in a docstring, kept only if it resolves completely."""
        if raw is None:
            return None
        try:
            if isinstance(raw, str):
                result = tx.RuntimeTypes(tx.module_globals(module)).from_text(raw, strict=True)
            else:
                result = ExprTypes(self.static, module).convert(raw)
        except Exception:
            return None
        return None if tx.has_unknown(result) else result
