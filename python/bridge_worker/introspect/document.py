"""The descriptor document (schema version 1): walk modules, describe members."""

from __future__ import annotations

import functools
import importlib
import importlib.metadata
import importlib.util
import inspect
import json
import pkgutil
import platform
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import griffe

from bridge_worker import __version__
from bridge_worker.faults import InvalidArgumentError, NotFoundError
from bridge_worker.introspect import docstrings, static
from bridge_worker.introspect.classes import describe_class
from bridge_worker.introspect.context import Context, Filter
from bridge_worker.introspect.functions import describe_callable, plain_function
from bridge_worker.introspect.static import final, is_static, json_value
from bridge_worker.registry import type_name

SCHEMA_VERSION = 1
_MISSING = object()
#: Values whose JSON is larger than this are described without ``value``.
_VALUE_LIMIT = 2000
_REPR_LIMIT = 200


@dataclass
class Description:
    """The descriptor document and the members that could not be described."""

    descriptor: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """Deterministic JSON of the descriptor."""
        return json.dumps(self.descriptor, ensure_ascii=False, separators=(",", ":"))


def describe(module_name: str, depth: int, include: list[str], exclude: list[str]) -> Description:
    """Describe ``module_name`` and its submodules down to ``depth``.

    Runs on a worker thread (importing and analysing run arbitrary code and take time).
    """
    if not module_name:
        raise InvalidArgumentError("Describe needs a module name")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name == module_name or module_name.startswith(f"{exc.name}."):
            raise NotFoundError(f"no module named {module_name!r}") from None
        raise
    top = module_name.split(".")[0]
    with static.LOCK:
        ctx = Context(module_name, None, Filter(include, exclude))
        try:
            ctx.static = static.load(top)
        except Exception as exc:
            ctx.warn(top, "static_analysis_failed", f"griffe: {type(exc).__name__}: {exc}")
        modules = _walk(ctx, module, depth)
        base_classes = _base_classes(ctx, modules)
    analyzers = {"griffe": _version("griffe")}
    if ctx.stubs:
        analyzers["typeshed_client"] = _version("typeshed_client")
    descriptor = {
        "schema_version": SCHEMA_VERSION,
        "module": module_name,
        "python_version": platform.python_version(),
        "agent_version": __version__,
        "analyzers": analyzers,
        "packages": packages(top),
        "modules": modules,
        "warnings": ctx.warnings,
    }
    if base_classes:
        descriptor["base_classes"] = base_classes
    return Description(descriptor, [f"{w['path']}: {w['message']}" for w in ctx.warnings])


def _version(dist: str) -> str | None:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


@functools.lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    return dict(importlib.metadata.packages_distributions())


def packages(top: str) -> dict[str, str]:
    """Installed distributions that provide import name ``top``, with versions."""
    out = {}
    for dist in sorted(set(_distributions().get(top, []))):
        version = _version(dist)
        if version is not None:
            out[dist] = version
    return out


# -- base classes ----------------------------------------------------------------------


