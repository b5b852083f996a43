"""What the engine needs to know about channels, pools and departments: plain rules.

``sim/replication.py`` translates a scenario into these; the engine reads
nothing else of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["FULL", "ChannelRules", "DepartmentRules", "Draw", "PoolRules"]

FULL = 2520
"""Capacity units of one agent: divisible by every chat concurrency 1..10."""

Draw = Callable[[np.random.Generator], float]
"""One duration drawn during the run (a distribution's ``draw``: a plain float)."""


@dataclass(frozen=True)
class ChannelRules:
    """What the engine needs to know about a channel."""

    sync: bool  # a customer waits (voice, chat) rather than a message (async)
    weight: int  # capacity units one contact takes (FULL, or FULL // concurrency)
    retry_share: float = 0.0
    max_attempts: int = 1
    retry_delay: Draw | None = None
    patience: Draw | None = None  # for retry attempts
    # per priority x 2 + VIP, for retry attempts, when patience varies by customer
    patience_cases: tuple[Draw | None, ...] = ()
    resolution_due: tuple[float, float, float] = (math.inf, math.inf, math.inf)
    escalates: bool = False  # some contacts need a department (closing work follows)
    # Head start in the queue, per priority x 2 + VIP (seconds taken off the time
    # a customer joined); empty: strict priority, then VIP, then time.
    head_start: tuple[float, ...] = ()
    # For repeat contacts, which arrive during the run (sim/work.py): the bot
    # (if any) and its hours, and the first-response deadline of a contact.
    bot: bool = False
    bot_hours: tuple[float, float] | None = None
    handover_factor: float = 1.0
    response_due: Callable[[float, int, bool], float] | None = None
    closed: tuple[bool, ...] = ()  # per hour of the run: no arrivals expected (past the end too)


@dataclass(frozen=True)
class PoolRules:
    """Skills of a pool of agents."""

    channels: tuple[int, ...]
    takes_vip: bool = True
    senior: bool = False
    by_interval: bool = False  # staffed by a level per interval, not by shifts (sim/duty.py)
    clear_at_close: bool = False  # agents leaving clear the queue of a closed channel


@dataclass(frozen=True)
class DepartmentRules:
    """When a department works its normal hours (``None``: always)."""

    hours: tuple[float, float] | None = None
