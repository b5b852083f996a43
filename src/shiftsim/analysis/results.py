"""Results of a run: per-replication KPIs and their summaries across replications.

The tables per interval and per day are in :mod:`shiftsim.analysis.intervals`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shiftsim.analysis.intervals import IntervalTables
from shiftsim.analysis.metrics import (
    GOAL_TOLERANCE,
    TARGET_FIELDS,
    ReplicationMetrics,
    meets,
)
from shiftsim.analysis.statistics import Estimate, mean_ci, ratio_ci, wilson
from shiftsim.model.formats import percent
from shiftsim.model.scenario import Scenario, Target

__all__ = ["REQUIREMENT_COLUMNS", "RunResult", "plural_period", "verdict"]

REQUIREMENT_COLUMNS: tuple[str, ...] = (
    "target", "target_index", "per", "period", "goal", "value", "low", "high", "required",
    "met", "verdict", "judged", "eligible", "service_level", "service_level_low",
    "service_level_high",
)  # fmt: skip
"""Columns of :meth:`RunResult.requirements`, in order."""


_NOT_STORED = "no per-period counts in these results (written by an older shiftsim)"
_SEVERITY = {"missed": 0, "at risk": 1, "no CI": 2, "likely met": 3}


def verdict(low: float, high: float, required: float) -> str:
    """How sure a requirement is met, from the 95% interval of its value.

    ``"likely met"`` when the interval's low end clears ``required``,
    ``"missed"`` when its high end is below it, ``"at risk"`` when it
    straddles it, ``"no CI"`` without an interval (one replication).
    """
    if np.isnan(low) or np.isnan(high):
        return "no CI"
    if low >= required - GOAL_TOLERANCE:
        return "likely met"
    if high < required - GOAL_TOLERANCE:
        return "missed"
    return "at risk"


@dataclass
class RunResult(IntervalTables):
    """What ``shiftsim run`` produced.

    The per-interval and per-day tables (``intervals``, ``target_intervals``,
    ``shift_intervals``, ``backlog``) come from
    :class:`~shiftsim.analysis.intervals.IntervalTables`.

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
    on_duty_by_day
        ``[day, shift]`` over the horizon: agents present (rostered and not
        absent), the mean over the finished replications.
    rostered_by_day
        ``[day, shift]``: agents the rotation rosters (the same in every
        replication).
    headcount
        People employed per shift.
    """

    scenario: Scenario
    metrics: list[ReplicationMetrics]
    requested: int
    wall_time: float = 0.0
    on_duty_by_day: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    rostered_by_day: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
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
        span = (scenario, -cal.warmup_days, cal.arrival_days + cal.drain_days, cal.end)
        horizon = slice(cal.warmup_days, cal.warmup_days + cal.days)
        roster = build_roster(*span)
        rostered = roster.rostered_by_day[horizon]
        present = rostered.astype(float)
        if metrics and any(p.absence > 0 for p in scenario.pools.values()):
            # Absence is drawn per replication: rebuild each one's roster (same seed, same draws).
            present = np.mean(
                [build_roster(*span, m.index).on_duty_by_day[horizon] for m in metrics], axis=0
            )
        return cls(
            scenario=scenario,
            metrics=sorted(metrics, key=lambda m: m.index),
            requested=requested,
            wall_time=wall_time,
            on_duty_by_day=present,
            rostered_by_day=rostered,
            headcount=roster.headcount(),
            shift_names=roster.shift_names,
        )

    @property
    def interrupted(self) -> bool:
        return len(self.metrics) < self.requested

    @property
    def replications(self) -> int:
        return len(self.metrics)

    @property
    def kpis(self) -> str:
        """What the replications computed: ``"all"``, or ``"targets"`` (target counts only)."""
        return self.metrics[0].kpis if self.metrics else "all"

    def _stack(self, name: str) -> np.ndarray:
        if name not in TARGET_FIELDS and self.kpis != "all":
            raise ValueError(
                f"this run computed the target counts only (kpis={self.kpis!r}); "
                f"run it with kpis='all' for {name!r}"
            )
        return np.stack([getattr(m, name) for m in self.metrics])

    # -- targets -------------------------------------------------------------
    def confidence(self, target: Target) -> float:
        """The probability a target's periods (or days) must reach: its own or the scenario's."""
        if target.confidence is not None:
            return target.confidence
        return self.scenario.staffing.confidence

    def target_estimates(self) -> list[tuple[Estimate, Estimate]]:
        """Per target: (service level, probability that a day meets the goal)."""
        elig = self._stack("target_eligible")  # [rep, target, day]
        met = self._stack("target_met")
        out = []
        for k, t in enumerate(self.scenario.resolved_targets):
            sl = _clip01(ratio_ci(met[:, k].sum(axis=1), elig[:, k].sum(axis=1)))
            p, _ = _p_meet(elig[:, k], met[:, k], t.goal)
            out.append((sl, p))
        return out

    def requirements(self) -> pd.DataFrame:
        """One row per judged (target, period): is the requirement met, and how surely.

        A ``per: period`` target gives a row per period it covers: ``value`` is
        P(period meets goal), the share of simulated (day, period) pairs whose
        contacts reached the goal (each replication's share, averaged), with a
        95% interval never narrower than the pooled Wilson interval;
        ``required`` is the target's ``confidence`` (default
        ``staffing.confidence``). ``per: day`` gives one row, ``period="day"``,
        judged the same way on whole days. ``per: horizon`` gives one row,
        ``period="horizon"``: ``value`` is the service level over the whole
        horizon and ``required`` the goal. ``met`` is ``value >= required``;
        ``verdict`` reads the interval (see :func:`verdict`); ``judged`` counts
        the (day, period) pairs judged over all replications (for ``per:
        horizon``, the replications with an eligible contact); ``eligible`` is
        the mean eligible contacts per replication and ``service_level*`` their
        pooled service level with its interval.

        Periods without any eligible contact are not judged: they are listed
        in ``frame.attrs["skipped"]`` as ``(target, period, reason)``.
        """
        rows: list[dict[str, Any]] = []
        skipped: list[tuple[str, str, str]] = []
        names = list(self.scenario.reporting.periods)
        day_e, day_m = self._stack("target_eligible"), self._stack("target_met")
        per_e, per_m = self._stack("period_eligible"), self._stack("period_met")
        stored = per_e.shape[-1] == len(names)  # folders of older versions lack them
        for k, t in enumerate(self.scenario.resolved_targets):
            if t.per == "period":
                cells = []
                for name in t.periods or names:
                    if not stored:
                        skipped.append((t.label, name, _NOT_STORED))
                        continue
                    j = names.index(name)
                    cells.append((name, per_e[:, k, :, j], per_m[:, k, :, j]))
            else:
                cells = [(t.per, day_e[:, k], day_m[:, k])]
            for name, e, m in cells:
                if not (e > 0).any():
                    skipped.append((t.label, name, "no eligible contact"))
                    continue
                rows.append(self._requirement(k, t, name, e, m))
        frame = pd.DataFrame(rows, columns=list(REQUIREMENT_COLUMNS))
        frame.attrs["skipped"] = skipped
        return frame

    def _requirement(
        self, k: int, t: Target, period: str, e: np.ndarray, m: np.ndarray
    ) -> dict[str, Any]:
        """One row of :meth:`requirements` from ``[replication, day]`` counts."""
        sl = _clip01(ratio_ci(m.sum(axis=1), e.sum(axis=1)))
        if t.per == "horizon":
            value, required = sl, t.goal
            met = bool(meets(m.sum(), e.sum(), t.goal))
            judged = int((e.sum(axis=1) > 0).sum())
        else:
            value, judged = _p_meet(e, m, t.goal)
            required = self.confidence(t)
            met = bool(value.mean >= required - GOAL_TOLERANCE)
        return {
            "target": t.label, "target_index": k, "per": t.per, "period": period,
            "goal": t.goal, "value": value.mean, "low": value.low, "high": value.high,
            "required": required, "met": met,
            "verdict": verdict(value.low, value.high, required), "judged": judged,
            "eligible": float(e.sum(axis=1).mean()), "service_level": sl.mean,
            "service_level_low": sl.low, "service_level_high": sl.high,
        }  # fmt: skip

    def targets(self) -> pd.DataFrame:
        """One row per target: service level, P(day meets goal), and its worst period.

        ``service_level*`` and ``p_meet*`` are over the whole horizon and whole
        days, as before periods existed. ``worst_period`` is the judged row of
        :meth:`requirements` with the worst verdict (missed, at risk, no CI,
        likely met) and among those the lowest value (``"day"``/``"horizon"``
        for those targets), with ``worst_value``, ``worst_low``, ``worst_high``,
        ``required``, ``verdict`` and ``status``, a sentence such as
        ``"missed: 13% of nights, needs 90%"``.
        """
        rows: list[dict[str, Any]] = []
        elig = self._stack("target_eligible")
        req = self.requirements()
        for t, (sl, p) in zip(self.scenario.resolved_targets, self.target_estimates(), strict=True):
            k = len(rows)
            mine = req[req["target_index"] == k]
            # The surest failure first (a missed period outranks a lower one at
            # risk, so the status never reads better than a period's verdict),
            # then the lowest value, then the lowest low end.
            ranked = mine.dropna(subset=["value"]).assign(severity=mine["verdict"].map(_SEVERITY))
            ranked = ranked.sort_values(["severity", "value", "low"], kind="stable")
            worst = ranked.iloc[0] if len(ranked) else None
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
                    "per": t.per,
                    **_worst(t, worst, self.confidence(t)),
                }
            )
        return pd.DataFrame(rows)

    # -- channels ------------------------------------------------------------
    def channels(self) -> pd.DataFrame:
        """Per channel: volume, bot containment, abandonment, ASA and escalations.

        Each KPI is three columns: its mean over replications and the 95%
        interval, ``_low`` and ``_high`` (``offered_per_rep``,
        ``containment``, ``abandonment``, ``asa_s``, ``escalation_share``,
        ``dept_delay_s``, ``dept_late_share``, ``repeat_share``,
        ``first_contact_resolution``). ASA is NaN for async channels; the last
        two are NaN in results written before repeat contacts were simulated.
        """
        rows: list[dict[str, Any]] = []
        s = {n: self._stack(n) for n in (
            "offered", "customers", "bot_offered", "deflected", "queued", "answered",
            "abandoned", "wait_sum", "escalated", "dept_late", "dept_delay_sum", "dept_answered",
        )}  # fmt: skip
        nan = Estimate(np.nan, np.nan, np.nan, 0)
        counts = [m.repeat_counts for m in self.metrics if m.repeat_counts is not None]
        repeats = np.stack(counts) if counts and len(counts) == len(self.metrics) else None
        for j, name in enumerate(self.scenario.channels):
            col = {k: v[:, j] for k, v in s.items()}
            share, fcr = nan, nan
            if repeats is not None:
                share = _clip01(ratio_ci(repeats[:, 1, j], repeats[:, 0, j]))
                fcr = _clip01(ratio_ci(repeats[:, 3, j], repeats[:, 2, j]))
            # Counts and times cannot be negative: their t intervals are cut at zero.
            asa = _clip01(ratio_ci(col["wait_sum"], col["answered"]), upper=np.inf)
            rows.append(
                {
                    "channel": name,
                    **_columns("offered_per_rep", _clip01(mean_ci(col["offered"]), upper=np.inf)),
                    **_columns(
                        "containment", _clip01(ratio_ci(col["deflected"], col["bot_offered"]))
                    ),
                    **_columns("abandonment", _clip01(ratio_ci(col["abandoned"], col["queued"]))),
                    **_columns("asa_s", asa if self.scenario.channels[name].synchronous else nan),
                    **_columns(
                        "escalation_share", _clip01(ratio_ci(col["escalated"], col["answered"]))
                    ),
                    **_columns(
                        "dept_delay_s",
                        _clip01(ratio_ci(col["dept_delay_sum"], col["dept_answered"]), np.inf),
                    ),
                    **_columns(
                        "dept_late_share", _clip01(ratio_ci(col["dept_late"], col["escalated"]))
                    ),
                    **_columns("repeat_share", share),
                    **_columns("first_contact_resolution", fcr),
                }
            )
        return pd.DataFrame(rows)

    def shifts(self) -> pd.DataFrame:
        """Per pool and shift: headcount, agents on duty per day, occupancy, overtime.

        ``rostered_per_day`` is the mean number the rotation puts on duty per
        day of the horizon; ``on_duty_per_day`` the mean number present (the
        rostered less random absence, over days and replications). Both count
        an agent for the whole shift: shrinkage is not taken off.
        ``occupancy`` (busy time / time on duty) and ``overtime_h_per_day``
        come with their 95% interval, ``_low`` and ``_high``.
        """
        busy, avail, ot = self._stack("busy"), self._stack("available"), self._stack("overtime")
        days = self.scenario.horizon.days
        rows: list[dict[str, Any]] = []
        for j, (pool, shift) in enumerate(self.shift_names):
            rows.append(
                {
                    "pool": pool,
                    "shift": shift,
                    "headcount": int(self.headcount[j]),
                    "rostered_per_day": float(self.rostered_by_day[:, j].mean()),
                    "on_duty_per_day": float(self.on_duty_by_day[:, j].mean()),
                    **_columns("occupancy", _clip01(ratio_ci(busy[:, j], avail[:, j]))),
                    **_columns(
                        "overtime_h_per_day",
                        _clip01(mean_ci(ot[:, j] / 3600 / days), upper=np.inf),
                    ),
                }
            )
        return pd.DataFrame(rows)


def _p_meet(elig: np.ndarray, met: np.ndarray, goal: float) -> tuple[Estimate, int]:
    """P(a day or period meets the goal) from ``[replication, day]`` counts, and the units judged.

    Each replication's share of its judged units (those with an eligible
    contact), averaged over replications. Replications that happen to agree
    (every one 11 of 14 days) give a zero-width t interval: false certainty;
    the interval is never narrower than the Wilson interval of all judged
    units pooled.
    """
    has = elig > 0
    ok = meets(met, elig, goal)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_rep = ok.sum(axis=1) / has.sum(axis=1)  # NaN for a replication with nothing judged
    p = _clip01(mean_ci(per_rep))
    _, w_lo, w_hi = wilson(np.array(ok.sum()), np.array(has.sum()))
    if not np.isnan(p.low):
        p = Estimate(p.mean, min(p.low, float(w_lo)), max(p.high, float(w_hi)), p.n)
    return p, int(has.sum())


def _worst(t: Target, worst: pd.Series | None, confidence: float) -> dict[str, Any]:
    """The ``worst_*``, ``required``, ``verdict`` and ``status`` columns of ``targets()``."""
    required = t.goal if t.per == "horizon" else confidence
    if worst is None:
        return {"worst_period": "", "worst_value": np.nan, "worst_low": np.nan,
                "worst_high": np.nan, "required": required, "verdict": "not judged",
                "status": "not judged: no eligible contact"}  # fmt: skip
    value, judged = float(worst["value"]), str(worst["verdict"])
    digits = 1 if percent(value, 0) == percent(required, 0) and value != required else 0
    share = percent(value, digits)
    if t.per == "horizon":
        what = f"service level {share}"
    elif t.per == "day":
        what = f"{share} of days"
    else:
        what = f"{share} of {plural_period(str(worst['period']))}"
    return {
        "worst_period": worst["period"], "worst_value": value, "worst_low": worst["low"],
        "worst_high": worst["high"], "required": required, "verdict": judged,
        "status": f"{judged}: {what}, needs {percent(required, _digits(required))}",
    }  # fmt: skip


def _digits(share: float) -> int:
    """Decimals that write a required share exactly enough (90%, 92.5%)."""
    return 0 if abs(100 * share - round(100 * share)) < 1e-9 else 1


def plural_period(period: str) -> str:
    """``nights`` for ``night``; ``day periods`` (``days`` would read as whole days)."""
    if period == "day":
        return "day periods"
    if period.isalpha() and not period.endswith("s"):
        return f"{period}s"
    return f"{period!r} periods"


def _columns(name: str, e: Estimate) -> dict[str, float]:
    """An estimate as the three columns of a tidy table: ``name``, ``name_low``, ``name_high``."""
    return {name: float(e.mean), f"{name}_low": float(e.low), f"{name}_high": float(e.high)}


def _clip01(e: Estimate, upper: float = 1.0) -> Estimate:
    """Cut an interval to the range its quantity can take ([0, 1] for shares)."""
    lo = e.low if np.isnan(e.low) else max(0.0, e.low)
    hi = e.high if np.isnan(e.high) else min(upper, e.high)
    return Estimate(e.mean, lo, hi, e.n)
