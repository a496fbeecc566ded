"""Describe, schema version 1: real imports of real modules, no mocks.

The fixture package (tests/support/bridge_typed_fixture) holds one example of every
parameter kind, every row of the type table, every class member kind, data shapes,
streams, docstring styles and members that break.
"""

from __future__ import annotations

import json
import sys
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from harness import SUPPORT

from bridge_worker.introspect import SCHEMA_VERSION, describe, report
from bridge_worker.introspect.typeexpr import from_runtime, module_globals

if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

SCHEMA = Path(__file__).parents[2] / "docs" / "descriptor.schema.json"

STR = {"kind": "name", "name": "builtins.str"}
INT = {"kind": "name", "name": "builtins.int"}
FLOAT = {"kind": "name", "name": "builtins.float"}
BOOL = {"kind": "name", "name": "builtins.bool"}
NONE = {"kind": "none"}
ANY = {"kind": "any"}
POINT = {"kind": "name", "name": "bridge_typed_fixture.shapes.Point"}


def generic(base: str, *args: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "generic", "base": base, "args": list(args)}


def union(*items: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "union", "items": list(items)}


def members(doc: dict[str, Any], module: str | None = None) -> dict[str, dict[str, Any]]:
    found = [m for m in doc["modules"] if module is None or m["name"] == module]
    return {m["name"]: m for m in found[0]["members"]}


def params(fn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in fn["params"]}


def by_name(entries: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in entries}


@pytest.fixture(scope="module")
def fixture_doc() -> dict[str, Any]:
    result = describe("bridge_typed_fixture", 0, [], [])
    assert result.descriptor == json.loads(result.to_json())  # plain JSON throughout
    return result.descriptor


@pytest.fixture(scope="module")
def fixture_warnings() -> list[str]:
    return describe("bridge_typed_fixture", 0, [], []).warnings


