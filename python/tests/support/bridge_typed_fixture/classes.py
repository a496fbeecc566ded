"""A class with every kind of member, an exception, a bound-method re-export."""

from __future__ import annotations

from typing import Any, ClassVar


class Counter:
    """Counts things.

    Args:
        start: Initial value.
        step: Increment used by :meth:`add` by default.
    """

    #: How many counters were made.
    created: ClassVar[int] = 0
    name: str

    def __init__(self, start: int = 0, *, step: int = 1) -> None:
        self._value = start
        self.step = step
        self.name = "counter"

    @property
    def value(self) -> int:
        """The current value."""
        return self._value

    @property
    def label(self) -> str:
        """A writable label."""
        return self.name

    @label.setter
    def label(self, text: str) -> None:
        self.name = text

    def add(self, n: int | None = None) -> int:
        """Add ``n`` (default: the step).

        Returns:
            The new value.
        """
        self._value += self.step if n is None else n
        return self._value

    async def aadd(self, n: int) -> int:
        """Add asynchronously."""
        return self.add(n)

    @classmethod
    def from_string(cls, text: str) -> Counter:
        """Parse a counter."""
        return cls(int(text))

    @staticmethod
    def parse(text: str) -> int:
        """Parse a number."""
        return int(text)

    def __call__(self, n: int) -> int:
        """Calling a counter adds ``n``."""
        return self.add(n)

    def __len__(self) -> int:
        return self._value

    def _private(self) -> None:
        pass


class SubCounter(Counter):
    """A counter that counts twice."""

    def add(self, n: int | None = None) -> int:
        """Add twice."""
        super().add(n)
        return super().add(n)


class FixtureError(ValueError):
    """Raised by the fixture."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class _Settings:
    def configure(self, lm: Any = None, **kwargs: Any) -> None:
        """Configure things, like ``dspy.configure``."""


settings = _Settings()
