"""A package that exercises every row of Bridge's descriptor type table.

Describe tests import it for real (no mocks): every parameter kind, every annotation
form, data shapes, streams, a class with every kind of member, an exception, three
docstring styles, re-exports, a lazy ``__getattr__`` member and members that break.
"""

from math import hypot as fast_hypot

from bridge_typed_fixture import sub
from bridge_typed_fixture.classes import Counter, FixtureError, SubCounter, settings
from bridge_typed_fixture.docstyles import (
    google_style,
    legacy,
    numpy_style,
    old_helper,
    sphinx_style,
    sunset,
)
from bridge_typed_fixture.dynamic import DynamicPoint, Weird, dynamic_add, no_signature
from bridge_typed_fixture.functions import T, everything, forward_refs, kinds, typevars
from bridge_typed_fixture.shapes import Movie, Pair, Point
from bridge_typed_fixture.streams import acount, count_up, fetch, gen_full, returns_iter

#: Version of the fixture.
VERSION: str = "1.2.3"
LIMITS = {"max": 10}
configure = settings.configure

__all__ = [
    "LIMITS",
    "VERSION",
    "Counter",
    "DynamicPoint",
    "FixtureError",
    "Movie",
    "Pair",
    "Point",
    "SubCounter",
    "T",
    "Weird",
    "acount",
    "configure",
    "count_up",
    "dynamic_add",
    "everything",
    "exploding",
    "fast_hypot",
    "fetch",
    "forward_refs",
    "gen_full",
    "google_style",
    "kinds",
    "lazy_double",
    "legacy",
    "no_signature",
    "numpy_style",
    "old_helper",
    "returns_iter",
    "sphinx_style",
    "sub",
    "sunset",
    "typevars",
]


def __getattr__(name: str) -> object:
    if name == "lazy_double":
        from bridge_typed_fixture._lazy import lazy_double

        return lazy_double
    if name == "exploding":
        raise RuntimeError("exploding member")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