@pytest.fixture(scope="module")
def fx(fixture_doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return members(fixture_doc)


# -- the document ----------------------------------------------------------------------


def test_document_header(fixture_doc: dict[str, Any]) -> None:
    assert SCHEMA_VERSION == 1
    assert fixture_doc["schema_version"] == 1
    assert fixture_doc["module"] == "bridge_typed_fixture"
    assert fixture_doc["python_version"].startswith(f"{sys.version_info[0]}.")
    assert fixture_doc["agent_version"]
    assert fixture_doc["analyzers"]["griffe"]
    assert fixture_doc["packages"] == {}  # on PYTHONPATH, not an installed distribution
    assert [m["name"] for m in fixture_doc["modules"]] == ["bridge_typed_fixture"]
    module = fixture_doc["modules"][0]
    assert module["doc"]["summary"].startswith("A package that exercises every row")


def test_all_is_respected_in_order(fixture_doc: dict[str, Any]) -> None:
    import bridge_typed_fixture

    names = [m["name"] for m in fixture_doc["modules"][0]["members"]]
    expected = [n for n in bridge_typed_fixture.__all__ if n != "exploding"]
    assert names == expected


def test_installed_distribution_versions() -> None:
    doc = describe("pytest", 0, ["main"], []).descriptor
    assert "pytest" in doc["packages"]
    assert doc["packages"]["pytest"].count(".") >= 1


# -- parameters and the type table ------------------------------------------------------


def test_every_parameter_kind(fx: dict[str, dict[str, Any]]) -> None:
    kinds = fx["kinds"]
    assert [(p["name"], p["kind"]) for p in kinds["params"]] == [
        ("a", "positional_only"),
        ("b", "positional_only"),
        ("c", "positional_or_keyword"),
        ("args", "var_positional"),
        ("d", "keyword_only"),
        ("e", "keyword_only"),
        ("kwargs", "var_keyword"),
    ]
    p = params(kinds)
    assert p["a"]["default"] is None
    assert p["b"]["default"] == {"repr": "'x'", "value": "x"}
    assert p["c"]["default"] == {"repr": "1.5", "value": 1.5}
    assert p["d"]["default"] is None  # keyword-only and required
    assert p["e"]["default"] == {"repr": "None", "value": None}
    assert p["args"]["annotation"] == INT  # the type of each element, as in Python
    assert p["args"]["default"] is None
    assert p["kwargs"]["annotation"] == STR
    assert p["e"]["annotation"] == union(generic("builtins.list", INT), NONE)
    assert kinds["returns"] == generic("builtins.dict", STR, ANY)
    assert kinds["typed"] is True
    assert kinds["source"] == "griffe"
    assert kinds["qualname"] == "bridge_typed_fixture.kinds"
    assert kinds["target"] == "bridge_typed_fixture.functions.kinds"


EXPECTED_TYPES: dict[str, dict[str, Any]] = {
    "s": STR,
    "i": INT,
    "f": FLOAT,
    "b": BOOL,
    "n": NONE,
    "raw": {"kind": "name", "name": "builtins.bytes"},
    "items": generic("builtins.list", INT),
    "pair": {"kind": "tuple", "items": [STR, INT], "variadic": False},
    "many": {"kind": "tuple", "items": [FLOAT], "variadic": True},
    "mapping": generic("builtins.dict", STR, INT),
    "unique": generic("builtins.set", STR),
    "maybe": union(INT, NONE),
    "either": union(INT, STR),
    "pipe": union(INT, NONE),
    "mode": {"kind": "literal", "values": ["r", "w", 1, True, None]},
    "cb": {"kind": "callable", "params": [INT, STR], "returns": BOOL},
    "anycb": {"kind": "callable", "params": None, "returns": ANY},
    "old_list": generic("builtins.list", INT),
    "old_dict": generic("builtins.dict", STR, generic("builtins.list", INT)),
    "old_tuple": {"kind": "tuple", "items": [INT, STR], "variadic": False},
    "seq": generic("collections.abc.Sequence", INT),
    "ro": generic("collections.abc.Mapping", STR, FLOAT),
    "point": POINT,
    "movie": {"kind": "name", "name": "bridge_typed_fixture.shapes.Movie"},
    "anything": ANY,
    "meta": INT,  # Annotated[int, ...] keeps the type, drops the metadata
    "number": union(INT, FLOAT),  # a module-level alias, expanded
    "it": generic("collections.abc.Iterator", STR),
}


def test_every_type_table_row(fx: dict[str, dict[str, Any]]) -> None:
    everything = fx["everything"]
    got = {p["name"]: p["annotation"] for p in everything["params"]}
    assert got == EXPECTED_TYPES
    assert everything["returns"] == union(POINT, NONE)
    assert everything["typed"] is True


def test_runtime_and_static_normalize_alike() -> None:
    """The inspect fallback gives the same TypeExprs griffe does."""
    from bridge_typed_fixture import functions

    hints = typing.get_type_hints(functions.everything, include_extras=True)
    globalns = module_globals(functions.__name__)
    for name, expected in EXPECTED_TYPES.items():
        assert from_runtime(hints[name], globalns) == expected, name
    assert from_runtime(hints["return"], globalns) == union(POINT, NONE)


def test_runtime_conversions_of_odd_forms() -> None:
    user_id = typing.NewType("user_id", int)
    assert from_runtime(user_id) == INT
    assert from_runtime(tuple[()]) == {"kind": "name", "name": "builtins.tuple"}
    assert from_runtime(typing.NoReturn) == {"kind": "never"}
    assert from_runtime(typing.ClassVar[list[str]]) == generic("builtins.list", STR)
    assert from_runtime("list[int]", {}) == generic("builtins.list", INT)
    assert from_runtime(typing.Callable) == {"kind": "callable", "params": None, "returns": ANY}
    # A recursive alias reached through a forward reference: expanded once, then named.
    json_like = typing.Union[int, typing.List[typing.ForwardRef("J")]]  # noqa: UP006, UP007
    assert from_runtime("J", {"__name__": "m", "J": json_like}) == union(
        INT, generic("builtins.list", {"kind": "name", "name": "m.J"})
    )
    unresolved: list[str] = []
    assert from_runtime("NoSuchName", {}, unresolved.append) == {
        "kind": "unknown",
        "text": "NoSuchName",
    }
    assert unresolved == ["NoSuchName"]


def test_forward_refs_and_typevars(fx: dict[str, dict[str, Any]]) -> None:
    refs = params(fx["forward_refs"])
    assert refs["p"]["annotation"] == POINT
    assert refs["ps"]["annotation"] == generic("builtins.list", POINT)
    assert refs["q"]["annotation"] == union(POINT, NONE)
    assert fx["forward_refs"]["returns"] == POINT
    tv = params(fx["typevars"])
    assert tv["x"]["annotation"] == {
        "kind": "typevar",
        "name": "T",
        "bound": None,
        "constraints": [],
    }
    assert tv["y"]["annotation"] == {
        "kind": "typevar",
        "name": "N",
        "bound": INT,
        "constraints": [],
    }
    assert fx["typevars"]["returns"] == generic("builtins.list", tv["x"]["annotation"])


# -- streams and coroutines ------------------------------------------------------------


def flags(fn: dict[str, Any]) -> tuple[bool, bool, bool, bool]:
    return (fn["is_async"], fn["is_generator"], fn["is_async_generator"], fn["streaming"])


def test_generators_async_generators_and_coroutines(fx: dict[str, dict[str, Any]]) -> None:
    assert flags(fx["count_up"]) == (False, True, False, True)
    assert flags(fx["gen_full"]) == (False, True, False, True)
    assert fx["gen_full"]["returns"] == generic("collections.abc.Generator", INT, NONE, STR)
    assert flags(fx["acount"]) == (False, False, True, True)
    assert fx["acount"]["returns"] == generic("collections.abc.AsyncIterator", INT)
    assert flags(fx["fetch"]) == (True, False, False, False)
    assert flags(fx["returns_iter"]) == (False, False, False, True)  # iterator, no yield
    assert flags(fx["kinds"]) == (False, False, False, False)


# -- classes ---------------------------------------------------------------------------


def test_class_with_every_member_kind(fx: dict[str, dict[str, Any]]) -> None:
    counter = fx["Counter"]
    assert counter["kind"] == "class"
    assert counter["qualname"] == "bridge_typed_fixture.Counter"
    assert counter["target"] == "bridge_typed_fixture.classes.Counter"
    assert counter["bases"] == []
    assert counter["is_exception"] is False
    assert "shape" not in counter
    assert counter["doc"]["summary"] == "Counts things."

    ctor = counter["constructor"]
    assert [(p["name"], p["kind"]) for p in ctor["params"]] == [
        ("start", "positional_or_keyword"),
        ("step", "keyword_only"),
    ]  # self is gone
    # Parameter docs come from the class docstring (Google "Args:" on the class).
    assert params(ctor)["start"]["doc"] == "Initial value."
    assert ctor["returns"] is None
    assert ctor["typed"] is True

    methods = by_name(counter["methods"])
    assert set(methods) == {"add", "aadd"}  # no _private, no dunders
    assert methods["add"]["params"][0]["annotation"] == union(INT, NONE)
    assert methods["add"]["returns_doc"] == "The new value."
    assert methods["aadd"]["is_async"] is True
    (from_string,) = counter["classmethods"]
    assert from_string["name"] == "from_string"
    assert [p["name"] for p in from_string["params"]] == ["text"]  # cls is gone
    assert from_string["returns"] == {
        "kind": "name",
        "name": "bridge_typed_fixture.classes.Counter",
    }
    (parse,) = counter["staticmethods"]
    assert [p["name"] for p in parse["params"]] == ["text"]
    call = counter["call"]
    assert call["name"] == "__call__"
    assert call["returns"] == INT
    assert [p["name"] for p in call["params"]] == ["n"]

    props = by_name(counter["properties"])
    assert props["value"] == {
        "name": "value",
        "kind": "property",
        "annotation": INT,
        "readonly": True,
        "class_level": False,
        "doc": "The current value.",
    }
    assert props["label"]["readonly"] is False  # has a setter
    assert props["created"]["class_level"] is True
    assert props["created"]["annotation"] == INT  # ClassVar[int] unwrapped
    assert props["name"]["kind"] == "attribute"
    assert "_value" not in props


def test_inherited_members_and_overrides(fx: dict[str, dict[str, Any]]) -> None:
    sub = fx["SubCounter"]
    assert sub["bases"] == ["bridge_typed_fixture.classes.Counter"]
    methods = by_name(sub["methods"])
    assert methods["add"]["doc"]["summary"] == "Add twice."
    assert methods["add"]["target"] == "bridge_typed_fixture.classes.SubCounter.add"
    assert methods["aadd"]["target"] == "bridge_typed_fixture.classes.Counter.aadd"
    assert sub["call"] is not None
    assert sub["constructor"]["params"][0]["name"] == "start"


def test_library_exception(fx: dict[str, dict[str, Any]]) -> None:
    error = fx["FixtureError"]
    assert error["is_exception"] is True
    assert error["bases"] == ["builtins.ValueError"]
    assert [p["name"] for p in error["constructor"]["params"]] == ["message", "code"]


def test_dataclass_shape(fx: dict[str, dict[str, Any]]) -> None:
    point = fx["Point"]
    assert point["shape"] == {
        "kind": "dataclass",
        "fields": [
            {
                "name": "x",
                "annotation": FLOAT,
                "required": True,
                "default": None,
                "doc": "Horizontal position.",
            },
            {
                "name": "y",
                "annotation": FLOAT,
                "required": False,
                "default": {"repr": "0.0", "value": 0.0},
                "doc": "Vertical position.",
            },
            {
                "name": "tags",
                "annotation": generic("builtins.list", STR),
                "required": False,
                "default": {"repr": "list()"},
                "doc": "",
            },
        ],
    }
    assert [p["name"] for p in point["constructor"]["params"]] == ["x", "y", "tags"]
    assert [m["name"] for m in point["methods"]] == ["norm"]


def test_dataclass_built_at_run_time_falls_back_to_inspect(
    fx: dict[str, dict[str, Any]],
) -> None:
    dynamic = fx["DynamicPoint"]
    assert dynamic["shape"]["kind"] == "dataclass"
    assert [(f["name"], f["annotation"], f["required"]) for f in dynamic["shape"]["fields"]] == [
        ("x", INT, True),
        ("y", FLOAT, False),
    ]
    assert dynamic["constructor"]["source"] == "inspect"
    (total,) = dynamic["methods"]
    assert total["source"] == "inspect"
    assert total["params"] == []
    assert total["returns"] == FLOAT
    assert total["doc"]["summary"] == "Sum of the coordinates."


def test_typeddict_and_namedtuple_shapes(fx: dict[str, dict[str, Any]]) -> None:
    movie = fx["Movie"]
    assert movie["shape"]["kind"] == "typeddict"
    assert [(f["name"], f["annotation"], f["required"]) for f in movie["shape"]["fields"]] == [
        ("title", STR, True),
        ("year", INT, False),  # NotRequired[int]
    ]
    assert movie["constructor"] is None
    assert movie["methods"] == []
    assert movie["properties"] == []
    pair = fx["Pair"]
    assert pair["shape"]["kind"] == "namedtuple"
    assert [(f["name"], f["required"], f["default"]) for f in pair["shape"]["fields"]] == [
        ("left", True, None),
        ("right", False, {"repr": "''", "value": ""}),
    ]
    assert [p["name"] for p in pair["constructor"]["params"]] == ["left", "right"]


def test_pydantic_model_shape() -> None:
    doc = describe("bridge_typed_fixture.models", 0, [], [])
    user = members(doc.descriptor)["User"]
    assert user["bases"] == ["pydantic.main.BaseModel"]
    fields = {f["name"]: f for f in user["shape"]["fields"]}
    assert user["shape"]["kind"] == "pydantic"
    assert fields["name"]["required"] is True
    assert fields["name"]["annotation"] == STR
    assert fields["age"]["default"] == {"repr": "0", "value": 0}
    assert fields["tags"]["doc"] == "Labels."
    assert fields["email"]["annotation"] == union(STR, NONE)
    assert all(p["kind"] == "keyword_only" for p in user["constructor"]["params"])
    assert [m["name"] for m in user["methods"]] == ["greeting"]


# -- docstrings ------------------------------------------------------------------------


def test_google_docstring(fx: dict[str, dict[str, Any]]) -> None:
    fn = fx["google_style"]
    assert fn["doc"] == {
        "summary": "Repeat text, Google style.",
        "description": "The text is repeated ``times`` times, joined by ``sep``.",
        "examples": [">>> google_style(\"ab\", 2)\n'ab ab'"],
    }
    p = params(fn)
    assert p["text"]["doc"] == "The text to repeat."
    # No annotations in the signature: the docstring's types are used.
    assert p["text"]["annotation"] == STR
    assert p["sep"]["annotation"] == STR
    assert fn["returns"] == STR
    assert fn["returns_doc"] == "The repeated text."
    assert fn["raises"] == [{"type": "builtins.ValueError", "doc": "If ``times`` is negative."}]
    assert fn["typed"] is True


def test_numpy_docstring(fx: dict[str, dict[str, Any]]) -> None:
    fn = fx["numpy_style"]
    assert fn["doc"]["summary"] == "Scale values, NumPy style."
    assert fn["doc"]["examples"] == [">>> numpy_style([1.0, 2.0], 2.0)\n[2.0, 4.0]"]
    p = params(fn)
    assert p["values"]["doc"] == "The values to scale."
    assert p["values"]["annotation"] is None  # "list of float" is prose, not a type
    assert p["scale"]["annotation"] == FLOAT
    assert fn["returns"] == generic("builtins.list", FLOAT)
    assert fn["raises"] == [{"type": "builtins.TypeError", "doc": "If a value is not a number."}]
    assert fn["typed"] is False


def test_sphinx_docstring(fx: dict[str, dict[str, Any]]) -> None:
    fn = fx["sphinx_style"]
    assert fn["doc"] == {
        "summary": "Greet someone, Sphinx style.",
        "description": "Longer explanation of the greeting.",
        "examples": [">>> sphinx_style(\"Ada\")\n'Hello, Ada'"],
    }
    p = params(fn)
    assert p["name"] == {
        "name": "name",
        "kind": "positional_or_keyword",
        "annotation": STR,
        "default": None,
        "doc": "Who to greet.",
    }
    assert fn["returns"] == STR
    assert fn["returns_doc"] == "The greeting."
    assert fn["raises"] == [{"type": "builtins.KeyError", "doc": "If the name is unknown."}]


def test_deprecations(fx: dict[str, dict[str, Any]]) -> None:
    assert fx["old_helper"]["doc"]["deprecated"] == "since 2.0: Use :func:`google_style` instead."
    assert ".. deprecated" not in fx["old_helper"]["doc"]["description"]
    assert fx["sunset"]["doc"]["deprecated"] == "use sphinx_style"
    legacy = fx["legacy"]["doc"]
    assert legacy["deprecated"] == "1.5: Use :func:`old_helper`, which is also deprecated."
    assert legacy["description"] == "Note: Kept for compatibility."
    assert "deprecated" not in fx["kinds"]["doc"]


# -- re-exports, lazy and dynamic members, values, failures ------------------------------


def test_pyi_stub_merged_with_source() -> None:
    scale = members(describe("bridge_typed_fixture.stubbed", 0, [], []).descriptor)["scale"]
    assert scale["source"] == "griffe"
    # Types from stubbed.pyi, docstring from stubbed.py.
    assert [(p["name"], p["annotation"]) for p in scale["params"]] == [
        ("values", generic("builtins.list", FLOAT)),
        ("factor", FLOAT),
    ]
    assert scale["returns"] == generic("builtins.list", FLOAT)
    assert scale["doc"]["summary"] == "Multiply every value by ``factor``."
    assert scale["typed"] is True


def test_bound_method_reexport(fx: dict[str, dict[str, Any]]) -> None:
    configure = fx["configure"]  # configure = settings.configure, as in dspy
    assert configure["kind"] == "function"
    assert configure["source"] == "griffe"
    assert configure["target"] == "bridge_typed_fixture.classes._Settings.configure"
    assert [p["name"] for p in configure["params"]] == ["lm", "kwargs"]  # self is gone


def test_lazy_getattr_member(fx: dict[str, dict[str, Any]]) -> None:
    lazy = fx["lazy_double"]
    assert lazy["target"] == "bridge_typed_fixture._lazy.lazy_double"
    assert lazy["source"] == "griffe"
    assert lazy["params"][0]["annotation"] == INT


def test_runtime_built_function_uses_inspect(fx: dict[str, dict[str, Any]]) -> None:
    fn = fx["dynamic_add"]
    assert fn["source"] == "inspect"
    assert [(p["name"], p["annotation"]) for p in fn["params"]] == [("x", INT), ("y", FLOAT)]
    assert params(fn)["y"]["default"] == {"repr": "2.0", "value": 2.0}
    assert fn["returns"] == FLOAT
    assert fn["doc"]["summary"] == "Add, built at run time."


def test_compiled_function_signature_from_docstring(fx: dict[str, dict[str, Any]]) -> None:
    hypot = fx["fast_hypot"]  # math.hypot: no __text_signature__
    assert hypot["source"] == "inspect"
    assert [(p["name"], p["kind"]) for p in hypot["params"]] == [("coordinates", "var_positional")]
    assert hypot["doc"]["summary"].startswith("Multidimensional Euclidean distance")


def test_values(fx: dict[str, dict[str, Any]]) -> None:
    assert fx["VERSION"] == {
        "kind": "value",
        "name": "VERSION",
        "qualname": "bridge_typed_fixture.VERSION",
        "type": "builtins.str",
        "annotation": STR,
        "doc": {"summary": "", "description": "", "examples": []},
        "repr": "'1.2.3'",
        "value": "1.2.3",
    }
    assert fx["LIMITS"]["value"] == {"max": 10}
    assert fx["sub"] == {
        "kind": "module",
        "name": "sub",
        "qualname": "bridge_typed_fixture.sub",
        "module": "bridge_typed_fixture.sub",
    }


def test_failures_become_warnings(
    fx: dict[str, dict[str, Any]], fixture_doc: dict[str, Any], fixture_warnings: list[str]
) -> None:
    # Reading the member raises: left out, with a warning.
    assert "exploding" not in fx
    # Computing the constructor raises: the class stays, without a constructor.
    weird = fx["Weird"]
    assert weird["constructor"] is None
    assert [m["name"] for m in weird["methods"]] == ["ok"]
    # No signature at all: described as (*args, **kwargs), untyped, with a warning.
    assert [p["kind"] for p in fx["no_signature"]["params"]] == ["var_positional", "var_keyword"]
    assert fx["no_signature"]["typed"] is False
    codes = {(w["path"], w["code"]) for w in fixture_doc["warnings"]}
    assert codes == {
        ("bridge_typed_fixture.exploding", "member_failed"),
        ("bridge_typed_fixture.Weird.__init__", "member_failed"),
        ("bridge_typed_fixture.no_signature", "no_signature"),
    }
    assert fixture_warnings == [f"{w['path']}: {w['message']}" for w in fixture_doc["warnings"]]
    assert any("signature exploded" in w for w in fixture_warnings)


def test_unresolvable_annotation_is_unknown_with_warning(tmp_path: Path) -> None:
    (tmp_path / "bridge_unresolved_fixture.py").write_text(
        "def f(x: 'NoSuchType', y: int) -> 'list[AlsoMissing]':\n    return []\n"
    )
    sys.path.insert(0, str(tmp_path))
    try:
        result = describe("bridge_unresolved_fixture", 0, [], [])
    finally:
        sys.path.remove(str(tmp_path))
    fn = members(result.descriptor)["f"]
    assert params(fn)["x"]["annotation"] == {"kind": "unknown", "text": "NoSuchType"}
    assert params(fn)["y"]["annotation"] == INT
    assert fn["returns"] == generic("builtins.list", {"kind": "unknown", "text": "AlsoMissing"})
    assert fn["typed"] is False
    assert [(w["path"], w["code"]) for w in result.descriptor["warnings"]] == [
        ("bridge_unresolved_fixture.f(x)", "unresolved_annotation"),
        ("bridge_unresolved_fixture.f(return)", "unresolved_annotation"),
    ]


# -- include / exclude / depth -----------------------------------------------------------


def test_include_exclude_and_dotted_paths() -> None:
    doc = describe(
        "bridge_typed_fixture",
        0,
        ["Counter", "kinds", "sub.Helper", "nothing_here"],
        ["Counter.aadd", "Counter.label"],
    ).descriptor
    # A dotted include path reaches into the submodule even at depth 0.
    assert [m["name"] for m in doc["modules"]] == [
        "bridge_typed_fixture",
        "bridge_typed_fixture.sub",
    ]
    root = members(doc, "bridge_typed_fixture")
    assert list(root) == ["Counter", "kinds", "sub"]
    assert [m["name"] for m in root["Counter"]["methods"]] == ["add"]
    assert "label" not in by_name(root["Counter"]["properties"])
    assert list(members(doc, "bridge_typed_fixture.sub")) == ["Helper"]
    assert {(w["path"], w["code"]) for w in doc["warnings"]} == {
        ("bridge_typed_fixture.nothing_here", "include_not_found")
    }
    # Naming a class member keeps the class with only that member.
    doc = describe("bridge_typed_fixture", 0, ["Counter.add"], []).descriptor
    counter = members(doc)["Counter"]
    assert [m["name"] for m in counter["methods"]] == ["add"]
    assert counter["classmethods"] == []
    assert counter["properties"] == []
    assert counter["constructor"] is not None
    assert counter["call"] is None  # __call__ was not named


def test_depth_walks_submodules() -> None:
    shallow = describe("json", 0, [], []).descriptor
    assert [m["name"] for m in shallow["modules"]] == ["json"]
    deep = describe("json", 1, [], ["tool"]).descriptor
    names = [m["name"] for m in deep["modules"]]
    assert names[0] == "json"
    assert {"json.decoder", "json.encoder", "json.scanner"} <= set(names)
    assert "json.tool" not in names  # excluded


# -- the standard library --------------------------------------------------------------


def test_math_compiled_module() -> None:
    result = describe("math", 0, [], [])
    assert result.warnings == []
    m = members(result.descriptor)
    isclose = m["isclose"]
    assert isclose["source"] == "griffe"  # compiled: griffe reads typeshed's stub
    assert [(p["name"], p["kind"]) for p in isclose["params"]] == [
        ("a", "positional_or_keyword"),
        ("b", "positional_or_keyword"),
        ("rel_tol", "keyword_only"),
        ("abs_tol", "keyword_only"),
    ]
    assert params(isclose)["rel_tol"]["default"] == {"repr": "1e-09", "value": 1e-09}
    assert [p["kind"] for p in m["sqrt"]["params"]] == ["positional_only"]
    # math.log has no text signature: its docstring's first line is used.
    assert [p["name"] for p in m["log"]["params"]] == ["x", "base"]
    assert m["log"]["doc"]["summary"] == "Return the logarithm of x to the given base."
    assert m["pi"]["value"] == pytest.approx(3.141592653589793)
    assert "value" not in m["inf"]
    assert m["inf"]["repr"] == "inf"


def test_builtin_method_signature_from_docstring_brackets() -> None:
    # "od.pop(key[,default]) -> v": the bracketed parameter is optional.
    doc = describe("collections", 0, ["OrderedDict.pop"], []).descriptor
    (pop,) = members(doc)["OrderedDict"]["methods"]
    assert [(p["name"], p["default"]) for p in pop["params"]] == [
        ("key", None),
        ("default", {"repr": "..."}),
    ]
    # The C type's constructor has neither: (*args, **kwargs) and a warning.
    assert [(w["path"], w["code"]) for w in doc["warnings"]] == [
        ("collections.OrderedDict.__init__", "no_signature")
    ]


def test_json_module() -> None:
    m = members(describe("json", 0, [], []).descriptor)
    assert list(m) == [
        "dump",
        "dumps",
        "load",
        "loads",
        "JSONDecoder",
        "JSONDecodeError",
        "JSONEncoder",
    ]
    loads = m["loads"]
    assert loads["source"] == "griffe"
    assert params(loads)["s"]["kind"] == "positional_or_keyword"
    assert params(loads)["object_hook"]["kind"] == "keyword_only"
    assert loads["typed"] is True  # typeshed's stubs (the source has no annotations)
    assert m["JSONDecodeError"]["target"] == "json.decoder.JSONDecodeError"
    encoder = m["JSONEncoder"]
    assert {x["name"] for x in encoder["methods"]} == {"default", "encode", "iterencode"}


def test_statistics_module() -> None:
    m = members(describe("statistics", 0, [], []).descriptor)
    normal = m["NormalDist"]
    assert [c["name"] for c in normal["classmethods"]] == ["from_samples"]
    props = by_name(normal["properties"])
    assert props["mean"]["readonly"] is True
    assert props["mean"]["kind"] == "property"
    assert params(m["quantiles"])["n"]["kind"] == "keyword_only"
    error = m["StatisticsError"]
    assert error["is_exception"]
    assert error["bases"] == ["builtins.ValueError"]
    assert error["constructor"]["params"][0]["kind"] == "var_positional"


def test_difflib_generators_and_namedtuple() -> None:
    m = members(describe("difflib", 0, [], []).descriptor)
    assert flags(m["unified_diff"]) == (False, True, False, True)
    assert flags(m["get_close_matches"]) == (False, False, False, False)
    assert m["Match"]["shape"]["kind"] == "namedtuple"
    assert [f["name"] for f in m["Match"]["shape"]["fields"]] == ["a", "b", "size"]
    matcher = by_name(m["SequenceMatcher"]["methods"])
    assert flags(matcher["get_grouped_opcodes"])[1] is True


# -- report and schema -----------------------------------------------------------------


def test_report(fixture_doc: dict[str, Any]) -> None:
    counts = report(fixture_doc)
    assert counts["modules"] == 1
    assert counts["classes"] == 8
    assert counts["callables"] > 30
    assert 0 < counts["fully_typed"] < counts["callables"]
    assert counts["documented"] <= counts["callables"]
    math_counts = report(describe("math", 0, [], []).descriptor)
    assert math_counts["fully_typed"] == math_counts["callables"]  # typeshed's stubs
    assert math_counts["callables"] > 40


def test_documents_match_the_json_schema(fixture_doc: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    for doc in (fixture_doc, describe("math", 0, [], []).descriptor):
        errors = [e.message for e in validator.iter_errors(doc)]
        assert errors == []


def test_schema_file_is_valid_json() -> None:
    schema = json.loads(SCHEMA.read_text())
    assert schema["properties"]["schema_version"] == {"const": SCHEMA_VERSION}
    kinds = {v["properties"]["kind"].get("const") for v in schema["$defs"]["TypeExpr"]["oneOf"]}
    assert {
        "name",
        "generic",
        "tuple",
        "union",
        "literal",
        "callable",
        "typevar",
        "unknown",
    } <= kinds
