"""Closed-form queueing results used to validate the contact-center simulator.

All rates are per second and all times are in seconds:

* ``lam`` -- arrival rate (calls per second),
* ``mu`` -- service rate of one agent (``1 / mean handle time``),
* ``theta`` -- abandonment rate of one waiting caller (``1 / mean patience``),
* ``n`` -- number of agents (a positive integer),
* ``a = lam / mu`` -- offered load in Erlangs.

Every model here has Poisson arrivals, exponential handle times and a single
first-come-first-served queue (except :func:`cobham_waits`, which has static
non-preemptive priorities).  The *wait* ``W`` of a caller is always the time it
spends in the queue before reaching an agent (or, in Erlang A, before reaching
an agent or hanging up); handle time is never included.

Functions
---------
erlang_b
    Blocking probability of the M/M/n/n loss system.
erlang_c
    Probability of waiting in the M/M/n delay system.
erlang_c_service_level
    ``P(W <= t)`` in M/M/n.
erlang_c_asa
    Mean wait (average speed of answer) in M/M/n.
erlang_c_mean_wait_waiting
    Mean wait of the callers that do wait, in M/M/n.
erlang_a
    Steady-state performance of M/M/n+M (Erlang A, exponential patience).
cobham_waits
    Mean wait per class in the non-preemptive priority M/M/n queue.
sqrt_staffing
    Square-root staffing rule.
min_agents_for_service_level
    Smallest Erlang C staffing meeting a service-level goal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betainc, gammaln, logsumexp

__all__ = [
    "ErlangA",
    "cobham_waits",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "erlang_c_asa",
    "erlang_c_mean_wait_waiting",
    "erlang_c_service_level",
    "min_agents_for_service_level",
    "sqrt_staffing",
]

#: Queue states whose (unnormalised) probability, including a geometric bound on
#: everything beyond them, is below ``exp(-_LOG_TAIL)`` times the largest state
#: probability are dropped from the Erlang A chain (``exp(-60) ~ 9e-27``).
_LOG_TAIL = 60.0

#: Hard cap on the number of queue states kept for Erlang A.
_MAX_QUEUE_STATES = 10_000_000


# --------------------------------------------------------------------------- #
# Input validation
# --------------------------------------------------------------------------- #
def _fmt(value: object) -> str:
    """Format a value for an error message (plain numbers, repr otherwise)."""
    if isinstance(value, Real | np.number) and not isinstance(value, bool | np.bool_):
        return str(value)
    return repr(value)


def _check_n(n: object, name: str = "n") -> int:
    """Return ``n`` as an ``int`` or raise ValueError if it is not an integer >= 1."""
    if isinstance(n, bool | np.bool_):
        raise ValueError(f"{name} must be an integer (got {_fmt(n)})")
    if isinstance(n, Integral):
        value = int(n)
    elif isinstance(n, Real) and math.isfinite(float(n)) and float(n).is_integer():
        value = int(float(n))
    else:
        raise ValueError(f"{name} must be an integer (got {_fmt(n)})")
    if value < 1:
        raise ValueError(f"{name} must be >= 1 (got {_fmt(n)})")
    return value


def _check_real(x: object, name: str, *, positive: bool = False, allow_inf: bool = False) -> float:
    """Return ``x`` as a float, checking it is a real number >= 0 (or > 0)."""
    if isinstance(x, bool | np.bool_) or not isinstance(x, Real | np.number):
        raise ValueError(f"{name} must be a real number (got {_fmt(x)})")
    value = float(x)  # type: ignore[arg-type]
    if math.isnan(value):
        raise ValueError(f"{name} must not be NaN (got {_fmt(x)})")
    if math.isinf(value) and not allow_inf:
        raise ValueError(f"{name} must be finite (got {_fmt(x)})")
    if positive and not value > 0.0:
        raise ValueError(f"{name} must be > 0 (got {_fmt(x)})")
    if value < 0.0:
        raise ValueError(f"{name} must be >= 0 (got {_fmt(x)})")
    return value


def _check_times(t: ArrayLike) -> NDArray[np.float64]:
    """Validate waiting-time thresholds: real, >= 0, not NaN (``inf`` allowed)."""
    try:
        arr = np.asarray(t, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"t must be a real number or array of them (got {_fmt(t)})") from None
    if np.any(np.isnan(arr)):
        raise ValueError(f"t must not be NaN (got {_fmt(t)})")
    if np.any(arr < 0.0):
        raise ValueError(f"t must be >= 0 (got {_fmt(t)})")
    return arr


def _as_output(values: NDArray[np.float64], t: NDArray[np.float64]) -> float | NDArray[np.float64]:
    """Return a Python float for scalar input, an array of t's shape otherwise."""
    if t.ndim == 0:
        return float(values.reshape(()))
    return values.reshape(t.shape)


