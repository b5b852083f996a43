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
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from shiftsim.model.durations import HOUR
from shiftsim.model.formats import percent_ci
from shiftsim.model.scenario import Scenario
from shiftsim.planning.staffing.evaluation import (
    Evaluator,
    Unmet,
    estimated,
    requirement_key,
    shortfall,
    unmet_of,
)
from shiftsim.planning.staffing.space import Knob, Plan, moved, plan_cost, window_hours

__all__ = [
    "SINGLE_MOVES",
    "add_until_met",
    "bisected",
    "polish_radius",
    "remove_while_met",
    "search",
]

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
    iterates: list[Plan] = []
    plan, unmet = add_until_met(ev, start, replications, seed, max_steps, iterates=iterates)
    if unmet:
        return plan, unmet
    if len(iterates) >= 2:
        # The last step (doubled for a requirement that kept failing) overshoots: the
        # answer lies between the roster before it and the roster after.
        plan = bisected(ev, iterates[-2], plan, replications, seed)
    # What the add steps overshot is at most what they added: removal starts at half of it.
    first: dict[int, int] | None = {
        i: max(1, (v - s) // 2) for i, (v, s) in enumerate(zip(plan, start, strict=True))
    }
    while True:
        plan = remove_while_met(ev, plan, replications, seed, first=first)
        first = None
        if not polish:
            return plan, []
        better = cheaper_neighbour(ev, plan, replications, seed)
        if better is None:
            return plan, []
        plan = better


BISECTIONS = 3
"""Halvings of the last add step: the answer on that segment to an eighth of the step."""


def bisected(ev: Evaluator, low: Plan, high: Plan, replications: int, seed: int) -> Plan:
    """The cheapest roster that holds on the segment from ``low`` (fails) to ``high`` (holds).

    Points ``low + t (high - low)`` (rounded up) are bisected :data:`BISECTIONS`
    times, one evaluation each: the add steps double while a requirement
    keeps failing, so their last step can be several times what was needed,
    and halving it costs far fewer evaluations than taking it back shift by
    shift. ``high`` when no point below it holds.
    """
    lo, hi = 0.0, 1.0
    best = high
    for _ in range(BISECTIONS):
        t = (lo + hi) / 2
        point = tuple(a + math.ceil(t * (b - a)) for a, b in zip(low, high, strict=True))
        if point == best:
            break
        (table,) = ev.requirements([point], replications, seed)
        if ev.holds(table):
            hi, best = t, point
        else:
            lo = t
    return best


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
    ev: Evaluator, plan: Plan, replications: int, seed: int, max_steps: int,
    probe: int | None = None, iterates: list[Plan] | None = None,
) -> tuple[Plan, list[Unmet]]:  # fmt: skip
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

    ``probe`` (fewer than ``replications``): the candidate moves are simulated
    on the first ``probe`` replications only, and each is judged as the
    roster's value on all of them plus the change the move makes on those
    (:func:`estimated`: on common random numbers the change is measured well
    on few replications); only the move taken is simulated in full.
    """
    space, scenario = ev.space, ev.scenario
    streak: dict[tuple[int, str], int] = {}  # consecutive steps a requirement has failed
    since: dict[tuple[int, str], float] = {}  # its value when it started failing
    given: dict[tuple[int, str], set[int]] = {}  # its helpers given agents since then
    for _ in range(max_steps):
        if iterates is not None:
            iterates.append(plan)
        (table,) = ev.requirements([plan], replications, seed)
        failing = [row for _, row in ev.failing(table).iterrows()]
        streak = {requirement_key(r): streak.get(requirement_key(r), 0) + 1 for r in failing}
        since = {requirement_key(r): since.get(requirement_key(r), r["value"]) for r in failing}
        given = {requirement_key(r): given.get(requirement_key(r), set()) for r in failing}
        forced = _untried(ev, failing, streak, since, given, plan)
        failing = [r for r in failing if not _stalled(ev, r, streak, since, plan)]
        if not failing:
            return plan, []
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
            singles = judged(ev, plan, list(moves.values()), replications, seed, probe)
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
                chosen.add(forced[k] if k in forced else max(scores, key=lambda i: scores[i]))
            plan = _given(plan, _grown(space, plan, steps, chosen), ranked, given)
            continue
        first = {forced.get(requirement_key(r), ranked[requirement_key(r)][0]) for r in failing}
        second = {ranked[requirement_key(r)][min(1, len(ranked[requirement_key(r)]) - 1)]
                  for r in failing}  # fmt: skip
        joint = list(dict.fromkeys([_grown(space, plan, steps, first),
                                    _grown(space, plan, steps, second)]))  # fmt: skip
        tables = judged(ev, plan, joint, replications, seed, probe)
        short = shortfall(ev.failing(table))
        best = max(
            zip(joint, tables, strict=True),
            key=lambda pt: (
                (short - shortfall(ev.failing(pt[1])))
                / max(plan_cost(space, pt[0]) - plan_cost(space, plan), 1e-9)
            ),
        )[0]
        plan = _given(plan, best, ranked, given)
    (table,) = ev.requirements([plan], replications, seed)
    missed = ev.failing(table).iterrows()
    return plan, [unmet_of(r, space, plan, at_bounds=False) for _, r in missed]


def judged(
    ev: Evaluator, plan: Plan, plans: list[Plan], replications: int, seed: int,
    probe: int | None,
) -> list[pd.DataFrame]:  # fmt: skip
    """Requirement tables of moves from ``plan``: simulated, or estimated from ``probe``.

    With ``probe`` below ``replications``, each move is simulated on the
    first ``probe`` replications and judged as ``plan``'s table on all of them
    moved by the change those show (:func:`estimated`).
    """
    if probe is None or probe >= replications:
        return ev.requirements(plans, replications, seed)
    (full,) = ev.requirements([plan], replications, seed)
    (base,) = ev.requirements([plan], probe, seed)  # the first of its replications
    return [estimated(full, base, t) for t in ev.requirements(plans, probe, seed)]


def _given(
    plan: Plan, new: Plan, ranked: Mapping[tuple[int, str], list[int]],
    given: dict[tuple[int, str], set[int]],
) -> Plan:  # fmt: skip
    """``new``, noting for each failing requirement which of its two helpers got agents."""
    grown = {i for i, (a, b) in enumerate(zip(plan, new, strict=True)) if b > a}
    for key, helpers in ranked.items():
        given[key] |= grown & set(helpers[:2])
    return new


def _untried(
    ev: Evaluator, failing: Sequence[Any], streak: dict[tuple[int, str], int],
    since: dict[tuple[int, str], float], given: Mapping[tuple[int, str], set[int]],
    plan: Plan,
) -> dict[tuple[int, str], int]:  # fmt: skip
    """Requirements about to stall whose other helper never got agents: it gets the next step.

    The add steps give a requirement's agents to whichever of its two best
    helpers shows the larger gain per cost on the screening replications;
    for a low-volume requirement that gain is mostly noise, and ties go to
    the better-ranked shift, so three steps can all go to a shift that does
    not serve it well (a pool that answers other channels first) while the
    one that would was never tried. Such a requirement is not stalled yet:
    its untried helper gets the next step, as large as the last one (the
    streak is set back by one step), and if that does not move it either it
    stalls then.
    """
    forced: dict[tuple[int, str], int] = {}
    for row in failing:
        key = requirement_key(row)
        if streak[key] <= STALL_STEPS or float(row["value"]) - since[key] >= STALL_GAIN:
            continue
        helpers = _ranked_helpers(ev.space, plan, row, ev.scenario)[:2]
        untried = [i for i in helpers if i not in given[key]]
        if untried:
            forced[key] = untried[0]
            streak[key], since[key] = STALL_STEPS, float(row["value"])
    return forced


STALL_STEPS = 3
"""Add steps after which a requirement that has not moved is no longer chased."""
STALL_GAIN = 0.01
"""What "not moved" means: less than one point gained over those steps."""


def _stalled(
    ev: Evaluator, row: Any, streak: Mapping[tuple[int, str], int],
    since: Mapping[tuple[int, str], float], plan: Plan,
) -> bool:  # fmt: skip
    """A requirement the agents added for it did not move: reported, and chased no more.

    After :data:`STALL_STEPS` steps that added agents (doubling each time) on
    the shifts that serve it, on the same random numbers, a requirement that
    has gained less than :data:`STALL_GAIN` does not depend on headcount in a
    range worth paying for (a department's delay, a handful of contacts a
    night at its ceiling). It joins the requirements out of reach
    (``ev.ignored``) with the value it had, and the search goes on without it.
    It is said as given up (:attr:`Unmet.given_up`), not as out of reach:
    where the out-of-reach check's ample roster met it, the report says so,
    with that roster's cost and value, so that the planner knows what it
    would take.
    """
    key = requirement_key(row)
    if streak[key] <= STALL_STEPS or float(row["value"]) - since[key] >= STALL_GAIN:
        return False
    ev.ignored.add(key)
    how = f"after {STALL_STEPS} add steps that did not move it, at"
    if ev.ample is not None:
        ample, table = ev.ample
        there = table[(table["target_index"] == key[0]) & (table["period"] == key[1])]
        if len(there) and bool(there["met"].iloc[0]):
            r = there.iloc[0]
            value = percent_ci(r["value"], r["low"], r["high"], dash="-")
            how = (
                f"met with every shift at twice its analytic start (cost "
                f"{plan_cost(ev.space, ample):,.0f}: {value}), "
                f"but {STALL_STEPS} add steps did not move it; given up at"
            )
    ev.stalled.append(replace(unmet_of(row, ev.space, plan, at_bounds=False), how=how,
                              given_up=True))  # fmt: skip
    return True


def _grown(space: Sequence[Knob], plan: Plan, steps: Mapping[int, int], knobs: set[int]) -> Plan:
    """``plan`` with ``steps[i]`` more agents on each shift ``i`` of ``knobs`` (within bounds)."""
    return tuple(min(space[i].high, v + steps[i]) if i in knobs else v for i, v in enumerate(plan))


def _ranked_helpers(space: Sequence[Knob], plan: Plan, row: Any, scenario: Scenario) -> list[int]:
    """Shifts below their bound that can help a requirement, most of its window per cost first."""
    scores = {i: helps(k, row, scenario) / k.cost for i, k in enumerate(space) if plan[i] < k.high}
    return sorted((i for i, s in scores.items() if s > 0), key=lambda i: -scores[i])


def _values(table: pd.DataFrame) -> dict[tuple[int, str], float]:
    return {requirement_key(r): float(r["value"]) for _, r in table.iterrows()}


def remove_while_met(
    ev: Evaluator, plan: Plan, replications: int, seed: int, probe: int | None = None,
    first: Mapping[int, int] | None = None,
) -> Plan:  # fmt: skip
    """Remove agents while every requirement holds, the largest saving first.

    Each shift has a step (``first``, or one agent): a removal that holds
    doubles it, one that breaks a requirement halves it, and a shift whose
    removal of one agent breaks one is not tried again (with fewer agents
    elsewhere it would break it all the more): a search by doubling and
    halving, so that a start far above the answer comes down in few
    evaluations. Shifts that can lose agents together do. Among removals of
    equal saving, the shift furthest above today's headcount gives first
    (pools of equal cost skilled alike keep today's split).

    ``probe`` (fewer than ``replications``): removals are judged on the first
    ``probe`` replications as in :func:`add_until_met`, and the one taken is
    simulated in full before it is kept.
    """
    space = ev.space
    frozen: set[int] = set()
    step = {i: max(1, (first or {}).get(i, 1)) for i in range(len(space))}
    probing = probe is not None and probe < replications

    def confirmed(candidate: Plan) -> bool:
        return not probing or ev.holds(ev.requirements([candidate], replications, seed)[0])

    while True:
        moves = {
            i: moved(plan, i, max(k.low, plan[i] - step[i]))
            for i, k in enumerate(space)
            if i not in frozen and plan[i] > k.low
        }
        if not moves:
            return plan
        tables = judged(ev, plan, list(moves.values()), replications, seed, probe)
        ok = [i for i, t in zip(moves, tables, strict=True) if ev.holds(t)]
        for i in moves:
            if i not in ok:
                _halve(step, frozen, i)
        if not ok:
            continue
        taken = ok
        candidate = tuple(moves[i][i] if i in ok else v for i, v in enumerate(plan))
        if len(ok) > 1 and not ev.holds(
            judged(ev, plan, [candidate], replications, seed, probe)[0]
        ):
            best = max(ok, key=lambda i: (space[i].cost * (plan[i] - moves[i][i]),
                                          plan[i] - space[i].current))  # fmt: skip
            candidate, taken = moves[best], [best]
        if not confirmed(candidate):  # the estimate held, all the replications do not
            for i in taken:
                _halve(step, frozen, i)
            continue
        plan = candidate
        for i in taken:
            step[i] *= 2


def _halve(step: dict[int, int], frozen: set[int], i: int) -> None:
    """A removal of ``step[i]`` agents broke a requirement: half as many next (none after one)."""
    if step[i] == 1:
        frozen.add(i)
    step[i] = max(1, step[i] // 2)


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
