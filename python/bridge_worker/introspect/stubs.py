"""typeshed's standard-library stubs, merged into Describe's view of stdlib modules.

The standard library has (almost) no inline annotations; typeshed's ``.pyi`` stubs
(bundled as files by the ``typeshed_client`` distribution) have precise ones. For a
top-level package that is part of the standard library (``sys.stdlib_module_names``,
``sys.builtin_module_names``), :class:`StaticPackage <.static.StaticPackage>` loads
the package's stubs with griffe and

- for a package griffe read from source (``json``, ``difflib``): :func:`merge` puts
  the stubs' signatures (parameter names, kinds, annotations; a stub default ``...``
  keeps the source's default), return types and attribute annotations into the source
  tree, which keeps its docstrings, labels and source text;
- for a compiled module (``math``) griffe could only inspect: the stub tree replaces
  it (its objects have no docstrings, so the runtime ``__doc__`` is used).

The stubs are made to match the running interpreter: ``VERSIONS`` says whether
typeshed has the module for this Python at all, and ``if sys.version_info ...`` /
``if sys.platform ...`` branches are pruned from each stub before griffe reads it
(:class:`_Typeshed`). Functions declared only through ``@overload`` are described by
one signature that accepts every call any overload accepts (:func:`combine`).

Everything here runs under ``static.LOCK``.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import operator
import sys
from pathlib import Path
from typing import Any

import griffe

#: Top-level names whose stubs are never loaded to resolve a name elsewhere: their
#: names are normalized by table (``typing.List``), and their stubs are large.
_FOREIGN_SKIPPED = ("builtins", "typing", "typing_extensions", "_collections_abc", "types")
_FOREIGN_SKIPPED_PREFIXES = ("collections.abc.",)
STDLIB = frozenset(getattr(sys, "stdlib_module_names", ())) | frozenset(sys.builtin_module_names)


def applies(top: str) -> bool:
    """Whether ``top`` is a standard-library package and typeshed has stubs for it."""
    return top in STDLIB and typeshed_dir() is not None and available(top)


@functools.lru_cache(maxsize=1)
def typeshed_dir() -> Path | None:
    """typeshed's ``stdlib`` directory as shipped by ``typeshed_client``, or None."""
    try:
        spec = importlib.util.find_spec("typeshed_client")
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec else []:
        path = Path(location) / "typeshed"
        if (path / "VERSIONS").is_file():
            return path
    return None


@functools.lru_cache(maxsize=1)
def _versions() -> dict[str, tuple[tuple[int, int], tuple[int, int] | None]]:
    """typeshed's ``VERSIONS``: module -> (first, last or None) Python version."""
    root = typeshed_dir()
    out: dict[str, tuple[tuple[int, int], tuple[int, int] | None]] = {}
    if root is None:
        return out
    for line in (root / "VERSIONS").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        module, _, span = line.partition(":")
        if not span:
            continue
        first, _, last = span.strip().partition("-")
        try:
            low = tuple(int(p) for p in first.split("."))
            high = tuple(int(p) for p in last.split(".")) if last.strip() else None
        except ValueError:
            continue
        out[module.strip()] = (low, high)  # type: ignore[assignment]
    return out


def available(module: str) -> bool:
    """Whether typeshed has ``module`` for the running Python (longest listed prefix)."""
    versions = _versions()
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        span = versions.get(".".join(parts[:i]))
        if span is not None:
            low, high = span
            now = sys.version_info[:2]
            return low <= now and (high is None or now <= high)
    return False


# -- version and platform branches -----------------------------------------------------

_UNKNOWN = object()
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}


def _sys_value(node: ast.expr) -> Any:
    """``sys.version_info`` (or a subscript of it) or ``sys.platform``, else unknown."""
    if isinstance(node, ast.Subscript):
        base = _sys_value(node.value)
        if base is _UNKNOWN or not isinstance(base, tuple):
            return _UNKNOWN
        try:
            index = ast.literal_eval(node.slice) if not isinstance(node.slice, ast.Slice) else None
            if isinstance(node.slice, ast.Slice):
                bounds = [
                    None if part is None else ast.literal_eval(part)
                    for part in (node.slice.lower, node.slice.upper, node.slice.step)
                ]
                return base[slice(*bounds)]
            return base[index]
        except Exception:
            return _UNKNOWN
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "sys"
    ):
        if node.attr == "version_info":
            return tuple(sys.version_info)
        if node.attr == "platform":
            return sys.platform
    return _UNKNOWN


