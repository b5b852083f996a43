"""The shift search on common random numbers: add where a requirement fails, remove while all hold.

While a requirement fails, the neighbours "more agents on shift s" of the
shifts that can help it (pools skilled for its channel, working in or just
before its period) are evaluated together and the one that removes the most
shortfall per unit of cost is taken (the local search of Atlason, Epelman and
Henderson 2004, with the subgradient estimated by finite differences). When
all hold, agents are removed, the largest saving first, while every
requirement still holds; at the screening stage a last look at the cheaper
rosters around the answer catches exchanges between shifts.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from shiftsim.model.durations import HOUR
from shiftsim.model.scenario import Scenario
from shiftsim.planning.staffing.evaluation import (
    Evaluator,
    Unmet,
    requirement_key,
    shortfall,
    unmet_of,
)
from shiftsim.planning.staffing.space import Knob, Plan, moved, plan_cost, window_hours

__all__ = ["SINGLE_MOVES", "polish_radius", "search"]

SINGLE_MOVES = 3
"""Up to this many candidate shifts, each one's gain is simulated on its own."""


def search(
    ev: Evaluator, start: Plan, replications: int, seed: int, max_steps: int, polish: bool = True
) -> tuple[Plan, list[Unmet]]:
    """Add agents where requirements fail, then remove while all hold.

    ``polish``: look at every cheaper roster within :func:`polish_radius` of
    the answer (the screening stage); without it only single removals are
    tried (the final stage, which starts from a polished answer and spends its
    replications near it).
    """
    plan, unmet = add_until_met(ev, start, replications, seed, max_steps)
    if unmet:
        return plan, unmet
    while True:
        plan = remove_while_met(ev, plan, replications, seed)
        if not polish:
            return plan, []
        better = cheaper_neighbour(ev, plan, replications, seed)
        if better is None:
            return plan, []
        plan = better


def polish_radius(n_knobs: int) -> int:
    """How far the final check looks: every roster within this many agents per shift.

    Two for up to three shifts (at most 124 rosters), one for up to five (242);
    beyond that only one agent fewer on each shift, as a full neighbourhood
    would cost more evaluations than the search itself.
    """
    return 2 if n_knobs <= 3 else 1 if n_knobs <= 5 else 0


