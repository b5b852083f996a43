"""Checks of the queueing parameters shared by the closed forms of :mod:`shiftsim.planning.theory`.

Rates are per second, times in seconds. Every check raises ValueError with the
bad value in the message, e.g. ``n must be >= 1 (got 0)``.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["as_output", "check_mmn", "check_n", "check_real", "check_times", "fmt"]


def fmt(value: object) -> str:
    """Format a value for an error message (plain numbers, repr otherwise)."""
    if isinstance(value, Real | np.number) and not isinstance(value, bool | np.bool_):
        return str(value)
    return repr(value)


def check_n(n: object, name: str = "n") -> int:
    """Return ``n`` as an ``int`` or raise ValueError if it is not an integer >= 1."""
    if isinstance(n, bool | np.bool_):
        raise ValueError(f"{name} must be an integer (got {fmt(n)})")
    if isinstance(n, Integral):
        value = int(n)
    elif isinstance(n, Real) and math.isfinite(float(n)) and float(n).is_integer():
        value = int(float(n))
    else:
        raise ValueError(f"{name} must be an integer (got {fmt(n)})")
    if value < 1:
        raise ValueError(f"{name} must be >= 1 (got {fmt(n)})")
    return value


def check_real(x: object, name: str, *, positive: bool = False, allow_inf: bool = False) -> float:
    """Return ``x`` as a float, checking it is a real number >= 0 (or > 0)."""
    if isinstance(x, bool | np.bool_) or not isinstance(x, Real | np.number):
        raise ValueError(f"{name} must be a real number (got {fmt(x)})")
    value = float(x)
    if math.isnan(value):
        raise ValueError(f"{name} must not be NaN (got {fmt(x)})")
    if math.isinf(value) and not allow_inf:
        raise ValueError(f"{name} must be finite (got {fmt(x)})")
    if positive and not value > 0.0:
        raise ValueError(f"{name} must be > 0 (got {fmt(x)})")
    if value < 0.0:
        raise ValueError(f"{name} must be >= 0 (got {fmt(x)})")
    return value


def check_times(t: ArrayLike) -> NDArray[np.float64]:
    """Validate waiting-time thresholds: real, >= 0, not NaN (``inf`` allowed)."""
    try:
        arr = np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"t must be a real number or array of them (got {fmt(t)})") from None
    if np.any(np.isnan(arr)):
        raise ValueError(f"t must not be NaN (got {fmt(t)})")
    if np.any(arr < 0.0):
        raise ValueError(f"t must be >= 0 (got {fmt(t)})")
    return arr


def as_output(values: NDArray[np.float64], t: NDArray[np.float64]) -> float | NDArray[np.float64]:
    """Return a Python float for scalar input, an array of t's shape otherwise."""
    if t.ndim == 0:
        return float(values.reshape(()))
    return values.reshape(t.shape)


def check_mmn(n: int, lam: float, mu: float) -> tuple[int, float, float]:
    """Check the M/M/n parameters: agents ``n >= 1``, arrival rate ``lam >= 0``, ``mu > 0``."""
    return check_n(n), check_real(lam, "lam"), check_real(mu, "mu", positive=True)