def evaluate(test: ast.expr) -> bool | None:
    """The value of a ``sys.version_info`` / ``sys.platform`` condition, None if it is
    anything else."""
    if isinstance(test, ast.BoolOp):
        values = [evaluate(v) for v in test.values]
        if isinstance(test.op, ast.And):
            return False if False in values else (None if None in values else True)
        return True if True in values else (None if None in values else False)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        value = evaluate(test.operand)
        return None if value is None else not value
    if isinstance(test, ast.Compare) and len(test.ops) == 1:
        left = _sys_value(test.left)
        compare = _COMPARE.get(type(test.ops[0]))
        if left is _UNKNOWN or compare is None:
            return None
        try:
            return bool(compare(left, ast.literal_eval(test.comparators[0])))
        except Exception:
            return None
    if (
        isinstance(test, ast.Call)
        and isinstance(test.func, ast.Attribute)
        and test.func.attr == "startswith"
        and len(test.args) == 1
        and not test.keywords
    ):
        platform = _sys_value(test.func.value)
        if not isinstance(platform, str):
            return None
        try:
            return platform.startswith(ast.literal_eval(test.args[0]))
        except Exception:
            return None
    return None


def prune(body: list[ast.stmt]) -> list[ast.stmt]:
    """``body`` with every decidable version/platform ``if`` replaced by its branch."""
    out: list[ast.stmt] = []
    for stmt in body:
        if isinstance(stmt, ast.If):
            verdict = evaluate(stmt.test)
            if verdict is not None:
                out.extend(prune(stmt.body if verdict else stmt.orelse))
                continue
            stmt.body = prune(stmt.body) or [ast.copy_location(ast.Pass(), stmt)]
            stmt.orelse = prune(stmt.orelse)
        elif isinstance(stmt, ast.ClassDef):
            stmt.body = prune(stmt.body) or [ast.copy_location(ast.Pass(), stmt)]
        out.append(stmt)
    return out


# -- overloads -------------------------------------------------------------------------

_VARIADIC = (griffe.ParameterKind.var_positional, griffe.ParameterKind.var_keyword)
_POSITIONAL = (griffe.ParameterKind.positional_only, griffe.ParameterKind.positional_or_keyword)


def _union(exprs: list[Any]) -> Any:
    """``a | b | ...`` as a griffe expression (each part keeps its own scope)."""
    result = exprs[0]
    seen = {str(result)}
    for expr in exprs[1:]:
        if str(expr) not in seen:
            seen.add(str(expr))
            result = griffe.ExprBinOp(result, "|", expr)
    return result


def combine(name: str, overloads: list[griffe.Function], parent: Any) -> griffe.Function:
    """One function standing for ``@overload``-only declarations.

    It accepts every call one of the overloads accepts: the parameters of the widest
    overload (most parameters, then most defaults, then the last: typeshed orders
    overloads from specific to general), each annotated with the union of its
    annotations over the overloads that have it (unannotated if one of them leaves it
    unannotated) and optional when an overload gives it a default or leaves it out;
    the return type is the union of the overloads' return types.
    """

    def width(item: tuple[int, griffe.Function]) -> tuple[int, int, int]:
        index, fn = item
        params = list(fn.parameters)
        return len(params), sum(p.default is not None for p in params), index

    base = max(enumerate(overloads), key=width)[1]
    by_name = [{p.name: p for p in fn.parameters} for fn in overloads]
    params: list[griffe.Parameter] = []
    for p in base.parameters:
        same = [found[p.name] for found in by_name if p.name in found]
        annotations = [q.annotation for q in same]
        annotation = None if any(a is None for a in annotations) else _union(annotations)
        default = p.default
        if default is None and p.kind not in _VARIADIC:
            default = next((q.default for q in same if q.default is not None), None)
            if default is None and len(same) < len(overloads):
                default = "..."
        params.append(griffe.Parameter(p.name, annotation=annotation, kind=p.kind, default=default))
    # A required positional parameter cannot follow an optional one.
    required_after = False
    for i in range(len(params) - 1, -1, -1):
        p = params[i]
        if p.kind not in _POSITIONAL:
            continue
        if p.default is None:
            required_after = True
        elif required_after:
            params[i] = griffe.Parameter(p.name, annotation=p.annotation, kind=p.kind)
    returns = [fn.returns for fn in overloads]
    function = griffe.Function(
        name,
        lineno=overloads[0].lineno,
        endlineno=overloads[-1].endlineno,
        parameters=griffe.Parameters(*params),
        returns=None if any(r is None for r in returns) else _union(returns),
        decorators=list(base.decorators),
        parent=parent,
        runtime=base.runtime,
        analysis="static",
    )
    function.labels |= base.labels
    function.overloads = list(overloads)
    return function


