"""Erlang A (M/M/n+M): the Erlang C queue with exponential patience.

Re-exported by :mod:`shiftsim.planning.theory`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betainc, gammaln, logsumexp

from shiftsim.planning.erlang import erlang_b_unchecked, erlang_c_from_b
from shiftsim.planning.parameters import as_output, check_mmn, check_real, check_times

__all__ = ["ErlangA", "erlang_a"]

#: Queue states whose (unnormalised) probability, including a geometric bound on
#: everything beyond them, is below ``exp(-_LOG_TAIL)`` times the largest state
#: probability are dropped from the Erlang A chain (``exp(-60) ~ 9e-27``).
_LOG_TAIL = 60.0

#: Hard cap on the number of queue states kept for Erlang A.
_MAX_QUEUE_STATES = 10_000_000


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
        tt = check_times(t)
        return as_output(self._cdfs(tt)[0], tt)

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
        tt = check_times(t)
        values = np.clip(self._cdfs(tt)[0] / self.p_served, 0.0, 1.0)
        return as_output(values, tt)

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
        tt = check_times(t)
        return as_output(self._cdfs(tt)[1], tt)


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
    n, lam, mu = check_mmn(n, lam, mu)
    theta = check_real(theta, "theta")
    empty = np.zeros(0)
    a = lam / mu
    c = n * mu

    if lam == 0.0:
        return ErlangA(n, lam, mu, theta, 0.0, 0.0, 0.0, 0.0, math.nan, 0.0, 0.0, empty)

    if theta == 0.0:
        if lam >= c:
            inf, nan = math.inf, math.nan
            return ErlangA(n, lam, mu, theta, 1.0, 0.0, inf, inf, nan, inf, 1.0, empty)
        p_wait = erlang_c_from_b(n, a, erlang_b_unchecked(n, a))
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
