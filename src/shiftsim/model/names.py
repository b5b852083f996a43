"""Names of the domain shared by every layer: priority tiers and weekdays.

Pure Python, so that the simulation layer can use them without importing the
scenario schema (pydantic, YAML).
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["PRIORITIES", "WEEKDAYS", "Priority", "Weekday"]

Priority = Literal["urgent", "important", "general"]
"""A priority tier, as written in a scenario file."""

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
"""A day of the week, as written in a scenario file (``weekday_factors``)."""

PRIORITIES: tuple[Priority, ...] = get_args(Priority)
"""Priority tiers, highest first (docs/domain.md)."""

WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)
"""Days of the week, Monday first (``date.weekday()`` indexes it)."""
