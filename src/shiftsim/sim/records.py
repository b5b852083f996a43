"""The contact log: one row per contact attempt, in preallocated column arrays.

The engine writes raw facts only (timestamps, agent, outcome). Every KPI is
computed afterwards from these columns, so a KPI definition can change without
re-simulating. About 95 bytes per contact.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import IntEnum

import numpy as np

__all__ = ["ContactLog", "Outcome"]


class Outcome(IntEnum):
    """How a contact attempt ended. Each attempt ends exactly one way."""

    OPEN = 0  # still waiting or in the bot when the simulation stopped
    DEFLECTED = 1  # resolved by the bot, no human involved
    ANSWERED = 2  # an agent responded (it may still be escalated / unresolved)
    ABANDONED = 3  # the customer hung up / left while waiting


@dataclass
class ContactLog:
    """Column arrays, one entry per contact attempt, in order of creation.

    Times are simulation seconds, NaN where the fact did not happen; ids are -1
    where there is none.
    """

    customer: np.ndarray  # int32, row of the customer's first attempt (of its first contact)
    attempt: np.ndarray  # int8, 1 for the first attempt, 2 for the first retry...
    channel: np.ndarray  # int8
    priority: np.ndarray  # int8, 0 urgent, 1 important, 2 general
    vip: np.ndarray  # bool
    outcome: np.ndarray  # int8, an Outcome
    department: np.ndarray  # int8, escalated to this department, -1 if not
    arrival: np.ndarray
    bot_end: np.ndarray  # end of the bot session (NaN: no bot)
    queued: np.ndarray  # entered the human queue / backlog
    answered: np.ndarray  # an agent started handling it
    handled: np.ndarray  # the agent finished handling
    abandoned: np.ndarray
    dept_response: np.ndarray  # the department answered the escalation
    closing_start: np.ndarray  # the front line starts closing an escalated case
    resolved: np.ndarray
    agent: np.ndarray  # int32
    closing_agent: np.ndarray  # int32
    # After-call work the agent did after ``handled`` (float32 seconds, NaN where
    # none): busy until handled + wrap_up. Logs without it read as none.
    wrap_up: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    # int8: 0 for a customer's first contact, k for its k-th repeat contact (the
    # problem came back: a new contact, whose retries keep the number). Logs
    # without it read as first contacts.
    repeat: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int8))

    def __post_init__(self) -> None:
        if len(self.wrap_up) != len(self.arrival):
            self.wrap_up = np.full(len(self.arrival), np.nan, np.float32)
        if len(self.repeat) != len(self.arrival):
            self.repeat = np.zeros(len(self.arrival), np.int8)

    def __len__(self) -> int:
        return len(self.arrival)

    @property
    def nbytes(self) -> int:
        return sum(getattr(self, f.name).nbytes for f in fields(self))

    def as_dict(self) -> dict[str, np.ndarray]:
        return {f.name: getattr(self, f.name) for f in fields(self)}
