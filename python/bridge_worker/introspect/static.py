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
        """Where ``obj`` is defined; a class is named as at run time, as its objects' refs
        are (``httpx._urls.URL`` is ``httpx.URL``, httpx sets ``__module__``; the stubs'
        ``_decimal.Decimal`` is ``decimal.Decimal``)."""
        path = obj.path
        if not isinstance(obj, griffe.Class):
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


def _is_protocol(cls: Any) -> bool:
    for base in cls.bases:
        expr = base.left if isinstance(base, griffe.ExprSubscript) else base
        try:
            path = expr.canonical_path if isinstance(expr, griffe.Expr) else str(expr)
        except Exception:
            path = str(expr)
        if tx.normalize_path(path) in ("typing.Protocol", "Protocol"):
            return True
    return False


def _class_typevars(conv: Any, cls: Any) -> list[str]:
    """The names of a generic class's type parameters (``Protocol[_T_co]``, ``Generic[T]``)."""
    for base in cls.bases:
        if isinstance(base, griffe.ExprSubscript):
            piece = base.slice
            items = list(piece.elements) if isinstance(piece, griffe.ExprTuple) else [piece]
            names = []
            for item in items:
                converted = conv.convert(item)
                if converted.get("kind") == "typevar":
                    names.append(converted["name"])
            if names:
                return names
    return []


def _typevar_order(expr: TypeExpr) -> list[str]:
    """TypeVar names in order of first appearance (a generic alias's parameters)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("kind") == "typevar" and node["name"] not in out:
                out.append(node["name"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(expr)
    return out


def _substitute(expr: TypeExpr, names: list[str], args: list[TypeExpr]) -> TypeExpr:
    """``expr`` with the TypeVars ``names`` replaced by ``args`` (by position)."""
    table = dict(zip(names, args, strict=False))
    if not table:
        return expr

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if node.get("kind") == "typevar" and node["name"] in table:
                return table[node["name"]]
            out = {k: walk(v) for k, v in node.items()}
            if out.get("kind") == "union":
                return tx.union(out["items"])
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(expr)


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
            return self._subscript(path, args, str(raw))
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
        return runtime_name(path) or path

    def _named(self, expr: Any) -> TypeExpr:
        path = self._path(expr)
        if path is None:
            return self._from_runtime_name(expr)
        normalized = tx.normalize_path(path)
        if normalized == "typing.Self" and self.pkg is not None:
            owner = _enclosing_class(expr)  # `-> Self`: the class it is written in
            if owner is not None:
                return {**self.build(self.pkg.canonical(owner), None, str(expr)), "self": True}
        if normalized != path or self.pkg is None:
            return self.build(path, None, str(expr))
        obj = self.pkg.get(path)
        if isinstance(obj, griffe.Attribute):
            return self._attribute(path, obj, expr)
        type_alias = getattr(griffe, "TypeAlias", None)
        if type_alias is not None and isinstance(obj, type_alias):
            return self._expand(path, obj, obj.value)
        if isinstance(obj, griffe.Class) and _is_protocol(obj):
            return self._protocol(path, obj, [])
        return self.build(path, None, str(expr))

    def _subscript(self, path: str, args: list[Any], text: str) -> TypeExpr:
        """``X[args]``: a generic alias or protocol is expanded with its type parameters
        replaced by ``args``; anything else is built as a generic."""
        normalized = tx.normalize_path(path)
        if normalized == path and self.pkg is not None:
            obj = self.pkg.get(path)
            if (
                isinstance(obj, griffe.Attribute)
                and obj.value is not None
                and (
                    str(obj.annotation or "").endswith("TypeAlias")
                    or isinstance(obj.value, (griffe.ExprSubscript, griffe.ExprBinOp))
                )
            ):
                converted = [self.convert(a) for a in args]
                expanded = self._expand(path, obj, obj.value)
                return _substitute(expanded, _typevar_order(expanded), converted)
            if isinstance(obj, griffe.Class) and _is_protocol(obj):
                return self._protocol(path, obj, [self.convert(a) for a in args])
        return self.build(path, args, text)

    def _protocol(self, path: str, cls: Any, args: list[TypeExpr]) -> TypeExpr:
        """A protocol as the values that satisfy it when they cross the bridge: a
        sequence-, iterable-, callable-, path- or number-like protocol becomes that;
        ``__array__`` an ndarray; any other is ``Any`` (never a class it is not)."""
        if path in self._expanding:
            return tx.any_()
        self._expanding.add(path)
        module, self.module = self.module, cls.module.path
        try:
            try:
                members = {n: final(m) for n, m in cls.all_members.items()}
            except Exception:
                members = {n: final(m) for n, m in cls.members.items()}
            params = _class_typevars(self, cls)

            def returns(name: str) -> TypeExpr:
                fn = members.get(name)
                if isinstance(fn, griffe.Function) and fn.returns is not None:
                    return _substitute(self.convert(fn.returns), params, args)
                if isinstance(fn, griffe.Function) and fn.overloads:
                    found = [o.returns for o in fn.overloads if o.returns is not None]
                    if found:
                        return _substitute(tx.union([self.convert(r) for r in found]), params, args)
                return tx.any_()

            public = {n for n in members if not n.startswith("_")}
            if "__array__" in members:
                return tx.name("numpy.ndarray")
            if "__fspath__" in members:
                return tx.name("builtins.str")
            if "__getitem__" in members and "__len__" in members:
                return tx.generic("collections.abc.Sequence", [returns("__getitem__")])
            if "__iter__" in members and not public:
                item = returns("__iter__")
                inner = (
                    item["args"][0]
                    if item.get("kind") == "generic" and item.get("args")
                    else tx.any_()
                )
                return tx.generic("collections.abc.Iterable", [inner])
            if "__call__" in members and not public:
                call = members["__call__"]
                if isinstance(call, griffe.Function):
                    plist = [
                        p
                        for p in list(call.parameters)[1:]
                        if p.kind.value not in ("variadic positional", "variadic keyword")
                    ]
                    ps = [
                        _substitute(self.convert(p.annotation), params, args)
                        if p.annotation is not None
                        else tx.any_()
                        for p in plist
                    ]
                    return tx.callable_(ps, returns("__call__"))
            for dunder, target in (
                ("__float__", "builtins.float"),
                ("__int__", "builtins.int"),
                ("__index__", "builtins.int"),
                # math.ceil/floor/trunc accept what has __ceil__ (...): numbers, here
                ("__ceil__", "builtins.float"),
                ("__floor__", "builtins.float"),
                ("__trunc__", "builtins.float"),
            ):
                if dunder in members and not public:
                    return tx.name(target)
            return tx.any_()
        finally:
            self._expanding.discard(path)
            self.module = module

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
