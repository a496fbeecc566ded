"""Class descriptors: constructor, methods, properties, ``__call__`` and data shapes."""

from __future__ import annotations

import dataclasses
import inspect
import sys
import typing
from typing import Any

import griffe

from bridge_worker.introspect import docstrings
from bridge_worker.introspect import typeexpr as tx
from bridge_worker.introspect.context import Context
from bridge_worker.introspect.docstrings import ParsedDoc
from bridge_worker.introspect.functions import (
    default_value,
    describe_callable,
    plain_function,
    runtime_function,
)
from bridge_worker.introspect.static import final, is_static
from bridge_worker.introspect.typeexpr import TypeExpr


def describe_class(
    ctx: Context, *, name: str, qualname: str, runtime: type, static: Any, rel: str
) -> dict[str, Any]:
    """The descriptor of class ``runtime``; ``rel`` is its path for include/exclude."""
    gcls = static if isinstance(static, griffe.Class) and is_static(static) else None
    own_doc = runtime.__dict__.get("__doc__")
    if gcls is not None and gcls.docstring is not None:
        doc = docstrings.parse(gcls.docstring)
    else:
        doc = docstrings.parse_text(own_doc if isinstance(own_doc, str) else None)
    is_exception = issubclass(runtime, BaseException)
    try:
        shape = _shape(ctx, runtime, gcls, doc, qualname)
    except Exception as exc:
        shape = None
        ctx.warn(qualname, "member_failed", f"data shape: {type(exc).__name__}: {exc}")
    out: dict[str, Any] = {
        "kind": "class",
        "name": name,
        "qualname": qualname,
        "target": _target(runtime, qualname),
        "bases": _bases(runtime),
        "doc": doc.as_doc(),
        "is_exception": is_exception,
        "constructor": None,
        "methods": [],
        "classmethods": [],
        "staticmethods": [],
        "properties": [],
        "call": None,
    }
    if shape is not None:
        out["shape"] = shape

    def wanted(member: str) -> bool:
        path = f"{rel}.{member}"
        if ctx.flt.excluded(path):
            return False
        if member == "__init__":  # kept with its class unless excluded by name
            return True
        return (member == "__call__" or not member.startswith("_")) and ctx.flt.keeps(path)

    init_static = new_static = None
    typeddict = shape is not None and shape["kind"] == "typeddict"
    for member, kind, static_obj in [] if typeddict else _members(ctx, runtime, gcls):
        if member == "__new__":
            new_static = static_obj
            continue
        if not wanted(member):
            continue
        where = f"{qualname}.{member}"
        raw = _raw(runtime, member)
        try:
            if kind == "property":
                prop = _property(ctx, runtime, member, static_obj, raw, doc, where)
                out["properties"].append(prop)
                continue
            if member == "__init__":
                init_static = static_obj
                continue
            entry = describe_callable(
                ctx,
                name=member,
                qualname=where,
                runtime=raw,
                static=static_obj,
                drop_first=kind != "staticmethod",
            )
        except Exception as exc:
            ctx.warn(where, "member_failed", f"{type(exc).__name__}: {exc}")
            continue
        if member == "__call__":
            out["call"] = entry
        else:
            out[{"method": "methods"}.get(kind, kind + "s")].append(entry)
    if not typeddict:
        dunders = _dunders(ctx, runtime, gcls, qualname, rel)
        if dunders:
            out["dunders"] = dunders
    if init_static is None and ctx.stubs:
        init_static = new_static  # typeshed declares many builtin classes with __new__
    if not typeddict and wanted("__init__"):
        try:
            out["constructor"] = _constructor(
                ctx, runtime, init_static, doc, qualname, is_exception
            )
            if ctx.stubs and shape is not None and out["constructor"] is not None:
                _annotate_from_fields(out["constructor"], shape)
        except Exception as exc:
            ctx.warn(f"{qualname}.__init__", "member_failed", f"{type(exc).__name__}: {exc}")
    return out


def _target(runtime: type, qualname: str) -> str:
    if "<locals>" in runtime.__qualname__:
        return qualname
    return f"{runtime.__module__}.{runtime.__qualname__}"


def _bases(runtime: type) -> list[str]:
    out = []
    for base in runtime.__bases__:
        path = tx.runtime_path(base)
        if path and path not in ("builtins.object", "typing.Generic"):
            out.append(tx.normalize_path(path))
    return out


def _raw(cls: type, member: str) -> Any:
    """The member as stored in the class (staticmethod/classmethod objects kept)."""
    try:
        return inspect.getattr_static(cls, member)
    except AttributeError:
        return None


def _own_package(ctx: Context, klass: type) -> bool:
    return klass.__module__.split(".")[0] == ctx.top


