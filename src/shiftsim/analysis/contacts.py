"""Per-contact records as a planner reads them: names instead of codes, clock times.

The engine's contact log (:class:`shiftsim.sim.records.ContactLog`) holds codes
(channel 1, priority 0, outcome 3) and seconds from midnight of the first
simulated day, warm-up included. :func:`contact_table` turns it, or a
``contacts/rep-NNNN`` file written from it, into a table with pandas
categoricals for channel, priority, outcome and department, and timestamps.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from shiftsim.model.names import PRIORITIES
from shiftsim.sim.records import ContactLog, Outcome

if TYPE_CHECKING:
    from shiftsim.model.scenario import Scenario

__all__ = ["OUTCOMES", "TIME_COLUMNS", "contact_table", "clock_times"]


def clock_times(origin: pd.Timestamp, seconds: np.ndarray) -> pd.DatetimeIndex:
    """``origin`` plus ``seconds`` (NaN becomes NaT), to the nanosecond.

    Not ``pd.to_timedelta(seconds, unit="s")``: pandas 2 rounds a scratch array
    it never filled at the NaN positions, which can overflow and warn at random.
    """
    seconds = np.asarray(seconds, dtype=np.float64)
    ns = np.full(seconds.shape, np.iinfo(np.int64).min, dtype=np.int64)  # NaT
    known = ~np.isnan(seconds)
    ns[known] = np.round(seconds[known] * 1e9).astype(np.int64)
    return origin + pd.to_timedelta(ns.view("m8[ns]"))


OUTCOMES: tuple[str, ...] = tuple(o.name.lower() for o in Outcome)
"""Outcome names in code order: ``open``, ``deflected``, ``answered``, ``abandoned``."""

TIME_COLUMNS: tuple[str, ...] = (
    "arrival", "bot_end", "queued", "answered", "handled", "abandoned", "dept_response",
    "closing_start", "resolved",
)  # fmt: skip
"""The log's moments, seconds in the log (NaN: did not happen), timestamps here."""

_IDS = ("agent", "closing_agent")  # -1: nobody
_NAMED = ("channel", "priority", "outcome", "department")  # codes; -1: none


def contact_table(
    log: Mapping[str, Any] | pd.DataFrame, scenario: Scenario, replication: int | None = None
) -> pd.DataFrame:
    """The per-contact records of one replication with names and clock times.

    Parameters
    ----------
    log
        Column arrays of a contact log (``ContactLog.as_dict()``), or a
        ``contacts/rep-NNNN`` table of a results folder (its ``replication``
        column is kept).
    scenario
        The scenario that was run: it names the codes and dates the clock.
    replication
        Added as the first column when given.

    Returns
    -------
    pandas.DataFrame
        One row per contact attempt. ``channel``, ``priority``, ``outcome`` and
        ``department`` are categoricals (priority ordered urgent first; no
        department: missing); every moment (``arrival``, ``queued``,
        ``answered``, ``handled``, ``abandoned``, ``resolved``...) is a
        timestamp, ``NaT`` when it did not happen; ``agent`` and
        ``closing_agent`` are nullable integers; ``reported`` says whether the
        contact arrived in the reported horizon (after the warm-up, before
        its end).
    """
    h = scenario.horizon
    origin = pd.Timestamp(h.start - dt.timedelta(days=h.warmup_days))
    first = pd.Timestamp(h.start)
    last = first + pd.Timedelta(days=h.days)
    out: dict[str, Any] = {}
    if replication is not None:
        out["replication"] = np.full(len(np.asarray(log["arrival"])), replication, dtype=np.int32)
    elif "replication" in log:
        out["replication"] = np.asarray(log["replication"], dtype=np.int32)
    names = {
        "channel": list(scenario.channels),
        "priority": list(PRIORITIES),
        "outcome": list(OUTCOMES),
        "department": list(scenario.departments),
    }
    for f in dataclasses.fields(ContactLog):
        col = f.name
        raw = np.asarray(log[col])
        if col in _NAMED:
            out[col] = pd.Categorical.from_codes(
                raw.astype(np.int64), categories=names[col], ordered=col == "priority"
            )
        elif col in TIME_COLUMNS:
            out[col] = clock_times(origin, raw)
        elif col in _IDS:
            out[col] = pd.arrays.IntegerArray(raw.astype(np.int32), raw < 0)
        else:  # customer, attempt, vip: as the engine wrote them
            out[col] = raw
    frame = pd.DataFrame(out)
    frame["reported"] = (frame["arrival"] >= first) & (frame["arrival"] < last)
    return frame
