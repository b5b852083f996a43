"""What is wrong with a scenario: a :class:`Problem` per field, all in a :class:`ScenarioError`."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Problem", "ScenarioError"]


class Problem(BaseModel):
    """One thing wrong with a scenario: where, what, and the value found.

    ``source`` names where the bad value came from when that is not the
    error's file: the command-line option that gave it (``--set PATH=VALUE``).
    """

    model_config = ConfigDict(frozen=True)
    path: str
    message: str
    source: str | None = None

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ScenarioError(Exception):
    """A scenario that cannot be used, with every problem found in it.

    Each problem is a line ``source: path: problem``: the problem's own source
    when it has one, else the error's (the file).
    """

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{p.source or source}: {p}" for p in problems))