# --------------------------------------------------------------------------- #
# Erlang B / Erlang C (M/M/n/n and M/M/n)
# --------------------------------------------------------------------------- #
def _erlang_b(n: int, a: float) -> float:
    """Unchecked Erlang B recursion."""
    b = 1.0
    for k in range(1, n + 1):
        ab = a * b
        b = ab / (k + ab)
    return b


def _erlang_c_from_b(n: int, a: float, b: float) -> float:
    """Erlang C from Erlang B (``a < n`` assumed)."""
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
    n = _check_n(n)
    a = _check_real(a, "a")
    return _erlang_b(n, a)


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
    n = _check_n(n)
    a = _check_real(a, "a")
    if a >= n:
        return 1.0
    return _erlang_c_from_b(n, a, _erlang_b(n, a))


def _check_mmn(n: int, lam: float, mu: float) -> tuple[int, float, float]:
    return _check_n(n), _check_real(lam, "lam"), _check_real(mu, "mu", positive=True)


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
    n, lam, mu = _check_mmn(n, lam, mu)
    tt = _check_times(t)
    a = lam / mu
    if a >= n:
        return _as_output(np.zeros_like(tt), tt)
    c = _erlang_c_from_b(n, a, _erlang_b(n, a))
    return _as_output(1.0 - c * np.exp(-(n * mu - lam) * tt), tt)


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
    n, lam, mu = _check_mmn(n, lam, mu)
    a = lam / mu
    if a >= n:
        return math.inf
    return _erlang_c_from_b(n, a, _erlang_b(n, a)) / (n * mu - lam)


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
    n, lam, mu = _check_mmn(n, lam, mu)
    if lam >= n * mu:
        return math.inf
    return 1.0 / (n * mu - lam)


