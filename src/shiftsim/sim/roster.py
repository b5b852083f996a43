"""Who is on duty when: shifts, rotation, absence and shrinkage (numpy, no SimPy).

Each pool's shift has a *headcount* (people employed on it). Every agent
follows the rotation cycle (4 days at work, 2 at rest by default). When crews
are staggered, the agents of a shift start the cycle at offsets spread so that
the number *rostered* on duty varies by at most one from day to day when the
work days form one block, as little as possible otherwise (see
:func:`rotation_offsets`); with 4 on, 2 off, 4/6 of the headcount on average.

Absence (sickness, leave at short notice) is random: each rostered agent misses
the whole day with probability ``pool.absence``. The draws come from the
replication's own stream per shift, one uniform per (agent, day), so agent
``k`` of a shift is absent on the same days whatever the headcount of other
shifts or pools (common random numbers). The agents *present* are the rostered
ones who are not absent.

Shrinkage (breaks, training, meetings) is taken as one block per present agent
and shift, of length ``shrinkage x shift length``, placed cyclically so that
the blocks of the agents present are spread evenly over the shift: at any
moment about ``shrinkage`` of them are away. This is deterministic on purpose.

A pool staffed by interval (``pool.staffing``) has no shifts: it appears as one
shift named ``intervals`` whose headcount is the highest level, and the
roster gives its agents nominal duty: agent ``j`` on duty, each day, in the
intervals whose level exceeds ``j`` (a stretch of such intervals is one duty
interval, with its shrinkage block placed as for a shift among the agents of
the same hours). The engine counts these intervals only, as the pool's level
over time, and decides during the run which agents work (``sim/duty.py``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from shiftsim.model.durations import DAY
from shiftsim.model.names import WEEKDAYS
from shiftsim.sim.randomness import Source, stream

if TYPE_CHECKING:
    from shiftsim.model.scenario import IntervalStaffing, Scenario

__all__ = ["INTERVALS", "Roster", "build_roster", "rotation_offsets"]

INTERVALS = "intervals"
"""The shift name a pool staffed by interval appears under."""

_SEARCH_LIMIT = 20_000
"""Most offset sets :func:`rotation_offsets` tries for a cycle with several work blocks."""


@dataclass(frozen=True)
class Roster:
    """Agents and their duty intervals over the simulated period.

    ``agent_*`` arrays have one entry per agent; ``duty_*`` arrays one entry
    per duty interval, sorted by start. ``shift_names`` lists ``(pool, shift)``
    for each shift index. Day arrays are indexed by simulated day (0 is the
    first warm-up day); a shift counts on the day it starts.
    """

    agent_pool: np.ndarray  # int16 index into scenario.pools
    agent_shift: np.ndarray  # int16 index into shift_names
    shift_names: tuple[tuple[str, str], ...]
    duty_agent: np.ndarray  # int32
    duty_start: np.ndarray  # float64
    duty_end: np.ndarray  # float64
    on_duty_by_day: np.ndarray  # int32 [day, shift]: agents present (rostered, not absent)
    rostered_by_day: np.ndarray = field(  # int32 [day, shift]: agents the rotation rosters
        default_factory=lambda: np.zeros((0, 0), np.int32)
    )

    @property
    def n_agents(self) -> int:
        return len(self.agent_pool)

    def headcount(self) -> np.ndarray:
        """People employed per shift index."""
        return np.bincount(self.agent_shift, minlength=len(self.shift_names))


def rotation_offsets(cycle: tuple[bool, ...], headcount: int) -> np.ndarray:
    """Rotation day on which each agent of a staggered shift starts the cycle.

    Whole crews first: with ``q, r = divmod(headcount, len(cycle))``, agent
    ``i < q * len(cycle)`` starts at ``i mod len(cycle)``, so every offset is
    taken ``q`` times and those agents alone put the same number on duty every
    day. The ``r`` others take ``r`` distinct offsets chosen so that the number
    on duty per day varies as little as possible:

    * when the work days form one block of the cycle (``4 on / 2 off``,
      ``'1111100'``, ``'0111110'``), the offsets ``floor(j * len(cycle) / r)``,
      which puts ``floor`` or ``ceil`` of ``r * work / len(cycle)`` on duty every
      day: a spread of at most one agent;
    * otherwise (``'1101100'``) the offset set with the smallest spread, found
      by trying every set (when there are at most 20,000 of them, as for any
      cycle of up to 16 days; beyond that the even offsets above). A spread of
      one is not always possible then: with ``'101000'``, three agents are
      never on duty 1 or 2 a day, whatever their offsets, but 0 to 2.

    Returns
    -------
    numpy.ndarray
        ``int64``, one offset per agent.
    """
    period = len(cycle)
    crews, rest = divmod(headcount, period)
    extra = _remainder_offsets(tuple(cycle), rest)
    return np.concatenate([np.tile(np.arange(period), crews), extra]).astype(np.int64)


@lru_cache(maxsize=256)
def _remainder_offsets(cycle: tuple[bool, ...], r: int) -> tuple[int, ...]:
    """The distinct offsets of the ``r`` agents beyond whole crews (:func:`rotation_offsets`)."""
    period = len(cycle)
    if r == 0:
        return ()
    work = np.asarray(cycle, dtype=np.int64)
    blocks = int((work & (1 - np.roll(work, 1))).sum())  # days a work block starts
    if blocks <= 1 or math.comb(period, r) > _SEARCH_LIMIT:
        return tuple(j * period // r for j in range(r))
    # by_offset[k, d]: at work on day d when starting at offset k.
    by_offset = np.stack([np.roll(work, -k) for k in range(period)])
    sets = np.array(list(itertools.combinations(range(period), r)))
    on_duty = np.zeros((len(sets), period), dtype=np.int64)
    for j in range(r):
        on_duty += by_offset[sets[:, j]]
    spread = on_duty.max(axis=1) - on_duty.min(axis=1)
    return tuple(int(k) for k in sets[int(np.argmin(spread))])  # the first best: deterministic


def build_roster(
    scenario: Scenario,
    first_day_offset: int,
    n_days: int,
    end: float,
    replication: int | None = None,
) -> Roster:
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
    replication
        Draw random absence (``pool.absence``) from this replication's stream;
        ``None`` gives the roster as planned, with every rostered agent present.
    """
    agent_pool: list[int] = []
    agent_shift: list[int] = []
    shift_names: list[tuple[str, str]] = []
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    agents: list[np.ndarray] = []
    on_duty: list[np.ndarray] = []
    on_roster: list[np.ndarray] = []

    for pi, (pname, pool) in enumerate(scenario.pools.items()):
        if pool.staffing is not None:
            first_agent = len(agent_pool)
            shift_names.append((pname, INTERVALS))
            agent_pool.extend([pi] * pool.staffing.peak)
            agent_shift.extend([len(shift_names) - 1] * pool.staffing.peak)
            first_date = scenario.horizon.start + dt.timedelta(days=first_day_offset)
            levels = _interval_levels(pool.staffing, first_date, n_days)
            ids, lo, hi = _interval_duty(levels, pool.staffing.interval, pool.shrinkage)
            agents.append(first_agent + ids)
            starts.append(lo)
            ends.append(hi)
            on_duty.append(levels.max(axis=1, initial=0))
            on_roster.append(levels.max(axis=1, initial=0))
            continue
        cycle = np.asarray(pool.rotation.cycle, dtype=bool)
        period = len(cycle)
        for sname, shift in pool.shifts.items():
            si = len(shift_names)
            shift_names.append((pname, sname))
            first_agent = len(agent_pool)
            h = shift.headcount
            agent_pool.extend([pi] * h)
            agent_shift.extend([si] * h)
            offsets = (
                rotation_offsets(pool.rotation.cycle, h)
                if pool.rotation.stagger
                else np.zeros(h, dtype=np.int64)
            )
            length = shift.length
            block = pool.shrinkage * length
            # Day -1 too: a shift that spans midnight reaches into day 0.
            day_idx = np.arange(-1, n_days)
            rostered = cycle[(day_idx[:, None] + first_day_offset + offsets[None, :]) % period]
            works = rostered
            if replication is not None and pool.absence > 0:
                rng = stream(scenario.seed, replication, Source.ABSENCE, repr((pname, sname)))
                # Drawn agent by agent ([agent, day]): agent k's draws do not depend on h.
                draws = rng.random((h, day_idx.size)).T
                works = rostered & (draws >= pool.absence)
            on_duty.append(works[1:].sum(axis=1))
            on_roster.append(rostered[1:].sum(axis=1))
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
        on_duty_by_day=_by_day(on_duty, n_days),
        rostered_by_day=_by_day(on_roster, n_days),
    )


