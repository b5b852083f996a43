"""What :func:`shiftsim.staff` returns: the roster or curve, its verified requirements."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from shiftsim.model.scenario import Scenario
from shiftsim.planning.staffing.evaluation import Unmet
from shiftsim.planning.staffing.space import Knob

__all__ = ["FRESH_SEED_OFFSET", "StaffingResult"]

FRESH_SEED_OFFSET = 1_000_003
"""Verification seed = scenario seed + this (times the round): replications the search never saw."""


@dataclass(frozen=True)
class StaffingResult:
    """What :func:`staff` found: the roster (or curve), its verified requirements and the search.

    For pools with shifts, :meth:`roster` is the answer. For pools staffed by
    interval, :attr:`curve` is: one row per pool, day type (``all``, or a
    weekday the pool has its own levels for) and interval, with the level now,
    the Erlang start and the recommended level; :attr:`interval_requirements`
    holds every (interval, target) judged on the fresh seeds.
    """

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
    curve: pd.DataFrame | None = None
    interval_requirements: pd.DataFrame | None = None
    levels: Mapping[str, Mapping[str, tuple[int, ...]]] = field(default_factory=dict)
    """Recommended levels per pool staffed by interval and day type (``all`` or a weekday)."""
    searched_levels: Mapping[str, Mapping[str, tuple[int, ...]]] = field(default_factory=dict)
    """The search's levels on the scenario's seeds, before verification."""

    @property
    def feasible(self) -> bool:
        """Every requirement met on the fresh seeds of the last verification."""
        if self.unmet or not bool(self.verified["met"].all()):
            return False
        cells = self.interval_requirements
        return cells is None or bool(cells["met"].all())

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
        columns = ["pool", "shift", "now", "analytic", "recommended", "change",
                   "on_duty_per_day", "cost_per_agent", "cost_now", "cost"]  # fmt: skip
        return pd.DataFrame(rows, columns=columns)

    def plan(self) -> Scenario:
        """The scenario with the recommended headcounts and levels (its replications and seed)."""
        changes: dict[str, Any] = {k.path: self.recommended[k.name] for k in self.space}
        for pool, by_days in self.levels.items():
            for days, levels in by_days.items():
                where = "levels" if days == "all" else f"weekdays.{days}"
                changes[f"pools.{pool}.staffing.{where}"] = list(levels)
        return self.scenario.with_(changes)