def cheaper_neighbour(ev: Evaluator, plan: Plan, replications: int, seed: int) -> Plan | None:
    """The cheapest roster near ``plan`` that costs less and meets every requirement.

    Removal stops at the first shift whose next agent is needed; estimates on a
    finite number of replications are not exactly monotone in the headcounts,
    and an exchange between shifts (one more on the day shift, two fewer in the
    evening) can save where no single removal does. So the neighbourhood is
    searched once more, cheapest first (among equal costs, closest to today's
    roster). A roster with no more agents on any shift than one that already
    failed on these seeds is not simulated: it would fail too, but for the
    noise of a few replications, and that noise is not worth chasing.
    """
    space = ev.space
    radius = polish_radius(len(space))
    if radius:
        ranges = [range(max(k.low, v - radius), min(k.high, v + radius) + 1)
                  for k, v in zip(space, plan, strict=True)]  # fmt: skip
        near = [p for p in itertools.product(*ranges) if p != plan]
    else:
        near = [moved(plan, i, plan[i] - 1) for i, k in enumerate(space) if plan[i] > k.low]
    cost = plan_cost(space, plan)
    near = sorted(
        (p for p in near if plan_cost(space, p) < cost),
        key=lambda p: (plan_cost(space, p), _distance(space, p)),
    )
    failed = [p for (p, r, s), t in ev.cache.items() if r == replications and s == seed
              and not ev.holds(t)]  # fmt: skip
    batch = max(2, len(near) // 8)  # cheapest first, in batches the workers share
    while near:
        near = [p for p in near if not any(_below(p, q) for q in failed)]
        chunk, near = near[:batch], near[batch:]
        for p, t in zip(chunk, ev.requirements(chunk, replications, seed), strict=True):
            if ev.holds(t):
                return p
            failed.append(p)
    return None


def _below(p: Plan, q: Plan) -> bool:
    """Every shift of ``p`` has at most the agents of the same shift in ``q``."""
    return all(a <= b for a, b in zip(p, q, strict=True))


def _distance(space: Sequence[Knob], plan: Plan) -> int:
    return sum(abs(v - k.current) for k, v in zip(space, plan, strict=True))


def add_until_met(
    ev: Evaluator, plan: Plan, replications: int, seed: int, max_steps: int
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
        streak = {requirement_key(r): streak.get(requirement_key(r), 0) + 1 for r in failing}
        ranked = {requirement_key(r): _ranked_helpers(space, plan, r, scenario) for r in failing}
        blocked = [r for r in failing if not ranked[requirement_key(r)]]
        if blocked:
            return plan, [unmet_of(r, space, plan) for r in blocked]
        steps: dict[int, int] = {}
        for r in failing:
            # A requirement still failing after a step gets twice the agents next time
            # (the removal stage takes back what overshoots).
            boost = 2 ** min(streak[requirement_key(r)] - 1, 4)
            for i in ranked[requirement_key(r)][:2]:
                deficit = float(r["required"] - r["value"])
                steps[i] = max(steps.get(i, 1), boost * _step(plan[i], deficit))

        if len(steps) <= SINGLE_MOVES:
            moves = {i: _grown(space, plan, steps, {i}) for i in steps}
            singles = ev.requirements(list(moves.values()), replications, seed)
            now = _values(table)
            after = {i: _values(tab) for i, tab in zip(moves, singles, strict=True)}
            chosen: set[int] = set()
            for r in failing:
                k = requirement_key(r)
                scores = {
                    # Ties (no visible gain on few replications): the best-ranked shift.
                    i: ((after[i].get(k, now[k]) - now[k]) / (space[i].cost * steps[i]), -rank)
                    for rank, i in enumerate(ranked[k][:2])
                }  # fmt: skip
                chosen.add(max(scores, key=lambda i: scores[i]))
            plan = _grown(space, plan, steps, chosen)
            continue
        first = {ranked[requirement_key(r)][0] for r in failing}
        second = {ranked[requirement_key(r)][min(1, len(ranked[requirement_key(r)]) - 1)]
                  for r in failing}  # fmt: skip
        joint = list(dict.fromkeys([_grown(space, plan, steps, first),
                                    _grown(space, plan, steps, second)]))  # fmt: skip
        tables = ev.requirements(joint, replications, seed)
        short = shortfall(ev.failing(table))
        plan = max(
            zip(joint, tables, strict=True),
            key=lambda pt: (
                (short - shortfall(ev.failing(pt[1])))
                / max(plan_cost(space, pt[0]) - plan_cost(space, plan), 1e-9)
            ),
        )[0]
    (table,) = ev.requirements([plan], replications, seed)
    missed = ev.failing(table).iterrows()
    return plan, [unmet_of(r, space, plan, at_bounds=False) for _, r in missed]


def _grown(space: Sequence[Knob], plan: Plan, steps: Mapping[int, int], knobs: set[int]) -> Plan:
    """``plan`` with ``steps[i]`` more agents on each shift ``i`` of ``knobs`` (within bounds)."""
    return tuple(min(space[i].high, v + steps[i]) if i in knobs else v for i, v in enumerate(plan))


def _ranked_helpers(space: Sequence[Knob], plan: Plan, row: Any, scenario: Scenario) -> list[int]:
    """Shifts below their bound that can help a requirement, most of its window per cost first."""
    scores = {i: helps(k, row, scenario) / k.cost for i, k in enumerate(space) if plan[i] < k.high}
    return sorted((i for i, s in scores.items() if s > 0), key=lambda i: -scores[i])


def _values(table: pd.DataFrame) -> dict[tuple[int, str], float]:
    return {requirement_key(r): float(r["value"]) for _, r in table.iterrows()}


def remove_while_met(ev: Evaluator, plan: Plan, replications: int, seed: int) -> Plan:
    """Remove agents while every requirement holds, the largest saving first.

    A shift whose next removal breaks a requirement is not tried again: with
    fewer agents elsewhere it would break it all the more. Shifts that can lose
    agents together do (and next time try twice as many), so that a start far
    above the answer comes down in few evaluations. Among removals of equal
    saving, the shift furthest above today's headcount gives first (pools of
    equal cost skilled alike keep today's split).
    """
    space = ev.space
    frozen: set[int] = set()
    step = dict.fromkeys(range(len(space)), 1)
    while True:
        moves = {
            i: moved(plan, i, max(k.low, plan[i] - step[i]))
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
            best = max(ok, key=lambda i: (space[i].cost * (plan[i] - moves[i][i]),
                                          plan[i] - space[i].current))  # fmt: skip
            plan = moves[best]
            step[best] *= 2
            continue
        plan = together
        for i in ok:
            step[i] *= 2


def _step(current: int, deficit: float) -> int:
    """Agents to add at once: bigger steps far from the goal, one near it."""
    if deficit < 0.05:
        return 1
    return max(1, min(int(round(current * deficit)), max(2, current // 4)))


def helps(knob: Knob, row: pd.Series, scenario: Scenario) -> float:
    """How much of a requirement's window a shift works in (0: it cannot help)."""
    targets = scenario.resolved_targets
    target = targets[int(row["target_index"])]
    pool = scenario.pools[knob.pool]
    if target.channel not in pool.channels:
        return 0.0
    window = period_window(scenario, str(row["period"]))
    if window is None:
        return 1.0
    start, end = window
    # Work waiting from the hour before the period also needs these agents.
    reach = window_hours(start - HOUR, end + min(target.within, 12 * HOUR))
    return float((knob.hours() * reach).sum()) + 1e-3


def period_window(scenario: Scenario, period: str) -> tuple[float, float] | None:
    """The clock window of a reporting period (``None`` for ``day`` and ``horizon``)."""
    periods = getattr(scenario.reporting, "periods", None) or {}
    window = periods.get(period) if isinstance(periods, Mapping) else None
    if window is None:
        return None
    return float(window[0]), float(window[1])
