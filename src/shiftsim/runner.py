"""Run replications of a scenario and collect their KPIs."""

from __future__ import annotations

import time
from collections.abc import Callable

from .arrivals import Calendar
from .metrics import ReplicationMetrics, measure
from .replication import run_replication
from .results import RunResult
from .roster import build_roster
from .scenario import Scenario

__all__ = ["replicate", "run"]


def replicate(scenario: Scenario, index: int) -> ReplicationMetrics:
    """Simulate replication ``index`` and return its KPIs (picklable)."""
    return measure(run_replication(scenario, index), scenario)


def run(
    scenario: Scenario,
    progress: Callable[[int, int], None] | None = None,
) -> RunResult:
    """Run ``scenario.replications`` replications, one after another.

    ``progress(done, total)`` is called after each replication. On Ctrl-C the
    replications already finished are kept and the result is marked as
    interrupted.
    """
    total = scenario.replications
    calendar = Calendar.of(scenario)
    roster = build_roster(
        scenario, -calendar.warmup_days, calendar.arrival_days + calendar.drain_days, calendar.end
    )
    on_duty = roster.on_duty_by_day[calendar.warmup_days : calendar.warmup_days + calendar.days]
    result = RunResult(
        scenario=scenario,
        metrics=[],
        requested=total,
        on_duty_by_day=on_duty,
        headcount=roster.headcount(),
        shift_names=roster.shift_names,
    )
    started = time.perf_counter()
    try:
        for r in range(total):
            result.metrics.append(replicate(scenario, r))
            if progress is not None:
                progress(r + 1, total)
    except KeyboardInterrupt:
        pass
    result.wall_time = time.perf_counter() - started
    return result
