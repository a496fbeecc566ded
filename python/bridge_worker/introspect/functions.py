"""Function descriptors: from griffe (static) or from ``inspect`` (runtime fallback)."""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
import typing
from typing import Any

import griffe

from bridge_worker.introspect import docstrings
from bridge_worker.introspect import typeexpr as tx
from bridge_worker.introspect.context import Context
from bridge_worker.introspect.docstrings import ParsedDoc
from bridge_worker.introspect.static import ExprTypes, is_static, json_value, literal_default
from bridge_worker.introspect.typeexpr import TypeExpr

_STATIC_KINDS = {
    "positional-only": "positional_only",
    "positional or keyword": "positional_or_keyword",
    "variadic positional": "var_positional",
    "keyword-only": "keyword_only",
    "variadic keyword": "var_keyword",
}
_RUNTIME_KINDS = {
    inspect.Parameter.POSITIONAL_ONLY: "positional_only",
    inspect.Parameter.POSITIONAL_OR_KEYWORD: "positional_or_keyword",
    inspect.Parameter.VAR_POSITIONAL: "var_positional",
    inspect.Parameter.KEYWORD_ONLY: "keyword_only",
    inspect.Parameter.VAR_KEYWORD: "var_keyword",
}
_POSITIONAL = ("positional_only", "positional_or_keyword")
_VARIADIC = ("var_positional", "var_keyword")
STREAM_BASES = frozenset(
    {
        "collections.abc.Iterator",
        "collections.abc.Generator",
        "collections.abc.AsyncIterator",
        "collections.abc.AsyncGenerator",
    }
)
_REPR_LIMIT = 200


def describe_callable(
    ctx: Context,
    *,
    name: str,
    qualname: str,
    runtime: Any,
    static: Any,
    drop_first: bool = False,
    extra_doc: ParsedDoc | None = None,
    is_init: bool = False,
) -> dict[str, Any]:
    """A function descriptor, from griffe when it read the source, else from inspect."""
    if isinstance(static, griffe.Function) and is_static(static):
        return static_function(
            ctx,
            static,
            name=name,
            qualname=qualname,
            runtime=runtime,
            drop_first=drop_first,
            extra_doc=extra_doc,
            is_init=is_init,
        )
    return runtime_function(
        ctx,
        runtime,
        name=name,
        qualname=qualname,
        drop_first=drop_first,
        extra_doc=extra_doc,
        is_init=is_init,
    )


# -- static ----------------------------------------------------------------------------


def static_function(
    ctx: Context,
    fn: griffe.Function,
    *,
    name: str,
    qualname: str,
    runtime: Any = None,
    drop_first: bool = False,
    extra_doc: ParsedDoc | None = None,
    is_init: bool = False,
) -> dict[str, Any]:
    module = fn.module.path
    if fn.docstring:
        doc = docstrings.parse(fn.docstring)
    elif is_init and plain_function(runtime) is None:
        doc = ParsedDoc()  # a C slot's "Initialize self. See help(type(self))..."
    else:
        doc = _runtime_doc(runtime)
    runtime_defaults: dict[str, dict[str, Any]] | None = None
    overloads = [
        o for o in (getattr(fn, "overloads", None) or []) if isinstance(o, griffe.Function)
    ]
    signature = fn
    if overloads and not _annotated(fn):
        # The .pyi overloads (the package's own stubs, a -stubs package) type what the
        # untyped implementation does not: one signature accepting every overload's calls.
        from bridge_worker.introspect.stubs import combine

        try:
            signature = combine(fn.name, overloads, fn.parent)
        except Exception:
            signature = fn
    own_defaults = {p.name: p.default for p in fn.parameters if p.default is not None}
    gparams = list(signature.parameters)
    if drop_first and gparams and _STATIC_KINDS[gparams[0].kind.value] in _POSITIONAL:
        gparams = gparams[1:]
    params = []
    for p in gparams:
        kind = _STATIC_KINDS[p.kind.value]
        item = _doc_item(p.name, doc, extra_doc)
        annotation = ctx.static_type(p.annotation, module, f"{qualname}({p.name})")
        if annotation is None and item is not None:
            annotation = ctx.doc_type(item.annotation, module)
        default = None
        if kind not in _VARIADIC and p.default is not None:
            default = _default_text(str(p.default))
            if default["repr"] == "..." and p.name in own_defaults and signature is not fn:
                default = _default_text(str(own_defaults[p.name]))
            if default["repr"] == "..." and ctx.stubs:  # a stub's default: ask the runtime
                if runtime_defaults is None:
                    runtime_defaults = _runtime_defaults(runtime)
                default = runtime_defaults.get(p.name, default)
        params.append(_param(p.name, kind, annotation, default, item.text if item else ""))
    returns = None
    if not is_init:
        returns = ctx.static_type(signature.returns, module, f"{qualname}(return)")
        if returns is None and doc.returns is not None:
            returns = ctx.doc_type(doc.returns.annotation, module)
    flags = _runtime_flags(runtime) or _static_flags(fn)
    deprecated = doc.deprecated or _decorator_deprecation(fn) or _runtime_deprecation(runtime)
    described = _assemble(
        ctx,
        name=name,
        qualname=qualname,
        target=fn.path,
        params=params,
        returns=returns,
        doc=doc,
        module=module,
        flags=flags,
        source="griffe",
        is_init=is_init,
        deprecated=deprecated,
    )
    if len(overloads) >= 2:
        described["overloads"] = [
            _overload(ctx, o, module, qualname, drop_first, is_init, own_defaults)
            for o in overloads[:_MAX_OVERLOADS]
        ]
    return described


