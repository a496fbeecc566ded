"""typeshed's stdlib stubs merged into Describe: real stdlib modules, real stub files.

Standard-library modules have no inline annotations; their signatures and types come
from typeshed (bundled by typeshed_client), their docstrings from the runtime objects
or the source. Third-party packages are not touched.
"""

from __future__ import annotations

import ast
import json
import sys
import typing
from pathlib import Path
from typing import Any

import griffe
import jsonschema
import pytest
from harness import SUPPORT

from bridge_worker.introspect import describe, report, stubs
from bridge_worker.introspect.typeexpr import from_runtime

if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

STR = {"kind": "name", "name": "builtins.str"}
INT = {"kind": "name", "name": "builtins.int"}
FLOAT = {"kind": "name", "name": "builtins.float"}
BOOL = {"kind": "name", "name": "builtins.bool"}
BYTES = {"kind": "name", "name": "builtins.bytes"}
NONE = {"kind": "none"}
ANY = {"kind": "any"}
NUMBER = {"kind": "union", "items": [FLOAT, INT]}  # SupportsFloat | SupportsIndex
ANYSTR = {"kind": "typevar", "name": "AnyStr", "bound": None, "constraints": [BYTES, STR]}


def generic(base: str, *args: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "generic", "base": base, "args": list(args)}


def members(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["name"]: m for m in doc["modules"][0]["members"]}


def params(fn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in fn["params"]}


def union_items(expr: dict[str, Any]) -> list[dict[str, Any]]:
    return expr["items"] if expr["kind"] == "union" else [expr]


@pytest.fixture(scope="module")
def math_doc() -> dict[str, Any]:
    return describe("math", 0, [], []).descriptor


# -- the four modules of the fidelity report --------------------------------------------


def test_math_signatures_come_from_the_stub(math_doc: dict[str, Any]) -> None:
    assert math_doc["warnings"] == []
    assert math_doc["analyzers"]["typeshed_client"]
    m = members(math_doc)
    sqrt = m["sqrt"]
    assert sqrt["source"] == "griffe"
    assert sqrt["typed"] is True
    assert sqrt["params"] == [
        {"name": "x", "kind": "positional_only", "annotation": NUMBER, "default": None, "doc": ""}
    ]
    assert sqrt["returns"] == FLOAT
    # Docstrings come from the runtime object (stubs have none).
    assert sqrt["doc"]["summary"] == "Return the square root of x."
    assert m["gcd"]["params"][0]["kind"] == "var_positional"
    assert m["gcd"]["params"][0]["annotation"] == INT  # SupportsIndex
    assert m["gcd"]["returns"] == INT
    assert m["isclose"]["returns"] == BOOL
    assert m["pi"]["annotation"] == FLOAT  # `pi: Final[float]`
    counts = report(math_doc)
    assert counts["fully_typed"] == counts["callables"] == counts["documented"]


def test_stub_default_ellipsis_is_taken_from_the_runtime(math_doc: dict[str, Any]) -> None:
    # stub: `base: _SupportsFloatOrIndex = ...`; docstring: "log(x, [base=math.e])"
    log = members(math_doc)["log"]
    assert [(p["name"], p["default"]) for p in log["params"]] == [
        ("x", None),
        ("base", {"repr": "math.e"}),
    ]
    assert log["doc"]["summary"] == "Return the logarithm of x to the given base."


def test_overloads_are_one_signature_accepting_every_call(math_doc: dict[str, Any]) -> None:
    ceil = members(math_doc)["ceil"]  # (_SupportsCeil[_T]) -> _T  and  (float-ish) -> int
    (x,) = ceil["params"]
    assert FLOAT in union_items(x["annotation"])
    assert INT in union_items(x["annotation"])
    # The protocol math._SupportsCeil[_T] is expanded: what has __ceil__ is a number here.
    assert all(item.get("base") != "math._SupportsCeil" for item in union_items(x["annotation"]))
    assert INT in union_items(ceil["returns"])


