"""Structured type expressions (``TypeExpr``) and the normalization they share.

A TypeExpr is a small JSON object tagged by ``kind`` (see docs/DESCRIPTORS.md):
``name``, ``generic``, ``tuple``, ``union``, ``literal``, ``callable``, ``typevar``,
``none``, ``any``, ``never``, ``unknown``. Names are fully qualified and normalized
(``List`` -> ``builtins.list``, ``typing.Iterator`` -> ``collections.abc.Iterator``),
``Optional[X]`` and ``X | None`` are both a ``union`` whose items include ``none``.

Two front ends feed the same :class:`Builder`: griffe expressions (static, see
``static.py``) and runtime typing objects (:class:`RuntimeTypes`, below).
"""

from __future__ import annotations

import ast
import builtins
import enum
import json
import sys
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any

TypeExpr = dict[str, Any]

# -- constructors ----------------------------------------------------------------------


def any_() -> TypeExpr:
    return {"kind": "any"}


def none() -> TypeExpr:
    return {"kind": "none"}


def never() -> TypeExpr:
    return {"kind": "never"}


def name(path: str) -> TypeExpr:
    return {"kind": "name", "name": path}


def unknown(text: str) -> TypeExpr:
    return {"kind": "unknown", "text": text}


def generic(base: str, args: list[TypeExpr]) -> TypeExpr:
    return {"kind": "generic", "base": base, "args": args}


def tuple_(items: list[TypeExpr], *, variadic: bool = False) -> TypeExpr:
    return {"kind": "tuple", "items": items, "variadic": variadic}


def callable_(params: list[TypeExpr] | None, returns: TypeExpr) -> TypeExpr:
    return {"kind": "callable", "params": params, "returns": returns}


def literal(values: list[Any]) -> TypeExpr:
    return {"kind": "literal", "values": values}


def typevar(
    var: str, bound: TypeExpr | None = None, constraints: list[TypeExpr] | None = None
) -> TypeExpr:
    return {"kind": "typevar", "name": var, "bound": bound, "constraints": constraints or []}


def union(items: Sequence[TypeExpr]) -> TypeExpr:
    """A union, flattened and without duplicates; one item is that item."""
    flat: list[TypeExpr] = []
    seen: set[str] = set()
    for item in items:
        for sub in item["items"] if item["kind"] == "union" else [item]:
            key = json.dumps(sub, sort_keys=True)
            if key not in seen:
                seen.add(key)
                flat.append(sub)
    return flat[0] if len(flat) == 1 else {"kind": "union", "items": flat}


def has_unknown(expr: TypeExpr | None) -> bool:
    """Whether ``expr`` is missing or holds an ``unknown`` anywhere."""
    if expr is None:
        return True
    return '"kind": "unknown"' in json.dumps(expr)


# -- normalization ---------------------------------------------------------------------

_ABC_NAMES = [
    "Awaitable",
    "Coroutine",
    "AsyncIterable",
    "AsyncIterator",
    "AsyncGenerator",
    "Iterable",
    "Iterator",
    "Generator",
    "Reversible",
    "Container",
    "Collection",
    "Callable",
    "MutableSet",
    "Mapping",
    "MutableMapping",
    "Sequence",
    "MutableSequence",
    "MappingView",
    "KeysView",
    "ItemsView",
    "ValuesView",
    "Hashable",
    "Sized",
    "ByteString",
    "Buffer",
]

#: Aliases and deprecated spellings -> the canonical path the code generator maps.
ALIASES: dict[str, str] = {f"typing.{n}": f"collections.abc.{n}" for n in _ABC_NAMES}
ALIASES.update(
    {
        "typing.AbstractSet": "collections.abc.Set",
        "typing.List": "builtins.list",
        "typing.Dict": "builtins.dict",
        "typing.Set": "builtins.set",
        "typing.FrozenSet": "builtins.frozenset",
        "typing.Tuple": "builtins.tuple",
        "typing.Type": "builtins.type",
        "typing.Text": "builtins.str",
        "typing.LiteralString": "builtins.str",
        "typing.DefaultDict": "collections.defaultdict",
        "typing.OrderedDict": "collections.OrderedDict",
        "typing.Counter": "collections.Counter",
        "typing.Deque": "collections.deque",
        "typing.ChainMap": "collections.ChainMap",
        "typing.Pattern": "re.Pattern",
        "typing.Match": "re.Match",
        "typing.ContextManager": "contextlib.AbstractContextManager",
        "typing.AsyncContextManager": "contextlib.AbstractAsyncContextManager",
        "typing.TypeGuard": "builtins.bool",
        # Numeric protocols (typeshed's stubs use them for "a number"): what a caller
        # passes through Bridge is the number itself.
        "typing.SupportsFloat": "builtins.float",
        "typing.SupportsInt": "builtins.int",
        "typing.SupportsIndex": "builtins.int",
        "typing.SupportsComplex": "builtins.complex",
        "typing.SupportsBytes": "builtins.bytes",
        "typing.TypeIs": "builtins.bool",
        "types.UnionType": "typing.Union",
        # typeshed's spellings of "not typed yet" / "ignored"
        "_typeshed.Incomplete": "typing.Any",
        "_typeshed.Unused": "typing.Any",
        "typing_extensions.Incomplete": "typing.Any",
        "typing.NoReturn": "typing.Never",
    }
)
NONE_PATHS = frozenset({"None", "builtins.None", "types.NoneType", "builtins.NoneType"})
#: Qualifiers that only wrap the real type.
WRAPPERS = frozenset(
    {
        "typing.ClassVar",
        "typing.Final",
        "typing.Required",
        "typing.NotRequired",
        "typing.ReadOnly",
        "dataclasses.InitVar",
    }
)
_SPECIAL_WITH_ARGS = frozenset(
    {"typing.Optional", "typing.Union", "typing.Literal", "typing.Annotated", *WRAPPERS}
)


