"""``shiftsim staff``: the least-cost headcount per shift that meets every requirement.

A *requirement* is one target judged in one period of the day (or over the day,
or the horizon; see :meth:`RunResult.requirements`): P(period meets goal) must
reach the target's confidence. The search has three stages.

1. **Analytic start.** Per clock hour and channel, the Erlang C (or Erlang A,
   with patience) minimum agents for each first-response target at the
   expected load of a busy day (the ``confidence`` quantile of the horizon's
   days), async work as its offered load; divided by the rotation's on-duty
   share and by (1 - shrinkage); covered with shift headcounts by a small
   integer program (:func:`scipy.optimize.milp`: minimise cost subject to
   every hour's effective agents of the pools skilled for a channel reaching its
   requirement). This is the planner's stationary-interval (SIPP) answer: fast,
   and wrong where loads change fast or pools are shared.
2. **Simulation on common random numbers.** Every candidate roster is simulated
   with the same seed, so a one-agent difference is measured rather than drowned
   in noise (Cezik and L'Ecuyer 2008; Avramidis, Chan and L'Ecuyer 2009).
   While a requirement fails, the neighbours "one more agent on shift s" of the
   shifts that can help it (pools skilled for its channel, working in or just
   before its period) are evaluated together and the one that removes the most
   shortfall per unit of cost is taken (the local search of Atlason, Epelman and
   Henderson 2004, with the subgradient estimated by finite differences).
   When all hold, agents are removed one at a time, the costliest first, while
   every requirement still holds. The search runs first on few replications
   (screening), then again from its answer on the full count, so that
   replications are spent near the boundary.
3. **Verification on fresh seeds.** The answer is simulated again with seeds the
   search never saw, because the search selected on its own estimates and
   flatters them. Where a requirement misses there, agents are added on those
   seeds (as in stage 2) and a new set of fresh seeds verifies again, up to
   ``verify_rounds`` sets; the probabilities reported are those of the last set,
   which decided nothing. The "one fewer" check runs on it too: for each
   changed shift, which requirement breaks with one agent less.

References
----------
* J. Atlason, M. A. Epelman and S. G. Henderson (2004), Call center staffing with
  simulation and cutting plane methods, Annals of Operations Research 127.
* A. N. Avramidis, W. Chan and P. L'Ecuyer (2009), Staffing multi-skill call
  centers via search methods and a performance approximation, IIE Transactions 41.
* T. Cezik and P. L'Ecuyer (2008), Staffing multiskill call centers via linear
  programming and simulation, Management Science 54.
* Z. Feldman, A. Mandelbaum, W. A. Massey and W. Whitt (2008), Staffing of
  time-varying queues to achieve time-stable performance, Management Science 54
  (the iterative staffing algorithm; not used here, see the README).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from shiftsim.analysis.results import RunResult
from shiftsim.analysis.runner import run
from shiftsim.model.durations import DAY, HOUR
from shiftsim.model.formats import percent
from shiftsim.model.scenario import Scenario
from shiftsim.planning.theory import erlang_a, min_agents_for_service_level
from shiftsim.sim.arrivals import Calendar, expected_hourly

__all__ = ["Knob", "StaffingResult", "analytic_start", "knobs", "staff"]

FRESH_SEED_OFFSET = 1_000_003
"""Verification seed = scenario seed + this: replications the search never saw."""

_HOURS = np.arange(24)


# --------------------------------------------------------------------------- #
# What may change
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class Knob:
    """One headcount the search may change: a shift of a pool."""

    pool: str
    shift: str
    current: int
    low: int
    high: int
    cost: float  # per agent on the roster (default: the shift's paid hours)
    start: float  # clock seconds
    end: float  # clock seconds (may be below start: across midnight)
    on_duty_share: float  # mean share of the headcount working on a day (rotation, absence)
    shrinkage: float

    @property
    def name(self) -> str:
        return f"{self.pool}.{self.shift}"

    @property
    def path(self) -> str:
        return f"pools.{self.pool}.shifts.{self.shift}.headcount"

    def hours(self) -> np.ndarray:
        """Share of each clock hour (0..23) this shift works."""
        return _window_hours(self.start, self.end)

    @property
    def effective(self) -> float:
        """Agents at work, on average, per agent on the roster."""
        return self.on_duty_share * (1.0 - self.shrinkage)


def _window_hours(start: float, end: float) -> np.ndarray:
    """Share of each clock hour covered by the clock window ``[start, end)`` (cyclic)."""
    length = (end - start) % DAY or DAY
    lo = _HOURS * HOUR
    out = np.zeros(24)
    for shift in (0.0, -DAY, DAY):  # the window may wrap round midnight
        s = start + shift
        e = s + length
        out += np.clip(np.minimum(lo + HOUR, e) - np.maximum(lo, s), 0.0, HOUR) / HOUR
    return np.clip(out, 0.0, 1.0)


def _option(options: Any, key: str, default: Any) -> Any:
    return getattr(options, key, default) if options is not None else default


def knobs(scenario: Scenario) -> list[Knob]:
    """The headcounts ``scenario.staffing`` lets the search change (default: every shift)."""
    options = getattr(scenario, "staffing", None)
    change = _option(options, "change", None)
    bounds: Mapping[str, Sequence[int]] = _option(options, "bounds", None) or {}
    costs: Mapping[str, float] = _option(options, "cost", None) or {}
    out = []
    for pname, pool in scenario.pools.items():
        for sname, shift in (getattr(pool, "shifts", None) or {}).items():
            name = f"{pname}.{sname}"
            if change is not None and name not in change:
                continue
            cycle = pool.rotation.cycle
            share = sum(cycle) / len(cycle) * (1.0 - float(getattr(pool, "absence", 0.0)))
            lo, hi = bounds.get(name, (0, max(3 * shift.headcount, shift.headcount + 30)))
            out.append(
                Knob(
                    pool=pname, shift=sname, current=shift.headcount, low=int(lo), high=int(hi),
                    cost=float(costs.get(name, shift.length / HOUR)),
                    start=shift.start, end=shift.end, on_duty_share=share,
                    shrinkage=pool.shrinkage,
                )
            )  # fmt: skip
    return out


# --------------------------------------------------------------------------- #
# Stage 1: the analytic start
# --------------------------------------------------------------------------- #
def hourly_requirement(scenario: Scenario, quantile: float = 0.9) -> dict[str, np.ndarray]:
    """Agents needed per clock hour and channel (working agents, not headcount).

    For waiting channels (voice, chat), the smallest staffing whose stationary
    Erlang C (Erlang A with the mean patience) service level reaches every
    first-response target's goal, at the ``quantile`` of the horizon's days'
    expected arrivals of that hour; chat counts ``concurrency`` slots per agent.
    For async channels, the offered load (arrivals x mean handle time).
    """
    calendar = Calendar.of(scenario)
    first = calendar.warmup_days * 24
    out: dict[str, np.ndarray] = {}
    targets = scenario.resolved_targets
    for name, ch in scenario.channels.items():
        hourly = expected_hourly(name, scenario, calendar)[first : first + calendar.days * 24]
        per_hour = np.quantile(hourly.reshape(calendar.days, 24), quantile, axis=0)
        handle = ch.handle_time.mean
        bot = ch.bot
        if bot is not None:
            covered = _window_hours(*bot.hours) if bot.hours is not None else np.ones(24)
            per_hour = per_hour * (1.0 - bot.containment * covered)
            handle = handle * (1.0 + (bot.handover_handle_factor - 1.0) * covered.mean())
        need = np.zeros(24)
        if ch.kind == "async":
            need = per_hour * handle / HOUR
            own = [t for t in targets if t.channel == name]
            windows = [t.business_hours for t in own if t.business_hours is not None]
            if own and len(windows) == len(own):
                # Messages left off-hours wait for the business hours (off_hours_by):
                # the day's work is done inside the earliest-starting window.
                start, end = min(windows, key=lambda w: w[0])
                inside = _window_hours(start, end)
                need = inside * need.sum() / max(inside.sum(), 1e-9)
        else:
            slots = ch.concurrency if ch.kind == "chat" else 1
            patience = ch.patience.mean if ch.patience is not None else None
            goals = [
                (t.within, t.goal)
                for t in targets
                if t.channel == name and t.kind == "first_response"
            ]
            for h in range(24):
                lam = per_hour[h] / HOUR
                if lam <= 0:
                    continue
                n = 0
                for within, goal in goals:
                    n = max(n, _agents_for(lam, 1.0 / handle, within, min(goal, 0.999), patience))
                if not goals:
                    n = math.ceil(lam * handle)
                need[h] = n / slots
        out[name] = need
    return out


def _agents_for(lam: float, mu: float, within: float, goal: float, patience: float | None) -> int:
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
    of the hour (fixed shifts count as given); each channel gets its
    requirement from the pools skilled for it.
    """
    confidence = float(_option(getattr(scenario, "staffing", None), "confidence", 0.9))
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
            cover = _window_hours(shift.start, shift.end) * eff * (1 - pool.shrinkage)
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