def test_json_is_typed_and_keeps_its_docstrings() -> None:
    doc = describe("json", 0, [], []).descriptor
    assert doc["warnings"] == []
    m = members(doc)
    dumps = m["dumps"]
    assert dumps["typed"] is True
    assert dumps["returns"] == STR
    assert dumps["doc"]["summary"] == "Serialize ``obj`` to a JSON formatted ``str``."
    p = params(dumps)
    assert p["obj"]["annotation"] == ANY
    assert p["skipkeys"] == {
        "name": "skipkeys",
        "kind": "keyword_only",
        "annotation": BOOL,
        "default": {"repr": "False", "value": False},
        "doc": "",
    }
    assert p["cls"]["annotation"] == {
        "kind": "union",
        "items": [
            generic("builtins.type", {"kind": "name", "name": "json.encoder.JSONEncoder"}),
            NONE,
        ],
    }
    assert p["indent"]["annotation"] == {"kind": "union", "items": [NONE, INT, STR]}
    assert p["kw"]["kind"] == "var_keyword"  # the source's name (the stub says **kwds)
    # `SupportsWrite[str]` from `_typeshed`: a protocol with a plain method (`write`) has
    # no value form on the TypeScript side, so it is Any (never a class it is not).
    assert params(m["dump"])["fp"]["annotation"] == {"kind": "any"}
    assert m["loads"]["returns"] == ANY
    encoder = {f["name"]: f for f in m["JSONEncoder"]["methods"]}
    assert encoder["encode"]["returns"] == STR
    assert encoder["encode"]["doc"]["summary"].startswith("Return a JSON string representation")
    assert m["JSONDecodeError"]["constructor"]["typed"] is True
    assert report(doc)["fully_typed"] == report(doc)["callables"]


def test_statistics_typevars_self_and_properties() -> None:
    m = members(describe("statistics", 0, [], []).descriptor)
    number = {
        "kind": "typevar",
        "name": "_NumberT",
        "bound": None,
        "constraints": [
            FLOAT,
            {"kind": "name", "name": "decimal.Decimal"},  # `_decimal.Decimal` in the stubs
            {"kind": "name", "name": "fractions.Fraction"},
        ],
    }
    mean = m["mean"]
    assert mean["typed"] is True
    assert mean["params"][0]["annotation"] == generic("collections.abc.Iterable", number)
    assert mean["returns"] == number
    assert mean["doc"]["summary"] == "Return the sample arithmetic mean of data."
    assert m["fmean"]["returns"] == FLOAT
    quantiles = params(m["quantiles"])
    assert quantiles["method"]["annotation"] == {
        "kind": "literal",
        "values": ["inclusive", "exclusive"],
    }
    normal = m["NormalDist"]
    (from_samples,) = normal["classmethods"]
    self_type = {"kind": "name", "name": "statistics.NormalDist", "self": True}
    assert from_samples["returns"] == self_type
    props = {p["name"]: p for p in normal["properties"]}
    assert props["mean"]["annotation"] == FLOAT
    assert props["mean"]["doc"] == "Arithmetic mean of the normal distribution."
    assert params(normal["constructor"])["sigma"]["annotation"] == FLOAT


def test_difflib_overloads_and_namedtuple() -> None:
    doc = describe("difflib", 0, [], []).descriptor
    assert doc["warnings"] == []
    m = members(doc)
    close = m["get_close_matches"]
    assert close["typed"] is True
    assert close["doc"]["summary"].startswith("Use SequenceMatcher to return list")
    assert generic("builtins.list", ANYSTR) in union_items(close["returns"])
    assert ANYSTR in union_items(params(close)["word"]["annotation"])
    assert params(close)["n"]["annotation"] == INT
    assert params(close)["n"]["default"] == {"repr": "3", "value": 3}
    # __init__'s three overloads: the widest one, its parameters' types united.
    init = params(m["SequenceMatcher"]["constructor"])
    assert list(init) == ["isjunk", "a", "b", "autojunk"]
    assert generic("collections.abc.Sequence", STR) in union_items(init["a"]["annotation"])
    assert init["a"]["default"] == {"repr": "''", "value": ""}
    # A runtime namedtuple that typeshed declares as `class Match(NamedTuple)`.
    match = m["Match"]
    assert [(f["name"], f["annotation"]) for f in match["shape"]["fields"]] == [
        ("a", INT),
        ("b", INT),
        ("size", INT),
    ]
    assert match["constructor"]["typed"] is True
    assert report(doc)["fully_typed"] == report(doc)["callables"]


def test_builtin_class_members_missing_from_the_stub_are_still_described() -> None:
    # typeshed declares OrderedDict.clear only on its ABC bases; the runtime has it.
    doc = describe("collections", 0, ["OrderedDict"], []).descriptor
    methods = {f["name"]: f for f in members(doc)["OrderedDict"]["methods"]}
    assert {"clear", "pop", "popitem", "move_to_end"} <= set(methods)
    assert methods["move_to_end"]["typed"] is True
    assert methods["clear"]["source"] == "inspect"


# -- third-party packages are not touched ----------------------------------------------


