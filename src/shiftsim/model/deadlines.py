"""Deadlines implied by response targets, including business-hours rules."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from shiftsim.model.durations import DAY

if TYPE_CHECKING:
    from shiftsim.model.scenario import Target

__all__ = ["deadlines", "in_hours"]


def in_hours(clock: np.ndarray, hours: tuple[float, float] | None) -> np.ndarray:
    """Whether each time of day (seconds after midnight) lies in ``[open, close)``.

    ``hours`` may span midnight (``('20:00', '08:00')``); ``None`` means always.
    """
    clock = np.asarray(clock, dtype=float)
    if hours is None:
        return np.ones(clock.shape, dtype=bool)
    start, end = hours[0] % DAY, hours[1] % DAY
    if start == end:
        return np.ones(clock.shape, dtype=bool)
    if start < end:
        return (clock >= start) & (clock < end)
    return (clock >= start) | (clock < end)


def deadlines(target: Target, arrival: np.ndarray) -> np.ndarray:
    """Time by which ``target`` requires a response, for arrivals at sim time ``arrival``.

    Simulation time 0 is a midnight. Inside business hours (or without them) the
    deadline is ``arrival + within``; a contact arriving outside business hours
    is due at the next ``off_hours_by`` clock time (e.g. 09:00 next morning).
    """
    arrival = np.asarray(arrival, dtype=float)
    due = arrival + target.within
    if target.business_hours is None or target.off_hours_by is None:
        return due
    clock = np.mod(arrival, DAY)
    outside = ~in_hours(clock, target.business_hours)
    by = target.off_hours_by % DAY
    wait = np.mod(by - clock, DAY)
    return np.where(outside, arrival + wait, due)
