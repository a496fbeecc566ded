"""Only imported when ``bridge_typed_fixture.lazy_double`` is first read."""


def lazy_double(x: int) -> int:
    """Double ``x``, loaded lazily."""
    return 2 * x
