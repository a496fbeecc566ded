"""Static analysis with griffe: load a package (stubs merged), find objects, and turn
griffe expressions into TypeExprs.

griffe is not thread-safe, so everything here runs under :data:`LOCK` (Describe is
rare; it already runs on a worker thread, never on the event loop). Loaded packages
are kept in a small cache: a worker's installed libraries do not change while it runs.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import sys
import threading
from collections import OrderedDict
from typing import Any

import griffe

from bridge_worker.introspect import stubs
from bridge_worker.introspect import typeexpr as tx
from bridge_worker.introspect.stubs import StdlibStubs
from bridge_worker.introspect.typeexpr import TypeExpr

LOCK = threading.RLock()
_CACHE: OrderedDict[str, StaticPackage] = OrderedDict()
_CACHE_SIZE = 4
_MISSING = object()


class StaticPackage:
    """One top-level package as griffe sees it.

    For a standard-library package, typeshed's stubs are merged in (``stubs.py``):
    into the source tree griffe read, or instead of the tree of a compiled module,
    which griffe could only inspect. :attr:`stubs` is then the stub loader (also used
    to resolve names the stubs take from other modules, such as ``_typeshed``).
    """

    def __init__(self, top: str) -> None:
        self.top = top
        self.stubs: StdlibStubs | None = None
        self.loader = griffe.GriffeLoader(allow_inspection=True, store_source=True)
        self._collection: Any = self.loader.modules_collection
        stub_root = None
        if stubs.applies(top):
            try:
                self.stubs = StdlibStubs(top)
                stub_root = self.stubs.package()
            except Exception:
                stub_root = None
            if stub_root is None:
                self.stubs = None
        with griffe.logger.disable():
            try:
                self.root = self.loader.load(top, find_stubs_package=True)
                self.loader.resolve_aliases(implicit=False, external=None)
            except Exception:
                if stub_root is None:
                    raise
                self.root = None
        if self.stubs is not None and stub_root is not None:
            if isinstance(self.root, griffe.Module) and is_static(self.root):
                with contextlib.suppress(Exception):  # what was merged so far stays
                    stubs.merge(self.root, self.stubs, stub_root)
            else:  # compiled: the stubs are all griffe can read
                self.root = stub_root
                self._collection = None
        self._paths: dict[str, Any] = {}

    def get(self, path: str) -> Any:
        """The object at ``path`` with aliases followed, or None. With stubs, an object
        the source tree lacks (or only inspected) is looked up in the stubs, also
        outside the package (``_typeshed.StrPath``)."""
        found = self._paths.get(path, _MISSING)
        if found is _MISSING:
            found = None
            inside = path == self.top or path.startswith(self.top + ".")
            if inside and self._collection is not None:
                try:
                    found = final(self._collection[path])
                except Exception:  # KeyError, alias resolution errors, ...
                    found = None
            # Outside the package, a name that is a class at run time needs no stubs
            # (it is named as at run time); aliases and TypeVars (`_typeshed.StrPath`)
            # are only in the stubs.
            if (
                self.stubs is not None
                and (found is None or not is_static(found))
                and (inside or runtime_class(path) is None)
            ):
                stub = self.stubs.get(path)
                found = stub if stub is not None else found
            self._paths[path] = found
        return found

    def canonical(self, obj: Any) -> str:
        """Where ``obj`` is defined. With stubs, a class is named as at run time when its
        module is imported (``_decimal.Decimal`` is ``decimal.Decimal``)."""
        path = obj.path
        if self.stubs is None or not isinstance(obj, griffe.Class):
            return path
        return runtime_name(path) or path


def runtime_class(path: str) -> type | None:
    """The class at ``path`` in an already imported module (nothing is imported)."""
    parts = path.split(".")
    for i in range(len(parts) - 1, 0, -1):
        value: Any = sys.modules.get(".".join(parts[:i]))
        if value is None:
            continue
        try:
            for part in parts[i:]:
                value = getattr(value, part, None)
        except Exception:  # a module __getattr__ that raises something else
            return None
        return value if isinstance(value, type) else None
    return None


def runtime_name(path: str) -> str | None:
    """Where the class at ``path`` says it is defined (``decimal.Decimal`` for the stubs'
    ``_decimal.Decimal``), or None when ``path`` is not a class at run time."""
    cls = runtime_class(path)
    name = tx.runtime_path(cls) if cls is not None else None
    return name if name and "<" not in name else None


def load(top: str) -> StaticPackage:
    """The (cached) griffe view of package ``top``; raises what griffe raises."""
    with LOCK:
        pkg = _CACHE.get(top)
        if pkg is None:
            pkg = StaticPackage(top)
            _CACHE[top] = pkg
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        _CACHE.move_to_end(top)
        return pkg


def final(obj: Any) -> Any:
    """Follow an alias to what it names; None if it cannot be resolved."""
    if obj is None or not obj.is_alias:
        return obj
    try:
        return obj.final_target
    except Exception:
        return None


def is_static(obj: Any) -> bool:
    """Whether griffe read this object from source or stubs (not by importing it)."""
    return obj is not None and getattr(obj, "analysis", "static") != "dynamic"


def module_of(expr: Any) -> str | None:
    """The module an expression was written in."""
    scope = expr
    while isinstance(scope, griffe.Expr):
        if isinstance(scope, griffe.ExprAttribute):
            scope = scope.first
        elif isinstance(scope, griffe.ExprName):
            scope = scope.parent
        else:
            return None
    if isinstance(scope, griffe.Object):
        try:
            return scope.module.path
        except Exception:
            return None
    return None


def _enclosing_class(expr: Any) -> Any:
    """The class whose body an annotation was written in, or None."""
    scope = getattr(expr, "parent", None)
    while scope is not None and not isinstance(scope, griffe.Class):
        if isinstance(scope, griffe.Module):
            return None
        scope = getattr(scope, "parent", None)
    return scope


def literal_default(text: str) -> tuple[bool, Any]:
    """A default value's source text as a JSON value, if it is a simple literal."""
    try:
        value = ast.literal_eval(text)
    except Exception:
        return False, None
    return json_value(value)


