"""How shares are written for people: ``93.7%`` and ``93.7% (93.0–94.4)``.

One rule for every output (terminal, HTML, Markdown, charts), so that a
figure reads the same wherever it is shown. It lives in the lowest layer,
next to :func:`~shiftsim.model.durations.format_duration`, so that every
layer can use it. A missing value (None or NaN: no contact, no replication)
is written as ``missing``; an estimate without an interval (one replication)
says so.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["is_missing", "percent", "percent_ci", "wide_when_piped"]

PIPED_COLUMNS = 150
"""How wide tables are written into a file or a pipe (rich's default there is 80)."""


def wide_when_piped(console: Console) -> None:
    """Let ``console`` write :data:`PIPED_COLUMNS` wide when it writes to a file or a pipe.

    A terminal keeps its own width; elsewhere rich assumes 80 columns, which
    folds every wide table onto several lines of a file nobody has to fit on
    a screen.
    """
    if not console.is_terminal:
        console.width = max(console.width, PIPED_COLUMNS)


def is_missing(x: float | None) -> bool:
    """True for None and NaN (of any float type)."""
    return x is None or math.isnan(x)


def percent(x: float | None, digits: int = 1, missing: str = "–") -> str:
    """A share as a percentage: ``percent(0.937)`` is ``'93.7%'``.

    Parameters
    ----------
    x
        A share (1.0 is 100%), or None/NaN.
    digits
        Decimals after the point.
    missing
        Written for None or NaN.
    """
    if x is None or math.isnan(x):
        return missing
    return f"{100 * x:.{digits}f}%"


def percent_ci(
    mean: float | None,
    low: float | None,
    high: float | None,
    digits: int = 1,
    missing: str = "–",
    dash: str = "–",
) -> str:
    """A share with its 95% confidence interval: ``'93.7% (93.0–94.4)'``.

    Parameters
    ----------
    mean, low, high
        The estimate and its interval, as shares.
    digits
        Decimals after the point.
    missing
        Written when ``mean`` is None or NaN.
    dash
        Between the ends of the interval (the terminal uses ``-``).

    Returns
    -------
    str
        ``'93.7% (no CI)'`` when either end of the interval is missing.
    """
    if mean is None or math.isnan(mean):
        return missing
    if low is None or high is None or math.isnan(low) or math.isnan(high):
        return f"{percent(mean, digits)} (no CI)"
    return f"{percent(mean, digits)} ({100 * low:.{digits}f}{dash}{100 * high:.{digits}f})"
