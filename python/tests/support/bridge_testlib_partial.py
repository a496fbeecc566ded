"""A module that lists a name it does not define."""

__all__ = ["missing", "present"]  # noqa: F822 - the missing name is the point


def present() -> int:
    return 1
