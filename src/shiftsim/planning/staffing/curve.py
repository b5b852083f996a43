"""The requirement curve of pools staffed by interval: agents per interval meeting every target.

What an Erlang calculator prints ("agents required per interval"), but
simulated, with the iterative staffing algorithm of Feldman, Mandelbaum,
Massey and Whitt (2008) in the form its paper gives for a performance target
per interval: staff every interval, simulate, and correct each interval's
level by what the simulation measured there, until the levels stop changing.
Here:

1. **Start**: per interval (and per weekday the pool has its own levels for),
   the Erlang C (Erlang A with patience) minimum for the channels' targets at
   the interval's expected load (the ``confidence`` quantile of the horizon's
   days of that day type, dated events included; the mean for ``per:
   horizon`` targets), divided by 1 - shrinkage.
2. **Iterations on common random numbers**: the curve ``s`` and the curve
   ``s - 1`` (every judged interval one agent lower) are simulated together on
   the same seeds. Per interval and target the requirement is the target's own
   kind, at the interval's resolution: for ``per: horizon``, the service level
   of the contacts arriving in that interval of the day (every day of its day
   type, every replication) reaches the goal; for ``per: period`` and ``per:
   day``, the share of (day, replication) pairs whose interval reaches the
   goal reaches the target's confidence. An interval that misses at ``s`` gets
   an agent more (two, then four, while it keeps missing); one that still
   meets at ``s - 1`` gets one less. Lowering all intervals at once is the
   pessimistic side of lowering one (its neighbours' queues spill over), so
   an interval is lowered only when that is safe. Stop when nothing changes
   (a few iterations from the Erlang start); a cycle ends at the largest
   level of each interval over the cycle. This runs on few replications
   first, then on the scenario's from that answer (each replication is
   simulated once: the screening replications are the first of the full
   set).
3. **Verification on fresh seeds**: the curve and ``s - 1`` again, on seeds
   the search never saw; intervals that miss there get an agent more on those
   seeds, and new seeds verify again (at most ``verify_rounds`` sets). The
   period requirements of :meth:`RunResult.requirements` are judged on the
   same run; a period that misses while each of its intervals meets raises
   the interval of that period closest to missing. The "one fewer" check is
   the ``s - 1`` run of the last set: which requirement of each interval
   breaks with one agent less there (with its neighbours lower too).

Requirements no level within the bounds meets (an interval judged on a
department's delay) are found first, at every interval at its upper bound
(``staffing.bounds`` of the pool; default three times today's peak, at least
the peak + 30), and reported, not chased. No level goes below the lower bound.
Shifts of other pools stay as they are. Intervals nobody's target judges (no
eligible contact in any replication) keep their start level: nothing measures
them.

Reference: Z. Feldman, A. Mandelbaum, W. A. Massey and W. Whitt (2008),
Staffing of time-varying queues to achieve time-stable performance,
Management Science 54(2), 324-338.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shiftsim.analysis.metrics import meets
from shiftsim.analysis.results import RunResult
from shiftsim.model.durations import DAY
from shiftsim.model.formats import percent
from shiftsim.model.scenario import Scenario
from shiftsim.planning.staffing.evaluation import Simulations, Unmet, requirement_key
from shiftsim.planning.staffing.intervals import (
    ALL_DAYS,
    CurvePool,
    Levels,
    curve_pools,
    interval_start,
)
from shiftsim.planning.staffing.result import FRESH_SEED_OFFSET, StaffingResult

__all__ = ["staff_curve"]

CELL_COLUMNS = ("pool", "days", "interval", "start", "target", "target_index", "value",
                "required", "met", "eligible")  # fmt: skip


def _report_step(pools: Sequence[CurvePool]) -> float:
    """The reporting interval the search measures on: one that divides every pool's interval."""
    step = 0
    for cp in pools:
        step = math.gcd(step, int(round(cp.step)))
    return float(step) if step >= 300 else 300.0  # reporting intervals are at least 5 minutes


