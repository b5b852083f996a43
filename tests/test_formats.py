"""One way to write a share for people, used by the terminal, the report and the charts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from shiftsim.model.formats import is_missing, percent, percent_ci


@pytest.mark.parametrize(
    ("x", "digits", "text"),
    [(0.937, 1, "93.7%"), (1.0, 1, "100.0%"), (0.0, 0, "0%"), (0.125, 2, "12.50%"),
     (np.float64(0.5), 0, "50%"), (np.float32(0.25), 1, "25.0%"), (1, 0, "100%")],
)  # fmt: skip
def test_percent(x: float, digits: int, text: str) -> None:
    assert percent(x, digits) == text


def test_percent_rounds_like_python_percent_format() -> None:
    # Charts used f"{x:.0%}" before: the labels must not move by a point.
    for x in np.linspace(0, 1, 2001):
        assert percent(x, 0) == f"{x:.0%}" and percent(x, 1) == f"{x:.1%}"


def test_missing_values() -> None:
    for x in (None, math.nan, np.nan, np.float32("nan")):
        assert is_missing(x)
        assert percent(x) == "–" and percent(x, missing="n/a") == "n/a"
        assert percent_ci(x, 0.1, 0.2) == "–" and percent_ci(x, 0.1, 0.2, missing="-") == "-"
    assert not is_missing(0.0) and not is_missing(np.int64(3))


def test_percent_ci() -> None:
    assert percent_ci(0.937, 0.93, 0.944) == "93.7% (93.0–94.4)"
    assert percent_ci(0.937, 0.93, 0.944, dash="-") == "93.7% (93.0-94.4)"
    assert percent_ci(0.5, 0.25, 0.75, digits=0) == "50% (25–75)"
    # One replication: no interval, and the text says so.
    assert percent_ci(0.5, math.nan, math.nan) == "50.0% (no CI)"
    assert percent_ci(0.5, 0.4, None) == "50.0% (no CI)"


def test_terminal_keeps_its_ascii_style() -> None:
    from shiftsim.outputs.console import _pct, _pct_ci

    assert _pct(0.9) == "90.0%" and _pct(math.nan) == "-"
    assert _pct_ci(0.5, 0.4, 0.6) == "50.0% (40.0-60.0)"
    assert _pct_ci(0.5, math.nan, math.nan) == "50.0% (no CI)" and _pct_ci(math.nan, 0, 1) == "-"
