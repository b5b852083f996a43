"""Invariants of one replication over small random scenarios (hypothesis).

Each example builds a random scenario as plain data (what a YAML file would
give), validates it with :func:`shiftsim.model.scenario.parse_scenario`, simulates
replication 0 and checks facts that must hold whatever the scenario: every
attempt ends exactly one way, timestamps are ordered, agents never hold more
than one agent's worth of work, work only starts on duty and within skills,
retries follow an abandonment, no work waits while an agent who could take it
is free, and the KPIs are internally consistent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shiftsim.analysis.metrics import measure
from shiftsim.model.deadlines import in_hours
from shiftsim.model.durations import DAY
from shiftsim.model.loading import parse_scenario
from shiftsim.model.scenario import Scenario
from shiftsim.sim.engine import FULL
from shiftsim.sim.records import Outcome
from shiftsim.sim.replication import Replication, engine_rules, run_replication

# Float slack for times that went through SimPy's ``now + delay`` arithmetic.
EPS = 1e-6
# Waits shorter than this are simultaneous events handled one after the other.
WAIT_TOL = 1e-3

KINDS = ("voice", "chat", "async")
PRIORITY_NAMES = ("urgent", "important", "general")

# --------------------------------------------------------------------------- #
# Strategies: random scenarios as YAML-like data
# --------------------------------------------------------------------------- #


def _clock(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    return f"{h:02d}:{m:02d}"


clock_times = st.integers(0, 24 * 4 - 1).map(lambda q: _clock(15 * q))


@st.composite
def clock_pairs(draw: st.DrawFn) -> list[str]:
    """Two distinct clock times; the second may be earlier (spanning midnight)."""
    start = draw(st.integers(0, 95))
    length = draw(st.integers(1, 95))  # quarters of an hour
    return [_clock(15 * start), _clock(15 * ((start + length) % 96))]


@st.composite
def distributions(draw: st.DrawFn, lo: int, hi: int) -> dict[str, Any]:
    """A duration distribution with a mean between ``lo`` and ``hi`` seconds."""
    kind = draw(
        st.sampled_from(["exponential", "lognormal", "gamma", "constant", "uniform", "empirical"])
    )
    mean = draw(st.integers(lo, hi))
    unit = draw(st.sampled_from(["s", "min"]))

    def text(seconds: int) -> str:
        return f"{seconds / 60:g}min" if unit == "min" else f"{seconds}s"

    if kind == "exponential":
        return {"dist": kind, "mean": text(mean)}
    if kind in ("lognormal", "gamma"):
        return {"dist": kind, "mean": text(mean), "cv": draw(st.sampled_from([0.3, 0.7, 1.0, 1.5]))}
    if kind == "constant":
        return {"dist": kind, "value": text(mean)}
    if kind == "uniform":
        low = draw(st.integers(0, mean))
        return {"dist": kind, "low": text(low), "high": text(2 * mean - low)}
    values = draw(st.lists(st.integers(0, 2 * hi), min_size=1, max_size=4))
    out: dict[str, Any] = {"dist": kind, "values": [text(v) for v in values]}
    if draw(st.booleans()):
        weights = draw(st.lists(st.integers(1, 5), min_size=len(values), max_size=len(values)))
        out["weights"] = weights
    return out


@st.composite
def priority_shares(draw: st.DrawFn) -> dict[str, float]:
    tenths = draw(
        st.lists(st.integers(0, 10), min_size=3, max_size=3).filter(lambda xs: sum(xs) > 0)
    )
    total = sum(tenths)
    # Whole tenths that add up to exactly 10, so the shares add up to 1.
    scaled = [t * 10 // total for t in tenths]
    scaled[int(np.argmax(tenths))] += 10 - sum(scaled)
    return {p: s / 10 for p, s in zip(PRIORITY_NAMES, scaled, strict=True) if s > 0}


@st.composite
def channels(draw: st.DrawFn, kind: str, departments: list[str]) -> dict[str, Any]:
    ch: dict[str, Any] = {
        "kind": kind,
        "volume": {"per_day": draw(st.integers(50, 400))},
        "handle_time": draw(distributions(30, 15 * 60)),
    }
    vol = ch["volume"]
    if draw(st.booleans()):
        profile = draw(st.lists(st.integers(0, 9), min_size=24, max_size=24).filter(any))
        vol["hourly_profile"] = profile
    if draw(st.booleans()):
        vol["weekday_factors"] = {
            d: draw(st.sampled_from([0.5, 1.0, 1.5])) for d in ("mon", "sat", "sun")
        }
    vol["daily_cv"] = draw(st.sampled_from([0.0, 0.1, 0.3]))
    if kind != "async" and draw(st.integers(0, 2)) > 0:
        ch["patience"] = draw(distributions(30, 20 * 60))
        if draw(st.integers(0, 2)) > 0:
            ch["retry"] = {
                "share": draw(st.sampled_from([0.3, 0.7, 1.0])),
                "delay": draw(distributions(60, 30 * 60)),
                "max_attempts": draw(st.integers(2, 4)),
            }
    if kind == "chat":
        ch["concurrency"] = draw(st.integers(1, 4))
    ch["priorities"] = draw(priority_shares())
    ch["vip_share"] = draw(st.sampled_from([0.0, 0.1, 0.3]))
    if draw(st.booleans()):
        bot: dict[str, Any] = {
            "containment": draw(st.sampled_from([0.0, 0.3, 0.8])),
            "session_time": draw(distributions(10, 5 * 60)),
            "counts_as_first_response": draw(st.booleans()),
            "handover_handle_factor": draw(st.sampled_from([0.5, 1.0, 1.5])),
        }
        if draw(st.booleans()):
            bot["hours"] = draw(clock_pairs())
        ch["bot"] = bot
    if departments and draw(st.booleans()):
        esc: dict[str, Any] = {
            "department": draw(st.sampled_from(departments)),
            "share": draw(st.sampled_from([0.1, 0.3, 0.6])),
            "closing_time": draw(distributions(30, 10 * 60)),
        }
        if draw(st.booleans()):
            esc["by_priority"] = {"urgent": draw(st.sampled_from([0.0, 0.5, 1.0]))}
        ch["escalation"] = esc
    return ch


@st.composite
def shifts(draw: st.DrawFn) -> dict[str, Any]:
    out: dict[str, Any] = {}
    names = draw(
        st.lists(
            st.sampled_from(["day", "evening", "night", "early", "late", "x"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    for k, name in enumerate(names):
        # The first shift has someone, so that most examples serve customers.
        shift: dict[str, Any] = {"headcount": draw(st.integers(1 if k == 0 else 0, 6))}
        if name not in ("day", "evening", "night") or draw(st.booleans()):
            if draw(st.integers(0, 5)) == 0:
                start, end = "00:00", "24:00"  # around the clock: duty intervals touch
            else:
                start, end = draw(clock_pairs())  # may span midnight
            shift |= {"start": start, "end": end}
        out[name] = shift
    return out


@st.composite
def rotations(draw: st.DrawFn) -> dict[str, Any]:
    choice = draw(st.sampled_from(["default", "work_rest", "pattern"]))
    out: dict[str, Any] = {}
    if choice == "work_rest":
        out = {"work": draw(st.integers(1, 5)), "rest": draw(st.integers(0, 3))}
    elif choice == "pattern":
        out = {"pattern": draw(st.from_regex(r"[01]{0,6}1[01]{0,6}", fullmatch=True))}
    if draw(st.booleans()):
        out["stagger"] = draw(st.booleans())
    return out


@st.composite
def targets(draw: st.DrawFn, channel_names: list[str]) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(1, 4))):
        t: dict[str, Any] = {
            "channel": draw(st.sampled_from(channel_names)),
            "kind": draw(st.sampled_from(["first_response", "resolution"])),
            "within": draw(st.sampled_from(["2min", "10min", "1h", "4h"])),
            "goal": draw(st.sampled_from([0.5, 0.8, 0.95])),
            "priority": draw(st.sampled_from(["all", *PRIORITY_NAMES])),
        }
        if t["kind"] == "resolution":
            t["cases"] = draw(st.sampled_from(["all", "simple", "complex"]))
        if draw(st.booleans()):
            t["vip"] = draw(st.booleans())
        if draw(st.booleans()):
            t["business_hours"] = draw(clock_pairs())
            t["off_hours_by"] = draw(clock_times)
        out.append(t)
    return out


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    n_dept = draw(st.integers(0, 2))
    departments: dict[str, Any] = {}
    for j in range(n_dept):
        d: dict[str, Any] = {
            "respond_within": draw(st.sampled_from(["10min", "30min", "2h"])),
            "delay": draw(distributions(60, 60 * 60)),
        }
        if draw(st.booleans()):
            d["hours"] = draw(clock_pairs())
            if draw(st.booleans()):
                d["off_hours_delay"] = draw(distributions(60, 4 * 3600))
        departments[f"dept{j}"] = d
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=3))
    chans = {f"{k}{i}": draw(channels(k, list(departments))) for i, k in enumerate(kinds)}
    names = list(chans)

    pools: dict[str, Any] = {}
    for j in range(draw(st.integers(1, 3))):
        skills = draw(
            st.lists(st.sampled_from(names), min_size=1, max_size=len(names), unique=True)
        )
        pool: dict[str, Any] = {"channels": skills, "shifts": draw(shifts())}
        for key, strat in (
            ("takes_vip", st.booleans()),
            ("senior", st.booleans()),
            ("shrinkage", st.sampled_from([0.0, 0.15, 0.4])),
            ("rotation", rotations()),
        ):
            if draw(st.booleans()):
                pool[key] = draw(strat)
        pools[f"pool{j}"] = pool
    # Every channel needs a pool; VIPs need a pool that takes them.
    pool_names = list(pools)
    for name, ch in chans.items():
        serving = [p for p in pool_names if name in pools[p]["channels"]]
        if not serving:
            p = draw(st.sampled_from(pool_names))
            pools[p]["channels"].append(name)
            serving = [p]
        if not any(pools[p].get("takes_vip", True) for p in serving):
            ch["vip_share"] = 0.0

    data: dict[str, Any] = {
        "name": "random",
        "horizon": {
            "start": draw(st.dates(dt.date(2026, 1, 1), dt.date(2027, 12, 31))),
            "days": draw(st.integers(2, 3)),
            "warmup": draw(st.sampled_from(["0d", "1d"])),
        },
        "replications": 1,
        "seed": draw(st.integers(0, 2**32)),
        "channels": chans,
        "pools": pools,
        "departments": departments,
    }
    if draw(st.booleans()):
        start = data["horizon"]["start"]
        data["events"] = [
            {
                "date": start + dt.timedelta(days=1),
                "factor": draw(st.sampled_from([0.5, 2.0])),
                "channels": {names[0]: draw(st.sampled_from([0.0, 3.0]))},
                "label": "event",
            }
        ]
    if draw(st.booleans()):
        data["targets"] = draw(targets(names))
    return data


# --------------------------------------------------------------------------- #
# Checks
# --------------------------------------------------------------------------- #


def _present(x: np.ndarray) -> np.ndarray:
    return ~np.isnan(x)


def check_outcomes(rep: Replication) -> None:
    log, c = rep.result.log, rep.contacts
    first = log.attempt == 1
    cust = log.customer
    assert np.isin(log.outcome, [int(o) for o in Outcome]).all()

    bot_used = _present(log.bot_end)
    contained_first = first & c.contained[cust]
    deflected = log.outcome == Outcome.DEFLECTED
    answered = log.outcome == Outcome.ANSWERED
    abandoned = log.outcome == Outcome.ABANDONED
    open_ = log.outcome == Outcome.OPEN

    # Only first attempts of bot customers go through the bot (retries go to humans).
    np.testing.assert_array_equal(bot_used, first & c.bot[cust])
    # DEFLECTED <=> the bot resolved it; no human queue, no answer, resolved at the bot's end.
    np.testing.assert_array_equal(deflected, contained_first)
    assert not _present(log.queued[deflected]).any()
    assert not _present(log.answered[deflected]).any()
    assert not _present(log.abandoned[deflected]).any()
    np.testing.assert_array_equal(log.resolved[deflected], log.bot_end[deflected])
    # ANSWERED <=> an agent answered it.
    np.testing.assert_array_equal(answered, _present(log.answered))
    np.testing.assert_array_equal(answered, log.agent >= 0)
    # ABANDONED <=> abandoned and never answered.
    np.testing.assert_array_equal(abandoned, _present(log.abandoned))
    assert not _present(log.answered[abandoned]).any()
    # OPEN <=> none of the above.
    np.testing.assert_array_equal(
        open_, ~deflected & ~_present(log.answered) & ~_present(log.abandoned)
    )
    # A contact that is not deflected and not in the bot at the end reached a human queue.
    assert _present(log.queued[answered | abandoned]).all()


def check_timestamps(rep: Replication) -> None:
    log, c = rep.result.log, rep.contacts
    chain = ["arrival", "bot_end", "queued", "answered", "handled", "dept_response",
             "closing_start", "resolved"]  # fmt: skip
    assert _present(log.arrival).all()
    last = log.arrival.copy()
    for name in chain[1:]:
        col = getattr(log, name)
        here = _present(col)
        bad = here & (col < last - EPS)
        assert not bad.any(), f"{name} before an earlier step in rows {np.flatnonzero(bad)[:5]}"
        last = np.where(here, col, last)
    ab = _present(log.abandoned)
    assert (log.abandoned[ab] >= log.queued[ab] - EPS).all()

    # Each step only happens after the one it follows.
    handled = _present(log.handled)
    assert _present(log.answered[handled]).all()
    dept = _present(log.dept_response)
    assert handled[dept].all() and (log.department[dept] >= 0).all()
    closing = _present(log.closing_start)
    assert dept[closing].all()
    np.testing.assert_array_equal(closing, log.closing_agent >= 0)
    escalated = log.department >= 0
    assert handled[escalated].all()
    resolved_esc = _present(log.resolved) & escalated
    assert closing[resolved_esc].all()
    simple_done = handled & ~escalated
    np.testing.assert_array_equal(log.resolved[simple_done], log.handled[simple_done])

    # Waits are never negative.
    waited = _present(log.answered)
    assert (log.answered[waited] - log.queued[waited] >= -EPS).all()

    # Durations are the customer's own draws.
    cust = log.customer
    np.testing.assert_allclose(
        log.handled[handled] - log.answered[handled], c.handle[cust[handled]], atol=EPS, rtol=0
    )
    done_closing = closing & _present(log.resolved)
    np.testing.assert_allclose(
        log.resolved[done_closing] - log.closing_start[done_closing],
        c.closing[cust[done_closing]],
        atol=EPS,
        rtol=0,
    )
    np.testing.assert_array_equal(log.department[handled], c.department[cust[handled]])
    first_ab = ab & (log.attempt == 1)
    np.testing.assert_allclose(
        log.abandoned[first_ab] - log.queued[first_ab], c.patience[cust[first_ab]], atol=EPS, rtol=0
    )


def check_dept_delays(rep: Replication, scenario: Scenario) -> None:
    log, c = rep.result.log, rep.contacts
    depts = list(scenario.departments.values())
    rows = np.flatnonzero(_present(log.dept_response))
    for i in rows:
        d = depts[int(log.department[i])]
        o = int(log.customer[i])
        inside = bool(in_hours(np.array([log.handled[i] % DAY]), d.hours)[0])
        expected = c.dept_delay[o] if inside else c.dept_delay_off[o]
        assert abs(log.dept_response[i] - log.handled[i] - expected) <= EPS


def check_customers_and_retries(rep: Replication, scenario: Scenario) -> None:
    log, c = rep.result.log, rep.contacts
    first = log.attempt == 1
    # Every first attempt of the contacts appears exactly once.
    np.testing.assert_array_equal(np.sort(log.customer[first]), np.arange(len(c)))
    cust = log.customer
    for name in ("channel", "priority", "vip"):
        np.testing.assert_array_equal(getattr(log, name), getattr(c, name)[cust])
    np.testing.assert_allclose(log.arrival[first], c.arrival[cust[first]], atol=EPS, rtol=0)

    # Retries: attempt k > 1 follows the same customer's attempt k - 1, which abandoned.
    assert (log.attempt >= 1).all()
    row_of = {}
    for i, (cu, at) in enumerate(zip(cust.tolist(), log.attempt.tolist(), strict=True)):
        assert (cu, at) not in row_of, f"duplicate attempt {at} of customer {cu}"
        row_of[cu, at] = i
    max_attempts = [ch.retry.max_attempts if ch.retry else 1 for ch in scenario.channels.values()]
    for i in np.flatnonzero(~first):
        cu, at = int(cust[i]), int(log.attempt[i])
        assert at <= max_attempts[int(log.channel[i])]
        prev = row_of.get((cu, at - 1))
        assert prev is not None, f"attempt {at} of customer {cu} without attempt {at - 1}"
        assert log.outcome[prev] == Outcome.ABANDONED
        assert log.arrival[i] >= log.abandoned[prev] - EPS


def _busy_intervals(rep: Replication, weights: np.ndarray) -> tuple[np.ndarray, ...]:
    """(agent, start, end, weight) of every piece of agent work; unfinished work ends at inf."""
    log = rep.result.log
    parts = []
    for agent, start, stop in (
        (log.agent, log.answered, log.handled),
        (log.closing_agent, log.closing_start, log.resolved),
    ):
        m = agent >= 0
        end = np.where(np.isnan(stop[m]), np.inf, stop[m])
        parts.append((agent[m], start[m], end, weights[log.channel[m]]))
    return tuple(np.concatenate(x) for x in zip(*parts, strict=True))


def check_capacity(rep: Replication, scenario: Scenario) -> None:
    weights = np.array(
        [FULL // ch.concurrency for ch in scenario.channels.values()], dtype=np.int64
    )
    agent, start, end, w = _busy_intervals(rep, weights)
    if len(agent) == 0:
        return
    ag = np.concatenate([agent, agent])
    t = np.concatenate([start, end])
    delta = np.concatenate([w, -w])
    # Per agent, by time; at equal times ends (negative) before starts.
    order = np.lexsort((delta, t, ag))
    load = np.cumsum(delta[order])  # every interval ends (at inf at worst): per-agent sums are 0
    assert load[-1] == 0
    worst = int(load.max())
    assert worst <= FULL, f"an agent holds {worst / FULL:.2f} agents' worth of work"


def _skills(scenario: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """skilled[pool, channel] and takes_vip[pool]."""
    pools = list(scenario.pools.values())
    names = list(scenario.channels)
    skilled = np.zeros((len(pools), len(names)), dtype=bool)
    for p, pool in enumerate(pools):
        for ch in pool.channels:
            skilled[p, names.index(ch)] = True
    return skilled, np.array([p.takes_vip for p in pools])


def check_duty_and_skills(rep: Replication, scenario: Scenario) -> None:
    log, roster = rep.result.log, rep.roster
    skilled, takes_vip = _skills(scenario)

    da, ds, de = roster.duty_agent, roster.duty_start, roster.duty_end
    order = np.lexsort((ds, da))
    da, ds, de = da[order], ds[order], de[order]
    leave = rep.result.duty_leave[order]
    channel_rules, pool_rules, _ = engine_rules(scenario)

    def clearing(j: int, row: int, k: int, t: float) -> bool:
        """Overtime spent answering the callers of a closed channel (sim/duty.py)."""
        rules = channel_rules[log.channel[row]]
        hour = int(t // 3600)
        closed = hour >= len(rules.closed) or rules.closed[hour]
        return pool_rules[pool[j]].clear_at_close and rules.sync and closed and t <= leave[k] + EPS

    for agent, start in ((log.agent, log.answered), (log.closing_agent, log.closing_start)):
        rows = np.flatnonzero(agent >= 0)
        a = agent[rows]
        pool = roster.agent_pool[a]
        assert skilled[pool, log.channel[rows]].all(), (
            "an agent served a channel outside its skills"
        )
        vip = log.vip[rows]
        assert takes_vip[pool[vip]].all(), "a pool with takes_vip: false served a VIP"
        # Starting work: inside one of the agent's duty intervals.
        t = start[rows]
        lo = np.searchsorted(da, a, side="left")
        hi = np.searchsorted(da, a, side="right")
        for j in range(len(rows)):
            s, e = ds[lo[j] : hi[j]], de[lo[j] : hi[j]]
            k = np.searchsorted(s, t[j] + EPS, side="right") - 1
            on_duty = k >= 0 and t[j] <= e[k] + EPS
            clears = k >= 0 and agent is log.agent and clearing(j, rows[j], lo[j] + k, t[j])
            assert on_duty or clears, (
                f"agent {a[j]} started row {rows[j]} at {t[j]:.3f} s, off duty"
            )


def _merge(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Merge sorted, disjoint, possibly touching intervals."""
    if len(starts) == 0:
        return starts, ends
    new = np.r_[True, starts[1:] > ends[:-1]]
    return starts[new], np.maximum.reduceat(ends, np.flatnonzero(new))