def test_third_party_packages_keep_their_own_annotations(tmp_path: Path) -> None:
    (tmp_path / "bridge_plain_fixture.py").write_text(
        'def scale(x, factor=2):\n    """Scale x."""\n    return x * factor\n'
    )
    sys.path.insert(0, str(tmp_path))
    try:
        doc = describe("bridge_plain_fixture", 0, [], []).descriptor
    finally:
        sys.path.remove(str(tmp_path))
    assert "typeshed_client" not in doc["analyzers"]
    scale = members(doc)["scale"]
    assert scale["source"] == "griffe"
    assert [p["annotation"] for p in scale["params"]] == [None, None]
    assert scale["typed"] is False
    # A stdlib function re-exported by a third-party package stays on the inspect path.
    fixture = describe("bridge_typed_fixture", 0, ["fast_hypot"], []).descriptor
    assert "typeshed_client" not in fixture["analyzers"]
    hypot = members(fixture)["fast_hypot"]
    assert hypot["source"] == "inspect"
    assert hypot["typed"] is False


def test_only_stdlib_packages_get_stubs() -> None:
    assert stubs.applies("json")
    assert stubs.applies("math")
    assert not stubs.applies("bridge_typed_fixture")
    assert not stubs.applies("griffe")


# -- the pieces ------------------------------------------------------------------------


def test_versions_file() -> None:
    assert stubs.available("math")
    assert stubs.available("json.decoder")  # a submodule lives as long as its package
    assert stubs.available("distutils") == (sys.version_info < (3, 12))
    assert stubs.available("tomllib") == (sys.version_info >= (3, 11))
    assert not stubs.available("no_such_module_anywhere")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sys.version_info >= (3, 10)", True),
        ("sys.version_info < (3, 0)", False),
        ("sys.version_info[0] == 3", True),
        ("sys.version_info[:2] >= (3, 10)", True),
        (f"sys.platform == {sys.platform!r}", True),
        ("sys.platform != 'no-such-os'", True),
        (f"sys.platform.startswith({sys.platform[:3]!r})", True),
        ("sys.version_info >= (3, 10) and sys.platform == 'no-such-os'", False),
        ("not sys.version_info >= (3, 10)", False),
        ("TYPE_CHECKING", None),
        ("sys.version_info >= (3, 10) and SOMETHING", None),
    ],
)
def test_version_and_platform_conditions(text: str, expected: bool | None) -> None:
    assert stubs.evaluate(ast.parse(text, mode="eval").body) is expected


def _visit(code: str) -> griffe.Module:
    return griffe.visit(
        "m", Path("m.pyi"), code, extensions=griffe.load_extensions(stubs._Typeshed())
    )


def test_branches_are_pruned_for_the_running_python() -> None:
    module = _visit(
        "import sys\n"
        "if sys.version_info >= (3, 10):\n"
        "    def f() -> int: ...\n"
        "else:\n"
        "    def f() -> str: ...\n"
        "class C:\n"
        "    if sys.version_info >= (99, 0):\n"
        "        def later(self) -> None: ...\n"
        "if sys.version_info >= (99, 0):\n"
        "    def future() -> None: ...\n"
    )
    assert str(module["f"].returns) == "int"
    assert "future" not in module.members
    assert "later" not in module["C"].members


def test_combined_overloads() -> None:
    module = _visit(
        "from typing import overload\n"
        "@overload\n"
        "def f(a: int) -> int: ...\n"
        "@overload\n"
        "def f(a: str, b: bytes) -> str: ...\n"
        "@overload\n"
        "def g(a: int, /) -> int: ...\n"
        "@overload\n"
        "def g(a: int, b: str = ..., /) -> str: ...\n"
    )
    f = module["f"]
    assert [(p.name, str(p.annotation), p.default) for p in f.parameters] == [
        ("a", "int | str", None),
        ("b", "bytes", "..."),  # some overload leaves it out: optional
    ]
    assert str(f.returns) == "int | str"
    assert len(f.overloads) == 2
    g = module["g"]
    assert [(p.name, p.default) for p in g.parameters] == [("a", None), ("b", "...")]


def test_numeric_protocols_and_anystr_normalize_alike() -> None:
    assert from_runtime(typing.SupportsFloat) == FLOAT
    assert from_runtime(typing.SupportsIndex) == INT
    assert from_runtime(typing.SupportsInt) == INT
    assert from_runtime(typing.AnyStr) == ANYSTR


@pytest.mark.parametrize("module", ["json", "statistics", "difflib", "collections"])
def test_stub_documents_match_the_json_schema(module: str) -> None:
    schema = json.loads((Path(__file__).parents[2] / "docs" / "descriptor.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    doc = describe(module, 1 if module == "json" else 0, [], []).descriptor
    assert [e.message for e in validator.iter_errors(doc)] == []
