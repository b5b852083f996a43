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
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from shiftsim.model.durations import DAY
from shiftsim.sim.randomness import Source, stream

if TYPE_CHECKING:
    from shiftsim.model.scenario import Scenario

__all__ = ["Roster", "build_roster", "rotation_offsets"]

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