def normalize_path(path: str) -> str:
    """The canonical spelling of a qualified name."""
    for prefix, repl in (
        ("typing_extensions.", "typing."),
        ("_collections_abc.", "collections.abc."),
    ):
        if path.startswith(prefix):
            path = repl + path[len(prefix) :]
    if "." not in path and hasattr(builtins, path):
        path = f"builtins.{path}"
    return ALIASES.get(path, path)


def is_json_literal(value: Any) -> bool:
    return value is None or type(value) in (str, int, bool)


class Builder:
    """Turns (path, raw arguments) into a TypeExpr; subclasses read raw arguments."""

    #: Most nodes one annotation may expand to (recursive aliases, huge unions).
    BUDGET = 500

    def __init__(self) -> None:
        #: Texts that became ``unknown`` since the last :meth:`drain`.
        self.unresolved: list[str] = []
        self._nodes = 0

    def spend(self) -> bool:
        """Count one node; False once the budget is exhausted."""
        self._nodes += 1
        return self._nodes <= self.BUDGET

    def drain(self) -> list[str]:
        out, self.unresolved = self.unresolved, []
        self._nodes = 0
        return out

    def fail(self, text: str) -> TypeExpr:
        self.unresolved.append(text)
        return unknown(text)

    # What a front end provides.
    def convert(self, raw: Any) -> TypeExpr:
        raise NotImplementedError

    def literal_value(self, raw: Any) -> tuple[bool, Any]:
        raise NotImplementedError

    def is_ellipsis(self, raw: Any) -> bool:
        raise NotImplementedError

    def as_list(self, raw: Any) -> list[Any] | None:
        """Callable's parameter list, or None for ``...`` / a ParamSpec."""
        raise NotImplementedError

    def build(self, path: str, args: list[Any] | None, text: str) -> TypeExpr:
        path = normalize_path(path)
        if path in NONE_PATHS:
            return none()
        if path == "typing.Any":
            return any_()
        if path == "typing.Never":
            return never()
        if not args:
            if path == "typing.AnyStr":  # the TypeVar, as the runtime path sees it
                return typevar("AnyStr", None, [name("builtins.bytes"), name("builtins.str")])
            if path in WRAPPERS:
                return any_()
            if path == "typing.Union" and text.rsplit(".", 1)[-1] == "UnionType":
                return name("types.UnionType")  # the class of `X | Y` objects
            if path in _SPECIAL_WITH_ARGS:
                return self.fail(text)
            if path == "collections.abc.Callable":
                return callable_(None, any_())
            return name(path)
        if path == "typing.Optional":
            return union([self.convert(args[0]), none()])
        if path == "typing.Union":
            return union([self.convert(a) for a in args])
        if path == "typing.Literal":
            values = []
            for raw in args:
                ok, value = self.literal_value(raw)
                if not ok:
                    return self.fail(text)
                values.append(value)
            return literal(values)
        if path == "typing.Annotated" or path in WRAPPERS:
            return self.convert(args[0])
        if path == "builtins.bool":
            return name(path)  # TypeGuard[X] / TypeIs[X]
        if path == "collections.abc.Callable":
            if len(args) != 2:
                return self.fail(text)
            params = self.as_list(args[0])
            return callable_(
                None if params is None else [self.convert(p) for p in params],
                self.convert(args[1]),
            )
        if path == "builtins.tuple":
            if len(args) == 2 and self.is_ellipsis(args[1]):
                return tuple_([self.convert(args[0])], variadic=True)
            return tuple_([self.convert(a) for a in args])
        return generic(path, [self.convert(a) for a in args])


# -- runtime typing objects ------------------------------------------------------------