def _members(ctx: Context, runtime: type, gcls: Any) -> list[tuple[str, str, Any]]:
    """(name, kind, griffe object or None): kind is method, classmethod, staticmethod
    or property; griffe's view (inherited members included) when it read the class.

    With typeshed's stubs, the runtime members griffe's view lacks are added too
    (typeshed leaves out what a builtin class inherits from an ABC, e.g. ``dict.clear``),
    each with the stub of the class that defines it at run time when there is one; a
    stub method that a builtin class does not have at run time is left out."""
    out: list[tuple[str, str, Any]] = []
    if gcls is not None:
        out = _static_members(ctx, runtime, gcls)
        if not ctx.stubs:
            return out
    seen = {member for member, _, _ in out}
    for klass in runtime.__mro__:
        if klass is object or (klass is not runtime and not _own_package(ctx, klass)):
            continue
        owner = None
        if ctx.stubs and ctx.static is not None:
            owner = gcls if klass is runtime else ctx.static.get(_target(klass, ""))
        for member, raw in vars(klass).items():
            if member in seen:
                continue
            seen.add(member)
            kind = _runtime_kind(raw)
            if kind is not None:
                out.append((member, kind, _own_static(owner, member, kind)))
        for member in getattr(klass, "__annotations__", {}):
            if member not in seen:
                seen.add(member)
                out.append((member, "property", _own_static(owner, member, "property")))
    return out


def _static_members(ctx: Context, runtime: type, gcls: Any) -> list[tuple[str, str, Any]]:
    out: list[tuple[str, str, Any]] = []
    stub_class = ctx.stubs and str(getattr(gcls, "filepath", "")).endswith(".pyi")
    if stub_class and ctx.static is not None and ctx.static.stubs is not None:
        ctx.static.stubs.prepare(gcls)
    try:
        members = dict(gcls.all_members)
    except Exception:
        members = dict(gcls.members)
    for member, obj in members.items():
        target = final(obj)
        if ctx.stubs and ctx.static is not None and target is not None and not is_static(target):
            target = ctx.static.get(target.path) or target  # inherited from a C base
        if isinstance(target, griffe.Function):
            if stub_class and _raw(runtime, member) is None:
                continue  # e.g. a method typeshed has for a later patch release
            if "property" not in target.labels and not _exists(runtime, member):
                continue  # declared statically, absent at run time (sklearn's set_*_request)
            labels = target.labels
            if "property" in labels:
                out.append((member, "property", target))
            elif "staticmethod" in labels:
                out.append((member, "staticmethod", target))
            elif "classmethod" in labels:
                out.append((member, "classmethod", target))
            else:
                out.append((member, "method", target))
        elif isinstance(target, griffe.Attribute):
            if stub_class and _runtime_kind(_raw(runtime, member)) == "method":
                out.append((member, "method", None))  # `__call__: _CallableT` in a stub
            else:
                out.append((member, "property", target))
    return out


def _exists(cls: type, member: str) -> bool:
    """Whether the class has ``member`` at run time (a descriptor may refuse it)."""
    try:
        return hasattr(cls, member)
    except Exception:
        return False


#: Special methods the generator gives a TypeScript form (see packages/codegen/README.md).
DUNDERS = (
    "__str__",
    "__repr__",
    "__len__",
    "__iter__",
    "__contains__",
    "__getitem__",
    "__setitem__",
    "__delitem__",
    "__lt__",
    "__le__",
    "__gt__",
    "__ge__",
    "__eq__",
    "__ne__",
)


def _dunders(
    ctx: Context, runtime: type, gcls: Any, qualname: str, rel: str
) -> list[dict[str, Any]]:
    """The special methods of :data:`DUNDERS` that the class or a base of its own package
    defines (``object``'s and other packages' are left out)."""
    out = []
    for member in DUNDERS:
        owner = next((k for k in runtime.__mro__ if member in vars(k)), None)
        if owner is None or owner is object or not _own_package(ctx, owner):
            continue
        raw = vars(owner)[member]
        if raw is None or not (
            inspect.isroutine(raw) or isinstance(raw, (staticmethod, classmethod))
        ):
            continue  # e.g. __hash__ = None
        if ctx.flt.excluded(f"{rel}.{member}"):
            continue
        static = None
        if gcls is not None:
            try:
                static = final(gcls.all_members.get(member))
            except Exception:
                static = None
        where = f"{qualname}.{member}"
        try:
            out.append(
                describe_callable(
                    ctx, name=member, qualname=where, runtime=raw, static=static, drop_first=True
                )
            )
        except Exception as exc:
            ctx.warn(where, "member_failed", f"{type(exc).__name__}: {exc}")
    return out


