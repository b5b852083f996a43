"""Results of a run: per-replication KPIs and their summaries across replications."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .metrics import ReplicationMetrics
from .scenario import Scenario
from .statistics import Estimate, mean_ci, ratio_ci

__all__ = ["RunResult"]


@dataclass
class RunResult:
    """What ``shiftsim run`` produced.

    Attributes
    ----------
    scenario
        The scenario as run (after command-line overrides).
    metrics
        One entry per finished replication, in replication order.
    requested
        Replications asked for; fewer finished if the run was interrupted.
    wall_time
        Seconds spent simulating.
    """

    scenario: Scenario
    metrics: list[ReplicationMetrics]
    requested: int
    wall_time: float = 0.0
    on_duty_by_day: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    headcount: np.ndarray = field(default_factory=lambda: np.zeros(0))
    shift_names: tuple[tuple[str, str], ...] = ()

    @property
    def interrupted(self) -> bool:
        return len(self.metrics) < self.requested

    @property
    def replications(self) -> int:
        return len(self.metrics)

    def _stack(self, name: str) -> np.ndarray:
        return np.stack([getattr(m, name) for m in self.metrics])

    # -- targets -------------------------------------------------------------
    def target_estimates(self) -> list[tuple[Estimate, Estimate]]:
        """Per target: (service level, probability that a day meets the goal)."""
        elig = self._stack("target_eligible")  # [rep, target, day]
        met = self._stack("target_met")
        out = []
        for k, t in enumerate(self.scenario.resolved_targets):
            sl = _clip01(ratio_ci(met[:, k].sum(axis=1), elig[:, k].sum(axis=1)))
            with np.errstate(invalid="ignore", divide="ignore"):
                day_sl = met[:, k] / elig[:, k]
            ok = np.where(elig[:, k] > 0, day_sl >= t.goal - 1e-12, np.nan)
            per_rep = np.nanmean(np.where(np.isnan(ok), np.nan, ok), axis=1) if ok.size else ok
            out.append((sl, _clip01(mean_ci(per_rep))))
        return out

    def targets(self) -> pd.DataFrame:
        """One row per target: service level and probability of meeting the goal, with CIs."""
        rows = []
        elig = self._stack("target_eligible")
        for t, (sl, p) in zip(self.scenario.resolved_targets, self.target_estimates(), strict=True):
            k = len(rows)
            rows.append(
                {
                    "target": t.label,
                    "channel": t.channel,
                    "priority": t.priority,
                    "kind": t.kind,
                    "within_s": t.within,
                    "goal": t.goal,
                    "service_level": sl.mean,
                    "service_level_low": sl.low,
                    "service_level_high": sl.high,
                    "p_meet": p.mean,
                    "p_meet_low": p.low,
                    "p_meet_high": p.high,
                    "contacts_per_rep": float(elig[:, k].sum(axis=1).mean()),
                    "days_evaluated": int((elig[:, k] > 0).sum()),
                }
            )
        return pd.DataFrame(rows)

    # -- channels ------------------------------------------------------------
    def channels(self) -> pd.DataFrame:
        """Per channel: volume, bot containment, abandonment, ASA and escalations."""
        rows = []
        s = {n: self._stack(n) for n in (
            "offered", "customers", "bot_offered", "deflected", "queued", "answered",
            "abandoned", "wait_sum", "escalated", "dept_late", "dept_delay_sum",
        )}  # fmt: skip
        for j, name in enumerate(self.scenario.channels):
            col = {k: v[:, j] for k, v in s.items()}
            rows.append(
                {
                    "channel": name,
                    "offered_per_rep": _est(mean_ci(col["offered"])),
                    "containment": _est(_clip01(ratio_ci(col["deflected"], col["bot_offered"]))),
                    "abandonment": _est(_clip01(ratio_ci(col["abandoned"], col["queued"]))),
                    "asa_s": _est(ratio_ci(col["wait_sum"], col["answered"])),
                    "escalation_share": _est(_clip01(ratio_ci(col["escalated"], col["answered"]))),
                    "dept_delay_s": _est(ratio_ci(col["dept_delay_sum"], col["escalated"])),
                    "dept_late_share": _est(_clip01(ratio_ci(col["dept_late"], col["escalated"]))),
                }
            )
        return pd.DataFrame(rows)

    def shifts(self) -> pd.DataFrame:
        """Per pool and shift: headcount, mean agents on duty per day, occupancy, overtime."""
        busy, avail, ot = self._stack("busy"), self._stack("available"), self._stack("overtime")
        days = self.scenario.horizon.days
        rows = []
        for j, (pool, shift) in enumerate(self.shift_names):
            rows.append(
                {
                    "pool": pool,
                    "shift": shift,
                    "headcount": int(self.headcount[j]),
                    "on_duty_per_day": float(self.on_duty_by_day[:, j].mean()),
                    "occupancy": _est(_clip01(ratio_ci(busy[:, j], avail[:, j]))),
                    "overtime_h_per_day": _est(mean_ci(ot[:, j] / 3600 / days)),
                }
            )
        return pd.DataFrame(rows)


def _est(e: Estimate) -> tuple[float, float, float]:
    return (e.mean, e.low, e.high)


def _clip01(e: Estimate) -> Estimate:
    lo = e.low if np.isnan(e.low) else max(0.0, e.low)
    hi = e.high if np.isnan(e.high) else min(1.0, e.high)
    return Estimate(e.mean, lo, hi, e.n)
