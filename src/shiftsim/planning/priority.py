"""Static non-preemptive priorities in the M/M/n queue (Cobham's formula).

Re-exported by :mod:`shiftsim.planning.theory`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from shiftsim.planning.erlang import erlang_b_unchecked, erlang_c_from_b
from shiftsim.planning.parameters import check_n, check_real, fmt

__all__ = ["cobham_waits"]


def cobham_waits(n: int, lams: Sequence[float] | ArrayLike, mu: float) -> NDArray[np.float64]:
    """Mean wait per class in the non-preemptive priority M/M/n queue (Cobham).

    All classes share the service rate ``mu``; class 0 has the highest
    priority. With ``sigma_k = sum_{i<=k} lam_i / (n mu)`` (``sigma_{-1} = 0``)
    and ``a = sum(lams) / mu``::

        W_k = C(n, a) / (n mu) / ((1 - sigma_{k-1}) (1 - sigma_k))

    is the mean queue wait ``E[W]`` of class ``k`` over all its arrivals.

    Parameters
    ----------
    n : int
        Number of agents, ``n >= 1``.
    lams : sequence of float
        Arrival rate per second of each class, highest priority first; at
        least one class, each ``>= 0``.
    mu : float
        Service rate per agent per second, ``> 0``.

    Returns
    -------
    numpy.ndarray
        Mean wait in seconds per class. Classes with ``sigma_k >= 1`` get
        ``inf``; higher-priority classes of an overloaded system keep a finite
        wait (all agents are then always busy, ``C = 1``).

    Raises
    ------
    ValueError
        On invalid ``n``, ``mu`` or rates.

    Notes
    -----
    The arrival-weighted average of ``W_k`` equals the FCFS Erlang C mean wait
    (work conservation), for any split of the load into classes.
    """
    n = check_n(n)
    mu = check_real(mu, "mu", positive=True)
    try:
        rates = np.asarray(lams, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"lams must be a sequence of real numbers (got {fmt(lams)})") from None
    if rates.ndim != 1 or rates.size == 0:
        raise ValueError(f"lams must be a non-empty 1-D sequence (got {fmt(lams)})")
    if not np.all(np.isfinite(rates)) or np.any(rates < 0.0):
        raise ValueError(f"lams must be finite and >= 0 (got {fmt(lams)})")
    cap = n * mu
    a = float(rates.sum()) / mu
    c = 1.0 if a >= n else erlang_c_from_b(n, a, erlang_b_unchecked(n, a))
    sigma = np.cumsum(rates) / cap
    sigma_prev = np.concatenate(([0.0], sigma[:-1]))
    waits = np.full(rates.size, math.inf)
    ok = sigma < 1.0
    waits[ok] = c / cap / ((1.0 - sigma_prev[ok]) * (1.0 - sigma[ok]))
    return waits