# --------------------------------------------------------------------------- #
# Stages 2 and 3: simulation
# --------------------------------------------------------------------------- #
Plan = tuple[int, ...]


@dataclass
class _Evaluator:
    """Simulates plans on common random numbers, remembering every answer."""

    scenario: Scenario
    space: Sequence[Knob]
    executor: Executor | None
    progress: Callable[[str], None] | None = None
    cache: dict[tuple[Plan, int, int], pd.DataFrame] = field(default_factory=dict)
    evaluations: int = 0
    replications: int = 0
    trail: list[dict[str, Any]] = field(default_factory=list)
    ignored: set[tuple[int, str]] = field(default_factory=set)
    """Requirements no roster within the bounds meets: reported, not searched for."""

    def failing(self, table: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``table`` that miss, less the requirements out of reach."""
        keys = list(zip(table["target_index"], table["period"], strict=True))
        reachable = np.array([k not in self.ignored for k in keys], dtype=bool)
        return table[~table["met"].to_numpy(dtype=bool) & reachable]

    def holds(self, table: pd.DataFrame) -> bool:
        """Every reachable requirement is met."""
        return bool(self.failing(table).empty)

    def plan_scenario(self, plan: Plan, replications: int, seed: int) -> Scenario:
        changes: dict[str, Any] = {k.path: v for k, v in zip(self.space, plan, strict=True)}
        return self.scenario.with_(changes, replications=replications, seed=seed)

    def requirements(
        self, plans: Sequence[Plan], replications: int, seed: int
    ) -> list[pd.DataFrame]:
        """The requirement tables of ``plans``, simulated together on the same seeds."""
        todo = [p for p in dict.fromkeys(plans) if (p, replications, seed) not in self.cache]
        for plan in todo:
            sc = self.plan_scenario(plan, replications, seed)
            result = _run_targets(sc, self.executor)
            table = result.requirements()
            self.cache[(plan, replications, seed)] = table
            self.evaluations += 1
            self.replications += replications
            self.trail.append(
                {
                    "evaluation": self.evaluations,
                    "cost": plan_cost(self.space, plan),
                    "replications": replications,
                    "fresh_seeds": seed != self.scenario.seed,
                    "worst_margin": _worst_margin(table),
                    "all_met": bool(table["met"].all()) if len(table) else True,
                    **{k.name: v for k, v in zip(self.space, plan, strict=True)},
                }
            )
            if self.progress is not None:
                line = _progress_line(self.evaluations, plan_cost(self.space, plan), table,
                                      self.failing(table))  # fmt: skip
                self.progress(line)
        return [self.cache[(p, replications, seed)] for p in plans]


def _progress_line(n: int, cost: float, table: pd.DataFrame, failing: pd.DataFrame) -> str:
    line = f"evaluation {n}: cost {cost:,.0f}"
    if len(failing):
        worst = failing.loc[(failing["value"] - failing["required"]).idxmin()]
        line += (
            f", {len(failing)} of {len(table)} requirements missed, worst {worst['target']} "
            f"({worst['period']}) {percent(worst['value'], 0)} < {percent(worst['required'], 0)}"
        )
    else:
        line += ", every requirement within reach met"
    return line


def _run_targets(scenario: Scenario, executor: Executor | None) -> RunResult:
    """One evaluation, computing only the target counts the requirements need."""
    return run(scenario, executor=executor, kpis="targets")


def plan_cost(space: Sequence[Knob], plan: Plan) -> float:
    return float(sum(k.cost * v for k, v in zip(space, plan, strict=True)))


def _worst_margin(table: pd.DataFrame) -> float:
    if not len(table):
        return math.inf
    return float((table["value"] - table["required"]).min())


def _shortfall(table: pd.DataFrame) -> float:
    """How far the failing requirements are from holding, summed."""
    if not len(table):
        return 0.0
    return float(np.clip(table["required"] - table["value"], 0.0, None).sum())


def _helps(knob: Knob, row: pd.Series, scenario: Scenario) -> float:
    """How much of a requirement's window a shift works in (0: it cannot help)."""
    targets = scenario.resolved_targets
    target = targets[int(row["target_index"])]
    pool = scenario.pools[knob.pool]
    if target.channel not in pool.channels:
        return 0.0
    window = _period_window(scenario, str(row["period"]))
    if window is None:
        return 1.0
    start, end = window
    # Work waiting from the hour before the period also needs these agents.
    reach = _window_hours(start - HOUR, end + min(target.within, 12 * HOUR))
    return float((knob.hours() * reach).sum()) + 1e-3


def _period_window(scenario: Scenario, period: str) -> tuple[float, float] | None:
    periods = getattr(scenario.reporting, "periods", None) or {}
    window = periods.get(period) if isinstance(periods, Mapping) else None
    if window is None:
        return None
    return float(window[0]), float(window[1])


@dataclass(frozen=True)
class Unmet:
    """A requirement the search could not meet within the bounds."""

    target: str
    period: str
    best: float
    required: float
    plan: dict[str, int]
    at_bounds: bool = True
    """Reached with the shifts that help at their upper bounds (else: where the search stopped)."""

    def __str__(self) -> str:
        where = ", ".join(f"{k} {v}" for k, v in self.plan.items())
        how = "even with every shift at its upper bound" if self.at_bounds else "at"
        return (
            f"{self.target} ({self.period}): best {percent(self.best)} reached, needs "
            f"{percent(self.required, 0)}, {how} ({where})"
        )


def _search(
    ev: _Evaluator, start: Plan, replications: int, seed: int, max_steps: int
) -> tuple[Plan, list[Unmet]]:
    """Add agents where requirements fail, then remove while all hold."""
    plan, unmet = _add_until_met(ev, start, replications, seed, max_steps)
    if unmet:
        return plan, unmet
    while True:
        plan = _remove_while_met(ev, plan, replications, seed)
        better = _cheaper_neighbour(ev, plan, replications, seed)
        if better is None:
            return plan, []
        plan = better


def _polish_radius(n_knobs: int) -> int:
    """How far the final check looks: every roster within this many agents per shift.

    Two for up to three shifts (at most 124 rosters), one for up to five (242);
    beyond that only one agent fewer on each shift, as a full neighbourhood
    would cost more evaluations than the search itself.
    """
    return 2 if n_knobs <= 3 else 1 if n_knobs <= 5 else 0


def _cheaper_neighbour(ev: _Evaluator, plan: Plan, replications: int, seed: int) -> Plan | None:
    """The cheapest roster near ``plan`` that costs less and meets every requirement.

    Removal stops at the first shift whose next agent is needed; estimates on a
    finite number of replications are not exactly monotone in the headcounts,
    and an exchange between shifts (one more on the day shift, two fewer in the
    evening) can save where no single removal does. So the neighbourhood is
    searched once more, cheapest first, without assumptions.
    """
    space = ev.space
    radius = _polish_radius(len(space))
    if radius:
        ranges = [range(max(k.low, v - radius), min(k.high, v + radius) + 1)
                  for k, v in zip(space, plan, strict=True)]  # fmt: skip
        near = [p for p in itertools.product(*ranges) if p != plan]
    else:
        near = [_moved(plan, i, plan[i] - 1) for i, k in enumerate(space) if plan[i] > k.low]
    cost = plan_cost(space, plan)
    near = sorted(
        (p for p in near if plan_cost(space, p) < cost), key=lambda p: plan_cost(space, p)
    )
    if not near:
        return None
    batch = max(2, len(near) // 8)  # cheapest first, in batches the workers share
    for first in range(0, len(near), batch):
        chunk = near[first : first + batch]
        for p, t in zip(chunk, ev.requirements(chunk, replications, seed), strict=True):
            if ev.holds(t):
                return p
    return None


def _key(row: Any) -> tuple[int, str]:
    return int(row["target_index"]), str(row["period"])


SINGLE_MOVES = 3
"""Up to this many candidate shifts, each one's gain is simulated on its own."""


def _add_until_met(
    ev: _Evaluator, plan: Plan, replications: int, seed: int, max_steps: int
) -> tuple[Plan, list[Unmet]]:
    """While requirements fail, add agents on the shifts that help each one most per cost.

    The shifts that can help a failing requirement (skilled for its channel,
    working in or just before its period) are ranked by the share of the period
    they work per unit of cost; the best two of each are the candidates. With
    few candidates, "more agents on shift s" is simulated for each, on the same
    seeds, and each failing requirement gets the agents where its measured gain
    per unit of cost is largest. With many, two joint moves are simulated (every
    failing requirement's best-ranked shift, or its second) and the one that
    removes more shortfall per unit of cost is taken: two evaluations per step,
    whatever the number of shifts. Steps are larger far from the goal, and
    double for a requirement that is still failing after the last step.
    """
    space, scenario = ev.space, ev.scenario
    streak: dict[tuple[int, str], int] = {}  # consecutive steps a requirement has failed
    for _ in range(max_steps):
        (table,) = ev.requirements([plan], replications, seed)
        failing = [row for _, row in ev.failing(table).iterrows()]
        if not failing:
            return plan, []
        streak = {_key(r): streak.get(_key(r), 0) + 1 for r in failing}
        ranked = {_key(r): _ranked_helpers(space, plan, r, scenario) for r in failing}
        blocked = [r for r in failing if not ranked[_key(r)]]
        if blocked:
            return plan, [_unmet(r, space, plan) for r in blocked]
        steps: dict[int, int] = {}
        for r in failing:
            # A requirement still failing after a step gets twice the agents next time
            # (the removal stage takes back what overshoots).
            boost = 2 ** min(streak[_key(r)] - 1, 4)
            for i in ranked[_key(r)][:2]:
                deficit = float(r["required"] - r["value"])
                steps[i] = max(steps.get(i, 1), boost * _step(plan[i], deficit))

        if len(steps) <= SINGLE_MOVES:
            moves = {i: _grown(space, plan, steps, {i}) for i in steps}
            singles = ev.requirements(list(moves.values()), replications, seed)
            now = _values(table)
            after = {i: _values(tab) for i, tab in zip(moves, singles, strict=True)}
            chosen: set[int] = set()
            for r in failing:
                k = _key(r)
                scores = {
                    # Ties (no visible gain on few replications): the best-ranked shift.
                    i: ((after[i].get(k, now[k]) - now[k]) / (space[i].cost * steps[i]), -rank)
                    for rank, i in enumerate(ranked[k][:2])
                }  # fmt: skip
                chosen.add(max(scores, key=lambda i: scores[i]))
            plan = _grown(space, plan, steps, chosen)
            continue
        first = {ranked[_key(r)][0] for r in failing}
        second = {ranked[_key(r)][min(1, len(ranked[_key(r)]) - 1)] for r in failing}
        joint = list(dict.fromkeys([_grown(space, plan, steps, first),
                                    _grown(space, plan, steps, second)]))  # fmt: skip
        tables = ev.requirements(joint, replications, seed)
        short = _shortfall(ev.failing(table))
        plan = max(
            zip(joint, tables, strict=True),
            key=lambda pt: (
                (short - _shortfall(ev.failing(pt[1])))
                / max(plan_cost(space, pt[0]) - plan_cost(space, plan), 1e-9)
            ),
        )[0]
    (table,) = ev.requirements([plan], replications, seed)
    return plan, [_unmet(r, space, plan, at_bounds=False) for _, r in ev.failing(table).iterrows()]


def _grown(space: Sequence[Knob], plan: Plan, steps: Mapping[int, int], knobs: set[int]) -> Plan:
    """``plan`` with ``steps[i]`` more agents on each shift ``i`` of ``knobs`` (within bounds)."""
    return tuple(min(space[i].high, v + steps[i]) if i in knobs else v for i, v in enumerate(plan))


def _ranked_helpers(space: Sequence[Knob], plan: Plan, row: Any, scenario: Scenario) -> list[int]:
    """Shifts below their bound that can help a requirement, most of its window per cost first."""
    scores = {i: _helps(k, row, scenario) / k.cost for i, k in enumerate(space) if plan[i] < k.high}
    return sorted((i for i, s in scores.items() if s > 0), key=lambda i: -scores[i])


def _values(table: pd.DataFrame) -> dict[tuple[int, str], float]:
    return {_key(r): float(r["value"]) for _, r in table.iterrows()}


def _remove_while_met(ev: _Evaluator, plan: Plan, replications: int, seed: int) -> Plan:
    """Remove agents while every requirement holds, the largest saving first.

    A shift whose next removal breaks a requirement is not tried again: with
    fewer agents elsewhere it would break it all the more. Shifts that can lose
    agents together do (and next time try twice as many), so that a start far
    above the answer comes down in few evaluations.
    """
    space = ev.space
    frozen: set[int] = set()
    step = dict.fromkeys(range(len(space)), 1)
    while True:
        moves = {
            i: _moved(plan, i, max(k.low, plan[i] - step[i]))
            for i, k in enumerate(space)
            if i not in frozen and plan[i] > k.low
        }
        if not moves:
            return plan
        tables = ev.requirements(list(moves.values()), replications, seed)
        ok = [i for i, t in zip(moves, tables, strict=True) if ev.holds(t)]
        for i in moves:
            if i not in ok:
                if step[i] == 1:
                    frozen.add(i)
                step[i] = 1
        if not ok:
            continue
        together = tuple(moves[i][i] if i in ok else v for i, v in enumerate(plan))
        if len(ok) > 1 and not ev.holds(ev.requirements([together], replications, seed)[0]):
            best = max(ok, key=lambda i: space[i].cost * (plan[i] - moves[i][i]))
            plan = moves[best]
            step[best] *= 2
            continue
        plan = together
        for i in ok:
            step[i] *= 2


def _moved(plan: Plan, i: int, value: int) -> Plan:
    out = list(plan)
    out[i] = value
    return tuple(out)


def _unmet(row: Any, space: Sequence[Knob], plan: Plan, at_bounds: bool = True) -> Unmet:
    return Unmet(
        str(row["target"]), str(row["period"]), float(row["value"]), float(row["required"]),
        dict(_named(space, plan)), at_bounds=at_bounds,
    )  # fmt: skip


def _step(current: int, deficit: float) -> int:
    """Agents to add at once: bigger steps far from the goal, one near it."""
    if deficit < 0.05:
        return 1
    return max(1, min(int(round(current * deficit)), max(2, current // 4)))


def _named(space: Sequence[Knob], plan: Plan) -> list[tuple[str, int]]:
    return [(k.name, v) for k, v in zip(space, plan, strict=True)]


# --------------------------------------------------------------------------- #
# The result
# --------------------------------------------------------------------------- #
@dataclass(frozen=True)
class StaffingResult:
    """What :func:`staff` found: the roster, its verified requirements and the search."""

    scenario: Scenario
    space: tuple[Knob, ...]
    start: dict[str, int]
    searched: dict[str, int]  # the search's answer on the scenario's seeds
    recommended: dict[str, int]  # after verification rounds on fresh seeds
    verified: pd.DataFrame  # requirements() of the recommended roster on fresh seeds
    one_fewer: pd.DataFrame
    unmet: tuple[Unmet, ...]
    trail: pd.DataFrame
    evaluations: int
    replications_used: int
    wall_time: float
    screen_replications: int
    verify_replications: int
    verify_seed: int
    verify_rounds: int

    @property
    def feasible(self) -> bool:
        """Every requirement met on the fresh seeds of the last verification."""
        return not self.unmet and bool(self.verified["met"].all())

    def roster(self) -> pd.DataFrame:
        """Per pool and shift: headcount now, analytic start, recommended, on duty, cost."""
        rows = []
        for k in self.space:
            rec = self.recommended[k.name]
            rows.append(
                {
                    "pool": k.pool,
                    "shift": k.shift,
                    "now": k.current,
                    "analytic": self.start[k.name],
                    "recommended": rec,
                    "change": rec - k.current,
                    "on_duty_per_day": rec * k.on_duty_share,
                    "cost_per_agent": k.cost,
                    "cost_now": k.cost * k.current,
                    "cost": k.cost * rec,
                }
            )
        return pd.DataFrame(rows)

    def plan(self) -> Scenario:
        """The scenario with the recommended headcounts (the file's replications and seed)."""
        changes = {k.path: self.recommended[k.name] for k in self.space}
        return self.scenario.with_(changes)


def staff(
    scenario: Scenario,
    executor: Executor | None = None,
    screen_replications: int | None = None,
    verify_replications: int | None = None,
    max_steps: int = 200,
    verify_rounds: int = 3,
    progress: Callable[[str], None] | None = None,
) -> StaffingResult:
    """Find the least-cost shift headcounts that meet every requirement.

    Parameters
    ----------
    scenario
        The center; its ``staffing`` section says which headcounts may change,
        their bounds and costs, and the default confidence of targets.
    executor
        Where replications run (see :func:`shiftsim.analysis.runner.executor_for`).
    screen_replications
        Replications of the screening search (default: a quarter of the
        scenario's, at least 4).
    verify_replications
        Replications of the final search and of the verification on fresh seeds
        (default: the scenario's).
    max_steps
        Most add steps per stage.
    verify_rounds
        Fresh seed sets at most: when a verification misses, agents are added on
        its seeds and the next set verifies again; the last set decides nothing.
    progress
        Called with a line of text after each evaluation.
    """
    started = time.perf_counter()
    space = tuple(knobs(scenario))
    full = verify_replications or scenario.replications
    screen = screen_replications or max(4, full // 4)
    ev = _Evaluator(scenario, space, executor, progress)
    start = analytic_start(scenario, space)
    plan: Plan = tuple(start[k.name] for k in space)
    # What no roster within the bounds can meet (a department's delay, a backlog
    # beyond any headcount allowed): said at once, and not chased by the search.
    ample: Plan = tuple(k.high for k in space)
    (at_most,) = ev.requirements([ample], min(screen, full), scenario.seed)
    out_of_reach = [_unmet(r, space, ample) for _, r in at_most[~at_most["met"]].iterrows()]
    ev.ignored = {_key(r) for _, r in at_most[~at_most["met"]].iterrows()}
    unmet: list[Unmet] = []
    for reps in dict.fromkeys([min(screen, full), full]):
        plan, unmet = _search(ev, plan, reps, scenario.seed, max_steps)
        if unmet:
            break
    searched = plan
    # Verify on seeds the search never saw. Where that shows a miss the search
    # flattered itself: mend the roster on those seeds, then verify on new ones.
    rounds = 0
    while True:
        rounds += 1
        fresh = scenario.seed + FRESH_SEED_OFFSET * rounds
        (verified,) = ev.requirements([plan], full, fresh)
        if unmet or ev.holds(verified) or rounds == verify_rounds:
            break
        plan, unmet = _add_until_met(ev, plan, full, fresh, max_steps)
    fewer_rows = []
    fewer_plans = []
    for i, k in enumerate(space):
        if plan[i] != k.current and plan[i] > k.low:
            c = list(plan)
            c[i] -= 1
            fewer_plans.append((k, tuple(c)))
    tables = ev.requirements([p for _, p in fewer_plans], full, fresh)
    for (k, _), t in zip(fewer_plans, tables, strict=True):
        broken = ev.failing(t)  # what the roster met and one agent less breaks
        fewer_rows.append(
            {
                "pool": k.pool,
                "shift": k.shift,
                "headcount": plan[space.index(k)] - 1,
                "breaks": "; ".join(
                    f"{r.target} ({r.period}) {percent(r.value)} < {percent(r.required, 0)}"
                    for r in broken.itertuples()
                )
                or "nothing",
                "broken": len(broken),
            }
        )
    return StaffingResult(
        scenario=scenario,
        space=space,
        start=start,
        searched=dict(_named(space, searched)),
        recommended=dict(_named(space, plan)),
        verified=verified,
        one_fewer=pd.DataFrame(
            fewer_rows, columns=["pool", "shift", "headcount", "breaks", "broken"]
        ),
        unmet=tuple(out_of_reach + unmet),
        trail=pd.DataFrame(ev.trail),
        evaluations=ev.evaluations,
        replications_used=ev.replications,
        wall_time=time.perf_counter() - started,
        screen_replications=screen,
        verify_replications=full,
        verify_seed=fresh,
        verify_rounds=rounds,
    )
