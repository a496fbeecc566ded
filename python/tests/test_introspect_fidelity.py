"""What generated SDKs of real libraries need from Describe (bridge_fidelity_fixture)."""

from __future__ import annotations

import sys
from typing import Any

from harness import SUPPORT

from bridge_worker.introspect import describe

if str(SUPPORT) not in sys.path:
    sys.path.insert(0, str(SUPPORT))

DOC = describe("bridge_fidelity_fixture", 0, [], []).descriptor


def members() -> dict[str, Any]:
    return {m["name"]: m for m in DOC["modules"][0]["members"]}


def name(path: str, **extra: Any) -> dict[str, Any]:
    return {"kind": "name", "name": path, **extra}


def test_classes_are_named_as_their_refs_are() -> None:
    shape = members()["Shape"]
    # __module__ is re-labelled (as httpx does): refs carry bridge_fidelity_fixture.Shape,
    # and annotations written in the private module name the same.
    assert shape["target"] == "bridge_fidelity_fixture.Shape"
    grow = next(m for m in shape["methods"] if m["name"] == "grow")
    assert grow["returns"] == name("bridge_fidelity_fixture.Shape")


def test_self_is_the_class_and_marked() -> None:
    base = {c["target"]: c for c in DOC["base_classes"]}["bridge_fidelity_fixture._impl._Base"]
    same = next(m for m in base["methods"] if m["name"] == "same")
    assert same["returns"] == name("bridge_fidelity_fixture._impl._Base", self=True)


def test_private_bases_are_described_for_inheritance() -> None:
    assert [c["target"] for c in DOC["base_classes"]] == ["bridge_fidelity_fixture._impl._Base"]
    assert members()["Square"]["bases"] == ["bridge_fidelity_fixture.Shape"]


def test_methods_absent_at_run_time_are_left_out() -> None:
    names = {m["name"] for m in members()["Shape"]["methods"]}
    assert "missing" not in names
    assert {"grow", "area", "describe", "same"} <= names


def test_dunders_with_a_typescript_form() -> None:
    dunders = {d["name"]: d for d in members()["Shape"]["dunders"]}
    assert set(dunders) == {"__lt__", "__str__", "__len__", "__iter__", "__getitem__"}
    assert dunders["__lt__"]["params"][0]["annotation"] == name("bridge_fidelity_fixture.Shape")
    assert dunders["__iter__"]["returns"]["base"] == "collections.abc.Iterator"


def test_overloads_of_the_package_stubs_type_the_untyped_source() -> None:
    windowed = members()["windowed"]
    assert windowed["typed"] is True
    assert len(windowed["overloads"]) == 2
    n = {p["name"]: p for p in windowed["params"]}["n"]
    assert {"kind": "name", "name": "builtins.int"} in n["annotation"]["items"]
    step = {p["name"]: p for p in windowed["params"]}["step"]
    assert step["default"] == {"repr": "1", "value": 1}  # the source's, not the stub's "..."


def test_callable_objects_are_functions() -> None:
    double = members()["double"]
    assert double["kind"] == "function"
    assert [p["name"] for p in double["params"]] == ["value", "factor"]
    assert double["returns"] == name("builtins.float")
