"""Simulating candidate rosters: in batches, on common random numbers, each replication once.

Replication ``r`` of a scenario is seeded from the scenario's seed and ``r``
only (see :mod:`shiftsim.analysis.runner`), so the first 5 replications of a
20-replication evaluation are the 5 replications of a screening evaluation of
the same roster with the same seed. :class:`Simulations` therefore keeps every
replication it has simulated, per roster and seed, and simulates only the ones
missing. All the replications of a batch of rosters go to the executor at
once, so that every worker stays busy until the batch is done, instead of
idling at the tail of each roster's run.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shiftsim.analysis.interrupts import LocalPool
from shiftsim.analysis.metrics import ReplicationMetrics
from shiftsim.analysis.results import RunResult
from shiftsim.analysis.runner import replicate
from shiftsim.analysis.statistics import mean_ci_axis
from shiftsim.model.formats import percent
from shiftsim.model.scenario import Scenario
from shiftsim.planning.staffing.space import Knob, Plan, named, plan_cost

__all__ = [
    "Changes",
    "Evaluator",
    "Simulations",
    "Unmet",
    "estimated",
    "paired_half_widths",
    "progress_line",
    "requirement_key",
    "shortfall",
    "unmet_of",
    "worst_margin",
]

Changes = tuple[tuple[str, Any], ...]
"""Dotted-path settings of a candidate, as a hashable key (see :meth:`Scenario.with_`)."""


@dataclass
class Simulations:
    """Replications of candidate scenarios, simulated once each and batched across rosters.

    ``kpis`` as in :func:`shiftsim.analysis.runner.run`: ``"targets"`` for the
    shift search (target counts per day and period only), ``"all"`` where
    per-interval counts are needed.
    """

    scenario: Scenario
    executor: Executor | None
    kpis: str = "targets"
    done: dict[tuple[Changes, int], dict[int, ReplicationMetrics]] = field(default_factory=dict)
    replications: int = 0
    """Replications simulated (each counted once, however many evaluations reuse it)."""

    def missing(self, changes: Mapping[str, Any], replications: int, seed: int) -> list[int]:
        """Which of the first ``replications`` of a candidate are not simulated yet."""
        return self._missing(_freeze(changes), replications, seed)

    def _missing(self, key: Changes, replications: int, seed: int) -> list[int]:
        have = self.done.get((key, seed), {})
        return [r for r in range(replications) if r not in have]

    def results(
        self, candidates: Sequence[Mapping[str, Any]], replications: int, seed: int
    ) -> list[RunResult]:
        """One :class:`RunResult` per candidate (its changes to the scenario), same seeds."""
        keys = [_freeze(c) for c in candidates]
        scenarios: dict[Changes, Scenario] = {}
        jobs: list[tuple[Changes, int]] = []
        for key in dict.fromkeys(keys):
            missing = self._missing(key, replications, seed)
            self.done.setdefault((key, seed), {})
            if missing:
                scenarios[key] = self.scenario.with_(
                    dict(key), replications=replications, seed=seed
                )
                jobs += [(key, r) for r in missing]
        for key, metrics in self._simulate(scenarios, jobs):
            self.done[(key, seed)][metrics.index] = metrics
        self.replications += len(jobs)
        out = []
        for key in keys:
            sc = scenarios.get(key) or self.scenario.with_(
                dict(key), replications=replications, seed=seed
            )
            have = self.done[(key, seed)]
            out.append(RunResult.from_metrics(sc, [have[r] for r in range(replications)],
                                              requested=replications))  # fmt: skip
        return out

    def _simulate(
        self, scenarios: Mapping[Changes, Scenario], jobs: Sequence[tuple[Changes, int]]
    ) -> list[tuple[Changes, ReplicationMetrics]]:
        if self.executor is None:
            return [(key, replicate(scenarios[key], r, False, self.kpis)[0]) for key, r in jobs]
        futures: dict[Future[Any], Changes] = {
            self.executor.submit(replicate, scenarios[key], r, False, self.kpis): key
            for key, r in jobs
        }
        out = []
        try:
            for fut in as_completed(futures):
                out.append((futures[fut], fut.result()[0]))
        except BaseException:  # Ctrl-C or a failed replication: nothing queued is wanted
            for fut in futures:
                fut.cancel()
            if isinstance(self.executor, LocalPool):
                self.executor.stop_workers()
            raise
        return out


def _freeze(changes: Mapping[str, Any]) -> Changes:
    return tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in changes.items()))


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
    how: str | None = None
    """Where it was reached, in words (instead of the shifts of ``plan``)."""
    given_up: bool = False
    """The search stopped chasing it (agents added did not move it): not shown out of reach."""

    def __str__(self) -> str:
        text = (
            f"{self.target} ({self.period}): best {percent(self.best)} reached, needs "
            f"{percent(self.required, 0)}"
        )
        where = ", ".join(f"{k} {v}" for k, v in self.plan.items())
        how = self.how or ("even with every shift at its upper bound" if self.at_bounds else "at")
        return f"{text}, {how} ({where})" if where else f"{text}, {how}"


def requirement_key(row: Any) -> tuple[int, str]:
    """A requirement's identity in a requirements table: (target index, period)."""
    return int(row["target_index"]), str(row["period"])


