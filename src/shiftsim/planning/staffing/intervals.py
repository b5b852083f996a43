"""Pools staffed by interval as a staffing search sees them, and their Erlang start."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shiftsim.model.durations import DAY, HOUR
from shiftsim.model.names import WEEKDAYS
from shiftsim.model.scenario import Scenario
from shiftsim.planning.staffing.space import option
from shiftsim.planning.staffing.start import channel_need, daily_hourly
from shiftsim.sim.arrivals import Calendar

__all__ = ["ALL_DAYS", "CurvePool", "Levels", "curve_pools", "interval_start"]

ALL_DAYS = "all"
"""The day type of a pool's ``levels`` (days without weekday levels of their own)."""

Levels = dict[str, np.ndarray]
"""Levels per pool staffed by interval: ``[day type, interval]`` integers."""


@dataclass(frozen=True)
class CurvePool:
    """A pool staffed by interval whose levels the search sets."""

    name: str
    step: float  # seconds per interval
    groups: tuple[str, ...]  # day types: "all", then the weekdays with their own levels
    day_group: np.ndarray  # [reported day] -> index into groups
    targets: tuple[int, ...]  # targets judged on this pool's intervals
    now: np.ndarray  # [day type, interval]
    low: np.ndarray  # [day type, interval]: the bounds of each level
    high: np.ndarray  # [day type, interval]
    shrinkage: float

    @property
    def n(self) -> int:
        """Intervals per day."""
        return int(round(DAY / self.step))

    def clock(self, i: int) -> str:
        minutes = int(round(i * self.step / 60))
        return f"{minutes // 60:02d}:{minutes % 60:02d}"

    def changes(self, levels: np.ndarray) -> dict[str, Any]:
        """Dotted-path settings of these levels (see :meth:`Scenario.with_`)."""
        out: dict[str, Any] = {}
        for g, days in enumerate(self.groups):
            where = "levels" if days == ALL_DAYS else f"weekdays.{days}"
            out[f"pools.{self.name}.staffing.{where}"] = [int(v) for v in levels[g]]
        return out

    def agent_hours(self, levels: np.ndarray) -> float:
        """Agent-hours of these levels over the reported days."""
        per_day = levels.sum(axis=1) * self.step / HOUR
        return float(per_day[self.day_group].sum())


def curve_pools(scenario: Scenario) -> list[CurvePool]:
    """The pools staffed by interval, each with the targets judged on its intervals.

    A target is judged on the first pool staffed by interval (in file order)
    that serves its channel: that pool's levels are the ones raised when it
    misses.
    """
    cal = Calendar.of(scenario)
    days = [WEEKDAYS[cal.date(cal.warmup_days + d).weekday()] for d in range(cal.days)]
    owner: dict[str, str] = {}
    for name, pool in scenario.pools.items():
        if pool.staffing is not None:
            for c in pool.channels:
                owner.setdefault(c, name)
    out = []
    for name, pool in scenario.pools.items():
        st = pool.staffing
        if st is None:
            continue
        groups = (ALL_DAYS, *st.weekdays)
        now = np.array([st.levels_for(g) if g != ALL_DAYS else st.levels for g in groups],
                       dtype=np.int64)  # fmt: skip
        peak = int(now.max(initial=0))
        low, high = scenario.staffing.bounds.get(name, (0, max(3 * peak, peak + 30)))
        targets = tuple(k for k, t in enumerate(scenario.resolved_targets)
                        if owner.get(t.channel) == name)  # fmt: skip
        out.append(
            CurvePool(
                name=name, step=float(st.interval), groups=groups,
                day_group=np.array([groups.index(d) if d in st.weekdays else 0 for d in days],
                                   dtype=np.int64),
                targets=targets, now=now, low=np.full_like(now, low),
                high=np.full_like(now, high), shrinkage=pool.shrinkage,
            )
        )  # fmt: skip
    return out


def interval_start(scenario: Scenario, pools: Sequence[CurvePool]) -> Levels:
    """Per pool, day type and interval: the Erlang requirement of its channels' load.

    :func:`channel_need` of every channel whose targets are judged on the
    pool, summed, at the ``confidence`` quantile of the day type's days (the
    mean where every target of the channel is ``per: horizon``), divided by
    1 - shrinkage and rounded up. An interval longer than an hour takes the
    largest need of its hours. Day types without a day in the horizon keep
    today's levels.
    """
    confidence = float(option(scenario.staffing, "confidence", 0.9))
    targets = scenario.resolved_targets
    out: Levels = {}
    for cp in pools:
        channels = list(dict.fromkeys(targets[k].channel for k in cp.targets))
        levels = cp.now.copy()
        hours = (np.arange(cp.n) * cp.step // HOUR).astype(int)
        last = np.maximum(hours, (((np.arange(cp.n) + 1) * cp.step - 1) // HOUR).astype(int))
        for g in range(len(cp.groups)):
            chosen = cp.day_group == g
            if not chosen.any():
                continue
            need = np.zeros(24)
            for c in channels:
                horizon_only = all(t.per == "horizon" for t in targets if t.channel == c)
                per_day = daily_hourly(scenario, c)[chosen]
                load = per_day.mean(axis=0) if horizon_only else np.quantile(
                    per_day, confidence, axis=0)  # fmt: skip
                need += channel_need(scenario, c, load)
            cell = np.array([need[h : e + 1].max() for h, e in zip(hours, last, strict=True)])
            levels[g] = np.ceil(cell / (1.0 - cp.shrinkage) - 1e-9).astype(np.int64)
        out[cp.name] = np.clip(levels, cp.low, cp.high)
    return out