def idle_while_waiting(rep: Replication, scenario: Scenario) -> list[str]:
    """Work waiting (for longer than a millisecond) while an agent who could take it is free.

    Waiting work is a customer in the queue (``queued`` until answered, abandoned
    or the end), an async message in the backlog, or an escalated case the
    department answered and nobody has started closing. An agent could take it
    when skilled for its channel (and VIPs, if it is one), on duty, and holding at
    most ``1 - 1/concurrency`` of an agent's worth of work.
    """
    log, roster = rep.result.log, rep.roster
    end = rep.calendar.end
    weights = np.array(
        [FULL // ch.concurrency for ch in scenario.channels.values()], dtype=np.int64
    )
    skilled, takes_vip = _skills(scenario)

    queued = np.flatnonzero(_present(log.queued))
    stop = np.where(_present(log.answered), log.answered,
                    np.where(_present(log.abandoned), log.abandoned, end))  # fmt: skip
    closable = np.flatnonzero(_present(log.dept_response))
    closed = np.where(_present(log.closing_start), log.closing_start, end)
    rows = np.r_[queued, closable]
    w_from = np.r_[log.queued[queued], log.dept_response[closable]]
    w_to = np.r_[stop[queued], closed[closable]]
    keep = w_to - w_from > 2 * WAIT_TOL
    rows, w_from, w_to = rows[keep], w_from[keep], w_to[keep]
    w_ch = log.channel[rows].astype(np.int64)
    w_vip = log.vip[rows]
    w_w = weights[w_ch]

    agent, b_start, b_end, b_w = _busy_intervals(rep, weights)
    problems = []
    for a in range(roster.n_agents):
        p = int(roster.agent_pool[a])
        eligible = skilled[p, w_ch] & (takes_vip[p] | ~w_vip)
        if not eligible.any():
            continue
        # The agent's load as a step function: after event k it is load[k].
        m = agent == a
        t = np.r_[b_start[m], b_end[m]]
        d = np.r_[b_w[m], -b_w[m]]
        o = np.lexsort((d, t))
        t, load = t[o], np.cumsum(d[o])
        dm = roster.duty_agent == a
        ds, de = roster.duty_start[dm], roster.duty_end[dm]
        o = np.argsort(ds)
        ds, de = ds[o], de[o]
        # Elementary segments between any two changes, with the load and duty on each.
        cuts = np.unique(np.r_[t, ds, de, 0.0, end])
        cuts = cuts[(cuts >= 0) & (cuts <= end)]
        seg_s, seg_e = cuts[:-1], cuts[1:]
        k = np.searchsorted(t, seg_s, side="right") - 1
        seg_load = np.where(k >= 0, load[np.maximum(k, 0)], 0) if len(t) else np.zeros(len(seg_s))
        j = np.searchsorted(ds, seg_s, side="right") - 1
        on = (j >= 0) & (seg_s < de[np.maximum(j, 0)]) if len(ds) else np.zeros(len(seg_s), bool)
        for w in np.unique(w_w[eligible]):
            fs, fe = _merge(*(x[on & (seg_load <= FULL - w)] for x in (seg_s, seg_e)))
            if len(fs) == 0:
                continue
            sel = np.flatnonzero(eligible & (w_w == w))
            qs, qe = w_from[sel], w_to[sel]
            # The last free interval that starts before the wait ends; it ends latest.
            kk = np.searchsorted(fs, qe - WAIT_TOL, side="left") - 1
            kc = np.maximum(kk, 0)
            overlap = np.minimum(fe[kc], qe) - np.maximum(fs[kc], qs)
            for i in np.flatnonzero((kk >= 0) & (overlap > WAIT_TOL)):
                r = int(rows[sel[i]])
                lo, hi = max(fs[kc[i]], qs[i]), min(fe[kc[i]], qe[i])
                problems.append(
                    f"row {r} (channel {log.channel[r]}) waited {qs[i]:.1f}-{qe[i]:.1f} s "
                    f"while agent {a} had room for it {lo:.1f}-{hi:.1f} s"
                )
    return problems


def check_metrics(rep: Replication, scenario: Scenario) -> None:
    m = measure(rep, scenario)
    assert (m.target_met >= 0).all()
    assert (m.target_met <= m.target_eligible).all()
    assert m.target_eligible.shape == (len(scenario.resolved_targets), scenario.horizon.days)
    assert (m.busy >= -EPS).all()
    assert (m.overtime >= -EPS).all()
    assert (m.busy <= m.available * (1 + 1e-9) + EPS).all(), (m.busy, m.available)
    assert (m.overtime <= m.available + EPS).all()
    assert (m.answered + m.abandoned <= m.queued).all()
    assert (m.deflected <= m.bot_offered).all()


def _simulate(data: dict[str, Any]) -> tuple[Scenario, Replication]:
    scenario = parse_scenario(data, source="<random>")
    return scenario, run_replication(scenario, 0)


HYPOTHESIS = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.mark.slow  # a few seconds: in the full suite
def test_replication_invariants() -> None:
    """Every invariant holds on every random scenario, and the scenarios reach every feature."""
    seen: dict[str, bool] = dict.fromkeys(
        ["retry", "closing", "deflected", "abandoned", "concurrent chats", "vip answered",
         "waiting"], False
    )  # fmt: skip

    @HYPOTHESIS
    @given(scenarios())
    def check(data: dict[str, Any]) -> None:
        scenario, rep = _simulate(data)
        assert len(rep.result.log) >= len(rep.contacts)
        check_outcomes(rep)
        check_timestamps(rep)
        check_dept_delays(rep, scenario)
        check_customers_and_retries(rep, scenario)
        check_capacity(rep, scenario)
        check_duty_and_skills(rep, scenario)
        check_metrics(rep, scenario)
        assert idle_while_waiting(rep, scenario) == []

        log = rep.result.log
        seen["retry"] |= bool((log.attempt > 1).any())
        seen["closing"] |= bool((log.closing_agent >= 0).any())
        seen["deflected"] |= bool((log.outcome == Outcome.DEFLECTED).any())
        seen["abandoned"] |= bool((log.outcome == Outcome.ABANDONED).any())
        seen["vip answered"] |= bool((log.vip & (log.agent >= 0)).any())
        seen["concurrent chats"] |= _some_agent_multitasks(rep, scenario)
        seen["waiting"] |= bool((log.answered - log.queued > 60).any())

    check()
    # Without these the checks above would pass vacuously.
    assert all(seen.values()), seen


def _some_agent_multitasks(rep: Replication, scenario: Scenario) -> bool:
    weights = np.array(
        [FULL // ch.concurrency for ch in scenario.channels.values()], dtype=np.int64
    )
    agent, start, end, _ = _busy_intervals(rep, weights)
    for a in np.unique(agent):
        s, e = np.sort(start[agent == a]), np.sort(end[agent == a])
        # With starts and ends sorted, s[k] < e[k - 1] means two pieces of work overlap.
        if (s[1:] < e[:-1]).any():
            return True
    return False


def _two_chats(concurrency_a: int, concurrency_b: int) -> dict[str, Any]:
    """Two chat channels served by the same two agents, around the clock."""
    flat = [1] * 24
    return {
        "name": "two chats",
        "horizon": {"start": "2026-03-02", "days": 2},
        "replications": 1,
        "seed": 1,
        "channels": {
            "chat_a": {"kind": "chat", "concurrency": concurrency_a,
                       "volume": {"per_day": 150, "hourly_profile": flat},
                       "handle_time": {"dist": "exponential", "mean": "20min"}},
            "chat_b": {"kind": "chat", "concurrency": concurrency_b,
                       "volume": {"per_day": 100, "hourly_profile": flat},
                       "handle_time": {"dist": "exponential", "mean": "20min"}},
        },
        "pools": {
            "agents": {"channels": ["chat_a", "chat_b"], "rotation": {"pattern": "1"},
                       "shifts": {"all": {"start": "00:00", "end": "23:59", "headcount": 2}}},
        },
    }  # fmt: skip


def test_no_idle_capacity_while_chats_wait_with_one_concurrency() -> None:
    scenario, rep = _simulate(_two_chats(3, 3))
    log = rep.result.log
    assert (log.answered - log.queued > 60).any()  # there is waiting to look at
    assert idle_while_waiting(rep, scenario) == []


def test_no_idle_capacity_while_chats_wait_with_mixed_concurrency() -> None:
    scenario, rep = _simulate(_two_chats(3, 2))
    assert idle_while_waiting(rep, scenario) == []
