"""Names of the domain shared by every layer: priority tiers and weekdays.

Pure Python, so that the simulation layer can use them without importing the
scenario schema (pydantic, YAML).
"""

from __future__ import annotations

__all__ = ["PRIORITIES", "WEEKDAYS"]

PRIORITIES: tuple[str, ...] = ("urgent", "important", "general")
"""Priority tiers, highest first (docs/domain.md)."""

WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