def json_value(value: Any, depth: int = 0) -> tuple[bool, Any]:
    """``value`` as JSON (tuples become lists), if it is small and plain."""
    if depth > 4:
        return False, None
    if value is None or type(value) in (str, bool, int):
        return True, value
    if type(value) is float:
        return (value == value and value not in (float("inf"), float("-inf"))), value
    if type(value) in (list, tuple):
        if len(value) > 50:
            return False, None
        items = [json_value(v, depth + 1) for v in value]
        return all(ok for ok, _ in items), [v for _, v in items]
    if type(value) is dict:
        if len(value) > 50 or not all(type(k) is str for k in value):
            return False, None
        entries = {k: json_value(v, depth + 1) for k, v in value.items()}
        return all(ok for ok, _ in entries.values()), {k: v for k, (_, v) in entries.items()}
    return False, None


class ExprTypes(tx.Builder):
    """TypeExprs from griffe expressions (annotations, docstring types)."""

    def __init__(self, pkg: StaticPackage | None, module: str | None) -> None:
        super().__init__()
        self.pkg = pkg
        self.module = module
        self._expanding: set[str] = set()
        self._depth = 0

    def convert(self, raw: Any) -> TypeExpr:
        self._depth += 1
        try:
            if self._depth > 30 or not self.spend():
                return self.fail(str(raw))
            return self._convert(raw)
        finally:
            self._depth -= 1

    def _convert(self, raw: Any) -> TypeExpr:
        if isinstance(raw, str):
            return self._from_str(raw)
        if isinstance(raw, (griffe.ExprName, griffe.ExprAttribute)):
            return self._named(raw)
        if isinstance(raw, griffe.ExprSubscript):
            left = raw.left
            path = left if isinstance(left, str) else self._path(left)
            if path is None:
                return self.fail(str(raw))
            piece = raw.slice
            args = list(piece.elements) if isinstance(piece, griffe.ExprTuple) else [piece]
            return self.build(path, args, str(raw))
        if isinstance(raw, griffe.ExprBinOp) and raw.operator == "|":
            return tx.union([self.convert(raw.left), self.convert(raw.right)])
        if isinstance(raw, griffe.ExprConstant):
            return self._from_str(raw.value)
        return self.fail(str(raw))

    def _from_str(self, text: str) -> TypeExpr:
        text = text.strip()
        if text == "None":
            return tx.none()
        if text[:1] in ("'", '"'):  # a forward reference griffe left as a string
            try:
                inner = ast.literal_eval(text)
            except Exception:
                return self.fail(text)
            parsed = self._parse_in_scope(str(inner))
            if parsed is not None:
                return self.convert(parsed)
            conv = tx.RuntimeTypes(tx.module_globals(self.module))
            result = conv.from_text(str(inner))
            self.unresolved.extend(conv.drain())
            return result
        return self.fail(text)

    def _parse_in_scope(self, text: str) -> Any:
        """``text`` as a griffe expression whose names resolve in the module's scope
        (imports under ``if TYPE_CHECKING`` included), or None."""
        scope = self.pkg.get(self.module) if self.pkg is not None and self.module else None
        if not isinstance(scope, griffe.Module):
            return None
        try:
            node = ast.parse(text.strip(), mode="eval").body
            with griffe.logger.disable():
                expr = griffe.safe_get_expression(node, scope, parse_strings=True)
        except Exception:
            return None
        return None if isinstance(expr, str) and expr.strip() == text.strip() else expr

    def _path(self, expr: Any) -> str | None:
        """Qualified name of a name/attribute expression, aliases followed."""
        try:
            path = expr.canonical_path
        except Exception:
            path = str(expr)
        if "." not in path:
            if path == "None" or hasattr(builtins, path):
                return path
            return None
        if self.pkg is not None:
            obj = self.pkg.get(path)
            if obj is not None:
                return self.pkg.canonical(obj)
            if self.pkg.stubs is not None:
                return runtime_name(path) or path
        return path

    def _named(self, expr: Any) -> TypeExpr:
        path = self._path(expr)
        if path is None:
            return self._from_runtime_name(expr)
        normalized = tx.normalize_path(path)
        if normalized == "typing.Self" and self.pkg is not None and self.pkg.stubs is not None:
            owner = _enclosing_class(expr)  # typeshed's `-> Self`: the class itself
            if owner is not None:
                return self.build(self.pkg.canonical(owner), None, str(expr))
        if normalized != path or self.pkg is None:
            return self.build(path, None, str(expr))
        obj = self.pkg.get(path)
        if isinstance(obj, griffe.Attribute):
            return self._attribute(path, obj, expr)
        type_alias = getattr(griffe, "TypeAlias", None)
        if type_alias is not None and isinstance(obj, type_alias):
            return self._expand(path, obj, obj.value)
        return self.build(path, None, str(expr))

    def _attribute(self, path: str, obj: Any, expr: Any) -> TypeExpr:
        value = obj.value
        if isinstance(value, griffe.ExprCall):
            func = value.function
            called = tx.normalize_path(getattr(func, "canonical_path", str(func)))
            if called in ("typing.TypeVar", "TypeVar"):
                return self._typevar(value, path)
            if called in ("typing.NewType", "NewType") and len(value.arguments) > 1:
                return self.convert(value.arguments[1])
        annotation = str(obj.annotation or "")
        if annotation.endswith("TypeAlias") or isinstance(
            value, (griffe.ExprSubscript, griffe.ExprBinOp)
        ):
            return self._expand(path, obj, value)
        return self.build(path, None, str(expr))

    def _expand(self, path: str, obj: Any, value: Any) -> TypeExpr:
        """A type alias: its value (read in the alias's module), unless that recurses."""
        if path in self._expanding or value is None:
            return tx.name(path)
        self._expanding.add(path)
        module, self.module = self.module, obj.module.path
        try:
            return self.convert(value)
        finally:
            self._expanding.discard(path)
            self.module = module

    def _typevar(self, call: Any, path: str) -> TypeExpr:
        name = path.rsplit(".", 1)[-1]
        bound = None
        constraints = []
        for i, arg in enumerate(call.arguments):
            if isinstance(arg, griffe.ExprKeyword):
                if arg.name == "bound":
                    bound = self.convert(arg.value)
            elif i == 0:
                ok, value = literal_default(str(arg))
                name = value if ok and isinstance(value, str) else name
            else:
                constraints.append(self.convert(arg))
        return tx.typevar(name, bound, constraints)

    def _from_runtime_name(self, expr: Any) -> TypeExpr:
        """A bare name griffe could not resolve: look in the module's runtime globals."""
        module_name = module_of(expr) or self.module
        module = sys.modules.get(module_name or "")
        text = str(expr)
        value = getattr(module, text, _MISSING) if module is not None else _MISSING
        if value is _MISSING:
            return self.fail(text)
        conv = tx.RuntimeTypes(tx.module_globals(module_name))
        result = conv.convert(value)
        self.unresolved.extend(conv.drain())
        return result

    def literal_value(self, raw: Any) -> tuple[bool, Any]:
        text = raw.value if isinstance(raw, griffe.ExprConstant) else str(raw)
        try:
            value = ast.literal_eval(text)
        except Exception:
            return False, None
        return tx.is_json_literal(value), value

    def is_ellipsis(self, raw: Any) -> bool:
        return str(raw) == "..."

    def as_list(self, raw: Any) -> list[Any] | None:
        if isinstance(raw, griffe.ExprList):
            return list(raw.elements)
        return None
