"""A fidelity summary of a descriptor document: how much of it is typed and documented."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def _callables(member: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if member["kind"] == "function":
        yield member
    elif member["kind"] == "class":
        for key in ("constructor", "call"):
            if member.get(key):
                yield member[key]
        for key in ("methods", "classmethods", "staticmethods"):
            yield from member.get(key, [])


def report(document: dict[str, Any]) -> dict[str, int]:
    """Counts over every function, method and constructor in ``document``.

    ``fully_typed``: every parameter and the return value annotated, nothing
    ``unknown``; ``documented``: a non-empty summary (constructors also count as
    documented when their class is).
    """
    out = {"modules": 0, "classes": 0, "callables": 0, "fully_typed": 0, "documented": 0}
    for module in document.get("modules", []):
        out["modules"] += 1
        for member in module["members"]:
            out["classes"] += member["kind"] == "class"
            class_doc = member["doc"]["summary"] if member["kind"] == "class" else ""
            for fn in _callables(member):
                out["callables"] += 1
                out["fully_typed"] += bool(fn["typed"])
                is_init = fn["name"] == "__init__"
                out["documented"] += bool(fn["doc"]["summary"] or (is_init and class_doc))
    return out
