"""The definitions (private module)."""

from __future__ import annotations

from typing import Self


class _Base:
    """A private base with the shared behaviour."""

    def describe(self) -> str:
        """Says what it is."""
        return type(self).__name__

    def same(self) -> Self:
        """Itself."""
        return self


class Shape(_Base):
    """A shape."""

    def __init__(self, size: float) -> None:
        self.size = size

    def grow(self, by: float = 1.0) -> Shape:
        """A bigger shape."""
        return type(self)(self.size + by)

    def area(self) -> float:
        return self.size

    def __lt__(self, other: Shape) -> bool:
        return self.area() < other.area()

    def __str__(self) -> str:
        return f"{type(self).__name__}({self.size})"

    def __len__(self) -> int:
        return int(self.size)

    def __iter__(self):
        return iter(range(int(self.size)))

    def __getitem__(self, index: int) -> int:
        return index * 2

    # Declared for static analysis only; absent at run time.
    if False:  # pragma: no cover

        def missing(self) -> None: ...


class Square(Shape):
    """A square."""

    def area(self) -> float:
        return self.size * self.size


class Meter:
    """Instances are callable."""

    def __call__(self, value: float, factor: float = 2.0) -> float:
        """Measure."""
        return value * factor


def windowed(seq, n, step=1):
    """Windows of ``n`` items (typed only in the .pyi)."""
    items = list(seq)
    return [tuple(items[i : i + n]) for i in range(0, len(items) - n + 1, step)]


def scale(x, flag=False, label="x"):
    """Unannotated: the defaults say what the parameters are."""
    return x


double = Meter()