_MAX_OVERLOADS = 24


def _annotated(fn: griffe.Function) -> bool:
    """Whether the function's own signature carries annotations."""
    return fn.returns is not None or any(
        p.annotation is not None for p in fn.parameters if p.name not in ("self", "cls")
    )


def _overload(
    ctx: Context,
    fn: griffe.Function,
    module: str,
    qualname: str,
    drop_first: bool,
    is_init: bool,
    own_defaults: dict[str, Any],
) -> dict[str, Any]:
    """One ``@overload``: its parameters and return type."""
    gparams = list(fn.parameters)
    if drop_first and gparams and _STATIC_KINDS[gparams[0].kind.value] in _POSITIONAL:
        gparams = gparams[1:]
    params = []
    for p in gparams:
        kind = _STATIC_KINDS[p.kind.value]
        annotation = ctx.static_type(p.annotation, module, f"{qualname}({p.name})")
        default = None
        if kind not in _VARIADIC and p.default is not None:
            default = _default_text(str(p.default))
            if default["repr"] == "..." and p.name in own_defaults:
                default = _default_text(str(own_defaults[p.name]))
        params.append(_param(p.name, kind, annotation, default, ""))
    returns = None if is_init else ctx.static_type(fn.returns, module, f"{qualname}(return)")
    return {"params": params, "returns": returns}


def _static_flags(fn: griffe.Function) -> tuple[bool, bool, bool]:
    is_async = "async" in fn.labels
    yields = _yields(fn)
    return (is_async and not yields, yields and not is_async, yields and is_async)


