"""Tests for shiftsim.planning.theory against exact birth-death (CTMC) solutions."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.linalg import expm

from shiftsim.planning.theory import (
    ErlangA,
    cobham_waits,
    erlang_a,
    erlang_b,
    erlang_c,
    erlang_c_asa,
    erlang_c_mean_wait_waiting,
    erlang_c_service_level,
    min_agents_for_service_level,
    sqrt_staffing,
)

# --------------------------------------------------------------------------- #
# Exact reference solutions built from scratch
# --------------------------------------------------------------------------- #


def bd_stationary(
    n: int, lam: float, mu: float, theta: float, k_max: int, *, loss: bool = False
) -> np.ndarray:
    """Stationary law of the number in system on states 0..k_max.

    Birth rate ``lam``, death rate ``min(k, n) mu + max(k - n, 0) theta``.
    Solved as the linear system ``pi Q = 0, sum(pi) = 1`` (not by the product form).
    With ``loss=True`` the chain is M/M/n/n (``k_max = n``).
    """
    size = k_max + 1
    q = np.zeros((size, size))
    for k in range(size):
        if k < k_max:
            q[k, k + 1] = lam
        if k > 0:
            q[k, k - 1] = min(k, n) * mu + max(k - n, 0) * theta
        q[k, k] = -q[k].sum()
    if loss:
        assert k_max == n
    a_mat = q.T.copy()
    a_mat[-1, :] = 1.0
    rhs = np.zeros(size)
    rhs[-1] = 1.0
    pi = np.linalg.solve(a_mat, rhs)
    assert pi[-1] < 1e-14 or loss, "truncation too small"
    return pi


def tagged_generator(n: int, mu: float, theta: float, q_max: int) -> np.ndarray:
    """Generator of a tagged waiting caller: position j (callers ahead) 0..q_max,
    then absorbing 'served' (index q_max+1) and 'abandoned' (q_max+2)."""
    size = q_max + 3
    served, aband = q_max + 1, q_max + 2
    g = np.zeros((size, size))
    for j in range(q_max + 1):
        if j > 0:
            g[j, j - 1] = n * mu + j * theta  # head served or someone ahead abandons
        else:
            g[j, served] = n * mu
        g[j, aband] = theta
        g[j, j] = -g[j].sum()
    return g


class ChainErlangA:
    """Reference Erlang A quantities computed from the CTMC only."""

    def __init__(self, n: int, lam: float, mu: float, theta: float, k_max: int) -> None:
        self.n, self.lam, self.mu, self.theta = n, lam, mu, theta
        pi = bd_stationary(n, lam, mu, theta, k_max)
        self.pi = pi
        k = np.arange(k_max + 1)
        self.p_wait = pi[n:].sum()
        self.mean_queue = pi @ np.maximum(k - n, 0)
        self.busy = pi @ np.minimum(k, n)
        self.qprobs = pi[n:]
        q_max = k_max - n
        self.g = tagged_generator(n, mu, theta, q_max)
        t_mat = self.g[: q_max + 1, : q_max + 1]
        fund = np.linalg.inv(-t_mat)  # expected time in each transient state
        b = np.zeros(q_max + 1)
        b[0] = n * mu
        h = fund @ b  # P(served | start at position j)
        self.p_served = (1.0 - self.p_wait) + self.qprobs @ h
        self.p_abandon = 1.0 - self.p_served
        self.mean_wait = self.qprobs @ fund.sum(axis=1)
        self.wait_served_sum = self.qprobs @ (fund @ h)  # E[W; served]

    def cdfs(self, t: float) -> tuple[float, float]:
        """(P(served, W <= t), P(W <= t)) via the matrix exponential."""
        q_max = self.qprobs.size - 1
        p = expm(self.g * t)
        served = p[: q_max + 1, q_max + 1]
        aband = p[: q_max + 1, q_max + 2]
        base = 1.0 - self.p_wait
        return base + self.qprobs @ served, base + self.qprobs @ (served + aband)


def direct_erlang_b(n: int, a: float) -> float:
    terms = [a**k / math.factorial(k) for k in range(n + 1)]
    return terms[-1] / sum(terms)


# --------------------------------------------------------------------------- #
# Erlang B
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("n", range(1, 11))
@pytest.mark.parametrize("a", [0.0, 0.3, 1.0, 4.5, 9.0, 15.0])
def test_erlang_b_matches_direct_formula(n: int, a: float) -> None:
    assert erlang_b(n, a) == pytest.approx(direct_erlang_b(n, a), rel=1e-12, abs=1e-300)


@pytest.mark.parametrize(("n", "lam", "mu"), [(1, 0.5, 1.0), (4, 3.0, 1.0), (7, 9.0, 0.8)])
def test_erlang_b_matches_loss_chain(n: int, lam: float, mu: float) -> None:
    pi = bd_stationary(n, lam, mu, 0.0, n, loss=True)
    assert erlang_b(n, lam / mu) == pytest.approx(pi[-1], rel=1e-10)


def test_erlang_b_large_n_no_overflow() -> None:
    for n, a in [(2000, 1900.0), (5000, 5000.0), (3000, 6000.0), (2000, 1e-3)]:
        b = erlang_b(n, a)
        assert math.isfinite(b)
        assert 0.0 <= b <= 1.0
    assert 0.0 < erlang_b(5000, 5000.0) < 0.05


# --------------------------------------------------------------------------- #
# Erlang C
# --------------------------------------------------------------------------- #


def test_erlang_c_textbook_value() -> None:
    # 8 Erlangs on 10 agents: P(wait) = 0.4092 (standard Erlang C table value)
    assert erlang_c(10, 8.0) == pytest.approx(0.40918, abs=5e-5)


@pytest.mark.parametrize(
    ("n", "lam", "mu"), [(1, 0.5, 1.0), (2, 1.5, 1.0), (5, 3.7, 1.0), (10, 7.2, 0.9)]
)
def test_erlang_c_matches_chain(n: int, lam: float, mu: float) -> None:
    k_max = n + 400
    pi = bd_stationary(n, lam, mu, 0.0, k_max)
    k = np.arange(k_max + 1)
    assert erlang_c(n, lam / mu) == pytest.approx(pi[n:].sum(), rel=1e-10)
    # ASA by Little's law from the chain
    assert erlang_c_asa(n, lam, mu) == pytest.approx(pi @ np.maximum(k - n, 0) / lam, rel=1e-9)
    assert erlang_c_mean_wait_waiting(n, lam, mu) == pytest.approx(
        erlang_c_asa(n, lam, mu) / pi[n:].sum(), rel=1e-9
    )


@pytest.mark.parametrize(("n", "lam", "mu"), [(1, 0.6, 1.0), (3, 2.0, 1.0), (8, 0.05, 1 / 120)])
def test_erlang_c_service_level_matches_direct(n: int, lam: float, mu: float) -> None:
    # Arrival in state k >= n waits for k-n+1 completions at rate n*mu: Erlang(k-n+1, n mu).
    rho = lam / (n * mu)
    k_max = n + int(np.ceil(-45 / np.log(rho)))
    pi = bd_stationary(n, lam, mu, 0.0, k_max)
    shapes = np.arange(1, k_max - n + 2)
    ts = np.array([0.0, 0.5, 2.0, 10.0, 60.0])
    got = erlang_c_service_level(n, lam, mu, ts)
    assert isinstance(got, np.ndarray)
    assert got.shape == ts.shape
    for t, g in zip(ts, got, strict=True):
        want = pi[:n].sum() + pi[n:] @ stats.gamma.cdf(t, shapes, scale=1 / (n * mu))
        assert g == pytest.approx(want, rel=1e-9)
        assert erlang_c_service_level(n, lam, mu, float(t)) == pytest.approx(want, rel=1e-9)


def test_erlang_c_large_n() -> None:
    c = erlang_c(2000, 1900.0)
    assert math.isfinite(c)
    assert 0.0 < c < 1.0
    assert erlang_c(2000, 1999.0) < 1.0


def test_erlang_c_unstable_and_edge_values() -> None:
    assert erlang_c(3, 3.0) == 1.0
    assert erlang_c(3, 7.5) == 1.0
    assert erlang_c(3, 0.0) == 0.0
    assert erlang_c_service_level(2, 2.0, 1.0, 10.0) == 0.0
    assert erlang_c_asa(2, 2.5, 1.0) == math.inf
    assert erlang_c_mean_wait_waiting(2, 2.0, 1.0) == math.inf
    assert erlang_c_service_level(2, 1.0, 1.0, math.inf) == 1.0
    assert erlang_c_service_level(2, 1.0, 1.0, 0.0) == pytest.approx(1 - erlang_c(2, 1.0))


@pytest.mark.parametrize(("lam", "mu"), [(0.2, 1.0), (0.9, 1.0), (1 / 300, 1 / 200)])
def test_mm1_asa(lam: float, mu: float) -> None:
    rho = lam / mu
    assert erlang_c(1, rho) == pytest.approx(rho, rel=1e-12)
    assert erlang_c_asa(1, lam, mu) == pytest.approx(rho / (mu - lam), rel=1e-12)


# --------------------------------------------------------------------------- #
# Erlang A
# --------------------------------------------------------------------------- #

ERLANG_A_CASES = [
    # n, lam, mu, theta, k_max of the reference chain
    (1, 0.7, 1.0, 0.5, 80),
    (3, 2.5, 1.0, 0.2, 150),
    (5, 8.0, 1.0, 1.0, 80),  # overloaded
    (10, 12.0, 1.0, 0.3, 120),  # overloaded, long queue
    (4, 0.03, 1 / 180, 1 / 120, 120),  # contact-center scales (seconds)
    (20, 30.0, 1.0, 0.5, 160),  # overloaded, queue peak at q = 20
]


@pytest.mark.parametrize(("n", "lam", "mu", "theta", "k_max"), ERLANG_A_CASES)
def test_erlang_a_matches_chain(n: int, lam: float, mu: float, theta: float, k_max: int) -> None:
    ref = ChainErlangA(n, lam, mu, theta, k_max)
    r = erlang_a(n, lam, mu, theta)
    assert isinstance(r, ErlangA)
    assert r.p_wait == pytest.approx(ref.p_wait, rel=1e-9)
    assert r.p_abandon == pytest.approx(ref.p_abandon, rel=1e-9)
    # abandonment rate balance: lam * P(ab) = theta * E[Q]
    assert r.p_abandon == pytest.approx(theta * ref.mean_queue / lam, rel=1e-9)
    assert r.mean_wait == pytest.approx(ref.mean_wait, rel=1e-9)
    assert r.mean_queue_length == pytest.approx(ref.mean_queue, rel=1e-9)
    assert r.mean_wait_served == pytest.approx(ref.wait_served_sum / ref.p_served, rel=1e-9)
    assert r.mean_wait_abandoned == pytest.approx(
        (ref.mean_wait - ref.wait_served_sum) / ref.p_abandon, rel=1e-8
    )
    assert r.occupancy == pytest.approx(ref.busy / n, rel=1e-9)
    assert r.p_served == pytest.approx(ref.p_served, rel=1e-9)

    ts = [0.0, 0.1, 1.0, 5.0, 20.0]
    if mu < 0.1:
        ts = [0.0, 10.0, 60.0, 300.0]
    sl_all = r.sl_all(ts)
    sl_served = r.sl_served(ts)
    wait_cdf = r.wait_cdf(ts)
    for i, t in enumerate(ts):
        want_served, want_wait = ref.cdfs(t)
        assert sl_all[i] == pytest.approx(want_served, rel=1e-8, abs=1e-12)
        assert r.service_level(t) == pytest.approx(want_served, rel=1e-8, abs=1e-12)
        assert sl_served[i] == pytest.approx(want_served / ref.p_served, rel=1e-8, abs=1e-12)
        assert wait_cdf[i] == pytest.approx(want_wait, rel=1e-8, abs=1e-12)
    assert r.sl_all(math.inf) == pytest.approx(r.p_served, rel=1e-12)
    assert r.wait_cdf(math.inf) == pytest.approx(1.0, rel=1e-12)
    assert r.sl_served(math.inf) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize(("n", "lam", "mu"), [(1, 0.5, 1.0), (4, 3.0, 1.0), (6, 9.0, 1.5)])
def test_erlang_a_theta_equals_mu_is_poisson(n: int, lam: float, mu: float) -> None:
    # theta == mu: death rate k*mu in every state -> number in system ~ Poisson(a) (M/M/inf).
    a = lam / mu
    r = erlang_a(n, lam, mu, mu)
    ks = np.arange(0, 400)
    pmf = stats.poisson.pmf(ks, a)
    mean_queue = pmf @ np.maximum(ks - n, 0)
    assert r.p_wait == pytest.approx(stats.poisson.sf(n - 1, a), rel=1e-10)
    assert r.mean_queue_length == pytest.approx(mean_queue, rel=1e-10)
    assert r.p_abandon == pytest.approx(mu * mean_queue / lam, rel=1e-10)
    ref = ChainErlangA(n, lam, mu, mu, n + 120)
    assert r.p_abandon == pytest.approx(ref.p_abandon, rel=1e-9)


@pytest.mark.parametrize(("n", "lam", "mu"), [(1, 0.5, 1.0), (10, 8.0, 1.0), (30, 0.1, 1 / 270)])
def test_erlang_a_small_theta_approaches_erlang_c(n: int, lam: float, mu: float) -> None:
    c = erlang_c(n, lam / mu)
    asa = erlang_c_asa(n, lam, mu)
    r = erlang_a(n, lam, mu, 1e-7 * mu)
    assert r.p_wait == pytest.approx(c, rel=1e-4)
    assert r.mean_wait == pytest.approx(asa, rel=1e-4)
    assert r.p_abandon < 1e-4
    t = 1.0 / mu / 10
    assert r.sl_all(t) == pytest.approx(erlang_c_service_level(n, lam, mu, t), rel=1e-4)

    exact = erlang_a(n, lam, mu, 0.0)
    assert exact.p_wait == pytest.approx(c, rel=1e-14)
    assert exact.mean_wait == pytest.approx(asa, rel=1e-14)
    assert exact.mean_wait_served == pytest.approx(asa, rel=1e-14)
    assert exact.p_abandon == 0.0
    assert math.isnan(exact.mean_wait_abandoned)
    assert exact.sl_all(t) == pytest.approx(erlang_c_service_level(n, lam, mu, t), rel=1e-14)
    assert exact.sl_served(t) == pytest.approx(exact.sl_all(t), rel=1e-14)
    assert exact.occupancy == pytest.approx(lam / (n * mu), rel=1e-14)


def test_erlang_a_degenerate_cases() -> None:
    unstable = erlang_a(2, 3.0, 1.0, 0.0)
    assert unstable.p_wait == 1.0
    assert unstable.mean_wait == math.inf
    assert unstable.sl_all(30.0) == 0.0
    idle = erlang_a(2, 0.0, 1.0, 0.5)
    assert idle.p_wait == 0.0
    assert idle.p_abandon == 0.0
    assert idle.sl_all(0.0) == 1.0
    assert idle.mean_wait == 0.0


def test_erlang_a_large_n_fast_and_consistent() -> None:
    # 500 agents, 5 min handle, 10 min patience, ~6% overload
    r = erlang_a(500, 1.77, 1 / 300, 1 / 600)
    ts = np.array([0.0, 10.0, 20.0, 60.0, 300.0, 3600.0])
    sl = r.sl_all(ts)
    assert np.all(np.diff(sl) >= 0.0)
    assert sl[0] == pytest.approx(1.0 - r.p_wait, rel=1e-12)
    assert sl[-1] <= r.p_served + 1e-12
    assert np.all(np.diff(r.wait_cdf(ts)) >= 0.0)
    assert r.p_abandon == pytest.approx(r.theta * r.mean_wait, rel=1e-12)
    assert 0.0 < r.occupancy <= 1.0
    # under-loaded large system: agrees closely with Erlang C
    r2 = erlang_a(500, 1.5, 1 / 300, 1 / 600)
    assert r2.p_wait <= erlang_c(500, 450.0)


def test_erlang_a_result_is_frozen() -> None:
    r = erlang_a(3, 2.0, 1.0, 0.5)
    with pytest.raises(AttributeError):
        r.p_wait = 0.5  # type: ignore[misc]
    assert r.sl_all(1.0) == pytest.approx(erlang_a(3, 2.0, 1.0, 0.5).sl_all(1.0))
    assert isinstance(r.sl_all(1.0), float)
    assert r.sl_all([[1.0, 2.0]]).shape == (1, 2)


def test_erlang_a_too_small_theta_in_overload() -> None:
    with pytest.raises(ValueError, match=r"theta is too small"):
        erlang_a(1, 2.0, 1.0, 1e-9)


# --------------------------------------------------------------------------- #
# Cobham priority waits
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(("n", "lam", "mu"), [(1, 0.5, 1.0), (10, 8.0, 1.0), (25, 0.1, 1 / 240)])
def test_cobham_single_class_is_erlang_c(n: int, lam: float, mu: float) -> None:
    w = cobham_waits(n, [lam], mu)
    assert isinstance(w, np.ndarray)
    assert w.shape == (1,)
    assert w[0] == pytest.approx(erlang_c_asa(n, lam, mu), rel=1e-12)


@pytest.mark.parametrize(
    ("n", "lams", "mu"),
    [(10, [1.0, 3.0, 4.0], 1.0), (3, [0.5, 0.5, 0.5, 1.0], 1.2), (40, [0.02, 0.1], 1 / 300)],
)
def test_cobham_conservation(n: int, lams: list[float], mu: float) -> None:
    w = cobham_waits(n, lams, mu)
    total = sum(lams)
    assert np.dot(lams, w) / total == pytest.approx(erlang_c_asa(n, total, mu), rel=1e-12)
    assert np.all(np.diff(w) > 0)  # higher priority waits less


def test_cobham_mm1_formula_and_overload() -> None:
    lams, mu = np.array([0.2, 0.3, 0.1]), 1.0
    rho = lams.sum() / mu
    sig = np.cumsum(lams) / mu
    want = (rho / mu) / ((1 - np.concatenate(([0.0], sig[:-1]))) * (1 - sig))
    np.testing.assert_allclose(cobham_waits(1, lams, mu), want, rtol=1e-12)
    # overloaded: the top class is still finite, the saturated ones are not
    w = cobham_waits(2, [0.5, 1.0, 2.0], 1.0)
    assert w[0] == pytest.approx(0.5 / ((1.0) * (1 - 0.25)))
    assert math.isfinite(w[1])
    assert w[2] == math.inf


# --------------------------------------------------------------------------- #
# Staffing rules
# --------------------------------------------------------------------------- #


def test_sqrt_staffing() -> None:
    assert sqrt_staffing(100.0, 1.0, 1.0) == 110
    assert sqrt_staffing(9.0, 1.0, 0.0) == 9
    assert sqrt_staffing(0.3, 0.1, 0.0) == 3  # 0.3/0.1 = 2.9999999999999996
    assert sqrt_staffing(100.0, 1.0, 0.5) == 105
    assert sqrt_staffing(1.0, 1 / 300, 0.0) == 300
    assert sqrt_staffing(0.0, 1.0, 2.0) == 1
    assert sqrt_staffing(1.0, 1.0, -5.0) == 1
    assert sqrt_staffing(100.0, 1.0, -1.0) == 90


@pytest.mark.parametrize(
    ("lam", "mu", "t", "goal"),
    [
        (1.0, 1 / 180, 20.0, 0.8),
        (0.05, 1 / 300, 30.0, 0.9),
        (3.0, 1.0, 0.0, 0.5),
        (0.0, 1.0, 5, 0.8),
    ],
)
def test_min_agents_for_service_level(lam: float, mu: float, t: float, goal: float) -> None:
    n = min_agents_for_service_level(lam, mu, t, goal)
    assert erlang_c_service_level(n, lam, mu, t) >= goal
    if n > 1:
        assert erlang_c_service_level(n - 1, lam, mu, t) < goal
    brute = next(k for k in range(1, 10_000) if erlang_c_service_level(k, lam, mu, t) >= goal)
    assert n == brute


def test_min_agents_known_value() -> None:
    # 360 calls/h, 3-minute handle, 80/20: a = 18 Erlangs -> 22 agents (SL ~ 0.84).
    n = min_agents_for_service_level(0.1, 1 / 180, 20.0, 0.8)
    assert n == 22


# --------------------------------------------------------------------------- #
# Properties (hypothesis)
# --------------------------------------------------------------------------- #


@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 300), a=st.floats(0.0, 400.0, allow_nan=False))
def test_erlang_bc_bounds_and_monotone(n: int, a: float) -> None:
    b, c = erlang_b(n, a), erlang_c(n, a)
    assert 0.0 <= b <= 1.0
    assert 0.0 <= c <= 1.0
    assert b <= c + 1e-15
    assert erlang_b(n + 1, a) <= b
    assert erlang_c(n + 1, a) <= c


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 6),
    lam=st.floats(0.05, 5.0),
    mu=st.floats(0.2, 2.0),
    theta=st.floats(0.2, 3.0),
    t=st.floats(0.0, 10.0),
)
def test_erlang_a_random_vs_chain(n: int, lam: float, mu: float, theta: float, t: float) -> None:
    ref = ChainErlangA(n, lam, mu, theta, n + 120)
    r = erlang_a(n, lam, mu, theta)
    assert r.p_wait == pytest.approx(ref.p_wait, rel=1e-8, abs=1e-14)
    assert r.p_abandon == pytest.approx(ref.p_abandon, rel=1e-8, abs=1e-14)
    assert r.mean_wait == pytest.approx(ref.mean_wait, rel=1e-8, abs=1e-14)
    want_served, want_wait = ref.cdfs(t)
    assert r.sl_all(t) == pytest.approx(want_served, rel=1e-8, abs=1e-12)
    assert r.wait_cdf(t) == pytest.approx(want_wait, rel=1e-8, abs=1e-12)
    assert r.sl_all(t) <= r.wait_cdf(t) + 1e-12
    assert r.sl_all(t) <= r.sl_all(t + 1.0) + 1e-12


# --------------------------------------------------------------------------- #
# Input validation
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("call", "quoted"),
    [
        (lambda: erlang_b(0, 1.0), "n must be >= 1 (got 0)"),
        (lambda: erlang_b(-3, 1.0), "(got -3)"),
        (lambda: erlang_b(2.5, 1.0), "n must be an integer (got 2.5)"),
        (lambda: erlang_b(True, 1.0), "(got True)"),
        (lambda: erlang_b(3, -1.0), "a must be >= 0 (got -1.0)"),
        (lambda: erlang_c(3, math.nan), "(got nan)"),
        (lambda: erlang_c(3, math.inf), "(got inf)"),
        (lambda: erlang_c(0, 1.0), "(got 0)"),
        (lambda: erlang_c_service_level(2, 1.0, 0.0, 1.0), "mu must be > 0 (got 0.0)"),
        (lambda: erlang_c_service_level(2, 1.0, 1.0, -2.0), "t must be >= 0 (got -2.0)"),
        (lambda: erlang_c_service_level(2, -1.0, 1.0, 2.0), "lam must be >= 0 (got -1.0)"),
        (lambda: erlang_c_asa(2, 1.0, -1.0), "(got -1.0)"),
        (lambda: erlang_c_mean_wait_waiting(0, 1.0, 1.0), "(got 0)"),
        (lambda: erlang_a(3, 1.0, 1.0, -0.1), "theta must be >= 0 (got -0.1)"),
        (lambda: erlang_a(0, 1.0, 1.0, 0.1), "(got 0)"),
        (lambda: erlang_a(2, 1.0, 1.0, 0.1).sl_all(-1.0), "(got -1.0)"),
        (lambda: erlang_a(2, 1.0, 1.0, 0.1).sl_served(math.nan), "(got nan)"),
        (lambda: cobham_waits(2, [1.0, -0.5], 1.0), "(got [1.0, -0.5])"),
        (lambda: cobham_waits(2, [], 1.0), "(got [])"),
        (lambda: cobham_waits(2, [1.0], 0.0), "(got 0.0)"),
        (lambda: sqrt_staffing(1.0, 0.0, 1.0), "(got 0.0)"),
        (lambda: sqrt_staffing(1.0, 1.0, math.nan), "(got nan)"),
        (lambda: min_agents_for_service_level(1.0, 1.0, 20.0, 1.0), "(got 1.0)"),
        (lambda: min_agents_for_service_level(1.0, 1.0, 20.0, 0.0), "(got 0.0)"),
        (lambda: min_agents_for_service_level(1.0, 1.0, -1.0, 0.8), "(got -1.0)"),
        (lambda: erlang_b(3, "x"), "(got 'x')"),
    ],
)
def test_bad_inputs_raise_with_value(call: Callable[[], object], quoted: str) -> None:
    with pytest.raises(ValueError, match=re.escape(quoted)):
        call()


def test_accepts_numpy_and_integral_float_n() -> None:
    assert erlang_c(np.int64(10), np.float64(8.0)) == pytest.approx(erlang_c(10, 8.0))
    assert erlang_c(10.0, 8.0) == pytest.approx(erlang_c(10, 8.0))
