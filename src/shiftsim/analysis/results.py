"""Results of a run: per-replication KPIs and their summaries across replications."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shiftsim.analysis.metrics import PERCENTILES, ReplicationMetrics
from shiftsim.analysis.statistics import Estimate, mean_ci, mean_ci_axis, ratio_ci, wilson
from shiftsim.model.names import PRIORITIES
from shiftsim.model.scenario import Scenario

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

    @classmethod
    def from_metrics(
        cls,
        scenario: Scenario,
        metrics: list[ReplicationMetrics],
        requested: int,
        wall_time: float = 0.0,
    ) -> RunResult:
        """Assemble a result from replication KPIs (roster facts are recomputed)."""
        from shiftsim.sim.arrivals import Calendar
        from shiftsim.sim.roster import build_roster

        cal = Calendar.of(scenario)
        roster = build_roster(
            scenario, -cal.warmup_days, cal.arrival_days + cal.drain_days, cal.end
        )
        return cls(
            scenario=scenario,
            metrics=sorted(metrics, key=lambda m: m.index),
            requested=requested,
            wall_time=wall_time,
            on_duty_by_day=roster.on_duty_by_day[cal.warmup_days : cal.warmup_days + cal.days],
            headcount=roster.headcount(),
            shift_names=roster.shift_names,
        )

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
            has = elig[:, k] > 0
            days_met = ((day_sl >= t.goal - 1e-12) & has).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                per_rep = days_met / has.sum(axis=1)  # NaN for a replication with no eligible day
            p = _clip01(mean_ci(per_rep))
            # Replications that happen to agree (every one 11 of 14 days) give a
            # zero-width t interval: false certainty. The interval shown is never
            # narrower than the Wilson interval of all simulated days pooled.
            _, w_lo, w_hi = wilson(np.array(days_met.sum()), np.array(has.sum()))
            if not np.isnan(p.low):
                p = Estimate(p.mean, min(p.low, float(w_lo)), max(p.high, float(w_hi)), p.n)
            out.append((sl, p))
        return out

    def targets(self) -> pd.DataFrame:
        """One row per target: service level and probability of meeting the goal, with CIs."""
        rows: list[dict[str, Any]] = []
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
        rows: list[dict[str, Any]] = []
        s = {n: self._stack(n) for n in (
            "offered", "customers", "bot_offered", "deflected", "queued", "answered",
            "abandoned", "wait_sum", "escalated", "dept_late", "dept_delay_sum", "dept_answered",
        )}  # fmt: skip
        for j, name in enumerate(self.scenario.channels):
            col = {k: v[:, j] for k, v in s.items()}
            rows.append(
                {
                    "channel": name,
                    "offered_per_rep": _est(mean_ci(col["offered"])),
                    "containment": _est(_clip01(ratio_ci(col["deflected"], col["bot_offered"]))),
                    "abandonment": _est(_clip01(ratio_ci(col["abandoned"], col["queued"]))),
                    "asa_s": _est(ratio_ci(col["wait_sum"], col["answered"]))
                    if self.scenario.channels[name].synchronous
                    else (np.nan, np.nan, np.nan),
                    "escalation_share": _est(_clip01(ratio_ci(col["escalated"], col["answered"]))),
                    "dept_delay_s": _est(ratio_ci(col["dept_delay_sum"], col["dept_answered"])),
                    "dept_late_share": _est(_clip01(ratio_ci(col["dept_late"], col["escalated"]))),
                }
            )
        return pd.DataFrame(rows)

    def shifts(self) -> pd.DataFrame:
        """Per pool and shift: headcount, mean agents on duty per day, occupancy, overtime."""
        busy, avail, ot = self._stack("busy"), self._stack("available"), self._stack("overtime")
        days = self.scenario.horizon.days
        rows: list[dict[str, Any]] = []
        for j, (pool, shift) in enumerate(self.shift_names):
            rows.append(
                {
                    "pool": pool,
                    "shift": shift,
                    "headcount": int(self.headcount[j]),
                    "on_duty_per_day": float(self.on_duty_by_day[:, j].mean()),
                    "occupancy": _est(_clip01(ratio_ci(busy[:, j], avail[:, j]))),
                    "overtime_h_per_day": _est(
                        _clip01(mean_ci(ot[:, j] / 3600 / days), upper=np.inf)
                    ),
                }
            )
        return pd.DataFrame(rows)

    # -- per interval and per day ------------------------------------------------
    def _times(self, n: int, step: float) -> pd.DatetimeIndex:
        start = pd.Timestamp(self.scenario.horizon.start)
        return start + pd.to_timedelta(np.arange(n) * step, unit="s")

    def intervals(self, per: str = "interval") -> pd.DataFrame:
        """Per interval (or ``per="day"``), channel and priority: volumes and waits.

        Columns: ``start``, ``channel``, ``priority``, then for each KPI its
        mean across replications and 95% CI (``_low``/``_high``): ``offered``,
        ``deflected``, ``answered`` (got a first response), ``abandoned``,
        ``asa_s`` (mean time to first response of those answered) and the wait
        percentiles ``wait_p50_s`` ... (means of the per-replication percentiles).
        Cells nobody arrived in have NaN waits.
        """
        step, group = self._grouping(per)
        cols: dict[str, np.ndarray] = {}
        counts = {k: self._regroup(self._stack(f"iv_{k}"), group)
                  for k in ("offered", "deflected", "answered", "abandoned",
                            "wait_sum")}  # fmt: skip
        for k in ("offered", "deflected", "answered", "abandoned"):
            cols[k], cols[f"{k}_low"], cols[f"{k}_high"] = _nonneg(mean_ci_axis(counts[k]))
        with np.errstate(invalid="ignore", divide="ignore"):
            asa = counts["wait_sum"] / counts["answered"]
        cols["asa_s"], cols["asa_s_low"], cols["asa_s_high"] = _nonneg(mean_ci_axis(asa))
        pct = self._stack("day_wait_pct" if per == "day" else "iv_wait_pct")
        for j, q in enumerate(PERCENTILES):
            name = f"wait_p{q:g}_s"
            cols[name], cols[f"{name}_low"], cols[f"{name}_high"] = _nonneg(
                mean_ci_axis(pct[..., j])
            )
        n = cols["offered"].shape[0]
        times = self._times(n, step)
        chans = list(self.scenario.channels)
        idx = pd.MultiIndex.from_product(
            [times, chans, PRIORITIES], names=["start", "channel", "priority"]
        )
        frame = pd.DataFrame({k: v.reshape(-1) for k, v in cols.items()}, index=idx).reset_index()
        # Leave out channel x priority cells that never have any contact.
        mix = {(c, p) for c, ch in self.scenario.channels.items() for p in PRIORITIES
               if ch.priorities.get(p, 0) > 0}  # type: ignore[call-overload]  # fmt: skip
        keep = [(c, p) in mix for c, p in zip(frame["channel"], frame["priority"], strict=True)]
        return frame[keep].reset_index(drop=True)

    def target_intervals(self, per: str = "interval") -> pd.DataFrame:
        """Per interval (or day) and target: service level and P(goal met).

        ``service_level`` is the mean over replications of that interval's
        service level (with a t interval); ``p_meet`` is the share of
        replications in which the interval's service level reached the goal,
        with a Wilson interval (replications are independent). Intervals with
        no eligible contact in a replication do not count for it.
        """
        step, _ = self._grouping(per)
        if per == "day":
            elig, met = self._stack("target_eligible"), self._stack("target_met")
        else:
            elig, met = self._stack("iv_target_eligible"), self._stack("iv_target_met")
        rows: list[dict[str, Any]] = []
        times = self._times(elig.shape[2], step)
        for k, t in enumerate(self.scenario.resolved_targets):
            with np.errstate(invalid="ignore", divide="ignore"):
                sl = np.where(elig[:, k] > 0, met[:, k] / elig[:, k], np.nan)
            m, lo, hi = mean_ci_axis(sl)
            has = ~np.isnan(sl)
            ok = (sl >= t.goal - 1e-12) & has
            p, plo, phi = wilson(ok.sum(axis=0), has.sum(axis=0))
            rows.append(pd.DataFrame({
                "start": times, "target": t.label, "channel": t.channel, "goal": t.goal,
                "eligible": elig[:, k].mean(axis=0),
                "service_level": m, "service_level_low": np.clip(lo, 0, 1),
                "service_level_high": np.clip(hi, 0, 1),
                "p_meet": p, "p_meet_low": plo, "p_meet_high": phi,
            }))  # fmt: skip
        return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()

    def shift_intervals(self) -> pd.DataFrame:
        """Per interval and shift: agents on duty (after shrinkage), busy agents, occupancy."""
        step = self.scenario.reporting.interval
        busy = np.round(self._stack("iv_busy"), 6) / step  # agents busy on average
        duty = self._stack("iv_on_duty") / step
        with np.errstate(invalid="ignore", divide="ignore"):
            occ = np.where(duty > 0, busy / duty, np.nan)
        times = self._times(busy.shape[1], step)
        rows: list[dict[str, Any]] = []
        for j, (pool, shift) in enumerate(self.shift_names):
            b, blo, bhi = _nonneg(mean_ci_axis(busy[:, :, j]))
            o, olo, ohi = _nonneg(mean_ci_axis(occ[:, :, j]))
            rows.append(pd.DataFrame({
                "start": times, "pool": pool, "shift": shift, "on_duty": duty[0, :, j],
                "busy": b, "busy_low": blo, "busy_high": bhi,
                "occupancy": o, "occupancy_low": olo, "occupancy_high": ohi,
            }))  # fmt: skip
        return pd.concat(rows, ignore_index=True)

    def backlog(self) -> pd.DataFrame:
        """Deferrable work (async messages, cases to close) waiting at each interval's end."""
        step = self.scenario.reporting.interval
        b = self._stack("iv_backlog")
        times = self._times(b.shape[1], step) + pd.Timedelta(seconds=step)
        rows: list[dict[str, Any]] = []
        for j, name in enumerate(self.scenario.channels):
            m, lo, hi = mean_ci_axis(b[:, :, j])
            rows.append(pd.DataFrame({"at": times, "channel": name, "backlog": m,
                                      "backlog_low": np.maximum(lo, 0),
                                      "backlog_high": hi}))  # fmt: skip
        return pd.concat(rows, ignore_index=True)

    def _grouping(self, per: str) -> tuple[float, int]:
        step = self.scenario.reporting.interval
        if per == "interval":
            return step, 1
        if per == "day":
            return 86400.0, int(round(86400.0 / step))
        raise ValueError(f"per must be 'interval' or 'day' (got {per!r})")

    @staticmethod
    def _regroup(a: np.ndarray, group: int) -> np.ndarray:
        """Sum consecutive intervals (axis 1) in groups of ``group``."""
        if group == 1:
            return a
        r, n = a.shape[0], a.shape[1]
        return a.reshape(r, n // group, group, *a.shape[2:]).sum(axis=2)


def _nonneg(
    est: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A t interval for a quantity that cannot be negative, cut at zero."""
    m, lo, hi = est
    return m, np.maximum(lo, 0.0), hi


def _est(e: Estimate) -> tuple[float, float, float]:
    return (e.mean, e.low, e.high)


def _clip01(e: Estimate, upper: float = 1.0) -> Estimate:
    """Cut an interval to the range its quantity can take ([0, 1] for shares)."""
    lo = e.low if np.isnan(e.low) else max(0.0, e.low)
    hi = e.high if np.isnan(e.high) else min(upper, e.high)
    return Estimate(e.mean, lo, hi, e.n)
