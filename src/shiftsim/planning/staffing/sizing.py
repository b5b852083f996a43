"""``shiftsim staff``: the stages of the shift search, and the choice between shifts and curves."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from shiftsim.model.formats import percent, percent_ci
from shiftsim.model.scenario import Scenario
from shiftsim.planning.staffing.curve import staff_curve
from shiftsim.planning.staffing.evaluation import (
    Evaluator,
    Unmet,
    estimated,
    paired_half_widths,
    requirement_key,
    unmet_of,
)
from shiftsim.planning.staffing.result import FRESH_SEED_OFFSET, StaffingResult
from shiftsim.planning.staffing.search import (
    add_until_met,
    helps,
    period_window,
    remove_while_met,
    search,
)
from shiftsim.planning.staffing.space import (
    Knob,
    Plan,
    knobs,
    moved,
    named,
    option,
    window_hours,
)
from shiftsim.planning.staffing.start import analytic_start

__all__ = ["staff"]


def staff(
    scenario: Scenario,
    executor: Executor | None = None,
    screen_replications: int | None = None,
    verify_replications: int | None = None,
    max_steps: int = 200,
    verify_rounds: int = 3,
    progress: Callable[[str], None] | None = None,
) -> StaffingResult:
    """Find the least-cost shift headcounts (or interval levels) that meet every requirement.

    A scenario with a pool staffed by interval gets the requirement curve of
    those pools (:attr:`StaffingResult.curve`; their shifts' pools stay as
    they are); any other gets the least-cost headcount per shift
    (:meth:`StaffingResult.roster`). See :mod:`shiftsim.planning.staffing`.

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
        Most add steps per stage (iterations of the curve search).
    verify_rounds
        Fresh seed sets at most: when a verification misses, agents are added on
        its seeds, and when its one-fewer check shows spare agents they go; the
        next set verifies again. The last set decides nothing.
    progress
        Called with a line of text after each evaluation.
    """
    if any(pool.staffing is not None for pool in scenario.pools.values()):
        return staff_curve(
            scenario, executor, screen_replications, verify_replications,
            max_iterations=min(max_steps, 30), verify_rounds=verify_rounds, progress=progress,
        )  # fmt: skip
    started = time.perf_counter()
    space = tuple(knobs(scenario))
    full = verify_replications or scenario.replications
    screen = min(screen_replications or max(4, full // 4), full)
    ev = Evaluator(scenario, space, executor, progress)
    start = analytic_start(scenario, space)
    plan: Plan = tuple(start[k.name] for k in space)
    ev.stage = "out of reach"
    out_of_reach, pinned = _out_of_reach(ev, plan, screen, full)
    if pinned:
        # A shift whose bound keeps a requirement out of reach stays at that bound.
        space = tuple(replace(k, low=k.high) if i in pinned else k for i, k in enumerate(space))
        ev.space = space
        plan = tuple(space[i].high if i in pinned else v for i, v in enumerate(plan))
    # Screening on few replications: add, remove, polish. Then the full count from
    # its answer (reusing the screening replications) adds where it falls short
    # and takes off what it does not need, moves judged on the screening
    # replications and kept only when all of them hold.
    ev.stage = "screening"
    plan, unmet = search(ev, plan, screen, scenario.seed, max_steps)
    ev.stage = "final"
    if not unmet and full > screen:
        plan, unmet = add_until_met(ev, plan, full, scenario.seed, max_steps, probe=screen)
        if not unmet:
            plan = remove_while_met(ev, plan, full, scenario.seed, probe=screen)
    searched = plan
    plan, verified, fewer, fresh, rounds, more = _verify(
        ev, plan, screen, full, verify_rounds, max_steps, stop=bool(unmet)
    )
    return StaffingResult(
        scenario=scenario,
        space=space,
        start=start,
        searched=dict(named(space, searched)),
        recommended=dict(named(space, plan)),
        verified=verified,
        one_fewer=fewer,
        unmet=tuple(out_of_reach + ev.stalled + unmet + more),
        trail=pd.DataFrame(ev.trail),
        evaluations=ev.evaluations,
        replications_used=ev.replications,
        wall_time=time.perf_counter() - started,
        screen_replications=screen,
        verify_replications=full,
        verify_seed=fresh,
        verify_rounds=rounds,
    )


AMPLE_FACTOR = 2
"""The out-of-reach check staffs every shift at this many times its analytic start."""


def _out_of_reach(
    ev: Evaluator, start: Plan, screen: int, full: int
) -> tuple[list[Unmet], set[int]]:
    """What no roster the search would consider can meet: said at once, and not chased;
    and the shifts kept at their upper bound for it.

    A department's delay, or a backlog beyond any headcount allowed. Every
    shift is staffed at twice its analytic start (at least 10 more agents),
    within its bounds: a requirement that fails there does not depend on the
    headcount in any useful range, and simulating every shift at its upper
    bound (three times today's) costs several evaluations, as a replication's
    cost grows with the agents on the roster. Judged on the screening
    replications where that is clear (the 95% interval below the
    requirement); a requirement that misses on them only by chance, as a
    low-volume night can, is judged again on the full replications.

    A requirement out of reach no longer constrains the search, which would
    then cut the shifts that serve it as far as the other requirements allow
    (to none at all, if only it needed them). So the shift that serves such a
    requirement best (most of its period's hours per unit of cost), when the
    planner's bound (``staffing.bounds``) held it below twice its start, is
    kept at that bound: the best the bounds allow for it, said in the report,
    and not part of the one-fewer check. The default bounds only bound the
    search: a requirement out of reach under them fails for another reason
    (a department's delay), and its shifts are sized for the others.
    """
    space, seed = ev.space, ev.scenario.seed
    wanted = [max(AMPLE_FACTOR * v, v + 10) for v in start]
    ample: Plan = tuple(min(k.high, w) for k, w in zip(space, wanted, strict=True))
    (table,) = ev.requirements([ample], screen, seed)
    missed = table[~table["met"].to_numpy(dtype=bool)]
    if screen < full and (missed["high"] >= missed["required"]).any():
        (table,) = ev.requirements([ample], full, seed)
        missed = table[~table["met"].to_numpy(dtype=bool)]
    ev.ample = (ample, table)
    ev.ignored = {requirement_key(r) for _, r in missed.iterrows()}
    at_bounds = all(v == k.high for k, v in zip(space, ample, strict=True))
    how = None if at_bounds else "even with every shift at twice its analytic start"
    unmet: list[Unmet] = []
    pinned: set[int] = set()
    bounded = set(option(getattr(ev.scenario, "staffing", None), "bounds", None) or {})
    held = {i for i, k in enumerate(space) if k.name in bounded and ample[i] == k.high < wanted[i]}
    for _, r in missed.iterrows():
        capped = [i for i in _serves_most(ev, r) if i in held]
        pinned.update(capped)
        said = how
        if capped and not at_bounds:
            kept = ", ".join(f"{space[i].name} at its upper bound {space[i].high}" for i in capped)
            said = f"{how}, {kept} (kept there)"
        unmet.append(replace(unmet_of(r, space, ample), how=said))
    return unmet, pinned


def _serves_most(ev: Evaluator, row: Any) -> list[int]:
    """The shift working most of a requirement's period per unit of cost, among those
    skilled for it: ``[]`` for a whole-day or horizon requirement, or a tie."""
    window = period_window(ev.scenario, str(row["period"]))
    if window is None:
        return []
    inside = window_hours(*window)
    serves = {i: float((k.hours() * inside).sum()) / k.cost
              for i, k in enumerate(ev.space) if helps(k, row, ev.scenario) > 0}  # fmt: skip
    top = sorted(serves, key=lambda i: -serves[i])
    if not top or serves[top[0]] <= 0 or (len(top) > 1 and serves[top[1]] == serves[top[0]]):
        return []
    return top[:1]


def _verify(
    ev: Evaluator, plan: Plan, screen: int, full: int, verify_rounds: int, max_steps: int,
    stop: bool,
) -> tuple[Plan, pd.DataFrame, pd.DataFrame, int, int, list[Unmet]]:  # fmt: skip
    """Verify on seeds the search never saw, mending there; then the "one fewer" check.

    Where the verification misses, the search flattered itself: agents are
    added on those seeds (what the doubling add steps overshot is taken back
    there) and new ones verify again. Where the roster holds, the "one fewer"
    check is simulated on those seeds (on all of them where its estimate is
    close): the shifts whose one agent fewer still meets everything there lose
    it together, as many as the changes measured on those seeds predict to
    hold jointly (:func:`_spare_together`), and new seeds verify the cheaper
    roster. If it misses there, the single costliest of those removals is
    verified on the next set, and if that misses too (or no set is left) the
    roster that held is the answer, with the verification and "one fewer"
    check of its own set: every answer is judged on seeds that did not choose
    it. The last set of seeds decides nothing (unless ``verify_rounds`` runs
    out), and its "one fewer" check is the one reported.
    """
    space = ev.space
    rounds = 0
    unmet: list[Unmet] = []
    held: tuple[Plan, pd.DataFrame, pd.DataFrame, int] | None = None  # the last that held
    smaller: Plan | None = None  # a smaller cut of ``held`` to try if the cut tried misses
    while True:
        rounds += 1
        ev.stage = f"verification {rounds}"
        fresh = ev.scenario.seed + FRESH_SEED_OFFSET * rounds
        (verified,) = ev.requirements([plan], full, fresh)
        last = stop or rounds == verify_rounds
        if not ev.holds(verified) and held is not None:
            # Fewer agents than a roster that held miss on new seeds: the cut was not real.
            if smaller is not None and not last:
                plan, smaller = smaller, None
                continue
            return (*held, rounds, unmet)
        if not ev.holds(verified) and not last:
            plan, unmet = add_until_met(ev, plan, full, fresh, max_steps, probe=screen)
            if not unmet:
                # The add steps double: take back on these seeds what overshot.
                plan = remove_while_met(ev, plan, full, fresh, probe=screen)
                continue
            last = True
            (verified,) = ev.requirements([plan], full, fresh)
        changed = [i for i, k in enumerate(space) if plan[i] != k.current and plan[i] > k.low]
        ev.stage = f"one fewer {rounds}"
        fewer = {i: moved(plan, i, plan[i] - 1) for i in changed}
        tables = _one_fewer(ev, plan, fewer, verified, screen, full, fresh)
        frame = _fewer_frame(ev, space, plan, tables)
        spare = [i for i in changed if ev.holds(tables[i])]
        if spare and ev.holds(verified) and not last:
            held = (plan, verified, frame, fresh)
            cut = _spare_together(ev, plan, verified, spare, tables)
            first = max(spare, key=lambda i: (space[i].cost, plan[i] - space[i].current))
            smaller = fewer[first] if cut != fewer[first] else None
            plan = cut
            continue
        return plan, verified, frame, fresh, rounds, unmet


def _spare_together(
    ev: Evaluator, plan: Plan, verified: pd.DataFrame, spare: Sequence[int],
    tables: dict[int, pd.DataFrame],
) -> Plan:  # fmt: skip
    """``plan`` with one agent fewer on as many ``spare`` shifts as hold together, costliest first.

    Each spare shift's one-fewer table gives, on common random numbers, the
    change its agent makes to every requirement; a removal joins when the
    verified values moved by the changes of all the removals taken so far
    still meet every reachable requirement (a first-order prediction, as in
    the cutting planes of Atlason, Epelman and Henderson 2004; the next fresh
    set verifies it). Among equal costs, the shift furthest above today's
    headcount gives first.
    """
    space = ev.space
    key = ["target_index", "period"]
    base = verified.set_index(key)
    reach = np.array([k not in ev.ignored for k in base.index], dtype=bool)
    required = base["required"].to_numpy(dtype=float)[reach]
    values = base["value"].to_numpy(dtype=float)
    predicted = values
    taken: set[int] = set()
    for i in sorted(spare, key=lambda i: (-space[i].cost, -(plan[i] - space[i].current))):
        after = tables[i].set_index(key)["value"].reindex(base.index).to_numpy(dtype=float)
        trial = predicted + np.nan_to_num(after - values)
        if bool((trial[reach] >= required - 1e-12).all()):
            predicted = trial
            taken.add(i)
    return tuple(v - 1 if i in taken else v for i, v in enumerate(plan))


NEAR = 0.01
"""An estimated one-fewer value at least this close to its threshold is simulated in full."""


def _one_fewer(
    ev: Evaluator, plan: Plan, fewer: dict[int, Plan], verified: pd.DataFrame, screen: int,
    full: int, fresh: int,
) -> dict[int, pd.DataFrame]:  # fmt: skip
    """The requirements with one agent fewer on each changed shift, on the fresh seeds.

    On common random numbers the change one agent makes is measured well on
    few replications, even where the level itself is not: each roster is
    simulated on the first ``screen`` fresh replications, and its requirement
    estimated as the verified value (all replications) plus the change
    measured on those (a control variate), with an interval from both
    (:func:`estimated`). A full simulation on all the fresh replications
    would judge the same verified value moved by the change on all of them,
    so only the change's error can turn a verdict: a roster is simulated in
    full (and judged as is) where an estimate lies within the half-width of
    its change's 95% interval of the threshold (at least :data:`NEAR`).
    """
    if screen >= full or not fewer:
        return dict(zip(fewer, ev.requirements(list(fewer.values()), full, fresh), strict=True))
    (base,) = ev.requirements([plan], screen, fresh)  # the verification's first replications
    quick = ev.requirements(list(fewer.values()), screen, fresh)
    base_values = ev.replication_values(plan, screen, fresh)
    out: dict[int, pd.DataFrame] = {}
    for i, table in zip(fewer, quick, strict=True):
        paired = ev.replication_values(fewer[i], screen, fresh) - base_values
        estimate = estimated(verified, base, table, paired)
        rows = pd.MultiIndex.from_frame(estimate[["target_index", "period"]])
        reachable = np.array([k not in ev.ignored for k in rows], dtype=bool)
        gap = (estimate["value"] - estimate["required"]).abs().to_numpy()
        half = paired_half_widths(paired, rows)
        near = gap < np.fmax(np.nan_to_num(half, nan=np.inf), NEAR)
        if not bool(near[reachable].any()):
            out[i] = estimate
    near_plans = [i for i in fewer if i not in out]
    tables = ev.requirements([fewer[i] for i in near_plans], full, fresh)
    for i, table in zip(near_plans, tables, strict=True):
        out[i] = table
    return out


def _fewer_frame(
    ev: Evaluator, space: Sequence[Knob], plan: Plan, tables: dict[int, pd.DataFrame]
) -> pd.DataFrame:
    """One row per changed shift: what one agent fewer there breaks, with its values.

    When it breaks nothing, the requirement it comes closest to breaking is
    named with its value, so that the planner sees how much room is left.
    """

    def value(r: Any) -> str:
        return f"{r.target} ({r.period}) {percent_ci(r.value, r.low, r.high, dash='-')}"

    rows = []
    for i, t in tables.items():
        k = space[i]
        broken = ev.failing(t)  # what the roster met and one agent less breaks
        text = "; ".join(f"{value(r)} < {percent(r.required, 0)}" for r in broken.itertuples())
        if broken.empty:
            keys = zip(t["target_index"], t["period"], strict=True)
            reach = t[np.array([key not in ev.ignored for key in keys], dtype=bool)]
            text = "nothing"
            if len(reach):
                r = next(reach.loc[[(reach["value"] - reach["required"]).idxmin()]].itertuples())
                text += f" (closest: {value(r)} >= {percent(r.required, 0)})"
        rows.append(
            {
                "pool": k.pool,
                "shift": k.shift,
                "headcount": plan[i] - 1,
                "breaks": text,
                "broken": len(broken),
            }
        )
    return pd.DataFrame(rows, columns=["pool", "shift", "headcount", "breaks", "broken"])
