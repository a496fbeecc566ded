"""Members static analysis cannot see: built at run time."""

import dataclasses
from typing import Any


def _build() -> Any:
    namespace: dict[str, Any] = {}
    exec(  # a function no source file shows
        "def dynamic_add(x: int, y: 'float' = 2.0) -> float:\n"
        "    '''Add, built at run time.'''\n"
        "    return x + y\n",
        namespace,
    )
    fn = namespace["dynamic_add"]
    fn.__module__ = __name__
    return fn


def _no_signature() -> Any:
    def no_signature(*args: Any) -> None:
        pass

    no_signature.__signature__ = "not a signature"  # type: ignore[attr-defined]
    return no_signature


dynamic_add = _build()
no_signature = _no_signature()


def _total(self: Any) -> float:
    """Sum of the coordinates."""
    return self.x + self.y


#: A dataclass built at run time: only ``inspect`` can describe it.
DynamicPoint = dataclasses.make_dataclass(
    "DynamicPoint",
    [("x", int), ("y", float, dataclasses.field(default=0.0))],
    namespace={"total": _total},
)
DynamicPoint.__module__ = __name__


class _ExplodingMeta(type):
    @property
    def __signature__(cls) -> Any:
        raise RuntimeError("signature exploded")


class Weird(metaclass=_ExplodingMeta):
    """A class whose constructor signature cannot be computed."""

    def ok(self) -> int:
        """Still describable."""
        return 1
