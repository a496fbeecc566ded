"""Untyped source with a typed ``.pyi`` stub next to it (like a compiled extension's)."""


def scale(values, factor=2):
    """Multiply every value by ``factor``."""
    return [v * factor for v in values]
