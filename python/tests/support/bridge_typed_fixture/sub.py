"""A submodule, reached through dotted include paths and depth."""

from dataclasses import dataclass


class Helper:
    """Helps."""

    def help(self, topic: str) -> str:
        """Explain ``topic``."""
        return topic


@dataclass
class Options:
    verbose: bool = False


def helper_function(x: int) -> int:
    return x