def _yields(fn: griffe.Function) -> bool:
    """Whether the function's own body (not nested defs) contains ``yield``."""
    try:
        tree = ast.parse(textwrap.dedent(fn.source))
    except Exception:
        return False
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not defs:
        return False
    stack: list[ast.AST] = list(defs[0].body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _decorator_deprecation(fn: griffe.Function) -> str | None:
    for decorator in fn.decorators:
        value = decorator.value
        call = value if isinstance(value, griffe.ExprCall) else None
        func = call.function if call is not None else value
        path = str(getattr(func, "canonical_path", func))
        if path.rsplit(".", 1)[-1] != "deprecated":
            continue
        if call is not None and call.arguments:
            ok, message = literal_default(str(call.arguments[0]))
            if ok and isinstance(message, str):
                return message
        return "deprecated"
    return None


# -- runtime ---------------------------------------------------------------------------


class _Source:
    """A default known only as source text (from a docstring signature)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def runtime_function(
    ctx: Context,
    obj: Any,
    *,
    name: str,
    qualname: str,
    drop_first: bool = False,
    extra_doc: ParsedDoc | None = None,
    is_init: bool = False,
    hints_from: Any = None,
) -> dict[str, Any]:
    func = plain_function(obj)
    module = getattr(func if func is not None else obj, "__module__", None)
    globalns = tx.module_globals(module)
    text = own_doc(obj)
    if is_init and inspect.isclass(obj):  # the class docstring belongs to the class
        text = own_doc(hints_from) if hints_from is not None else None
    try:
        sig: inspect.Signature | None = inspect.signature(obj)
        error = ""
    except (ValueError, TypeError) as exc:
        error = str(exc)
        sig, text = _signature_from_doc(own_doc(obj), getattr(obj, "__name__", name))
        drop_first = False  # a docstring's "od.pop(key[,default])" has no self
    doc = docstrings.parse_text(text)
    hints = _hints(hints_from if hints_from is not None else func)
    params = []
    if sig is None:
        ctx.warn(
            qualname, "no_signature", f"no signature ({error}); described as (*args, **kwargs)"
        )
        params = [
            _param("args", "var_positional", None, None, ""),
            _param("kwargs", "var_keyword", None, None, ""),
        ]
        returns = None
    else:
        sparams = list(sig.parameters.values())
        if drop_first and sparams and _RUNTIME_KINDS[sparams[0].kind] in _POSITIONAL:
            sparams = sparams[1:]
        for p in sparams:
            kind = _RUNTIME_KINDS[p.kind]
            item = _doc_item(p.name, doc, extra_doc)
            raw = hints.get(p.name, p.annotation)
            annotation = ctx.runtime_type(raw, globalns, f"{qualname}({p.name})")
            if annotation is None and item is not None:
                annotation = ctx.doc_type(item.annotation, module)
            default = None
            if p.default is not inspect.Parameter.empty:
                default = default_value(p.default)
            params.append(_param(p.name, kind, annotation, default, item.text if item else ""))
        returns = None
        if not is_init:
            raw = hints.get("return", sig.return_annotation)
            returns = ctx.runtime_type(raw, globalns, f"{qualname}(return)")
            if returns is None and doc.returns is not None:
                returns = ctx.doc_type(doc.returns.annotation, module)
    target = qualname
    if func is not None and "<locals>" not in getattr(func, "__qualname__", "<locals>"):
        target = f"{func.__module__}.{func.__qualname__}"
    return _assemble(
        ctx,
        name=name,
        qualname=qualname,
        target=target,
        params=params,
        returns=returns,
        doc=doc,
        module=module,
        flags=_runtime_flags(obj) or (False, False, False),
        source="inspect",
        is_init=is_init,
        deprecated=doc.deprecated or _runtime_deprecation(obj),
    )


def plain_function(obj: Any) -> Any:
    """The Python function behind a method, classmethod or staticmethod, or None."""
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    if inspect.ismethod(obj):
        obj = obj.__func__
    return obj if hasattr(obj, "__code__") else None


def own_doc(obj: Any) -> str | None:
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    try:
        doc = obj.__doc__
    except Exception:
        return None
    return doc if isinstance(doc, str) else None


def _runtime_doc(obj: Any) -> ParsedDoc:
    if obj is None:
        return ParsedDoc()
    text = own_doc(obj)
    if plain_function(obj) is None:  # a builtin's docstring may start with "name(args)"
        _, text = _signature_from_doc(text, getattr(obj, "__name__", ""))
    return docstrings.parse_text(text)


def _runtime_defaults(obj: Any) -> dict[str, dict[str, Any]]:
    """Defaults of the runtime callable by parameter name (its signature, else a
    builtin's ``name(args)`` docstring line), for stub defaults written ``...``."""
    if obj is None:
        return {}
    try:
        sig: inspect.Signature | None = inspect.signature(obj)
    except (ValueError, TypeError):
        sig, _ = _signature_from_doc(own_doc(obj), getattr(obj, "__name__", ""))
    except Exception:
        sig = None
    if sig is None:
        return {}
    out = {}
    for p in sig.parameters.values():
        if p.default is not inspect.Parameter.empty:
            default = default_value(p.default)
            if " at 0x" not in default["repr"]:  # a sentinel object says nothing
                out[p.name] = default
    return out


def _runtime_flags(obj: Any) -> tuple[bool, bool, bool] | None:
    """(coroutine, generator, async generator) for a Python function; None if unknown."""
    func = plain_function(obj)
    if func is None:
        return None
    return (
        inspect.iscoroutinefunction(func),
        inspect.isgeneratorfunction(func),
        inspect.isasyncgenfunction(func),
    )


def _runtime_deprecation(obj: Any) -> str | None:
    if isinstance(obj, (staticmethod, classmethod)):
        obj = obj.__func__
    message = getattr(obj, "__deprecated__", None)
    return message if isinstance(message, str) else None


def _hints(func: Any) -> dict[str, Any]:
    if func is None:
        return {}
    try:
        return typing.get_type_hints(func, include_extras=True)
    except Exception:  # unresolvable forward refs: each annotation is retried alone
        return {}


def _signature_from_doc(text: str | None, name: str) -> tuple[inspect.Signature | None, str | None]:
    """``name(a, b=1[, c])`` on the first docstring line (builtins without a text
    signature, e.g. ``math.log``, ``S.count``); bracketed parameters are optional."""
    if not text:
        return None, text
    first, _, rest = text.lstrip().partition("\n")
    match = re.match(rf"^(?:[\w.]+\.)?{re.escape(name)}\((.*)\)", first.strip())
    if not match:
        return None, text
    out: list[inspect.Parameter] = []
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    try:
        for piece, optional in _doc_args(match.group(1)):
            if piece == "/":
                out = [p.replace(kind=inspect.Parameter.POSITIONAL_ONLY) for p in out]
                continue
            if piece == "*":
                kind = inspect.Parameter.KEYWORD_ONLY
                continue
            pname, _, default = (part.strip() for part in piece.partition("="))
            if pname.startswith("**"):
                out.append(inspect.Parameter(pname[2:], inspect.Parameter.VAR_KEYWORD))
            elif pname.startswith("*"):
                out.append(inspect.Parameter(pname[1:], inspect.Parameter.VAR_POSITIONAL))
                kind = inspect.Parameter.KEYWORD_ONLY
            else:
                value: Any = inspect.Parameter.empty
                if default or optional:
                    value = _Source(default or "...")
                out.append(inspect.Parameter(pname, kind, default=value))
        signature = inspect.Signature(out)
    except ValueError:  # not identifiers, or a required parameter after an optional one
        return None, text
    return signature, re.sub(r"^\s*--\s*\n", "", rest)


def _doc_args(text: str) -> list[tuple[str, bool]]:
    """Split ``a, b=f(1, 2)[, c[, d]]`` at top-level commas: (piece, inside brackets)."""
    pieces: list[tuple[str, bool]] = []
    square = paren = 0
    current, optional = "", False
    for ch in text + ",":
        if ch == "[":
            square += 1
            continue
        if ch == "]":
            square -= 1
            continue
        if ch in "({":
            paren += 1
        elif ch in ")}":
            paren -= 1
        if ch == "," and paren == 0:
            if current.strip() and current.strip() != "...":
                pieces.append((current.strip(), optional))
            current, optional = "", square > 0
            continue
        if not current.strip():
            optional = optional or square > 0
        current += ch
    return pieces


# -- shared ----------------------------------------------------------------------------


def _doc_item(name: str, doc: ParsedDoc, extra: ParsedDoc | None) -> docstrings.DocItem | None:
    item = doc.params.get(name)
    if item is None and extra is not None:
        item = extra.params.get(name)
    return item


def _param(
    name: str, kind: str, annotation: TypeExpr | None, default: dict[str, Any] | None, doc: str
) -> dict[str, Any]:
    return {"name": name, "kind": kind, "annotation": annotation, "default": default, "doc": doc}


def _default_text(text: str) -> dict[str, Any]:
    ok, value = literal_default(text)
    return {"repr": text, "value": value} if ok else {"repr": text}


def default_value(value: Any) -> dict[str, Any]:
    if isinstance(value, _Source):
        return _default_text(value.text)
    try:
        text = repr(value)
    except Exception:
        text = object.__repr__(value)
    if len(text) > _REPR_LIMIT:
        text = text[: _REPR_LIMIT - 3] + "..."
    ok, plain = json_value(value)
    return {"repr": text, "value": plain} if ok else {"repr": text}


def exception_name(ctx: Context, raw: Any, module: str | None) -> str:
    """Qualified name of an exception written in a docstring."""
    if isinstance(raw, str) or raw is None:
        return tx.normalize_path(str(raw or "").strip())
    expr = ExprTypes(ctx.static, module).convert(raw)
    return expr["name"] if expr["kind"] == "name" else str(raw)


def _assemble(
    ctx: Context,
    *,
    name: str,
    qualname: str,
    target: str,
    params: list[dict[str, Any]],
    returns: TypeExpr | None,
    doc: ParsedDoc,
    module: str | None,
    flags: tuple[bool, bool, bool],
    source: str,
    is_init: bool,
    deprecated: str | None,
) -> dict[str, Any]:
    is_async, is_generator, is_async_generator = flags
    out_doc = doc.as_doc()
    if deprecated is not None:
        out_doc["deprecated"] = deprecated
    typed = all(not tx.has_unknown(p["annotation"]) for p in params) and (
        is_init or not tx.has_unknown(returns)
    )
    streams = is_generator or is_async_generator or _stream_type(returns)
    return {
        "kind": "function",
        "name": name,
        "qualname": qualname,
        "target": target,
        "params": params,
        "returns": returns,
        "returns_doc": doc.returns.text if doc.returns is not None else "",
        "raises": [
            {"type": exception_name(ctx, item.annotation, module), "doc": item.text}
            for item in doc.raises
        ],
        "is_async": is_async,
        "is_generator": is_generator,
        "is_async_generator": is_async_generator,
        "streaming": streams,
        "doc": out_doc,
        "source": source,
        "typed": typed,
    }


def _stream_type(returns: TypeExpr | None) -> bool:
    if returns is None:
        return False
    base = returns.get("base") if returns["kind"] == "generic" else returns.get("name")
    return base in STREAM_BASES