def _runtime_kind(raw: Any) -> str | None:
    if isinstance(raw, staticmethod):
        return "staticmethod"
    if isinstance(raw, classmethod):
        return "classmethod"
    if isinstance(raw, property):
        return "property"
    if inspect.isroutine(raw):
        return "method"
    if not inspect.isclass(raw):
        return "property"
    return None


def _own_static(owner: Any, member: str, kind: str) -> Any:
    """The stub class's own ``member`` when it matches ``kind``, else None."""
    if not isinstance(owner, griffe.Class):
        return None
    found = final(owner.members.get(member))
    if kind == "property":
        return found if isinstance(found, (griffe.Attribute, griffe.Function)) else None
    if isinstance(found, griffe.Function) and "property" not in found.labels:
        return found
    return None


def _property(
    ctx: Context,
    cls: type,
    member: str,
    static: Any,
    raw: Any,
    class_doc: ParsedDoc,
    where: str,
) -> dict[str, Any]:
    annotation: TypeExpr | None = None
    if isinstance(static, (griffe.Attribute, griffe.Function)):
        labels = static.labels
        is_property = "property" in labels
        readonly = is_property and "writable" not in labels
        module = static.module.path
        raw_annotation = static.annotation if isinstance(static, griffe.Attribute) else None
        if isinstance(static, griffe.Function):
            raw_annotation = static.returns
        annotation = ctx.static_type(raw_annotation, module, where)
        doc = docstrings.parse(static.docstring) if static.docstring else _descriptor_doc(raw)
        class_level = "class-attribute" in labels and not is_property
    else:
        is_property = isinstance(raw, property)
        readonly = is_property and raw.fset is None
        class_level = not is_property and raw is not None
        fget = raw.fget if is_property else None
        module = getattr(fget, "__module__", None) or cls.__module__
        if fget is not None:
            raw_annotation = _hints_of(fget).get("return", inspect.Parameter.empty)
        else:
            raw_annotation = _annotations(cls).get(member, inspect.Parameter.empty)
        annotation = ctx.runtime_type(raw_annotation, tx.module_globals(module), where)
        doc = docstrings.parse_text(getattr(fget, "__doc__", None))
    text = doc.text()
    item = class_doc.attributes.get(member)
    if not text and item is not None:
        text = item.text
    if annotation is None and item is not None:
        annotation = ctx.doc_type(item.annotation, module)
    return {
        "name": member,
        "kind": "property" if is_property else "attribute",
        "annotation": annotation,
        "readonly": readonly,
        "class_level": class_level,
        "doc": text,
    }


def _descriptor_doc(raw: Any) -> ParsedDoc:
    """The runtime docstring of a property or a C type's getset/member descriptor (a
    stub has no docstrings); nothing for plain class attributes (their type's doc)."""
    if (
        isinstance(raw, property)
        or inspect.isgetsetdescriptor(raw)
        or inspect.ismemberdescriptor(raw)
    ):
        doc = getattr(raw, "__doc__", None)
        return docstrings.parse_text(doc if isinstance(doc, str) else None)
    return ParsedDoc()


def _constructor(
    ctx: Context,
    runtime: type,
    init_static: Any,
    class_doc: ParsedDoc,
    qualname: str,
    is_exception: bool,
) -> dict[str, Any] | None:
    where = f"{qualname}.__init__"
    if isinstance(init_static, griffe.Function) and is_static(init_static):
        return describe_callable(
            ctx,
            name="__init__",
            qualname=where,
            runtime=_raw(runtime, "__init__"),
            static=init_static,
            drop_first=True,
            extra_doc=class_doc,
            is_init=True,
        )
    try:
        inspect.signature(runtime)
    except (TypeError, ValueError):
        if is_exception:  # BaseException.__init__(*args)
            return _exception_constructor(where)
    init = plain_function(runtime.__init__)
    if init is not None and not init.__module__.startswith(ctx.top):
        init = None  # e.g. pydantic's BaseModel.__init__: its docstring is not this class's
    return runtime_function(
        ctx,
        runtime,
        name="__init__",
        qualname=where,
        extra_doc=class_doc,
        is_init=True,
        hints_from=init,
    )


def _annotate_from_fields(constructor: dict[str, Any], shape: dict[str, Any]) -> None:
    """Annotate a data shape's constructor parameters from its fields where the
    constructor had none (a stub ``class Match(NamedTuple)`` over a runtime
    ``namedtuple``, whose ``__new__`` is unannotated)."""
    fields = {f["name"]: f["annotation"] for f in shape["fields"]}
    for param in constructor["params"]:
        if param["annotation"] is None and fields.get(param["name"]) is not None:
            param["annotation"] = fields[param["name"]]
    constructor["typed"] = all(not tx.has_unknown(p["annotation"]) for p in constructor["params"])


