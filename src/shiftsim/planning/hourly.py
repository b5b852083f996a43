"""The records of ``shiftsim check`` and the planner's figure for one hour.

What a workforce planner's spreadsheet computes for an hour of the day
(:func:`planner_service_level`, on the agents :func:`agents_by_hour` counts),
and the records that put it next to the simulated figure: :class:`HourCheck`
per hour, :class:`ChannelCheck` per waiting channel, :class:`Reason` for why a
flagged hour differs (measured in :mod:`shiftsim.planning.reasons`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from shiftsim.analysis.statistics import Estimate
from shiftsim.model.durations import HOUR
from shiftsim.planning.theory import erlang_a, erlang_c_service_level
from shiftsim.sim.arrivals import Calendar
from shiftsim.sim.roster import Roster

__all__ = [
    "MATERIAL",
    "ChannelCheck",
    "HourCheck",
    "Reason",
    "agents_by_hour",
    "planner_service_level",
]

MATERIAL = 0.05
"""A difference is material beyond the simulation's CI half-width plus this (5 points)."""

_HOURS = np.arange(24)


@dataclass(frozen=True)
class Reason:
    """Why a flagged hour differs, with the share of the gap it explains (measured).

    ``effect`` is how many points (as a share: 0.12 is 12 points) of the gap
    between the planner's figure and the simulation close when the planner's
    formula is given what the simulation saw: the simulated arrivals reaching
    agents (``arrivals``), the simulated agents present (``agents``), each
    day's own arrivals and agents instead of the mean day (``day to day``).
    What is left once all three are in is ``between hours``: queues carrying
    over from one hour to the next and the other dynamics no stationary
    formula has. ``simulating`` is true for the reasons that are the point of
    simulating (a per-hour formula cannot see them, whatever its inputs); the
    others are inputs a spreadsheet could correct.
    """

    label: str
    effect: float
    text: str
    simulating: bool


@dataclass(frozen=True)
class HourCheck:
    """One hour of the day of one channel: the planner's figure and the simulation's."""

    hour: int
    arrivals: float  # expected arrivals in the hour, mean over the horizon's days
    agents: float  # mean agents on duty skilled for the channel, after shrinkage
    servers: float  # agents x concurrency
    planner: float  # share answered within the target, stationary Erlang C / A (NaN: no arrivals)
    simulated: Estimate  # the same share in the simulation, 95% CI across replications
    ignored: tuple[str, ...]  # labels of what the planner ignores here (ChannelCheck.notes)
    reasons: tuple[
        Reason, ...
    ] = ()  # of a flagged hour: the dominant ones, measured, largest first

    @property
    def difference(self) -> float:
        """Simulated minus planner's figure."""
        return self.simulated.mean - self.planner

    @property
    def flagged(self) -> bool:
        """Whether the two differ by more than the CI half-width plus :data:`MATERIAL`."""
        if math.isnan(self.difference):
            return False
        half = 0.0 if math.isnan(self.simulated.half_width) else self.simulated.half_width
        return abs(self.difference) > half + MATERIAL


@dataclass(frozen=True)
class ChannelCheck:
    """The hour-by-hour comparison of one waiting channel."""

    channel: str
    within: float  # seconds of the tightest first-response target
    model: str  # "Erlang C" or "Erlang A"
    hours: tuple[HourCheck, ...]
    notes: dict[str, str]  # what each reason label means for this channel


# --------------------------------------------------------------------------- #
# The planner's figure
# --------------------------------------------------------------------------- #
def planner_service_level(
    arrivals_per_hour: float,
    servers: float,
    mean_handle: float,
    within: float,
    mean_patience: float | None = None,
) -> float:
    """Share answered within ``within`` in a stationary hour, as a spreadsheet computes it.

    Erlang C, or Erlang A with abandonment rate ``1 / mean_patience``. A
    fractional number of servers (an average over the horizon, after
    shrinkage) is interpolated linearly between the integers around it.

    Parameters
    ----------
    arrivals_per_hour
        Expected arrivals in the hour.
    servers
        Agents on duty times concurrency (may be fractional).
    mean_handle
        Mean handle time, seconds.
    within
        Target answer time, seconds.
    mean_patience
        Mean patience, seconds; ``None`` for customers who wait forever.

    Returns
    -------
    float
        ``P(answered and wait <= within)`` over all arrivals; NaN without arrivals.
    """
    if arrivals_per_hour <= 0:
        return math.nan
    lam, mu = arrivals_per_hour / HOUR, 1.0 / mean_handle

    def at(n: int) -> float:
        if n < 1:
            return 0.0
        if mean_patience is not None:
            try:
                return float(erlang_a(n, lam, mu, 1.0 / mean_patience).sl_all(within))
            except ValueError:  # patience so long next to the overload that A is C
                pass
        return float(erlang_c_service_level(n, lam, mu, within))

    low = math.floor(servers + 1e-9)
    frac = servers - low
    if frac <= 1e-9:
        return at(low)
    return (1.0 - frac) * at(low) + frac * at(low + 1)


def agents_by_hour(roster: Roster, pools: list[int], calendar: Calendar) -> np.ndarray:
    """Mean agents of ``pools`` on duty in each clock hour over the reported days.

    Duty intervals already exclude shrinkage, so this is the planner's "on
    duty after shrinkage"; the rotation is averaged over the days.
    """
    keep = np.isin(roster.agent_pool[roster.duty_agent], pools)
    start, end = roster.duty_start[keep], roster.duty_end[keep]
    if start.size == 0:
        return np.zeros(24)
    # Agents on duty integrated over time: piecewise linear between duty changes,
    # at strictly increasing times (many agents start at 08:00) for np.interp.
    times, where = np.unique(np.concatenate([start, end]), return_inverse=True)
    steps = np.bincount(where, weights=np.repeat([1.0, -1.0], start.size), minlength=times.size)
    on_duty = np.cumsum(steps)
    area = np.concatenate([[0.0], np.cumsum(on_duty[:-1] * np.diff(times))])
    edges = calendar.report_start + HOUR * np.arange(calendar.days * 24 + 1)
    integral = np.interp(edges, times, area)
    per_hour = np.diff(integral).reshape(calendar.days, 24) / HOUR
    mean: np.ndarray = per_hour.mean(axis=0)
    return mean
