"""Erlang B and Erlang C (M/M/n/n and M/M/n) and the staffing rules built on them.

All rates are per second and all times in seconds; ``a = lam / mu`` is the
offered load in Erlangs. Re-exported by :mod:`shiftsim.planning.theory`.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shiftsim.planning.parameters import as_output, check_mmn, check_n, check_real, check_times, fmt

__all__ = [
    "erlang_b",
    "erlang_b_unchecked",
    "erlang_c",
    "erlang_c_asa",
    "erlang_c_from_b",
    "erlang_c_mean_wait_waiting",
    "erlang_c_service_level",
    "min_agents_for_service_level",
    "sqrt_staffing",
]


# --------------------------------------------------------------------------- #
# Erlang B / Erlang C (M/M/n/n and M/M/n)
# --------------------------------------------------------------------------- #
def erlang_b_unchecked(n: int, a: float) -> float:
    """Erlang B recursion without argument checks, for callers that checked ``n`` and ``a``."""
    b = 1.0
    for k in range(1, n + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


def erlang_c_from_b(n: int, a: float, b: float) -> float:
    """Erlang C from Erlang B ``b = B(n, a)``, without checks (``a < n`` assumed)."""
    return n * b / (n - a * (1.0 - b))


def erlang_b(n: int, a: float) -> float:
    """Erlang B blocking probability of the M/M/n/n loss system.

    ``B(n, a) = (a**n / n!) / sum_{k=0..n} a**k / k!`` -- the stationary
    probability that all ``n`` servers are busy, which by PASTA is the share of
    arrivals that are blocked (lost).

    Parameters
    ----------
    n : int
        Number of servers, ``n >= 1``.
    a : float
        Offered load in Erlangs (``lam / mu``), finite and ``>= 0``. Any value
        is allowed, including ``a >= n``.

    Returns
    -------
    float
        Blocking probability in ``[0, 1]``.

    Raises
    ------
    ValueError
        If ``n`` is not an integer ``>= 1`` or ``a`` is negative / not finite.

    Notes
    -----
    Uses the recursion ``B(0) = 1``, ``B(k) = a B(k-1) / (k + a B(k-1))``, whose
    terms all lie in ``[0, 1]``, so it cannot overflow for any ``n`` (cost is
    ``O(n)``).
    """
    n = check_n(n)
    a = check_real(a, "a")
    return erlang_b_unchecked(n, a)


def erlang_c(n: int, a: float) -> float:
    """Erlang C probability of waiting in the M/M/n queue.

    ``C(n, a) = n B / (n - a (1 - B))`` with ``B = erlang_b(n, a)``: the
    stationary probability that all ``n`` agents are busy, which by PASTA is
    ``P(W > 0)`` for an arriving caller.

    Parameters
    ----------
    n : int
        Number of agents, ``n >= 1``.
    a : float
        Offered load in Erlangs (``lam / mu``), finite and ``>= 0``.

    Returns
    -------
    float
        Probability of waiting in ``[0, 1]``; ``1.0`` if ``a >= n`` (no steady
        state: every caller waits).

    Raises
    ------
    ValueError
        If ``n`` is not an integer ``>= 1`` or ``a`` is negative / not finite.
    """
    n = check_n(n)
    a = check_real(a, "a")
    if a >= n:
        return 1.0
    return erlang_c_from_b(n, a, erlang_b_unchecked(n, a))


def erlang_c_service_level(
    n: int, lam: float, mu: float, t: ArrayLike
) -> float | NDArray[np.float64]:
    """Service level ``P(W <= t)`` of the M/M/n (Erlang C) queue.

    ``P(W <= t) = 1 - C(n, a) exp(-(n mu - lam) t)`` over *all* arrivals
    (callers answered immediately count as ``W = 0``).

    Parameters
    ----------
    n : int
        Number of agents, ``n >= 1``.
    lam : float
        Arrival rate per second, ``>= 0``.
    mu : float
        Service rate per agent per second, ``> 0``.
    t : float or array_like
        Answer-time threshold(s) in seconds, ``>= 0`` (``inf`` allowed).

    Returns
    -------
    float or numpy.ndarray
        Service level(s) in ``[0, 1]`` (a float for scalar ``t``). ``0.0`` if
        the system is unstable (``lam >= n mu``).

    Raises
    ------
    ValueError
        On invalid ``n``, ``lam``, ``mu`` or ``t``.
    """
    n, lam, mu = check_mmn(n, lam, mu)
    tt = check_times(t)
    a = lam / mu
    if a >= n:
        return as_output(np.zeros_like(tt), tt)
    c = erlang_c_from_b(n, a, erlang_b_unchecked(n, a))
    return as_output(1.0 - c * np.exp(-(n * mu - lam) * tt), tt)


def erlang_c_asa(n: int, lam: float, mu: float) -> float:
    """Average speed of answer ``E[W]`` of the M/M/n queue.

    ``E[W] = C(n, a) / (n mu - lam)`` seconds, averaged over *all* arrivals
    (including those answered immediately with ``W = 0``).

    Parameters
    ----------
    n : int
        Number of agents, ``n >= 1``.
    lam : float
        Arrival rate per second, ``>= 0``.
    mu : float
        Service rate per agent per second, ``> 0``.

    Returns
    -------
    float
        Mean wait in seconds; ``inf`` if ``lam >= n mu``.

    Raises
    ------
    ValueError
        On invalid ``n``, ``lam`` or ``mu``.
    """
    n, lam, mu = check_mmn(n, lam, mu)
    a = lam / mu
    if a >= n:
        return math.inf
    return erlang_c_from_b(n, a, erlang_b_unchecked(n, a)) / (n * mu - lam)


def erlang_c_mean_wait_waiting(n: int, lam: float, mu: float) -> float:
    """Mean wait of the callers who wait, ``E[W | W > 0]``, in M/M/n.

    ``E[W | W > 0] = 1 / (n mu - lam)`` seconds (the conditional wait is
    exponential with rate ``n mu - lam``).

    Parameters
    ----------
    n : int
        Number of agents, ``n >= 1``.
    lam : float
        Arrival rate per second, ``>= 0``.
    mu : float
        Service rate per agent per second, ``> 0``.

    Returns
    -------
    float
        Conditional mean wait in seconds; ``inf`` if ``lam >= n mu``.

    Raises
    ------
    ValueError
        On invalid ``n``, ``lam`` or ``mu``.
    """
    n, lam, mu = check_mmn(n, lam, mu)
    if lam >= n * mu:
        return math.inf
    return 1.0 / (n * mu - lam)


# --------------------------------------------------------------------------- #
# Staffing rules
# --------------------------------------------------------------------------- #
def sqrt_staffing(lam: float, mu: float, beta: float) -> int:
    """Square-root staffing ``n = ceil(a + beta sqrt(a))``, ``a = lam / mu``.

    Parameters
    ----------
    lam : float
        Arrival rate per second, ``>= 0``.
    mu : float
        Service rate per agent per second, ``> 0``.
    beta : float
        Quality-of-service parameter (finite; may be negative, e.g. for
        efficiency-driven staffing with abandonment).

    Returns
    -------
    int
        Number of agents, at least 1. A relative tolerance of ``1e-12`` is
        applied before rounding up so that e.g. ``a + beta sqrt(a) = 10 + 1e-15``
        gives 10, not 11.

    Raises
    ------
    ValueError
        On invalid inputs.
    """
    lam = check_real(lam, "lam")
    mu = check_real(mu, "mu", positive=True)
    if isinstance(beta, bool | np.bool_) or not isinstance(beta, Real | np.number):
        raise ValueError(f"beta must be a real number (got {fmt(beta)})")
    if not math.isfinite(float(beta)):
        raise ValueError(f"beta must be finite (got {fmt(beta)})")
    a = lam / mu
    x = a + float(beta) * math.sqrt(a)
    return max(1, math.ceil(x - 1e-12 * max(1.0, abs(x))))


def min_agents_for_service_level(lam: float, mu: float, t: float, goal: float) -> int:
    """Smallest ``n`` whose Erlang C service level meets ``goal``.

    Returns the least ``n >= 1`` with ``erlang_c_service_level(n, lam, mu, t)
    >= goal``, i.e. ``P(W <= t) >= goal`` in M/M/n (e.g. 80% answered within
    20 s: ``t=20, goal=0.8``). The result is always stable (``n > lam / mu``).

    Parameters
    ----------
    lam : float
        Arrival rate per second, ``>= 0``.
    mu : float
        Service rate per agent per second, ``> 0``.
    t : float
        Answer-time threshold in seconds, finite and ``>= 0``.
    goal : float
        Target service level, ``0 < goal < 1``.

    Returns
    -------
    int
        Required number of agents.

    Raises
    ------
    ValueError
        On invalid inputs.

    Notes
    -----
    Erlang B is updated incrementally in ``n``, so the search costs
    ``O(a + sqrt(a))`` operations.
    """
    lam = check_real(lam, "lam")
    mu = check_real(mu, "mu", positive=True)
    t = check_real(t, "t")
    goal = check_real(goal, "goal")
    if not 0.0 < goal < 1.0:
        raise ValueError(f"goal must be in (0, 1) (got {goal})")
    a = lam / mu
    n = math.floor(a) + 1  # smallest stable staffing
    b = erlang_b_unchecked(n, a)
    while True:
        c = erlang_c_from_b(n, a, b)
        if 1.0 - c * math.exp(-(n * mu - lam) * t) >= goal:
            return n
        n += 1
        b = a * b / (n + a * b)
