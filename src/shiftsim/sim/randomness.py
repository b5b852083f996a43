"""Random streams: one user seed, one child stream per replication and source.

Replication ``r`` draws source ``s`` for key ``k`` (usually a channel name) from
``SeedSequence(seed, spawn_key=(r, s, crc32(k)))``. Streams therefore do not
depend on the number of worker processes, on the order in which channels are
written, or on staffing: two plans run with the same seed see the same
customers with the same needs (common random numbers), and agent ``k`` of a
shift is absent on the same days in both (the absence stream is keyed by pool
and shift).
"""

from __future__ import annotations

import zlib
from enum import IntEnum

import numpy as np

__all__ = ["Source", "stream"]


class Source(IntEnum):
    """What a random stream is used for; each gets its own child stream."""

    DAILY = 1
    ARRIVALS = 2
    PRIORITY = 3
    VIP = 4
    HANDLE = 5
    PATIENCE = 6
    BOT = 7
    ESCALATION = 8
    RETRY = 9
    ABSENCE = 10  # keyed by pool and shift: who is away on which day
    WRAP_UP = 11  # after-call work of each contact, keyed by channel
    REPEAT = 12  # repeat contacts: who comes back, when, with what (sim/work.py)


def stream(seed: int, replication: int, source: Source, key: str = "") -> np.random.Generator:
    """Return the generator for one replication, source and key."""
    seq = np.random.SeedSequence(
        seed, spawn_key=(replication, int(source), zlib.crc32(key.encode()))
    )
    return np.random.Generator(np.random.PCG64(seq))