@dataclass
class _CurveSearch:
    """Evaluates curves on common random numbers and judges each interval."""

    scenario: Scenario
    pools: Sequence[CurvePool]
    sims: Simulations
    progress: Callable[[str], None] | None = None
    ignored: set[tuple[str, int, int, int]] = field(default_factory=set)
    """(pool, day type, interval, target) no level within the bounds meets."""
    evaluations: int = 0
    trail: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rstep = _report_step(self.pools)
        self.n_report = int(round(DAY / self.rstep))
        # Which reporting intervals make each of a pool's intervals.
        self.members: dict[str, np.ndarray] = {}
        for cp in self.pools:
            m = np.zeros((cp.n, self.n_report))
            for i in range(cp.n):
                lo = int(i * cp.step // self.rstep)
                hi = max(lo + 1, int(math.ceil((i + 1) * cp.step / self.rstep - 1e-9)))
                m[i, lo:hi] = 1.0
            self.members[cp.name] = m

    def changes(self, levels: Levels) -> dict[str, Any]:
        out: dict[str, Any] = {"reporting.interval": f"{self.rstep:g}s"}
        for cp in self.pools:
            out.update(cp.changes(levels[cp.name]))
        return out

    def cost(self, levels: Levels) -> float:
        return sum(cp.agent_hours(levels[cp.name]) for cp in self.pools)

    def evaluate(
        self, curves: Sequence[Levels], replications: int, seed: int
    ) -> list[tuple[RunResult, pd.DataFrame]]:
        """Each curve's run and its interval requirements, on the same seeds."""
        results = self.sims.results([self.changes(c) for c in curves], replications, seed)
        out = []
        for levels, result in zip(curves, results, strict=True):
            cells = self.cells(result)
            out.append((result, cells))
            self.evaluations += 1
            failing = self.failing(cells)
            margin = (cells["value"] - cells["required"]).min() if len(cells) else math.inf
            self.trail.append({
                "evaluation": self.evaluations, "cost": self.cost(levels),
                "replications": replications, "fresh_seeds": seed != self.scenario.seed,
                "worst_margin": float(margin), "all_met": failing.empty,
            })  # fmt: skip
            if self.progress is not None:
                self.progress(self._line(levels, cells, failing))
        return out

    def _line(self, levels: Levels, cells: pd.DataFrame, failing: pd.DataFrame) -> str:
        line = f"evaluation {self.evaluations}: {self.cost(levels):,.0f} agent-hours"
        if failing.empty:
            return line + ", every interval requirement within reach met"
        w = failing.loc[(failing["value"] - failing["required"]).idxmin()]
        return line + (
            f", {len(failing)} of {len(cells)} interval requirements missed, worst "
            f"{w['target']} ({w['pool']} {w['days']} {w['start']}) "
            f"{percent(w['value'], 0)} < {percent(w['required'], 0)}"
        )

    def cells(self, result: RunResult) -> pd.DataFrame:
        """Every judged (pool, day type, interval, target): value, required, met, eligible."""
        targets = self.scenario.resolved_targets
        elig = np.stack([m.iv_target_eligible for m in result.metrics]).astype(float)
        met = np.stack([m.iv_target_met for m in result.metrics]).astype(float)
        r, t, _ = elig.shape
        elig = elig.reshape(r, t, -1, self.n_report)
        met = met.reshape(r, t, -1, self.n_report)
        frames = []
        for cp in self.pools:
            m = self.members[cp.name]
            for k in cp.targets:
                target = targets[k]
                e = elig[:, k] @ m.T  # [replication, day, interval]
                h = met[:, k] @ m.T
                allowed = self._allowed(cp, target)
                for g, days in enumerate(cp.groups):
                    chosen = cp.day_group == g
                    if not chosen.any():
                        continue
                    eg, hg = e[:, chosen], h[:, chosen]
                    total = eg.sum(axis=(0, 1))
                    if target.per == "horizon":
                        hit = hg.sum(axis=(0, 1))
                        with np.errstate(invalid="ignore", divide="ignore"):
                            value = hit / total
                        ok = meets(hit, total, target.goal)
                        required = np.full(cp.n, target.goal)
                    else:
                        has = (eg > 0).sum(axis=(0, 1))
                        good = meets(hg, eg, target.goal).sum(axis=(0, 1))
                        with np.errstate(invalid="ignore", divide="ignore"):
                            value = good / has
                        required = np.full(cp.n, result.confidence(target))
                        ok = value >= required - 1e-12
                    judged = (total > 0) & allowed
                    idx = np.flatnonzero(judged)
                    frames.append(pd.DataFrame({
                        "pool": cp.name, "days": days, "group": g, "interval": idx,
                        "start": [cp.clock(int(i)) for i in idx], "target": target.label,
                        "target_index": k, "value": value[idx], "required": required[idx],
                        "met": ok[idx], "eligible": total[idx] / r,
                    }))  # fmt: skip
        if not frames:
            return pd.DataFrame(columns=[*CELL_COLUMNS, "group"])
        return pd.concat(frames, ignore_index=True)

    def _allowed(self, cp: CurvePool, target: Any) -> np.ndarray:
        """The pool's intervals a target is judged in (its ``periods``, if it names some)."""
        if target.per != "period" or not target.periods:
            return np.ones(cp.n, dtype=bool)
        starts = np.arange(cp.n) * cp.step
        out = np.zeros(cp.n, dtype=bool)
        for name in target.periods:
            lo, hi = self.scenario.reporting.periods[name]
            out |= ((starts >= lo) & (starts < hi)) if lo < hi else ((starts >= lo) | (starts < hi))
        return out

    def failing(self, cells: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``cells`` that miss, less those no level within the bounds meets."""
        if cells.empty:
            return cells
        keys = zip(cells["pool"], cells["group"], cells["interval"], cells["target_index"],
                   strict=True)  # fmt: skip
        reachable = np.array([k not in self.ignored for k in keys], dtype=bool)
        return cells[~cells["met"].to_numpy(dtype=bool) & reachable]

    def masks(self, cells: pd.DataFrame) -> dict[str, np.ndarray]:
        """Per pool, ``[day type, interval]``: True where a reachable requirement misses."""
        out = {cp.name: np.zeros(cp.now.shape, dtype=bool) for cp in self.pools}
        for row in self.failing(cells).itertuples():
            out[str(row.pool)][int(row.group), int(row.interval)] = True
        return out

    def judged(self, cells: pd.DataFrame) -> dict[str, np.ndarray]:
        out = {cp.name: np.zeros(cp.now.shape, dtype=bool) for cp in self.pools}
        for row in cells.itertuples():
            out[str(row.pool)][int(row.group), int(row.interval)] = True
        return out

    # -- the iterations ------------------------------------------------------
    def lowered(self, levels: Levels, judged: Mapping[str, np.ndarray]) -> Levels:
        """Every judged interval one agent lower (not below its bound)."""
        low = {cp.name: cp.low for cp in self.pools}
        return {p: np.where(judged[p], np.maximum(v - 1, low[p]), v) for p, v in levels.items()}

    def iterate(
        self, levels: Levels, judged: Mapping[str, np.ndarray], replications: int, seed: int,
        max_iterations: int, lower: bool = True,
    ) -> tuple[Levels, pd.DataFrame]:  # fmt: skip
        """Raise intervals that miss and lower those that still meet one agent down.

        Returns the curve and its interval requirements; with ``lower=False``
        intervals are only raised (mending on fresh seeds).
        """
        seen: list[Levels] = []
        streak = {p: np.zeros(v.shape, dtype=np.int64) for p, v in levels.items()}
        cells = pd.DataFrame()
        for _ in range(max_iterations):
            curves = [levels, self.lowered(levels, judged)] if lower else [levels]
            evaluated = self.evaluate(curves, replications, seed)
            cells = evaluated[0][1]
            miss = self.masks(cells)
            below = self.masks(evaluated[1][1]) if lower else None
            new: Levels = {}
            for cp in self.pools:
                p = cp.name
                streak[p] = np.where(miss[p], streak[p] + 1, 0)
                up = np.where(miss[p], 2 ** np.minimum(np.maximum(streak[p] - 1, 0), 2), 0)
                down = judged[p] & ~miss[p] & (levels[p] > cp.low)
                if below is not None:
                    down &= ~below[p]
                else:
                    down[:] = False
                new[p] = np.minimum(levels[p] + up - down, cp.high)
            if all(np.array_equal(new[p], levels[p]) for p in levels):
                return levels, cells
            seen.append(levels)
            repeat = next((i for i, s in enumerate(seen)
                           if all(np.array_equal(s[p], new[p]) for p in new)), None)  # fmt: skip
            levels = new
            if repeat is not None:  # a cycle: its largest level of each interval, then raise only
                levels = {p: np.max([s[p] for s in seen[repeat:]], axis=0) for p in new}
                lower = False
        return levels, cells


def staff_curve(
    scenario: Scenario,
    executor: Executor | None = None,
    screen_replications: int | None = None,
    verify_replications: int | None = None,
    max_iterations: int = 30,
    verify_rounds: int = 3,
    progress: Callable[[str], None] | None = None,
    start: Levels | None = None,
) -> StaffingResult:
    """The requirement curve of every pool staffed by interval (see the module docstring).

    Parameters are those of :func:`shiftsim.staff`; ``start`` replaces the
    Erlang start (levels per pool, ``[day type, interval]``).
    """
    started = time.perf_counter()
    pools = curve_pools(scenario)
    full = verify_replications or scenario.replications
    screen = min(screen_replications or max(4, full // 4), full)
    erlang = interval_start(scenario, pools)
    levels = {p: np.asarray(v, dtype=np.int64).copy() for p, v in (start or erlang).items()}
    search = _CurveSearch(scenario, pools, Simulations(scenario, executor, kpis="all"), progress)
    # What no level within the bounds meets, on the full replications (a screening
    # count would flag low-volume intervals by chance), and which intervals are judged.
    ample = {cp.name: cp.high for cp in pools}
    ((at_best, at_most),) = search.evaluate([ample], full, scenario.seed)
    # Judged: an interval with a requirement that some level meets (the others
    # would sink to zero, as nothing there can fail any more).
    judged = search.judged(at_most[at_most["met"].to_numpy(dtype=bool)])
    missed = list(at_most[~at_most["met"].to_numpy(dtype=bool)].itertuples())
    search.ignored = {(str(r.pool), int(r.group), int(r.interval), int(r.target_index))
                      for r in missed}  # fmt: skip
    unmet = [_unmet(r, "even with every interval at its upper bound") for r in missed]
    best = at_best.requirements()
    out_of_reach = {
        requirement_key(r) for _, r in best[~best["met"].to_numpy(dtype=bool)].iterrows()
    }
    for reps in dict.fromkeys([screen, full]):
        levels, _ = search.iterate(levels, judged, reps, scenario.seed, max_iterations)
    searched = {p: v.copy() for p, v in levels.items()}
    # Verify on seeds the search never saw: where an interval misses there, it
    # gets agents on those seeds, and new seeds verify again. The last set
    # decides nothing. (No agent is taken away on fresh seeds: one interval's
    # estimate is noisy, and what one set spares the next would often miss.)
    rounds = 0
    while True:
        rounds += 1
        fresh = scenario.seed + FRESH_SEED_OFFSET * rounds
        (result, cells), (_, fewer) = search.evaluate(
            [levels, search.lowered(levels, judged)], full, fresh
        )
        verified = result.requirements()
        misses = search.failing(cells)
        reach = np.array([requirement_key(r) not in out_of_reach for _, r in verified.iterrows()],
                         dtype=bool)  # fmt: skip
        periods = verified[~verified["met"].to_numpy(dtype=bool) & reach]
        if (misses.empty and periods.empty) or rounds == verify_rounds:
            break
        if misses.empty:  # a period misses though each of its intervals meets
            levels = _raise_closest(search, levels, cells, periods)
        else:
            levels, _ = search.iterate(levels, judged, full, fresh, max_iterations, lower=False)
    for r in search.failing(cells).itertuples():
        g, i = int(r.group), int(r.interval)
        if levels[str(r.pool)][g, i] >= _pool(pools, r.pool).high[g, i]:
            unmet.append(_unmet(r, "at the upper bound"))
    curve = _curve_frame(pools, levels, erlang, cells, fewer, search)
    return StaffingResult(
        scenario=scenario, space=(), start={}, searched={}, recommended={}, verified=verified,
        one_fewer=pd.DataFrame(columns=["pool", "shift", "headcount", "breaks", "broken"]),
        unmet=tuple(unmet), trail=pd.DataFrame(search.trail), evaluations=search.evaluations,
        replications_used=search.sims.replications, wall_time=time.perf_counter() - started,
        screen_replications=screen, verify_replications=full, verify_seed=fresh,
        verify_rounds=rounds, curve=curve,
        interval_requirements=cells.drop(columns="group").reset_index(drop=True),
        levels={cp.name: {g: tuple(int(v) for v in levels[cp.name][j])
                          for j, g in enumerate(cp.groups)} for cp in pools},
        searched_levels={cp.name: {g: tuple(int(v) for v in searched[cp.name][j])
                                   for j, g in enumerate(cp.groups)} for cp in pools},
    )  # fmt: skip


def _pool(pools: Sequence[CurvePool], name: Any) -> CurvePool:
    return next(cp for cp in pools if cp.name == name)


def _unmet(row: Any, how: str) -> Unmet:
    where = f"{row.pool} {row.days} {row.start}"
    return Unmet(str(row.target), where, float(row.value), float(row.required), {}, how=how)


def _raise_closest(
    search: _CurveSearch, levels: Levels, cells: pd.DataFrame, periods: pd.DataFrame
) -> Levels:
    """One agent more in the interval closest to missing of each period that misses."""
    out = {p: v.copy() for p, v in levels.items()}
    for row in periods.itertuples():
        mine = cells[cells["target_index"] == row.target_index]
        window = search.scenario.reporting.periods.get(str(row.period))
        if window is not None and not mine.empty:
            lo, hi = window
            secs = mine["interval"].to_numpy() * np.array(
                [_pool(search.pools, p).step for p in mine["pool"]])  # fmt: skip
            inside = ((secs >= lo) & (secs < hi)) if lo < hi else ((secs >= lo) | (secs < hi))
            mine = mine[inside]
        if mine.empty:
            continue
        w = mine.loc[(mine["value"] - mine["required"]).idxmin()]
        cp = _pool(search.pools, w["pool"])
        g, i = int(w["group"]), int(w["interval"])
        out[cp.name][g, i] = min(out[cp.name][g, i] + 1, cp.high[g, i])
    return out


def _curve_frame(
    pools: Sequence[CurvePool], levels: Levels, erlang: Levels, cells: pd.DataFrame,
    fewer: pd.DataFrame, search: _CurveSearch,
) -> pd.DataFrame:  # fmt: skip
    """One row per pool, day type and interval: now, Erlang, recommended, worst requirement."""
    key = ["pool", "group", "interval"]
    here = {k: rows for k, rows in cells.groupby(key)} if len(cells) else {}
    broken = search.failing(fewer)
    gone = {k: rows for k, rows in broken.groupby(key)} if len(broken) else {}
    out = []
    for cp in pools:
        for g, days in enumerate(cp.groups):
            if not (cp.day_group == g).any() and days != ALL_DAYS:
                continue
            for i in range(cp.n):
                mine = here.get((cp.name, g, i))
                worst = None if mine is None else mine.loc[
                    (mine["value"] - mine["required"]).idxmin()]  # fmt: skip
                rec = int(levels[cp.name][g, i])
                breaks = gone.get((cp.name, g, i))
                out.append({
                    "pool": cp.name, "days": days, "interval": i, "start": cp.clock(i),
                    "now": int(cp.now[g, i]), "erlang": int(erlang[cp.name][g, i]),
                    "recommended": rec, "change": rec - int(cp.now[g, i]),
                    "worst_target": None if worst is None else str(worst["target"]),
                    "value": math.nan if worst is None else float(worst["value"]),
                    "required": math.nan if worst is None else float(worst["required"]),
                    "met": True if mine is None else bool(mine["met"].all()),
                    "one_fewer_breaks": (
                        "" if worst is None or rec == 0
                        else "nothing" if breaks is None
                        else "; ".join(dict.fromkeys(breaks["target"]))
                    ),
                })  # fmt: skip
    return pd.DataFrame(out)