def runtime_path(obj: Any) -> str | None:
    """Qualified name of a class or typing special form, None if it has none."""
    if obj is None or obj is type(None):
        return "None"
    if isinstance(obj, type):
        return f"{obj.__module__}.{obj.__qualname__}"
    module = getattr(obj, "__module__", None)
    special = getattr(obj, "_name", None)
    if module in ("typing", "typing_extensions") and isinstance(special, str):
        return f"typing.{special}"
    qualname = getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(qualname, str) and "<locals>" not in qualname:
        return f"{module}.{qualname}"
    return None


class RuntimeTypes(Builder):
    """TypeExprs from runtime annotations (``typing.get_type_hints`` or raw strings)."""

    def __init__(self, globalns: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.globalns = globalns or {}
        self._depth = 0
        self._expanding: set[str] = set()

    def convert(self, raw: Any) -> TypeExpr:
        self._depth += 1
        try:
            if self._depth > 30 or not self.spend():
                return self.fail(_text(raw))
            return self._convert(raw)
        finally:
            self._depth -= 1

    def _convert(self, tp: Any) -> TypeExpr:
        if tp is None or tp is type(None):
            return none()
        if isinstance(tp, str):
            return self.from_text(tp)
        if isinstance(tp, typing.ForwardRef):
            return self.from_text(tp.__forward_arg__)
        if isinstance(tp, typing.TypeVar):
            return typevar(
                tp.__name__,
                None if tp.__bound__ is None else self.convert(tp.__bound__),
                [self.convert(c) for c in tp.__constraints__],
            )
        supertype = getattr(tp, "__supertype__", None)
        if supertype is not None:  # typing.NewType
            return self.convert(supertype)
        if type(tp).__name__ == "TypeAliasType":  # `type X = ...` (3.12)
            return self._alias(f"{tp.__module__}.{tp.__name__}", tp.__value__)
        origin = typing.get_origin(tp)
        if origin is not None:
            path = runtime_path(origin)
            if path is None:
                return self.fail(_text(tp))
            if origin is typing.Annotated or path == "typing.Annotated":
                return self.convert(tp.__origin__)
            return self.build(path, list(typing.get_args(tp)), _text(tp))
        path = runtime_path(tp)
        if path is None:
            return self.fail(_text(tp))
        return self.build(path, None, _text(tp))

    def from_text(self, text: str, *, strict: bool = False) -> TypeExpr:
        """A string annotation, evaluated in the defining module's globals.

        ``strict`` (text from a docstring): only names, attributes, subscripts,
        constants and ``|`` are evaluated, never calls.
        """
        if strict and not plain_type_text(text):
            return self.fail(text)
        try:
            value = eval(text, self.globalns or {})  # what typing.get_type_hints does
        except Exception:
            return self.fail(text)
        if isinstance(value, str):  # a string that evaluates to a string
            return self.fail(text)
        if typing.get_origin(value) is None:
            return self.convert(value)
        # A type alias (e.g. a recursive JSON type): expanded once, then named.
        module = self.globalns.get("__name__")
        key = text.strip()
        return self._alias(f"{module}.{key}" if isinstance(module, str) else key, value)

    def _alias(self, path: str, value: Any) -> TypeExpr:
        """An alias's value, or its name when already being expanded (recursion)."""
        if path in self._expanding:
            return name(path)
        self._expanding.add(path)
        try:
            return self.convert(value)
        finally:
            self._expanding.discard(path)

    def literal_value(self, raw: Any) -> tuple[bool, Any]:
        if isinstance(raw, enum.Enum):
            return False, None
        return is_json_literal(raw), raw

    def is_ellipsis(self, raw: Any) -> bool:
        return raw is Ellipsis

    def as_list(self, raw: Any) -> list[Any] | None:
        if isinstance(raw, (list, tuple)):
            return list(raw)
        return None


_PLAIN_NODES = (
    ast.Expression,
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Tuple,
    ast.List,
    ast.Constant,
    ast.BinOp,
    ast.BitOr,
    ast.Load,
)


def plain_type_text(text: str) -> bool:
    """Whether ``text`` is a type expression with no calls or other side effects."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError:
        return False
    return all(isinstance(node, _PLAIN_NODES) for node in ast.walk(tree))


def _text(tp: Any) -> str:
    if isinstance(tp, type):
        return tp.__qualname__
    text = repr(tp)
    return text.replace("typing.", "") if text.startswith("typing.") else text


def module_globals(module_name: str | None) -> dict[str, Any]:
    module = sys.modules.get(module_name or "")
    return vars(module) if isinstance(module, types.ModuleType) else {}


def from_runtime(
    annotation: Any,
    globalns: dict[str, Any] | None = None,
    on_unknown: Callable[[str], None] | None = None,
) -> TypeExpr:
    """Convenience: one runtime annotation to a TypeExpr."""
    conv = RuntimeTypes(globalns)
    result = conv.convert(annotation)
    if on_unknown:
        for text in conv.drain():
            on_unknown(text)
    return result
