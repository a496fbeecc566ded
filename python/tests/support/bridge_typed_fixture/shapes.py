"""Data shapes: dataclass, TypedDict, NamedTuple."""

import sys
from dataclasses import dataclass, field
from typing import NamedTuple, TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # pragma: no cover
    from typing_extensions import NotRequired


@dataclass
class Point:
    """A point in the plane.

    Attributes:
        x: Horizontal position.
        y: Vertical position.
    """

    x: float
    y: float = 0.0
    tags: list[str] = field(default_factory=list)

    def norm(self) -> float:
        """Distance from the origin."""
        return (self.x**2 + self.y**2) ** 0.5


class Movie(TypedDict):
    """A movie record."""

    title: str
    year: NotRequired[int]


class Pair(NamedTuple):
    """Two things."""

    left: int
    right: str = ""