@dataclass
class Evaluator:
    """Requirement tables of shift rosters on common random numbers, remembering every answer."""

    scenario: Scenario
    space: Sequence[Knob]
    executor: Executor | None
    progress: Callable[[str], None] | None = None
    cache: dict[tuple[Plan, int, int], pd.DataFrame] = field(default_factory=dict)
    evaluations: int = 0
    trail: list[dict[str, Any]] = field(default_factory=list)
    ignored: set[tuple[int, str]] = field(default_factory=set)
    """Requirements no roster within the bounds meets: reported, not searched for."""
    stalled: list[Unmet] = field(default_factory=list)
    """Requirements the add steps stopped chasing (they did not move): also in ``ignored``."""
    sims: Simulations | None = None
    ample: tuple[Plan, pd.DataFrame] | None = None
    """The out-of-reach check's roster and its requirements (what more agents can reach)."""
    stage: str = ""
    """What the evaluations are for now (the trail's ``stage``: set by the search's stages)."""

    def __post_init__(self) -> None:
        if self.sims is None:
            self.sims = Simulations(self.scenario, self.executor)

    @property
    def replications(self) -> int:
        """Replications simulated so far (a replication reused is counted once)."""
        assert self.sims is not None
        return self.sims.replications

    def failing(self, table: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``table`` that miss, less the requirements out of reach."""
        keys = list(zip(table["target_index"], table["period"], strict=True))
        reachable = np.array([k not in self.ignored for k in keys], dtype=bool)
        return table[~table["met"].to_numpy(dtype=bool) & reachable]

    def holds(self, table: pd.DataFrame) -> bool:
        """Every reachable requirement is met."""
        return bool(self.failing(table).empty)

    def changes(self, plan: Plan) -> dict[str, Any]:
        return {k.path: v for k, v in zip(self.space, plan, strict=True)}

    def requirements(
        self, plans: Sequence[Plan], replications: int, seed: int
    ) -> list[pd.DataFrame]:
        """The requirement tables of ``plans``, simulated together on the same seeds."""
        assert self.sims is not None
        todo = [p for p in dict.fromkeys(plans) if (p, replications, seed) not in self.cache]
        if todo:
            changes = [self.changes(p) for p in todo]
            new = [len(self.sims.missing(c, replications, seed)) for c in changes]
            results = self.sims.results(changes, replications, seed)
            for plan, result, n in zip(todo, results, new, strict=True):
                self._record(plan, replications, seed, result.requirements(), n)
        return [self.cache[(p, replications, seed)] for p in plans]

    def replication_values(self, plan: Plan, replications: int, seed: int) -> pd.DataFrame:
        """Each replication's requirement values of a simulated roster.

        One row per replication (the first ``replications`` of ``seed``), one
        column per requirement ``(target_index, period)``: the paired
        differences of two rosters on common random numbers read from these.
        """
        assert self.sims is not None
        changes = self.changes(plan)
        have = self.sims.done[(_freeze(changes), seed)]
        sc = self.scenario.with_(changes, replications=1, seed=seed)
        rows = {}
        for r in range(replications):
            table = RunResult.from_metrics(sc, [have[r]], requested=1).requirements()
            rows[r] = table.set_index(["target_index", "period"])["value"]
        return pd.DataFrame(rows).T

    def _record(
        self, plan: Plan, replications: int, seed: int, table: pd.DataFrame, simulated: int
    ) -> None:
        self.cache[(plan, replications, seed)] = table
        self.evaluations += 1
        cost = plan_cost(self.space, plan)
        self.trail.append(
            {
                "evaluation": self.evaluations,
                "cost": cost,
                "stage": self.stage,
                "replications": replications,
                "simulated": simulated,
                "fresh_seeds": seed != self.scenario.seed,
                "worst_margin": worst_margin(table),
                "all_met": bool(table["met"].all()) if len(table) else True,
                **dict(named(self.space, plan)),
            }
        )
        if self.progress is not None:
            self.progress(progress_line(self.evaluations, cost, table, self.failing(table)))


def progress_line(n: int, cost: float, table: pd.DataFrame, failing: pd.DataFrame) -> str:
    """``evaluation N: cost C, ...`` naming the worst failing requirement."""
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


def worst_margin(table: pd.DataFrame) -> float:
    """The lowest value minus required over a requirements table (inf when empty)."""
    if not len(table):
        return math.inf
    return float((table["value"] - table["required"]).min())


def shortfall(table: pd.DataFrame) -> float:
    """How far the failing requirements are from holding, summed."""
    if not len(table):
        return 0.0
    return float(np.clip(table["required"] - table["value"], 0.0, None).sum())


def unmet_of(row: Any, space: Sequence[Knob], plan: Plan, at_bounds: bool = True) -> Unmet:
    """An :class:`Unmet` from a requirements row at ``plan``."""
    return Unmet(
        str(row["target"]), str(row["period"]), float(row["value"]), float(row["required"]),
        dict(named(space, plan)), at_bounds=at_bounds,
    )  # fmt: skip


def estimated(
    verified: pd.DataFrame,
    base: pd.DataFrame,
    other: pd.DataFrame,
    paired: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``verified`` with each value moved by ``other - base`` (rows judged in all three).

    ``paired``: each replication's ``other - base`` (replications x
    requirements, :meth:`Evaluator.replication_values`). With it, each value
    gets a 95% interval: the half-widths of ``verified``'s interval and of the
    paired change's (t quantile) combined as for independent errors. The base
    replications are the first of the verified ones, so the two errors are
    positively correlated and the combined interval is, if anything, wide;
    without ``paired`` the interval is NaN (an estimate for the search's moves).
    """
    key = ["target_index", "period"]
    diff = other.set_index(key)["value"] - base.set_index(key)["value"]
    out = verified.copy()
    moved_by = diff.reindex(pd.MultiIndex.from_frame(out[key])).to_numpy()
    out["value"] = (out["value"] + moved_by).clip(0.0, 1.0)
    out["low"] = out["high"] = float("nan")
    if paired is not None and len(paired) > 1:
        change = paired_half_widths(paired, pd.MultiIndex.from_frame(out[key]))
        level = (verified["high"] - verified["low"]).to_numpy(dtype=float) / 2
        half = np.sqrt(level**2 + change**2)
        out["low"] = (out["value"] - half).clip(0.0, 1.0)
        out["high"] = (out["value"] + half).clip(0.0, 1.0)
    out["met"] = out["value"] >= out["required"] - 1e-12
    # A requirement the short run did not judge (no eligible contact there) is unknown:
    # keep it failing so that the roster is simulated in full.
    out.loc[np.isnan(moved_by), "met"] = False
    out.loc[np.isnan(moved_by), "value"] = out.loc[np.isnan(moved_by), "required"]
    return out


def paired_half_widths(paired: pd.DataFrame, rows: pd.MultiIndex) -> np.ndarray:
    """Half-width of the 95% t interval of each requirement's mean paired change.

    ``paired``: each replication's change (replications x requirements, as
    :meth:`Evaluator.replication_values` gives them); ``rows``: the
    requirements ``(target_index, period)`` wanted, in order (NaN for one the
    paired replications did not judge).
    """
    _, low, high = mean_ci_axis(paired.to_numpy(dtype=float))
    spread = pd.Series((high - low) / 2, index=paired.columns).reindex(rows)
    return np.asarray(spread, dtype=float)