def _exception_constructor(where: str) -> dict[str, Any]:
    return {
        "kind": "function",
        "name": "__init__",
        "qualname": where,
        "target": "builtins.BaseException.__init__",
        "params": [
            {
                "name": "args",
                "kind": "var_positional",
                "annotation": tx.any_(),
                "default": None,
                "doc": "",
            }
        ],
        "returns": None,
        "returns_doc": "",
        "raises": [],
        "is_async": False,
        "is_generator": False,
        "is_async_generator": False,
        "streaming": False,
        "doc": {"summary": "", "description": "", "examples": []},
        "source": "inspect",
        "typed": True,
    }


# -- data shapes -----------------------------------------------------------------------


def _is_typeddict(cls: type) -> bool:
    if typing.is_typeddict(cls):
        return True
    extensions = sys.modules.get("typing_extensions")
    return bool(extensions and extensions.is_typeddict(cls))


def _pydantic_model(cls: type) -> bool:
    pydantic = sys.modules.get("pydantic")
    base = getattr(pydantic, "BaseModel", None)
    return isinstance(base, type) and issubclass(cls, base) and cls is not base


def _shape(
    ctx: Context, cls: type, gcls: Any, doc: ParsedDoc, qualname: str
) -> dict[str, Any] | None:
    """dataclass / TypedDict / pydantic model / namedtuple fields, or None."""
    fields: list[tuple[str, bool, dict[str, Any] | None, Any, str]] = []
    if dataclasses.is_dataclass(cls):
        kind = "dataclass"
        for f in dataclasses.fields(cls):
            default = None
            if f.default is not dataclasses.MISSING:
                default = default_value(f.default)
            elif f.default_factory is not dataclasses.MISSING:
                default = {"repr": f"{getattr(f.default_factory, '__qualname__', '?')}()"}
            fields.append((f.name, f.init and default is None, default, f.type, ""))
    elif _is_typeddict(cls):
        kind = "typeddict"
        required = getattr(cls, "__required_keys__", frozenset())
        for fname, annotation in _annotations(cls).items():
            fields.append((fname, fname in required, None, annotation, ""))
    elif _pydantic_model(cls):
        kind = "pydantic"
        for fname, info in getattr(cls, "model_fields", {}).items():
            required = bool(info.is_required())
            default = None
            if not required and info.default_factory is not None:
                default = {"repr": f"{getattr(info.default_factory, '__qualname__', '?')}()"}
            elif not required:
                default = default_value(info.default)
            fields.append((fname, required, default, info.annotation, info.description or ""))
    elif issubclass(cls, tuple) and isinstance(getattr(cls, "_fields", None), tuple):
        kind = "namedtuple"
        defaults = getattr(cls, "_field_defaults", {})
        annotations = _annotations(cls)
        for fname in cls._fields:
            default = default_value(defaults[fname]) if fname in defaults else None
            fields.append((fname, fname not in defaults, default, annotations.get(fname), ""))
    else:
        return None
    hints = _annotations(cls)
    globalns = tx.module_globals(cls.__module__)
    out = []
    for fname, required, default, runtime_annotation, description in fields:
        where = f"{qualname}.{fname}"
        annotation = None
        static_attr = _static_member(gcls, fname)
        if kind != "pydantic" and static_attr is not None and static_attr.annotation is not None:
            annotation = ctx.static_type(static_attr.annotation, static_attr.module.path, where)
        if annotation is None:
            raw = hints.get(fname, runtime_annotation)
            annotation = ctx.runtime_type(
                inspect.Parameter.empty if raw is None else raw, globalns, where
            )
        text = description
        if not text and static_attr is not None and static_attr.docstring is not None:
            text = static_attr.docstring.value.strip()
        if not text and fname in doc.attributes:
            text = doc.attributes[fname].text
        out.append(
            {
                "name": fname,
                "annotation": annotation,
                "required": required,
                "default": default,
                "doc": text,
            }
        )
    return {"kind": kind, "fields": out}


def _static_member(gcls: Any, member: str) -> Any:
    if gcls is None:
        return None
    try:
        obj = final(gcls.all_members.get(member))
    except Exception:
        return None
    return obj if isinstance(obj, griffe.Attribute) else None


def _hints_of(func: Any) -> dict[str, Any]:
    try:
        return typing.get_type_hints(func, include_extras=True)
    except Exception:
        return {}


def _annotations(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls, include_extras=True)
    except Exception:
        merged: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            merged.update(getattr(klass, "__annotations__", {}) or {})
        return merged
