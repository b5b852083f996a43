"""The analytic start of a staffing search: Erlang per hour, shifts by an integer program.

Per clock hour and channel, the Erlang C (or Erlang A, with patience) minimum
agents for each first-response target at the expected load of a busy day
(the ``confidence`` quantile of the horizon's days, dated events included),
async work as its offered load; divided by the rotation's on-duty share and by
(1 - shrinkage); covered with shift headcounts by a small integer program
(:func:`scipy.optimize.milp`). This is the planner's stationary-interval
(SIPP) answer: fast, and wrong where loads change fast or pools are shared.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp

from shiftsim.model.durations import HOUR
from shiftsim.model.scenario import Scenario
from shiftsim.planning.staffing.space import Knob, option, window_hours
from shiftsim.planning.theory import erlang_a, min_agents_for_service_level
from shiftsim.sim.arrivals import Calendar, expected_hourly

__all__ = ["agents_for", "analytic_start", "channel_need", "daily_hourly", "hourly_requirement"]


def daily_hourly(scenario: Scenario, name: str) -> np.ndarray:
    """Expected arrivals of a channel per ``[reported day, clock hour]`` (events included)."""
    calendar = Calendar.of(scenario)
    first = calendar.warmup_days * 24
    hourly = expected_hourly(name, scenario, calendar)[first : first + calendar.days * 24]
    return hourly.reshape(calendar.days, 24)


def channel_need(scenario: Scenario, name: str, per_hour: np.ndarray) -> np.ndarray:
    """Working agents a channel needs at each of ``per_hour`` (arrivals per hour, 24 values).

    For waiting channels (voice, chat), the smallest staffing whose stationary
    Erlang C (Erlang A with the mean patience) service level reaches every
    first-response target's goal; chat counts ``concurrency`` slots per agent.
    For async channels, the offered load (arrivals x mean handle time), moved
    into the targets' business hours when every target of the channel has them.
    """
    ch = scenario.channels[name]
    targets = scenario.resolved_targets
    handle = ch.handle_time.mean
    bot = ch.bot
    if bot is not None:
        covered = window_hours(*bot.hours) if bot.hours is not None else np.ones(24)
        per_hour = per_hour * (1.0 - bot.containment * covered)
        handle = handle * (1.0 + (bot.handover_handle_factor - 1.0) * covered.mean())
    if ch.kind == "async":
        need: np.ndarray = per_hour * handle / HOUR
        own = [t for t in targets if t.channel == name]
        windows = [t.business_hours for t in own if t.business_hours is not None]
        if own and len(windows) == len(own):
            # Messages left off-hours wait for the business hours (off_hours_by):
            # the day's work is done inside the earliest-starting window.
            start, end = min(windows, key=lambda w: w[0])
            inside = window_hours(start, end)
            need = inside * need.sum() / max(inside.sum(), 1e-9)
        return need
    slots = ch.concurrency if ch.kind == "chat" else 1
    patience = ch.patience.mean if ch.patience is not None else None
    goals = [
        (t.within, t.goal) for t in targets if t.channel == name and t.kind == "first_response"
    ]
    need = np.zeros(len(per_hour))
    for h, arrivals in enumerate(per_hour):
        lam = arrivals / HOUR
        if lam <= 0:
            continue
        n = 0
        for within, goal in goals:
            n = max(n, agents_for(lam, 1.0 / handle, within, min(goal, 0.999), patience))
        if not goals:
            n = math.ceil(lam * handle)
        need[h] = n / slots
    return need


def hourly_requirement(scenario: Scenario, quantile: float = 0.9) -> dict[str, np.ndarray]:
    """Agents needed per clock hour and channel (working agents, not headcount).

    :func:`channel_need` at the ``quantile`` of the horizon's days' expected
    arrivals of each hour.
    """
    out: dict[str, np.ndarray] = {}
    for name in scenario.channels:
        per_hour = np.quantile(daily_hourly(scenario, name), quantile, axis=0)
        out[name] = channel_need(scenario, name, per_hour)
    return out


def agents_for(lam: float, mu: float, within: float, goal: float, patience: float | None) -> int:
    """Smallest n whose Erlang C (or A) share answered within ``within`` reaches ``goal``."""
    if patience is None:
        return min_agents_for_service_level(lam, mu, within, goal)
    n = max(1, math.floor(lam / mu * 0.5))
    while n < 100_000:
        if float(erlang_a(n, lam, mu, 1.0 / patience).sl_all(within)) >= goal:
            return n
        n += 1
    return n


def analytic_start(scenario: Scenario, space: Sequence[Knob]) -> dict[str, int]:
    """Shift headcounts covering :func:`hourly_requirement` at least cost (an integer program).

    Variables: one headcount per knob (integer, in its bounds) and, per hour,
    pool and channel, the effective agents of the pool given to the channel
    (continuous). Constraints: a pool gives out at most its effective agents
    of the hour (fixed shifts and pools staffed by interval count as given);
    each channel gets its requirement from the pools skilled for it.
    """
    confidence = float(option(getattr(scenario, "staffing", None), "confidence", 0.9))
    need = hourly_requirement(scenario, quantile=confidence)
    pools = list(scenario.pools)
    channels = list(scenario.channels)
    by_knob = {(k.pool, k.shift): k for k in space}
    n_x = len(space)
    serves = [(p, c) for p in pools for c in scenario.pools[p].channels]
    n_y = len(serves) * 24
    n = n_x + n_y + n_x  # headcounts, allocations, distances from today's headcounts

    def y(j: int, h: int) -> int:
        return n_x + j * 24 + h

    rows: list[np.ndarray] = []
    lo: list[float] = []
    hi: list[float] = []
    # Pool capacity per hour: sum_y <= sum_x * effective * covered + fixed shifts.
    for p in pools:
        pool = scenario.pools[p]
        fixed = np.zeros(24)
        coef = np.zeros((24, n))
        levels = getattr(pool, "staffing", None)
        if levels is not None:  # staffed by interval: fixed here, the mean level of each hour
            minutes = (np.arange(24 * 60) + 0.5) * 60.0  # the level at each minute of the day
            at = np.asarray(levels.levels, dtype=float)[(minutes // levels.interval).astype(int)]
            fixed += at.reshape(24, 60).mean(axis=1) * (1 - pool.shrinkage)
        for sname, shift in (getattr(pool, "shifts", None) or {}).items():
            knob = by_knob.get((p, sname))
            cycle = pool.rotation.cycle
            eff = sum(cycle) / len(cycle) * (1 - float(getattr(pool, "absence", 0.0)))
            cover = window_hours(shift.start, shift.end) * eff * (1 - pool.shrinkage)
            if knob is None:
                fixed += cover * shift.headcount
            else:
                coef[:, space.index(knob)] -= cover
        for j, (pp, _) in enumerate(serves):
            if pp == p:
                for h in range(24):
                    coef[h, y(j, h)] = 1.0
        for h in range(24):
            rows.append(coef[h])
            lo.append(-np.inf)
            hi.append(fixed[h])
    # Channel requirement per hour.
    for c in channels:
        for h in range(24):
            row = np.zeros(n)
            for j, (_, cc) in enumerate(serves):
                if cc == c:
                    row[y(j, h)] = 1.0
            rows.append(row)
            lo.append(need[c][h])
            hi.append(np.inf)
    # Distance from today's roster, |x - now| <= d: among rosters of equal cost
    # (pools of equal cost skilled alike) the one closest to today's.
    for i, k in enumerate(space):
        for sign in (1.0, -1.0):
            row = np.zeros(n)
            row[i], row[n_x + n_y + i] = sign, 1.0
            rows.append(row)
            lo.append(sign * k.current)
            hi.append(np.inf)
    tie = 1e-4 * min((k.cost for k in space), default=1.0)
    cost = np.concatenate([[k.cost for k in space], np.zeros(n_y), np.full(n_x, tie)])
    integrality = np.concatenate([np.ones(n_x), np.zeros(n_y + n_x)])
    bounds = Bounds(
        np.concatenate([[k.low for k in space], np.zeros(n_y + n_x)]),
        np.concatenate([[k.high for k in space], np.full(n_y + n_x, np.inf)]),
    )
    res = milp(
        cost,
        constraints=LinearConstraint(np.array(rows), np.array(lo), np.array(hi)),
        integrality=integrality,
        bounds=bounds,
    )
    if res.x is None:  # the bounds cannot cover the stationary requirement: start high
        return {k.name: k.high for k in space}
    return {k.name: int(round(v)) for k, v in zip(space, res.x[:n_x], strict=True)}
