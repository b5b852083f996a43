"""What a staffing search may change: shift headcounts (knobs) and their costs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from shiftsim.model.durations import DAY, HOUR
from shiftsim.model.scenario import Scenario

__all__ = ["Knob", "Plan", "knobs", "moved", "named", "option", "plan_cost", "window_hours"]

Plan = tuple[int, ...]
"""One headcount per knob, in the order of :func:`knobs`."""

_HOURS = np.arange(24)


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
        return window_hours(self.start, self.end)

    @property
    def effective(self) -> float:
        """Agents at work, on average, per agent on the roster."""
        return self.on_duty_share * (1.0 - self.shrinkage)


def window_hours(start: float, end: float) -> np.ndarray:
    """Share of each clock hour covered by the clock window ``[start, end)`` (cyclic)."""
    length = (end - start) % DAY or DAY
    lo = _HOURS * HOUR
    out = np.zeros(24)
    for shift in (0.0, -DAY, DAY):  # the window may wrap round midnight
        s = start + shift
        e = s + length
        out += np.clip(np.minimum(lo + HOUR, e) - np.maximum(lo, s), 0.0, HOUR) / HOUR
    return np.clip(out, 0.0, 1.0)


def option(options: Any, key: str, default: Any) -> Any:
    """``options.key``, or ``default`` when there are no options."""
    return getattr(options, key, default) if options is not None else default


def knobs(scenario: Scenario) -> list[Knob]:
    """The headcounts ``scenario.staffing`` lets the search change (default: every shift)."""
    options = getattr(scenario, "staffing", None)
    change = option(options, "change", None)
    bounds: Mapping[str, Sequence[int]] = option(options, "bounds", None) or {}
    costs: Mapping[str, float] = option(options, "cost", None) or {}
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


def plan_cost(space: Sequence[Knob], plan: Plan) -> float:
    """What a roster costs: the knobs' cost per agent times their headcounts."""
    return float(sum(k.cost * v for k, v in zip(space, plan, strict=True)))


def moved(plan: Plan, i: int, value: int) -> Plan:
    """``plan`` with knob ``i`` set to ``value``."""
    out = list(plan)
    out[i] = value
    return tuple(out)


def named(space: Sequence[Knob], plan: Plan) -> list[tuple[str, int]]:
    """``(pool.shift, headcount)`` pairs of a plan."""
    return [(k.name, v) for k, v in zip(space, plan, strict=True)]
