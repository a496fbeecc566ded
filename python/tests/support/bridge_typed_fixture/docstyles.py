"""Google-, NumPy- and Sphinx-style docstrings, and deprecations."""

import sys

if sys.version_info >= (3, 13):
    from warnings import deprecated
else:
    from typing_extensions import deprecated


def google_style(text, times=2, *, sep=" "):
    """Repeat text, Google style.

    The text is repeated ``times`` times, joined by ``sep``.

    Args:
        text (str): The text to repeat.
        times (int): How many times.
        sep (str, optional): What goes between. Defaults to " ".

    Returns:
        str: The repeated text.

    Raises:
        ValueError: If ``times`` is negative.

    Examples:
        >>> google_style("ab", 2)
        'ab ab'
    """
    if times < 0:
        raise ValueError("negative")
    return sep.join([text] * times)


def numpy_style(values, scale=1.0):
    """Scale values, NumPy style.

    Each value is multiplied by ``scale``.

    Parameters
    ----------
    values : list of float
        The values to scale.
    scale : float, optional
        The factor.

    Returns
    -------
    list[float]
        The scaled values.

    Raises
    ------
    TypeError
        If a value is not a number.

    Examples
    --------
    >>> numpy_style([1.0, 2.0], 2.0)
    [2.0, 4.0]
    """
    return [v * scale for v in values]


def sphinx_style(name, greeting="Hello"):
    """Greet someone, Sphinx style.

    Longer explanation of the greeting.

    >>> sphinx_style("Ada")
    'Hello, Ada'

    :param name: Who to greet.
    :type name: str
    :param greeting: The greeting word.
    :type greeting: str
    :returns: The greeting.
    :rtype: str
    :raises KeyError: If the name is unknown.
    """
    return f"{greeting}, {name}"


def old_helper(x: int) -> int:
    """Do the old thing.

    .. deprecated:: 2.0
       Use :func:`google_style` instead.
    """
    return x


@deprecated("use sphinx_style")
def sunset(x: int) -> int:
    """Going away."""
    return x


def legacy(x: int) -> int:
    """Do it the legacy way.

    Deprecated:
        1.5: Use :func:`old_helper`, which is also deprecated.

    Note:
        Kept for compatibility.
    """
    return x