def _by_day(counts: list[np.ndarray], n_days: int) -> np.ndarray:
    """Per-shift day counts as one ``[day, shift]`` int32 array."""
    if not counts:
        return np.zeros((n_days, 0), np.int32)
    return np.stack(counts, axis=1).astype(np.int32)


def _interval_levels(staffing: IntervalStaffing, first_date: dt.date, n_days: int) -> np.ndarray:
    """Agents on duty per ``[day, interval]`` of the simulated days (weekday levels applied)."""
    return np.array(
        [
            staffing.levels_for(WEEKDAYS[(first_date + dt.timedelta(days=d)).weekday()])
            for d in range(n_days)
        ],
        dtype=np.int64,
    ).reshape(n_days, -1)


def _interval_duty(
    levels: np.ndarray, step: float, shrinkage: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nominal duty ``(agent, start, end)`` for levels per ``[day, interval]``.

    Agent ``j`` is on duty in the intervals whose level exceeds ``j``. With
    shrinkage, each agent on duty in an interval is away a block of
    ``shrinkage`` of it, the ``j``-th of ``L`` at ``j / L`` of the interval
    (wrapping round), so that at any moment ``shrinkage x L`` of them, rounded
    down or up, are away: spread in time as the level asks, not one long
    absence. Touching pieces of one agent are joined into one duty interval.
    """
    flat = levels.ravel()
    cell = np.repeat(np.arange(flat.size), flat)  # one (interval, agent) cell per agent on duty
    agent = np.arange(cell.size) - np.repeat(np.cumsum(flat) - flat, flat)
    level = flat[cell].astype(float)
    t0 = cell * step
    if shrinkage > 0:
        b0 = step * agent / level
        b1 = b0 + shrinkage * step
        wrap = b1 > step
        pieces = [(np.where(wrap, b1 - step, 0.0), b0), (b1, np.full(cell.size, step))]
    else:
        pieces = [(np.zeros(cell.size), np.full(cell.size, step))]
    ids = np.concatenate([agent[hi - lo > 1e-9] for lo, hi in pieces])
    lo = np.concatenate([(t0 + lo)[hi - lo > 1e-9] for lo, hi in pieces])
    hi = np.concatenate([(t0 + np.minimum(hi, step))[hi - lo > 1e-9] for lo, hi in pieces])
    order = np.lexsort((lo, ids))
    ids, lo, hi = ids[order], lo[order], hi[order]
    new = np.ones(ids.size, dtype=bool)
    new[1:] = (ids[1:] != ids[:-1]) | (lo[1:] > hi[:-1] + 1e-6)
    first = np.flatnonzero(new)
    end = np.maximum.reduceat(hi, first) if ids.size else hi
    return ids[first].astype(np.int32), lo[first], end
