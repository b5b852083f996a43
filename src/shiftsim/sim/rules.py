"""What the engine needs to know about channels, pools and departments: plain rules.

``sim/replication.py`` translates a scenario into these; the engine reads
nothing else of it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["FULL", "ChannelRules", "DepartmentRules", "PoolRules", "Sampler"]

FULL = 2520
"""Capacity units of one agent: divisible by every chat concurrency 1..10."""

Sampler = Callable[[np.random.Generator, int], np.ndarray]


@dataclass(frozen=True)
class ChannelRules:
    """What the engine needs to know about a channel."""

    sync: bool  # a customer waits (voice, chat) rather than a message (async)
    weight: int  # capacity units one contact takes (FULL, or FULL // concurrency)
    retry_share: float = 0.0
    max_attempts: int = 1
    retry_delay: Sampler | None = None
    patience: Sampler | None = None  # for retry attempts
    resolution_due: tuple[float, float, float] = (math.inf, math.inf, math.inf)
    escalates: bool = False  # some contacts need a department (closing work follows)
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