def _base_classes(ctx: Context, modules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Classes of the package that described classes inherit from (their whole MRO) but
    no described module exports, described whole, so that generated classes can extend
    them and inherited members have one home."""
    described = {
        m["target"] for module in modules for m in module["members"] if m["kind"] == "class"
    }
    wanted: dict[str, type] = {}
    for module in modules:
        for member in module["members"]:
            if member["kind"] != "class":
                continue
            runtime = static.runtime_class(member["target"])
            for klass in getattr(runtime, "__mro__", ())[1:]:
                if klass is object or klass.__module__.split(".")[0] != ctx.top:
                    continue
                path = f"{klass.__module__}.{klass.__qualname__}"
                if "<" not in path and path not in described:
                    wanted.setdefault(path, klass)
    out = []
    flt, ctx.flt = ctx.flt, Filter([], [])  # a base is described whole
    try:
        for path in sorted(wanted):
            klass = wanted[path]
            gobj = ctx.static.get(path) if ctx.static is not None else None
            try:
                out.append(
                    describe_class(
                        ctx,
                        name=klass.__name__,
                        qualname=path,
                        runtime=klass,
                        static=gobj,
                        rel=path,
                    )
                )
            except Exception as exc:
                ctx.warn(path, "member_failed", f"{type(exc).__name__}: {exc}")
    finally:
        ctx.flt = flt
    return out


# -- modules ---------------------------------------------------------------------------


def _rel(ctx: Context, module_name: str) -> str:
    return module_name[len(ctx.root) + 1 :] if module_name != ctx.root else ""


def _walk(ctx: Context, module: ModuleType, depth: int) -> list[dict[str, Any]]:
    modules = []
    queue = [(module, 0)]
    seen: set[str] = set()
    while queue:
        current, level = queue.pop(0)
        if current.__name__ in seen:
            continue
        seen.add(current.__name__)
        modules.append(describe_module(ctx, current))

        def wanted(rel: str, level: int = level) -> bool:
            # Depth bounds discovery; a dotted include path is followed at any depth.
            return ctx.flt.keeps(rel) and (level < depth or ctx.flt.named(rel))

        queue.extend((sub, level + 1) for sub in _submodules(ctx, current, wanted))
    return modules


def _submodules(ctx: Context, module: ModuleType, wanted: Any) -> list[ModuleType]:
    found: dict[str, ModuleType] = {}
    prefix = module.__name__ + "."
    for name, obj in list(vars(module).items()):
        if not name.startswith("_") and inspect.ismodule(obj) and obj.__name__ == prefix + name:
            found[obj.__name__] = obj
    for info in pkgutil.iter_modules(getattr(module, "__path__", None) or []):
        full = prefix + info.name
        if info.name.startswith("_") or full in found or not wanted(_rel(ctx, full)):
            continue
        try:
            found[full] = importlib.import_module(full)
        except BaseException as exc:
            ctx.warn(full, "import_failed", f"import failed: {type(exc).__name__}: {exc}")
    return [found[name] for name in sorted(found) if wanted(_rel(ctx, name))]


def describe_module(ctx: Context, module: ModuleType) -> dict[str, Any]:
    rel = _rel(ctx, module.__name__)
    gmod = ctx.static.get(module.__name__) if ctx.static is not None else None
    if isinstance(gmod, griffe.Module) and is_static(gmod) and gmod.docstring is not None:
        doc = docstrings.parse(gmod.docstring)
    else:
        doc = docstrings.parse_text(module.__doc__ if isinstance(module.__doc__, str) else None)
    members = []
    for name in public_names(ctx, module, rel):
        path = f"{rel}.{name}" if rel else name
        if not ctx.flt.keeps(path):
            continue
        where = f"{module.__name__}.{name}"
        try:
            obj = getattr(module, name)
        except AttributeError:
            ctx.warn(where, "missing_name", "listed in __all__ but not defined")
            continue
        except Exception as exc:
            ctx.warn(where, "member_failed", f"reading it raised {type(exc).__name__}: {exc}")
            continue
        try:
            members.append(describe_member(ctx, module, name, obj, gmod, path))
        except Exception as exc:
            ctx.warn(where, "member_failed", f"{type(exc).__name__}: {exc}")
    return {"name": module.__name__, "doc": doc.as_doc(), "members": members}


def public_names(ctx: Context, module: ModuleType, rel: str) -> list[str]:
    """``__all__``; else ``dir()`` without underscores, foreign imports and foreign
    modules; plus any name an include entry asks for explicitly."""
    try:
        exported = getattr(module, "__all__", None)
        names = None if exported is None else list(dict.fromkeys(str(n) for n in exported))
    except Exception as exc:
        ctx.warn(module.__name__, "names_failed", f"cannot read __all__: {exc}")
        names = None
    if names is None:
        names = []
        namespace = vars(module)
        for name in sorted(dir(module)):
            if name.startswith("_"):
                continue
            value = namespace.get(name, _MISSING)
            if value is _MISSING or not _foreign(ctx, module, name, value):
                names.append(name)
    for entry in ctx.flt.below(rel):
        first, _, rest = entry.partition(".")
        if first in names:
            continue
        if hasattr(module, first):
            if not rest:  # only what is named itself; a path below is walked, not listed
                names.append(first)
        elif not _has_submodule(module, first):
            where = f"{module.__name__}.{first}"
            ctx.warn(where, "include_not_found", "named in include but not found")
    return names


def _has_submodule(module: ModuleType, name: str) -> bool:
    if not hasattr(module, "__path__"):
        return False
    try:
        return importlib.util.find_spec(f"{module.__name__}.{name}") is not None
    except Exception:
        return False


def _foreign(ctx: Context, module: ModuleType, name: str, value: Any) -> bool:
    """Whether ``value`` was imported from another package (or is another module)."""
    if inspect.ismodule(value):
        return value.__name__ != f"{module.__name__}.{name}"
    if inspect.isclass(value) or inspect.isroutine(value):
        owner = getattr(value, "__module__", None)
    else:
        owner = type(value).__module__
        if owner in ("builtins", None):
            return False
    if not isinstance(owner, str):
        return False
    return owner.split(".")[0] != ctx.top


# -- members ---------------------------------------------------------------------------


def _static_for(ctx: Context, gmod: Any, name: str, qualname: str, obj: Any) -> Any:
    """griffe's object for a runtime member: by name in the module, else by the
    runtime object's own ``__module__.__qualname__`` (re-exports, bound methods)."""
    if ctx.static is None:
        return None
    found = None
    if isinstance(gmod, griffe.Module):
        found = final(gmod.members.get(name))
    if found is None:
        found = ctx.static.get(qualname)
    expected = griffe.Class if inspect.isclass(obj) else griffe.Function
    if isinstance(found, expected) and is_static(found):
        return found
    inner = obj if inspect.isclass(obj) else plain_function(obj)
    owner = getattr(inner, "__module__", None)
    qual = getattr(inner, "__qualname__", None)
    if isinstance(owner, str) and isinstance(qual, str) and "<locals>" not in qual:
        found = ctx.static.get(f"{owner}.{qual}")
        if isinstance(found, expected) and is_static(found):
            return found
    return None


def describe_member(
    ctx: Context, module: ModuleType, name: str, obj: Any, gmod: Any, rel: str
) -> dict[str, Any]:
    qualname = f"{module.__name__}.{name}"
    if inspect.ismodule(obj):
        return {"kind": "module", "name": name, "qualname": qualname, "module": obj.__name__}
    if inspect.isclass(obj):
        gobj = _static_for(ctx, gmod, name, qualname, obj)
        return describe_class(ctx, name=name, qualname=qualname, runtime=obj, static=gobj, rel=rel)
    if _callable_object(obj):
        return _described_callable_object(ctx, name, qualname, obj, gmod)
    if inspect.isroutine(obj) or isinstance(obj, functools.partial):
        gobj = _static_for(ctx, gmod, name, qualname, obj)
        bound = inspect.ismethod(obj)
        return describe_callable(
            ctx,
            name=name,
            qualname=qualname,
            runtime=obj.__func__ if bound else obj,
            static=gobj,
            drop_first=bound,
        )
    return _value(ctx, name, qualname, obj, gmod)


def _callable_object(obj: Any) -> bool:
    """An instance of a class with ``__call__`` (a numpy ufunc, a functools.cache...)."""
    if inspect.isroutine(obj) or isinstance(obj, functools.partial) or inspect.isclass(obj):
        return False
    try:
        return callable(obj) and not inspect.ismodule(obj)
    except Exception:
        return False


def _described_callable_object(
    ctx: Context, name: str, qualname: str, obj: Any, gmod: Any
) -> dict[str, Any]:
    """A callable object as the function it is called as: the ``__call__`` of the class
    its annotation names (a stub's ``matmul: _GUFunc_Nin2_Nout1[...]``), else the runtime
    signature."""
    call = None
    attr = final(gmod.members.get(name)) if isinstance(gmod, griffe.Module) else None
    if (
        isinstance(attr, griffe.Attribute)
        and attr.annotation is not None
        and ctx.static is not None
    ):
        expr = attr.annotation
        expr = expr.left if isinstance(expr, griffe.ExprSubscript) else expr
        try:
            path = expr.canonical_path if isinstance(expr, griffe.Expr) else str(expr)
        except Exception:
            path = None
        cls = ctx.static.get(path) if path else None
        if isinstance(cls, griffe.Class):
            try:
                call = final(cls.all_members.get("__call__"))
            except Exception:
                call = None
    target = plain_function(inspect.getattr_static(type(obj), "__call__", None))
    if isinstance(call, griffe.Function) and is_static(call):
        out = describe_callable(
            ctx, name=name, qualname=qualname, runtime=target, static=call, drop_first=True
        )
    else:
        out = describe_callable(ctx, name=name, qualname=qualname, runtime=obj, static=None)
    if not out["doc"]["summary"]:
        text = obj.__doc__ if isinstance(getattr(obj, "__doc__", None), str) else None
        out["doc"] = docstrings.parse_text(text).as_doc()
    out["target"] = qualname
    return out


def _value(ctx: Context, name: str, qualname: str, obj: Any, gmod: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kind": "value",
        "name": name,
        "qualname": qualname,
        "type": type_name(obj),
        "annotation": None,
        "doc": docstrings.ParsedDoc().as_doc(),
    }
    attr = final(gmod.members.get(name)) if isinstance(gmod, griffe.Module) else None
    if isinstance(attr, griffe.Attribute) and is_static(attr):
        out["annotation"] = ctx.static_type(attr.annotation, attr.module.path, qualname)
        if attr.docstring is not None:
            out["doc"] = docstrings.parse(attr.docstring).as_doc()
    try:
        text = repr(obj)
    except Exception:
        text = object.__repr__(obj)
    out["repr"] = text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 3] + "..."
    ok, value = json_value(obj)
    if ok and len(json.dumps(value)) <= _VALUE_LIMIT:
        out["value"] = value
    return out
