"""A pydantic model (pydantic is in the dev environment: python/pyproject.toml)."""

# ruff: noqa: UP045 - Optional is part of what is tested

from typing import Optional

from pydantic import BaseModel, Field


class User(BaseModel):
    """A user of the system."""

    name: str
    age: int = 0
    tags: list[str] = Field(default_factory=list, description="Labels.")
    email: Optional[str] = None

    def greeting(self) -> str:
        """Say hello."""
        return f"Hello, {self.name}"
