"""Human durations (``30s``, ``5min``, ``2h``, ``1d``) and clock times (``'08:00'``).

shiftsim uses one internal time unit: seconds, as float. Scenario files use
durations with units and quoted clock times; these helpers convert them and
reject ambiguous input with a message that quotes the bad value.
"""

from __future__ import annotations

import math
import re
from typing import Any


class Sexagesimal(str):
    """An unquoted ``h:mm`` or ``h:mm:ss`` scalar: text in YAML 1.2, a base-60 number in 1.1."""

    __slots__ = ()

    @property
    def yaml11(self) -> float:
        """What a YAML 1.1 reader makes of it (``8:30`` is 510)."""
        text = self.replace("_", "")
        sign = -1 if text.startswith("-") else 1
        value = 0.0
        for part in text.lstrip("+-").split(":"):
            value = value * 60 + float(part)
        return sign * (int(value) if value.is_integer() and "." not in text else value)

    def __repr__(self) -> str:
        return str(self)  # as written in the file, unquoted

    def __reduce__(self) -> tuple[Any, ...]:
        return (Sexagesimal, (str(self),))


__all__ = [
    "DAY",
    "HOUR",
    "LONGEST",
    "MINUTE",
    "format_duration",
    "parse_clock",
    "parse_duration",
]

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0
LONGEST = 366 * DAY
"""The longest duration a scenario may give (a year): longer ones are typing mistakes
(``1e10d``) that would make the run allocate for as many days."""

_UNITS = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": MINUTE,
    "min": MINUTE,
    "mins": MINUTE,
    "minute": MINUTE,
    "minutes": MINUTE,
    "h": HOUR,
    "hr": HOUR,
    "hrs": HOUR,
    "hour": HOUR,
    "hours": HOUR,
    "d": DAY,
    "day": DAY,
    "days": DAY,
}
_DURATION = re.compile(r"^\s*((?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*([a-zA-Z]+)\s*$")
_CLOCK = re.compile(r"^\s*(\d{1,2}):(\d{2})(?::(\d{2}))?\s*$")


def parse_duration(value: object) -> float:
    """Return a duration in seconds.

    Parameters
    ----------
    value
        A string such as ``"30s"``, ``"5min"``, ``"1.5h"`` or ``"2d"``. Compound
        forms are not accepted; a bare number is rejected because its unit
        would be a guess.

    Raises
    ------
    ValueError
        With the offending value quoted.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected a duration such as '5min' or '2h' (got {value!r})")
    if isinstance(value, int | float):
        if value == 0:
            return 0.0
        raise ValueError(
            f"a duration needs a unit, e.g. '{value}s', '{value}min' or '{value}h' (got {value!r})"
        )
    match = _DURATION.match(value) if len(value) < 100 else None
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(
            f"expected a duration such as '30s', '5min', '2h' or '1d' (got {value[:80]!r})"
        )
    seconds = float(match.group(1)) * _UNITS[match.group(2).lower()]
    if not (math.isfinite(seconds) and seconds <= LONGEST):
        raise ValueError(f"a duration must be at most {format_duration(LONGEST)} (got {value!r})")
    return seconds


def parse_clock(value: object) -> float:
    """Return a clock time as seconds after midnight (``'24:00'`` gives 86400).

    YAML 1.1 reads an unquoted ``8:30`` as the sexagesimal integer 510; such
    a value (the loader marks it as :class:`Sexagesimal`,
    or an integer given from Python) is rejected with a hint to quote it.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a quoted clock time such as '08:00' (got {value!r})")
    if isinstance(value, Sexagesimal):
        parts = value.split(":")
        clock = ":".join([parts[0].zfill(2), *parts[1:]])
        hint = ""
        if value.isascii() and _CLOCK.match(clock) and _valid_clock(clock):
            hint = f" If you meant {clock}, write it quoted: '{clock}'."
        raise ValueError(
            f"clock times must be quoted strings; YAML 1.1 reads an unquoted {value} "
            f"as the number {value.yaml11:g}.{hint} (got {value})"
        )
    if isinstance(value, int):
        hint = ""
        if 0 <= value <= 24 * 60:  # h:mm read as minutes
            clock = f"{value // 60:02d}:{value % 60:02d}"
            hint = f" If you meant {clock}, write it quoted: '{clock}'."
        elif 0 <= value <= DAY:  # h:mm:ss read as seconds
            clock = f"{value // 3600:02d}:{value // 60 % 60:02d}:{value % 60:02d}"
            hint = f" If you meant {clock}, write it quoted: '{clock}'."
        raise ValueError(
            "clock times must be quoted strings; YAML reads an unquoted 8:30 "
            f"as the number 510.{hint} (got {value!r})"
        )
    if not isinstance(value, str):
        raise ValueError(f"expected a quoted clock time such as '08:00' (got {value!r})")
    match = _CLOCK.match(value) if value.isascii() else None
    if not match:
        raise ValueError(f"expected a clock time 'HH:MM' such as '08:00' (got {value[:40]!r})")
    if not _valid_clock(value):
        raise ValueError(f"not a valid clock time between '00:00' and '24:00' (got {value!r})")
    hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    return hours * HOUR + minutes * MINUTE + seconds


def _valid_clock(text: str) -> bool:
    """Whether a text matching ``_CLOCK`` is a time of day from '00:00' to '24:00'."""
    match = _CLOCK.match(text)
    assert match is not None
    hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    return not (
        minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds))
    )


def format_duration(seconds: float) -> str:
    """Format seconds the way scenario files write them (``'5min'``, ``'2h'``, ``'45s'``).

    Exact: ``parse_duration(format_duration(x)) == x`` for every float ``x >= 0``.
    """
    for unit, size in (("d", DAY), ("h", HOUR), ("min", MINUTE)):
        if seconds >= size and float(seconds / size).is_integer():
            return f"{int(seconds // size)}{unit}"
    if float(seconds).is_integer():
        return f"{int(seconds)}s"
    return f"{seconds!r}s"
