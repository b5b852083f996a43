"""The per-row columns of a run: what the engine writes, and what a row brings.

Per-row columns are numpy arrays read and written through memoryviews (as fast
as an ``array``, a third of a numpy scalar's cost), handed to the log without
a copy. Outputs start as (dtype, fill); inputs are the customer's values (a
retry row repeats them).
"""

from __future__ import annotations

import math

__all__ = ["INPUTS", "OUTPUTS"]

OUTPUTS: dict[str, tuple[str, float]] = {
    "department": ("i1", -1), "bot_end": ("f8", math.nan), "queued": ("f8", math.nan),
    "answered": ("f8", math.nan), "handled": ("f8", math.nan), "abandoned": ("f8", math.nan),
    "dept_response": ("f8", math.nan), "closing_start": ("f8", math.nan),
    "resolved": ("f8", math.nan), "agent": ("i4", -1), "closing_agent": ("i4", -1),
    "wrap_up": ("f4", math.nan),
}  # fmt: skip
INPUTS = ("handle", "dept_delay", "dept_delay_off", "closing", "due", "wrap")
