"""What is wrong with a scenario: a :class:`Problem` per field, all in a :class:`ScenarioError`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Problem", "ScenarioError"]


class Problem(BaseModel):
    """One thing wrong with a scenario: where, what, and the value found."""

    model_config = ConfigDict(frozen=True)
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(Exception):
    """A scenario that cannot be used, with every problem found in it."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))
