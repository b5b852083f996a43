"""Who is on duty when: shifts, rotation and shrinkage (numpy, no SimPy).

Each pool's shift has a *headcount* (people employed on it). Agent ``k`` of a
shift follows the rotation cycle (4 days at work, 2 at rest by default) from
offset ``k mod cycle`` when crews are staggered, so with a 6-day cycle about
4/6 of the headcount is *on duty* on any day.

Shrinkage (breaks, training, meetings) is taken as one block per agent and
shift, of length ``shrinkage x shift length``, placed cyclically so that the
blocks of the agents on duty are spread evenly over the shift: at any moment
about ``shrinkage`` of them are away. This is deterministic on purpose; random
absence is a different effect and is not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from shiftsim.model.durations import DAY

if TYPE_CHECKING:
    from shiftsim.model.scenario import Scenario

__all__ = ["Roster", "build_roster"]


@dataclass(frozen=True)
class Roster:
    """Agents and their duty intervals over the simulated period.

    ``agent_*`` arrays have one entry per agent; ``duty_*`` arrays one entry
    per duty interval, sorted by start. ``shift_names`` lists ``(pool, shift)``
    for each shift index.
    """

    agent_pool: np.ndarray  # int16 index into scenario.pools
    agent_shift: np.ndarray  # int16 index into shift_names
    shift_names: tuple[tuple[str, str], ...]
    duty_agent: np.ndarray  # int32
    duty_start: np.ndarray  # float64
    duty_end: np.ndarray  # float64
    on_duty_by_day: np.ndarray  # int32 [day, shift]: agents rostered to work that day

    @property
    def n_agents(self) -> int:
        return len(self.agent_pool)

    def headcount(self) -> np.ndarray:
        """People employed per shift index."""
        return np.bincount(self.agent_shift, minlength=len(self.shift_names))


def build_roster(scenario: Scenario, first_day_offset: int, n_days: int, end: float) -> Roster:
    """Build the roster for ``n_days`` simulated days.

    Parameters
    ----------
    scenario
        The center.
    first_day_offset
        Rotation day of simulated day 0 (negative during a warm-up): the
        rotation is anchored on the horizon's start date.
    n_days
        Simulated days (warm-up, horizon and drain).
    end
        Simulation end; duty intervals are clipped to it.
    """
    agent_pool: list[int] = []
    agent_shift: list[int] = []
    shift_names: list[tuple[str, str]] = []
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    agents: list[np.ndarray] = []
    on_duty = []

    for pi, (pname, pool) in enumerate(scenario.pools.items()):
        cycle = np.asarray(pool.rotation.cycle, dtype=bool)
        period = len(cycle)
        for sname, shift in pool.shifts.items():
            si = len(shift_names)
            shift_names.append((pname, sname))
            first_agent = len(agent_pool)
            h = shift.headcount
            agent_pool.extend([pi] * h)
            agent_shift.extend([si] * h)
            offsets = np.arange(h) % period if pool.rotation.stagger else np.zeros(h, dtype=int)
            length = shift.length
            block = pool.shrinkage * length
            # Day -1 too: a shift that spans midnight reaches into day 0.
            day_idx = np.arange(-1, n_days)
            works = cycle[(day_idx[:, None] + first_day_offset + offsets[None, :]) % period]
            on_duty.append(works[1:].sum(axis=1))
            for d, row in zip(day_idx, works, strict=True):
                ids = np.flatnonzero(row)
                if ids.size == 0:
                    continue
                t0 = d * DAY + shift.start
                if block <= 0:
                    pieces = [(np.zeros(ids.size), np.full(ids.size, length))]
                else:
                    # Agent j of n takes its block at j/n of the shift, wrapping round.
                    b0 = length * np.arange(ids.size) / ids.size
                    b1 = b0 + block
                    wrap = b1 > length
                    pieces = [
                        (np.where(wrap, b1 - length, 0.0), b0),  # before the block
                        (b1, np.full(ids.size, length)),  # after the block
                    ]
                for lo, hi in pieces:
                    keep = hi - lo > 1e-9
                    agents.append(first_agent + ids[keep])
                    starts.append(t0 + lo[keep])
                    ends.append(t0 + np.minimum(hi[keep], length))
    if agents:
        a = np.concatenate(agents).astype(np.int32)
        s = np.concatenate(starts)
        e = np.concatenate(ends)
    else:
        a, s, e = np.zeros(0, np.int32), np.zeros(0), np.zeros(0)
    s, e = np.clip(s, 0.0, end), np.clip(e, 0.0, end)
    keep = e > s
    a, s, e = a[keep], s[keep], e[keep]
    order = np.lexsort((a, s))
    return Roster(
        agent_pool=np.asarray(agent_pool, dtype=np.int16),
        agent_shift=np.asarray(agent_shift, dtype=np.int16),
        shift_names=tuple(shift_names),
        duty_agent=a[order],
        duty_start=s[order],
        duty_end=e[order],
        on_duty_by_day=np.stack(on_duty, axis=1).astype(np.int32)
        if on_duty
        else np.zeros((n_days, 0), np.int32),
    )
