"""Names of the domain shared by every layer: priority tiers and weekdays.

Pure Python, so that the simulation layer can use them without importing the
scenario schema (pydantic, YAML).
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["PRIORITIES", "WEEKDAYS", "Priority", "Weekday", "weekday_group"]

Priority = Literal["urgent", "important", "general"]
"""A priority tier, as written in a scenario file."""

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
"""A day of the week, as written in a scenario file (``weekday_factors``)."""

PRIORITIES: tuple[Priority, ...] = get_args(Priority)
"""Priority tiers, highest first (docs/domain.md)."""

WEEKDAYS: tuple[Weekday, ...] = get_args(Weekday)
"""Days of the week, Monday first (``date.weekday()`` indexes it)."""


def weekday_group(text: str) -> tuple[Weekday, ...]:
    """The weekdays a day-type key names: ``'fri'``, ``'sat-sun'``, ``'sun-thu'``, ``'mon,wed'``.

    A range runs forward through the week and may wrap past Sunday
    (``'fri-mon'`` is Friday to Monday); a comma list names days one by one.
    Raises ``ValueError`` naming the text when a part is not a weekday.
    """
    days: list[Weekday] = []
    for part in str(text).split(","):
        ends = [e.strip().lower() for e in part.split("-")]
        if len(ends) > 2 or any(e not in WEEKDAYS for e in ends):
            raise ValueError(
                "a day type is a weekday (mon ... sun), a range such as 'sat-sun' or "
                f"'sun-thu', or a list such as 'mon,wed' (got {text!r})"
            )
        first, last = WEEKDAYS.index(ends[0]), WEEKDAYS.index(ends[-1])
        span = (last - first) % 7
        days += [WEEKDAYS[(first + k) % 7] for k in range(span + 1)]
    if len(set(days)) < len(days):
        raise ValueError(f"a day type names a weekday twice (got {text!r})")
    return tuple(days)
