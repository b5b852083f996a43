"""The contact log: one row per contact attempt, in preallocated column arrays.

The engine writes raw facts only (timestamps, agent, outcome). Every KPI is
computed afterwards from these columns, so a KPI definition can change without
re-simulating. About 90 bytes per contact.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum

import numpy as np

__all__ = ["COLUMNS", "ContactLog", "Outcome"]


class Outcome(IntEnum):
    """How a contact attempt ended. Each attempt ends exactly one way."""

    OPEN = 0  # still waiting or in the bot when the simulation stopped
    DEFLECTED = 1  # resolved by the bot, no human involved
    ANSWERED = 2  # an agent responded (it may still be escalated / unresolved)
    ABANDONED = 3  # the customer hung up / left while waiting


# name -> (dtype, fill value)
COLUMNS: dict[str, tuple[str, float]] = {
    "customer": ("i4", -1),  # index of the customer's first attempt
    "attempt": ("i1", 0),  # 1 for the first attempt, 2 for the first retry...
    "channel": ("i1", -1),
    "priority": ("i1", -1),  # 0 urgent, 1 important, 2 general
    "vip": ("?", False),
    "outcome": ("i1", 0),
    "department": ("i1", -1),  # escalated to this department, -1 if not
    "arrival": ("f8", np.nan),
    "bot_end": ("f8", np.nan),  # end of the bot session (NaN: no bot)
    "queued": ("f8", np.nan),  # entered the human queue / backlog
    "answered": ("f8", np.nan),  # an agent started handling it
    "handled": ("f8", np.nan),  # the agent finished handling
    "abandoned": ("f8", np.nan),
    "dept_response": ("f8", np.nan),  # the department answered the escalation
    "closing_start": ("f8", np.nan),  # front line starts closing an escalated case
    "resolved": ("f8", np.nan),
    "agent": ("i4", -1),
    "closing_agent": ("i4", -1),
}


@dataclass
class ContactLog:
    """Column arrays, one entry per contact attempt, in order of creation."""

    customer: np.ndarray
    attempt: np.ndarray
    channel: np.ndarray
    priority: np.ndarray
    vip: np.ndarray
    outcome: np.ndarray
    department: np.ndarray
    arrival: np.ndarray
    bot_end: np.ndarray
    queued: np.ndarray
    answered: np.ndarray
    handled: np.ndarray
    abandoned: np.ndarray
    dept_response: np.ndarray
    closing_start: np.ndarray
    resolved: np.ndarray
    agent: np.ndarray
    closing_agent: np.ndarray

    @classmethod
    def empty(cls, capacity: int) -> ContactLog:
        return cls(**{n: np.full(capacity, fill, dtype=dt) for n, (dt, fill) in COLUMNS.items()})

    def grow(self, capacity: int) -> None:
        """Enlarge every column to ``capacity`` rows, keeping the contents."""
        for name, (dtype, fill) in COLUMNS.items():
            old = getattr(self, name)
            new = np.full(capacity, fill, dtype=dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def truncate(self, n: int) -> ContactLog:
        return ContactLog(**{f.name: getattr(self, f.name)[:n].copy() for f in fields(self)})

    def __len__(self) -> int:
        return len(self.arrival)

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, f.name).nbytes for f in fields(self))

    def as_dict(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