# --------------------------------------------------------------------------- #
# Erlang A (M/M/n+M)
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class ErlangA:
    """Steady-state performance of the Erlang A (M/M/n+M) queue.

    Produced by :func:`erlang_a`. Every probability and mean is over *all*
    arrivals unless stated otherwise. ``W`` is the time a caller spends in the
    queue: until an agent answers it (served) or until it hangs up (abandons);
    ``W = 0`` for callers answered on arrival.

    Attributes
    ----------
    n, lam, mu, theta : int, float, float, float
        The model parameters (agents, arrival rate, service rate, abandonment
        rate), rates per second.
    p_wait : float
        ``P(W > 0)``: probability an arrival finds all agents busy.
    p_abandon : float
        Share of arrivals that abandon (``= theta * mean_wait``).
    mean_wait : float
        ``E[W]`` over all arrivals (served and abandoning; zeros included).
    mean_wait_served : float
        ``E[W | served]``: mean wait of answered callers (zeros included).
    mean_wait_abandoned : float
        ``E[W | abandoned]``: mean time to abandonment; ``nan`` if nobody
        abandons (``theta == 0`` or ``lam == 0``).
    mean_queue_length : float
        Time-average number of callers waiting, ``E[Q] = lam * mean_wait``.
    occupancy : float
        Agent utilisation: time-average share of busy agents,
        ``lam * (1 - p_abandon) / (n mu)``.
    """

    n: int
    lam: float
    mu: float
    theta: float
    p_wait: float
    p_abandon: float
    mean_wait: float
    mean_wait_served: float
    mean_wait_abandoned: float
    mean_queue_length: float
    occupancy: float
    # Stationary probabilities of states n, n+1, ... (q = 0, 1, ... waiting);
    # empty in the closed-form Erlang C cases (theta == 0 or lam == 0).
    _queue_probs: NDArray[np.float64] = field(repr=False, compare=False)

    @property
    def p_served(self) -> float:
        """Share of arrivals that are eventually answered, ``1 - p_abandon``."""
        return 1.0 - self.p_abandon

    # The three time-dependent quantities share this helper: it returns, for
    # every threshold t, (P(served and W <= t), P(W <= t)).
    def _cdfs(self, tt: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        flat = tt.reshape(-1)
        served = np.empty_like(flat)
        anyexit = np.empty_like(flat)
        if self.lam == 0.0:
            served.fill(1.0)
            anyexit.fill(1.0)
        elif self.theta == 0.0:
            # Erlang C: W | W > 0 ~ Exp(n mu - lam); nobody abandons.
            if self.lam >= self.n * self.mu:
                served.fill(0.0)
            else:
                rate = self.n * self.mu - self.lam
                served[:] = 1.0 - self.p_wait * np.exp(-rate * flat)
            anyexit[:] = served
        else:
            c = self.n * self.mu
            th = self.theta
            probs = self._queue_probs
            q1 = np.arange(1, probs.size + 1, dtype=float)  # q + 1 = own position
            served_given_q = c / (c + q1 * th)
            no_wait = 1.0 - self.p_wait
            for i, t in enumerate(flat):
                x = -math.expm1(-th * t)  # 1 - exp(-theta t), P(patience <= t)
                # P(served, W <= t | q ahead) = c/(c+(q+1)th) * I_x(q+1, c/th + 1)
                s = served_given_q * betainc(q1, c / th + 1.0, x)
                # P(W > t | q) = exp(-th t) * P(D > t), D = time to reach an
                # agent with infinite patience; P(D <= t) = I_x(q+1, c/th).
                w = 1.0 - math.exp(-th * t) * (1.0 - betainc(q1, c / th, x))
                served[i] = no_wait + float(probs @ s)
                anyexit[i] = no_wait + float(probs @ w)
        return np.clip(served, 0.0, 1.0), np.clip(anyexit, 0.0, 1.0)

    def sl_all(self, t: ArrayLike) -> float | NDArray[np.float64]:
        """Share of *all* arrivals answered with ``W <= t``.

        ``P(served and W <= t)``; abandoning callers count as failures no matter
        when they hang up. Tends to ``p_served`` as ``t -> inf``.

        Parameters
        ----------
        t : float or array_like
            Threshold(s) in seconds, ``>= 0`` (``inf`` allowed).

        Returns
        -------
        float or numpy.ndarray
            A float for scalar ``t``, else an array of ``t``'s shape.
        """
        tt = _check_times(t)
        return _as_output(self._cdfs(tt)[0], tt)

    def service_level(self, t: ArrayLike) -> float | NDArray[np.float64]:
        """Alias of :meth:`sl_all`: ``P(served and W <= t)`` over all arrivals."""
        return self.sl_all(t)

    def sl_served(self, t: ArrayLike) -> float | NDArray[np.float64]:
        """Share of *answered* callers answered with ``W <= t``.

        ``P(W <= t | served) = sl_all(t) / (1 - p_abandon)``.

        Parameters
        ----------
        t : float or array_like
            Threshold(s) in seconds, ``>= 0`` (``inf`` allowed).

        Returns
        -------
        float or numpy.ndarray
            A float for scalar ``t``, else an array of ``t``'s shape.
        """
        tt = _check_times(t)
        values = np.clip(self._cdfs(tt)[0] / self.p_served, 0.0, 1.0)
        return _as_output(values, tt)

    def wait_cdf(self, t: ArrayLike) -> float | NDArray[np.float64]:
        """``P(W <= t)`` over all arrivals, ``W`` = time in queue.

        For an abandoning caller ``W`` is its time until hanging up, so this is
        ``P(served and W <= t) + P(abandoned and W <= t)``.

        Parameters
        ----------
        t : float or array_like
            Threshold(s) in seconds, ``>= 0`` (``inf`` allowed).

        Returns
        -------
        float or numpy.ndarray
            A float for scalar ``t``, else an array of ``t``'s shape.
        """
        tt = _check_times(t)
        return _as_output(self._cdfs(tt)[1], tt)


def _queue_log_weights(n: int, lam: float, mu: float, theta: float) -> NDArray[np.float64]:
    """Log of ``pi_{n+q} / pi_n`` for ``q = 0..K`` with a negligible tail beyond K."""
    c = n * mu
    log_lam, log_th = math.log(lam), math.log(theta)
    b = c / theta

    def logw(q: float) -> float:
        # sum_{i=1..q} [log lam - log(c + i theta)]
        return q * (log_lam - log_th) - float(gammaln(b + q + 1.0) - gammaln(b + 1.0))

    def bound(q: int) -> float:
        # log of w_q + (geometric bound on sum_{i>q} w_i); +inf if not decaying yet
        r = lam / (c + (q + 1) * theta)
        if r >= 1.0:
            return math.inf
        return logw(q) + math.log(r) - math.log1p(-r)

    q_peak = max(0, math.ceil((lam - c) / theta))  # ratios >= 1 up to here
    target = max(logw(q_peak), 0.0) - _LOG_TAIL  # 0.0 ~ log(w_n / w_n)
    lo = q_peak
    step = max(16, int(math.sqrt(lam / theta)) + 1)
    hi = lo + step
    while bound(hi) > target:
        lo = hi
        step *= 2
        hi = lo + step
        if lo > _MAX_QUEUE_STATES:
            break
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if bound(mid) > target:
            lo = mid
        else:
            hi = mid
    k = hi
    if k > _MAX_QUEUE_STATES:
        raise ValueError(
            "Erlang A queue does not decay within "
            f"{_MAX_QUEUE_STATES} states; theta is too small for this overload "
            f"(got theta={theta}, lam={lam}, n*mu={c})"
        )
    i = np.arange(1, k + 1, dtype=float)
    steps = log_lam - np.log(c + i * theta)
    return np.concatenate(([0.0], np.cumsum(steps)))


def erlang_a(n: int, lam: float, mu: float, theta: float) -> ErlangA:
    """Steady-state performance of the Erlang A (M/M/n+M) queue.

    Poisson arrivals at rate ``lam``, ``n`` agents with exponential handle times
    (rate ``mu``), one FCFS queue, and each waiting caller abandons after an
    independent exponential patience with rate ``theta`` (Palm's model; see
    Garnett, Mandelbaum & Reiman 2002, Mandelbaum & Zeltyn 2007).

    Parameters
    ----------
    n : int
        Number of agents, ``n >= 1``.
    lam : float
        Arrival rate per second, ``>= 0``.
    mu : float
        Service rate per agent per second, ``> 0``.
    theta : float
        Abandonment rate per waiting caller per second (``1 / mean patience``),
        ``>= 0``. ``theta == 0`` gives Erlang C (M/M/n); if moreover
        ``lam >= n mu`` there is no steady state and the limit values are
        returned (``p_wait = 1``, ``mean_wait = inf``, service levels ``0``).

    Returns
    -------
    ErlangA
        Frozen dataclass with ``p_wait``, ``p_abandon``, ``mean_wait``,
        ``mean_wait_served``, ``mean_wait_abandoned``, ``mean_queue_length``,
        ``occupancy`` and the methods ``sl_all(t)``, ``sl_served(t)``,
        ``wait_cdf(t)`` -- see :class:`ErlangA` for exact definitions.

    Raises
    ------
    ValueError
        On invalid inputs, or if ``theta > 0`` is so small relative to the
        overload ``lam - n mu`` that more than ten million queue states would be
        needed.

    Notes
    -----
    The number in system is a birth-death chain with birth rate ``lam`` and
    death rate ``min(k, n) mu + max(k - n, 0) theta``. Its stationary law is
    computed in log space and truncated where the remaining tail is below
    ``~1e-26`` of the largest state probability. By PASTA an arrival sees state
    ``n + q`` (``q`` callers ahead of it) with probability ``pi_{n+q}``. While it
    has ``j`` callers ahead it advances at rate ``n mu + j theta`` and abandons at
    rate ``theta``, hence given ``q``:

    * ``P(served) = n mu / (n mu + (q + 1) theta)``,
    * ``E[W] = (q + 1) / (n mu + (q + 1) theta)``,
    * ``E[W; served] = P(served) * sum_{j=0..q} 1 / (n mu + (j + 1) theta)``,
    * ``P(served, W <= t) = P(served) * I_x(q + 1, n mu / theta + 1)``,
    * ``P(W > t) = exp(-theta t) * (1 - I_x(q + 1, n mu / theta))``,

    with ``x = 1 - exp(-theta t)`` and ``I`` the regularised incomplete beta
    function (the time to pass ``q + 1`` stages with rates ``c + (j+1) theta``
    satisfies ``exp(-theta D) ~ Beta(c / theta + 1, q + 1)``). These identities
    are checked against a direct CTMC (matrix-exponential) solution in the
    test-suite.
    """
    n, lam, mu = _check_mmn(n, lam, mu)
    theta = _check_real(theta, "theta")
    empty = np.zeros(0)
    a = lam / mu
    c = n * mu

    if lam == 0.0:
        return ErlangA(n, lam, mu, theta, 0.0, 0.0, 0.0, 0.0, math.nan, 0.0, 0.0, empty)

    if theta == 0.0:
        if lam >= c:
            inf, nan = math.inf, math.nan
            return ErlangA(n, lam, mu, theta, 1.0, 0.0, inf, inf, nan, inf, 1.0, empty)
        p_wait = _erlang_c_from_b(n, a, _erlang_b(n, a))
        wq = p_wait / (c - lam)
        return ErlangA(n, lam, mu, theta, p_wait, 0.0, wq, wq, math.nan, lam * wq, a / n, empty)

    # log of unnormalised pi_k, k = 0..n (pi_k ~ a^k / k!), then the queue states.
    k = np.arange(n + 1, dtype=float)
    log_lower = k * math.log(a) - gammaln(k + 1.0)
    log_queue = log_lower[-1] + _queue_log_weights(n, lam, mu, theta)
    log_all = np.concatenate((log_lower[:-1], log_queue))
    probs = np.exp(log_all - logsumexp(log_all))
    queue_probs = probs[n:]  # pi_{n+q}, q = 0..K

    q = np.arange(queue_probs.size, dtype=float)
    rates = c + (q + 1.0) * theta  # exit rate of a caller with q ahead
    p_served_q = c / rates
    e_w_served_q = p_served_q * np.cumsum(1.0 / rates)

    p_wait = float(min(queue_probs.sum(), 1.0))
    mean_queue = float(queue_probs @ q)
    mean_wait = mean_queue / lam  # Little; = sum pi (q+1)/rates
    p_abandon = theta * mean_wait
    e_w_served = float(queue_probs @ e_w_served_q)
    mean_wait_served = e_w_served / (1.0 - p_abandon)
    mean_wait_abandoned = (mean_wait - e_w_served) / p_abandon if p_abandon > 0.0 else math.nan
    occupancy = min(lam * (1.0 - p_abandon) / c, 1.0)
    return ErlangA(
        n=n,
        lam=lam,
        mu=mu,
        theta=theta,
        p_wait=p_wait,
        p_abandon=p_abandon,
        mean_wait=mean_wait,
        mean_wait_served=mean_wait_served,
        mean_wait_abandoned=mean_wait_abandoned,
        mean_queue_length=mean_queue,
        occupancy=occupancy,
        _queue_probs=queue_probs,
    )


# --------------------------------------------------------------------------- #
# Priorities and staffing rules
# --------------------------------------------------------------------------- #
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
    n = _check_n(n)
    mu = _check_real(mu, "mu", positive=True)
    try:
        rates = np.asarray(lams, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"lams must be a sequence of real numbers (got {_fmt(lams)})") from None
    if rates.ndim != 1 or rates.size == 0:
        raise ValueError(f"lams must be a non-empty 1-D sequence (got {_fmt(lams)})")
    if not np.all(np.isfinite(rates)) or np.any(rates < 0.0):
        raise ValueError(f"lams must be finite and >= 0 (got {_fmt(lams)})")
    cap = n * mu
    a = float(rates.sum()) / mu
    c = 1.0 if a >= n else _erlang_c_from_b(n, a, _erlang_b(n, a))
    sigma = np.cumsum(rates) / cap
    sigma_prev = np.concatenate(([0.0], sigma[:-1]))
    waits = np.full(rates.size, math.inf)
    ok = sigma < 1.0
    waits[ok] = c / cap / ((1.0 - sigma_prev[ok]) * (1.0 - sigma[ok]))
    return waits


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
    lam = _check_real(lam, "lam")
    mu = _check_real(mu, "mu", positive=True)
    if isinstance(beta, bool | np.bool_) or not isinstance(beta, Real | np.number):
        raise ValueError(f"beta must be a real number (got {_fmt(beta)})")
    if not math.isfinite(float(beta)):  # type: ignore[arg-type]
        raise ValueError(f"beta must be finite (got {_fmt(beta)})")
    a = lam / mu
    x = a + float(beta) * math.sqrt(a)  # type: ignore[arg-type]
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
    lam = _check_real(lam, "lam")
    mu = _check_real(mu, "mu", positive=True)
    t = _check_real(t, "t")
    goal = _check_real(goal, "goal")
    if not 0.0 < goal < 1.0:
        raise ValueError(f"goal must be in (0, 1) (got {goal})")
    a = lam / mu
    n = math.floor(a) + 1  # smallest stable staffing
    b = _erlang_b(n, a)
    while True:
        c = _erlang_c_from_b(n, a, b)
        if 1.0 - c * math.exp(-(n * mu - lam) * t) >= goal:
            return n
        n += 1
        b = a * b / (n + a * b)