def _materialize_overloads(obj: Any) -> None:
    """Give each ``@overload``-only name of a stub module or class a member."""
    for name, group in list(obj.overloads.items()):
        if group and name not in obj.members:
            obj.set_member(name, combine(name, group, obj))


class _Typeshed(griffe.Extension):
    """Prunes version/platform branches before griffe visits a stub; turns overload-only
    declarations into members once a module or class is read."""

    def on_module_node(self, *, node: Any, **kwargs: Any) -> None:
        if isinstance(node, ast.Module):
            node.body = prune(node.body) or [ast.Pass(lineno=1, col_offset=0)]

    def on_module_members(self, *, mod: griffe.Module, **kwargs: Any) -> None:
        _materialize_overloads(mod)

    def on_class_members(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        _materialize_overloads(cls)


# -- the stub tree ---------------------------------------------------------------------


class _StubFinder(griffe.ModuleFinder):
    """griffe's finder, also finding single-file stub modules (``difflib.pyi``)."""

    def find_package(self, module_name: str) -> griffe.Package | griffe.NamespacePackage:
        for path in self.search_paths:
            stub = Path(path) / f"{module_name}.pyi"
            if stub.is_file():
                return griffe.Package(module_name, stub, None)
        return super().find_package(module_name)


class StdlibStubs:
    """typeshed's stdlib stubs as griffe reads them: the described package whole, and
    single stub files of other modules as annotations name them (``_typeshed``,
    ``_decimal``), loaded on first use."""

    def __init__(self, top: str) -> None:
        root = typeshed_dir()
        if root is None:
            raise ModuleNotFoundError("typeshed_client is not installed")
        self.root = root
        self.top = top
        self.loader = griffe.GriffeLoader(
            extensions=griffe.load_extensions(_Typeshed()),
            search_paths=[str(root)],
            allow_inspection=False,
            store_source=True,
        )
        self.loader.finder = _StubFinder(self.loader.finder.search_paths)
        self._package: griffe.Module | None = None
        self._loaded = False
        self._files: dict[str, griffe.Module | None] = {}

    def package(self) -> griffe.Module | None:
        """The stubs of the described package with all its submodules, None without."""
        if not self._loaded:
            self._loaded = True
            if available(self.top):
                try:
                    with griffe.logger.disable():
                        found = self.loader.load(self.top)
                        self._wildcards(found)
                except Exception:
                    found = None
                self._package = found if isinstance(found, griffe.Module) else None
        return self._package

    def _file(self, module: str) -> griffe.Module | None:
        """The stub module ``module`` of another package, read from its one file (its
        parent packages' ``__init__.pyi`` too, not their other submodules)."""
        if module.split(".")[0] == self.top:
            package = self.package()
            try:
                found = self.loader.modules_collection[module] if package is not None else None
            except Exception:
                found = None
            return found if isinstance(found, griffe.Module) else None
        if module in self._files:
            return self._files[module]
        self._files[module] = None  # also stops import cycles
        parent_name, _, name = module.rpartition(".")
        parent = self._file(parent_name) if parent_name else None
        if parent_name and parent is None:
            return None
        base = self.root.joinpath(*module.split("."))
        path = base / "__init__.pyi" if base.is_dir() else base.with_suffix(".pyi")
        if not path.is_file() or not available(module):
            return None
        try:
            with griffe.logger.disable():
                found = griffe.visit(
                    name,
                    filepath=path,
                    code=path.read_text(encoding="utf-8"),
                    extensions=self.loader.extensions,
                    parent=parent,
                    lines_collection=self.loader.lines_collection,
                    modules_collection=self.loader.modules_collection,
                )
                if parent is None:
                    self.loader.modules_collection.set_member(name, found)
                else:
                    parent.set_member(name, found)
                self._files[module] = found
                self._wildcards(found)
        except Exception:
            return None
        return found

    def _wildcards(self, module: griffe.Module) -> None:
        """Expand ``from _decimal import *`` (reading the module it names)."""
        for member in list(module.members.values()):
            if member.is_alias and member.wildcard:
                self._file(member.target_path)
            elif not member.is_alias and isinstance(member, griffe.Module):
                self._wildcards(member)
        self.loader.expand_wildcards(module, external=False)

    def _ensure(self, path: str) -> None:
        """Read the stub file that defines ``path`` (the longest module prefix)."""
        parts = path.split(".")
        if parts[0] == self.top:
            self.package()
            return
        for i in range(len(parts) - 1, 0, -1):
            if self._file(".".join(parts[:i])) is not None:
                return

    def get(self, path: str) -> Any:
        """The stub object at ``path`` with aliases followed (reading the stub files
        they lead to), or None. Names under builtins, typing and collections.abc are
        not looked up unless they belong to the described package."""
        top = path.split(".")[0]
        if top != self.top and (
            top in _FOREIGN_SKIPPED or path.startswith(_FOREIGN_SKIPPED_PREFIXES)
        ):
            return None
        self._ensure(path)
        try:
            obj = self.loader.modules_collection[path]
        except Exception:
            return None
        return self.follow(obj)

    def prepare(self, cls: Any, seen: set[str] | None = None) -> None:
        """Read the stub files of ``cls``'s bases (and theirs), so that griffe sees the
        members it inherits (``SystemRandom.random`` from ``_random.Random``)."""
        seen = set() if seen is None else seen
        if not isinstance(cls, griffe.Class) or cls.path in seen or len(seen) > 50:
            return
        seen.add(cls.path)
        for base in cls.bases:
            expr = base.left if isinstance(base, griffe.ExprSubscript) else base
            try:
                path = expr.canonical_path if isinstance(expr, griffe.Expr) else str(expr)
            except Exception:
                continue
            if "." in path:
                self.prepare(self.get(path), seen)

    def follow(self, obj: Any) -> Any:
        """An alias's final target, reading the stub files on the way; None if lost."""
        for _ in range(20):
            if obj is None or not obj.is_alias:
                return obj
            target = obj.target_path
            if not isinstance(target, str):
                return None
            top = target.split(".")[0]
            if top != self.top and top in _FOREIGN_SKIPPED:
                return None
            self._ensure(target)
            try:
                obj = self.loader.modules_collection[target]
            except Exception:
                return None
        return None


# -- merging into a source tree --------------------------------------------------------


def _kind(obj: Any) -> str:
    return obj.kind.value


def merge(source: Any, stubs: StdlibStubs, stub: Any) -> None:
    """Put the stubs' signatures and annotations into the source module or class
    ``source`` (recursively). Docstrings, labels and source text stay the source's.
    A source member griffe only inspected, or one of a different kind than its stub
    (``Match = namedtuple(...)`` vs ``class Match(NamedTuple)``), is replaced by the
    stub object (a stub attribute never replaces a source function or class)."""
    for name, member in list(source.members.items()):
        if member.is_alias:
            continue
        counterpart = stub.members.get(name)
        if counterpart is None and isinstance(stub, griffe.Class):
            # typeshed leaves out an override that keeps its base's signature
            stubs.prepare(stub)
            try:
                counterpart = stub.all_members.get(name)
            except Exception:
                counterpart = None
        if counterpart is None:
            continue
        counterpart = stubs.follow(counterpart)
        if counterpart is None:
            continue
        if getattr(member, "analysis", "static") == "dynamic" or (
            _kind(member) != _kind(counterpart) and not isinstance(counterpart, griffe.Attribute)
        ):
            source.members[name] = counterpart
        elif _kind(member) != _kind(counterpart):
            continue
        elif isinstance(member, (griffe.Module, griffe.Class)):
            merge(member, stubs, counterpart)
        elif isinstance(member, griffe.Function):
            merge_function(member, counterpart)
        elif isinstance(member, griffe.Attribute) and counterpart.annotation is not None:
            member.annotation = counterpart.annotation


def merge_function(function: griffe.Function, stub: griffe.Function) -> None:
    """The stub's parameters and return type on the source function; a stub default
    ``...`` is replaced by the source's default for the same parameter, and ``*args`` /
    ``**kwargs`` keep the source's names."""
    own = {p.name: p for p in function.parameters}
    variadic = {p.kind: p.name for p in function.parameters if p.kind in _VARIADIC}
    params = []
    for p in stub.parameters:
        default = p.default
        if str(default) == "..." and p.name in own and own[p.name].default is not None:
            default = own[p.name].default
        name = variadic.get(p.kind, p.name)  # `**kw` stays `**kw` (stub: `**kwds`)
        params.append(griffe.Parameter(name, annotation=p.annotation, kind=p.kind, default=default))
    function.parameters = griffe.Parameters(*params)
    function.returns = stub.returns
    if stub.overloads:
        function.overloads = list(stub.overloads)
