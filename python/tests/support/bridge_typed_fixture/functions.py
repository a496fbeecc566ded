"""Every parameter kind and every annotation form of the type table."""

# The old spellings (List, Optional, Union, ...) are what this module tests.
# ruff: noqa: UP006, UP007, UP035, UP045

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Annotated, Any, Dict, List, Literal, Optional, Tuple, TypeVar, Union

from bridge_typed_fixture.shapes import Movie, Point

T = TypeVar("T")
N = TypeVar("N", bound=int)
Number = Union[int, float]


def kinds(
    a: int,
    b: str = "x",
    /,
    c: float = 1.5,
    *args: int,
    d: bool,
    e: Optional[list[int]] = None,
    **kwargs: str,
) -> dict[str, Any]:
    """Every parameter kind."""
    return {"a": a, "b": b, "c": c, "args": list(args), "d": d, "e": e, "kwargs": kwargs}


def everything(
    s: str,
    i: int,
    f: float,
    b: bool,
    n: None,
    raw: bytes,
    items: list[int],
    pair: tuple[str, int],
    many: tuple[float, ...],
    mapping: dict[str, int],
    unique: set[str],
    maybe: Optional[int],
    either: Union[int, str],
    pipe: int | None,
    mode: Literal["r", "w", 1, True, None],
    cb: Callable[[int, str], bool],
    anycb: Callable[..., Any],
    old_list: List[int],
    old_dict: Dict[str, List[int]],
    old_tuple: Tuple[int, str],
    seq: Sequence[int],
    ro: Mapping[str, float],
    point: Point,
    movie: Movie,
    anything: Any,
    meta: Annotated[int, "meta"],
    number: Number,
    it: Iterator[str],
) -> Optional[Point]:
    """Every row of the type table."""
    return None


def forward_refs(p: "Point", ps: "list[Point]", q: "Optional[Point]" = None) -> "Point":
    """Forward references written as strings."""
    return p


def typevars(x: T, y: N) -> list[T]:
    """Type variables."""
    return [x]
