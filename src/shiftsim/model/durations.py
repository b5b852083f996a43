"""Human durations (``30s``, ``5min``, ``2h``, ``1d``) and clock times (``'08:00'``).

shiftsim uses one internal time unit: seconds, as float. Scenario files use
durations with units and quoted clock times; these helpers convert them and
reject ambiguous input with a message that quotes the bad value.
"""

from __future__ import annotations

import re

__all__ = ["DAY", "HOUR", "MINUTE", "format_duration", "parse_clock", "parse_duration"]

MINUTE = 60.0
HOUR = 3600.0
DAY = 86400.0

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
    match = _DURATION.match(value)
    if not match or match.group(2).lower() not in _UNITS:
        raise ValueError(f"expected a duration such as '30s', '5min', '2h' or '1d' (got {value!r})")
    return float(match.group(1)) * _UNITS[match.group(2).lower()]


def parse_clock(value: object) -> float:
    """Return a clock time as seconds after midnight (``'24:00'`` gives 86400).

    YAML 1.1 reads an unquoted ``8:30`` as the sexagesimal integer 510; such
    integers are rejected with a hint to quote the value.
    """
    if isinstance(value, bool):
        raise ValueError(f"expected a quoted clock time such as '08:00' (got {value!r})")
    if isinstance(value, int):
        hint = ""
        if value >= 0:
            hours, minutes = divmod(value, 60)
            clock = f"{hours:02d}:{minutes:02d}"
            hint = f" If you meant {clock}, write it quoted: '{clock}'."
        raise ValueError(
            "clock times must be quoted strings; YAML reads an unquoted 8:30 "
            f"as the number 510.{hint} (got {value!r})"
        )
    if not isinstance(value, str):
        raise ValueError(f"expected a quoted clock time such as '08:00' (got {value!r})")
    match = _CLOCK.match(value)
    if not match:
        raise ValueError(f"expected a clock time 'HH:MM' such as '08:00' (got {value!r})")
    hours, minutes, seconds = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
    if minutes > 59 or seconds > 59 or hours > 24 or (hours == 24 and (minutes or seconds)):
        raise ValueError(f"not a valid clock time between '00:00' and '24:00' (got {value!r})")
    return hours * HOUR + minutes * MINUTE + seconds


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
