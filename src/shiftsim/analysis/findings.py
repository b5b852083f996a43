"""What a run found, in words: each failing target, when, how badly, and its likely cause.

A planner reads the tables to find out *which* targets fail; this module says
it in sentences computed from a :class:`~shiftsim.analysis.results.RunResult`,
so the terminal, ``summary.md`` and the HTML report only render them. For each
target judged "missed" or "at risk" (:meth:`RunResult.targets`):

* **how badly**: its worst period's P(period meets goal) against the required
  probability, and the period's service level against the goal;
* **when**: the periods that fail, the days on which the worst one fails (in
  most replications), and its clock hours whose service level is below the goal;
* **likely cause**, the first of these checks that holds, each computed from
  the results:

  - *uncertain*: at risk only because the interval is wide: the estimate
    itself meets the requirement (more replications would settle it);
  - *backlog*: the channel's deferrable backlog at the end of the horizon is far
    above its first day's (work piles up faster than it is done and never
    recovers);
  - *surge*: the failing days are event days with raised volume;
  - *ramp*: the period's worst hour is the one before a shift starts, and the
    hour after the start meets the goal (arrivals rise before the agents come);
    *thin* when most other hours of the period miss too (short of agents
    throughout, the ramp only making its worst hour);
  - *occupancy*: a shift serving the channel in that period is more than
    :data:`HIGH_OCCUPANCY` busy.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from shiftsim.analysis.metrics import GOAL_TOLERANCE, meets
from shiftsim.analysis.results import RunResult, plural_period
from shiftsim.model.durations import DAY, HOUR, format_duration
from shiftsim.model.formats import percent
from shiftsim.model.scenario import Target

__all__ = ["HIGH_OCCUPANCY", "Cause", "Finding", "failing_targets", "findings"]

HIGH_OCCUPANCY = 0.9
"""A shift busier than this has no slack left to absorb a peak."""

_BACKLOG_RATIO = 3.0  # the end of the horizon is "far above" the first day: this many times...
_BACKLOG_SHARE = (
    0.05  # ...plus this share of a day's contacts (a few stray items are not a backlog)
)
_SURGE_SHARE = 0.75  # at least this share of the failing days are event days
_FAILS = 0.5  # a day (hour) fails when it misses the goal in most replications
_THIN = 2 / 3  # a period misses throughout when this share of its other hours miss too


@dataclass(frozen=True)
class Cause:
    """A likely cause: its kind (``uncertain``, ``backlog``, ``surge``, ``ramp``, ``thin``,
    ``occupancy``) and its phrase."""

    kind: str
    text: str


@dataclass(frozen=True)
class Finding:
    """One failing target, in words and in numbers (see the module docstring)."""

    target: str
    target_index: int
    verdict: str  # "missed", "at risk", or "no CI" (one replication, below the requirement)
    worst_period: str
    value: float  # the worst period's P(period meets goal) (per: horizon, its service level)
    required: float
    service_level: float  # the worst period's
    goal: float
    periods: tuple[str, ...]  # every period that fails, worst first
    days: tuple[dt.date, ...]  # days on which the worst period fails
    hours: tuple[int, ...]  # clock hours of the failing periods below the goal
    causes: tuple[Cause, ...] = field(default=())
    how_badly: str = ""
    when: str = ""

    @property
    def cause(self) -> Cause | None:
        """The likeliest cause, or None when no check holds."""
        return self.causes[0] if self.causes else None

    @property
    def verdict_words(self) -> str:
        """The verdict as a sentence says it (``no CI``: below the requirement, one replication)."""
        return "below its requirement, no interval" if self.verdict == "no CI" else self.verdict

    @property
    def text(self) -> str:
        """The finding as one paragraph."""
        cause = self.cause.text if self.cause else "none of the usual causes stands out"
        return (
            f"{self.target}: {self.verdict_words}, {self.how_badly}. {self.when}. "
            f"Likely cause: {cause}."
        )

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON."""
        out = asdict(self)
        out["days"] = [d.isoformat() for d in self.days]
        out["periods"], out["hours"] = list(self.periods), list(self.hours)
        out["causes"] = [asdict(c) for c in self.causes]
        out["text"] = self.text
        return out


_ORDER = {"missed": 0, "at risk": 1, "no CI": 2}
"""Findings come missed first, then at risk, then below without an interval."""


def _failing(rows: pd.DataFrame, value: str = "value") -> np.ndarray:
    """Rows judged missed or at risk, or without an interval (one replication) and below
    what is required: with one replication nothing is judged, but an estimate below the
    requirement is still reported, never passed over as if met."""
    if rows.empty:  # no targets (a table without columns)
        return np.zeros(len(rows), dtype=bool)
    verdicts = rows["verdict"]
    below = (verdicts == "no CI") & (
        rows[value].to_numpy(dtype=float) < rows["required"].to_numpy(dtype=float) - GOAL_TOLERANCE
    )
    out: np.ndarray = (verdicts.isin(["missed", "at risk"]) | below).to_numpy(dtype=bool)
    return out


def findings(result: RunResult) -> list[Finding]:
    """Every target judged "missed" or "at risk", missed first, then by its worst value.

    With one replication (no interval, verdict ``"no CI"``) the targets whose
    estimate is below what is required are findings too, last. Empty when
    every target is likely met (or the run has no replication). Hours and
    the backlog and ramp causes need the interval tables: a run with
    ``kpis="targets"`` gives findings without them.
    """
    if not result.replications:
        return []
    targets, req = result.targets(), result.requirements()
    ctx = _Context(result)
    out = []
    bad = _failing(targets, "worst_value")
    for k, t in enumerate(result.scenario.resolved_targets):
        if not bad[k]:
            continue
        mine = req[(req["target_index"] == k).to_numpy(dtype=bool) & _failing(req)]
        order = mine.assign(s=mine["verdict"].map(_ORDER))
        out.append(ctx.finding(k, t, order.sort_values(["s", "value"], kind="stable")))
    out.sort(key=lambda f: (_ORDER[f.verdict], f.value / max(f.required, 1e-9)))
    return out


def failing_targets(result: RunResult) -> list[int]:
    """Indices of the targets :func:`findings` reports: missed first, then by their worst value."""
    if not result.replications:
        return []
    targets = result.targets()
    bad = targets[_failing(targets, "worst_value")]
    order = bad.assign(s=bad["verdict"].map(_ORDER))
    return [int(i) for i in order.sort_values(["s", "worst_value"], kind="stable").index]


class _Context:
    """Arrays of a run that every finding reads, computed once."""

    def __init__(self, result: RunResult) -> None:
        self.result = result
        sc = result.scenario
        self.sc = sc
        self.days = [sc.horizon.start + dt.timedelta(days=d) for d in range(sc.horizon.days)]
        self.periods = list(sc.reporting.periods)
        self.has_intervals = result.kpis == "all"

        def stack(name: str) -> np.ndarray:
            return np.stack([getattr(m, name) for m in result.metrics])

        self.day_e, self.day_m = stack("target_eligible"), stack("target_met")
        self.per_e, self.per_m = stack("period_eligible"), stack("period_met")
        if self.has_intervals:
            self.iv_e, self.iv_m = stack("iv_target_eligible"), stack("iv_target_met")

    # Tables some causes read, computed once for all the findings.
    @functools.cached_property
    def backlog(self) -> pd.DataFrame:
        return self.result.backlog()

    @functools.cached_property
    def channels(self) -> pd.DataFrame:
        return self.result.channels().set_index("channel")

    @functools.cached_property
    def shifts(self) -> pd.DataFrame:
        return self.result.shifts()

    # -- the parts of a finding ----------------------------------------------------
    def finding(self, k: int, t: Target, failing: pd.DataFrame) -> Finding:
        worst = failing.iloc[0]
        period = str(worst["period"])
        periods = tuple(str(p) for p in failing["period"])
        days = self._failing_days(k, t, period)
        hour_sl = self._hour_service_level(k) if self.has_intervals else None
        windows = [self._hours_of(p) for p in periods]
        in_failing = sorted({h for w in windows for h in w})
        in_worst = windows[0]
        hours = (
            tuple(h for h in in_failing if hour_sl[h] < t.goal - 1e-9)
            if hour_sl is not None
            else ()
        )
        causes = self._causes(t, worst, days, hour_sl, in_worst)
        return Finding(
            target=t.label,
            target_index=k,
            verdict=str(worst["verdict"]),
            worst_period=period,
            value=float(worst["value"]),
            required=float(worst["required"]),
            service_level=float(worst["service_level"]),
            goal=t.goal,
            periods=periods,
            days=days,
            hours=hours,
            causes=causes,
            how_badly=self._how_badly(t, worst),
            when=self._when(
                t, str(worst["verdict"]), periods, tuple(failing["verdict"]), days, hours, hour_sl
            ),
        )

    def _failing_days(self, k: int, t: Target, period: str) -> tuple[dt.date, ...]:
        """Days on which the period (the day, for per: day/horizon) misses in most replications."""
        if t.per == "period" and period in self.periods:
            j = self.periods.index(period)
            e, m = self.per_e[:, k, :, j], self.per_m[:, k, :, j]
        else:
            e, m = self.day_e[:, k], self.day_m[:, k]
        judged = (e > 0).sum(axis=0)
        ok = meets(m, e, t.goal).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(judged > 0, ok / np.maximum(judged, 1), np.nan)
        return tuple(d for d, s in zip(self.days, share, strict=True) if s < _FAILS)

    def _hour_service_level(self, k: int) -> np.ndarray:
        """Service level per clock hour, all days and replications pooled (NaN: no contact)."""
        step = self.sc.reporting.interval
        per_hour = max(1, int(round(HOUR / step)))
        e = self.iv_e[:, k].reshape(-1, 24, per_hour).sum(axis=(0, 2))
        m = self.iv_m[:, k].reshape(-1, 24, per_hour).sum(axis=(0, 2))
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(e > 0, m / np.maximum(e, 1), np.nan)

    def _hours_of(self, period: str) -> list[int]:
        """Clock hours a period covers (all 24 for ``day``/``horizon`` judgements)."""
        if period not in self.sc.reporting.periods:
            return list(range(24))
        start, end = self.sc.reporting.periods[period]
        return _clock_hours(start, (end - start) % DAY or DAY)

    # -- words ---------------------------------------------------------------------
    def _in_period(self, period: str, clock: bool = False) -> str:
        """``at night``, ``in the evening``; with ``clock``: ``at night (00:00-08:00)``."""
        words = _IN_PERIOD.get(period, f"in the {period!r} period")
        if clock and period in self.sc.reporting.periods:
            start, end = self.sc.reporting.periods[period]
            words += f" ({_clock(start)}-{_clock(end)})"
        return words

    def _how_badly(self, t: Target, worst: pd.Series) -> str:
        value, required = float(worst["value"]), float(worst["required"])
        sl = percent(float(worst["service_level"]))
        goal = f"{percent(t.goal, 0)} within {format_duration(t.within)}"
        if t.per == "horizon":
            return f"service level {sl} over the horizon against a goal of {goal}"
        unit = "days" if t.per == "day" else plural_period(str(worst["period"]))
        where = "" if t.per == "day" else f" {self._in_period(str(worst['period']))}"
        return (
            f"{percent(value, 0)} of {unit} reach {goal} (needs {percent(required, 0)}); "
            f"service level{where} {sl}"
        )

    def _when(
        self,
        t: Target,
        verdict: str,
        periods: tuple[str, ...],
        verdicts: tuple[str, ...],
        days: tuple[dt.date, ...],
        hours: tuple[int, ...],
        hour_sl: np.ndarray | None,
    ) -> str:
        verb = {"missed": "Fails", "at risk": "At risk"}.get(verdict, "Below")
        where = f"{verb} {self._in_period(periods[0], clock=True)}" if t.per == "period" else verb
        text = f"{where} {self._days_text(days)}"
        # Missed periods come first (see findings()), so the others are missed or at risk.
        others = list(zip(periods, verdicts, strict=True))[1:]
        # Without an interval (one replication) a period below the requirement is "also" one.
        missed = [self._in_period(p) for p, v in others if v in ("missed", "no CI")]
        risky = [self._in_period(p) for p, v in others if v == "at risk"]
        if missed:
            text += f", and also {_join(missed)}"
        if risky:
            text += f"; at risk {_join(risky)}"
        if hour_sl is not None and hours:
            worst = min(hours, key=lambda h: float(hour_sl[h]))
            text += (
                f"; hours below the goal: {_hour_ranges(hours)} "
                f"(worst {_hour_range(worst, worst + 1)}, {percent(float(hour_sl[worst]))})"
            )
        return text

    def _days_text(self, days: tuple[dt.date, ...]) -> str:
        if not days:
            return "now and then, on different days in different replications"
        if len(days) == len(self.days):
            return "on every day"
        index = [self.days.index(d) for d in days]
        if len(days) >= len(self.days) - 3 and len(self.days) >= 7:
            spared = [_date(d) for d in self.days if d not in days]
            return f"on every day except {_join(spared)}"
        run = index == list(range(index[0], index[-1] + 1))
        if run and index[-1] == len(self.days) - 1 and len(days) > 1:
            return f"on every day from {_date(days[0])} to the end of the horizon"
        if run and len(days) > 1:
            return f"from {_date(days[0])} to {_date(days[-1])}"
        if len(days) <= 4:
            return "on " + _join([_date(d) for d in days])
        return f"on {len(days)} of {len(self.days)} days ({_date(days[0])} to {_date(days[-1])})"

    # -- causes --------------------------------------------------------------------
    def _causes(
        self,
        t: Target,
        worst: pd.Series,
        days: tuple[dt.date, ...],
        hour_sl: np.ndarray | None,
        in_period: list[int],
    ) -> tuple[Cause, ...]:
        """Every cause check that holds, in order: sample, backlog, surge, ramp or thin
        period, occupancy."""
        period = str(worst["period"])
        found = [
            self._uncertain(worst),
            self._backlog(t) if self.has_intervals else None,
            self._surge(t, days),
            self._ramp(t, period, hour_sl, in_period) if hour_sl is not None else None,
            self._occupancy(t, period),
        ]
        return tuple(c for c in found if c is not None)

    def _uncertain(self, worst: pd.Series) -> Cause | None:
        """At risk only for want of simulated days: the estimate itself meets the requirement."""
        if worst["verdict"] != "at risk" or float(worst["value"]) < float(worst["required"]):
            return None
        return Cause(
            "uncertain",
            f"too few simulated days to be sure: the estimate ({percent(float(worst['value']), 0)}"
            f") meets what is required, but its 95% interval reaches down to "
            f"{percent(float(worst['low']), 0)}; more replications would settle it",
        )

    def _backlog(self, t: Target) -> Cause | None:
        """Deferrable work at the end of the horizon far above the first day's."""
        frame = self.backlog
        rows = frame[frame["channel"] == t.channel]
        if rows.empty:
            return None
        level = rows["backlog"].to_numpy(dtype=float)
        per_day = len(level) // len(self.days)
        first = float(level[:per_day].max())
        end = float(level[-1])
        channels = self.channels
        daily = float(channels.loc[t.channel, "offered_per_rep"]) / len(self.days)
        threshold = _BACKLOG_RATIO * first + _BACKLOG_SHARE * daily
        if end <= max(threshold, 10.0):
            return None
        day_ends = level.reshape(len(self.days), per_day)[:, -1]
        since = next(d for d, v in zip(self.days, day_ends, strict=True) if v > threshold)
        kind = "messages" if not self.sc.channels[t.channel].synchronous else "cases to close"
        return Cause(
            "backlog",
            f"a backlog that never recovers: about {_about(end)} {t.channel} {kind} are still "
            f"waiting at the end of the horizon, against at most {_about(first)} on the first "
            f"day; it builds up from {_date(since)} on",
        )

    def _surge(self, t: Target, days: tuple[dt.date, ...]) -> Cause | None:
        """The failing days are (mostly) days of events that raise the channel's volume."""
        if not days:
            return None
        events = [ev for ev in self.sc.events if ev.factor_for(t.channel) > 1.0]
        surge = [d for d in days if any(ev.covers(d) for ev in events)]
        if len(surge) < _SURGE_SHARE * len(days) or len(days) == len(self.days):
            return None
        names = [
            f"{ev.label or 'event'} x{ev.factor_for(t.channel):g}"
            for ev in events
            if any(ev.covers(d) for d in surge)
        ]
        if len(days) == 1:
            which = "the failing day is an event day"
        elif len(surge) == len(days):
            which = (
                "both" if len(days) == 2 else f"all {len(days)}"
            ) + " failing days are event days"
        else:
            which = f"{len(surge)} of the {len(days)} failing days are event days"
        return Cause("surge", f"a volume surge: {which} ({_join(names)})")

    def _ramp(
        self, t: Target, period: str, hour_sl: np.ndarray, in_period: list[int]
    ) -> Cause | None:
        """The period's worst hour is the one before a shift starts, and the start hour meets.

        When most other hours of the period miss too, the period is short of
        agents throughout (kind ``thin``) and the ramp only makes its worst hour.
        """
        judged = [h for h in in_period if not np.isnan(hour_sl[h])]
        if not judged:
            return None
        worst = min(judged, key=lambda h: float(hour_sl[h]))
        if hour_sl[worst] >= t.goal - 1e-9:
            return None
        start = (worst + 1) % 24
        if not hour_sl[start] >= t.goal - 1e-9:
            return None
        shifts: dict[str, list[str]] = {}
        for pool, p in self.sc.pools.items():
            for name, s in p.roster_shifts.items():
                if t.channel in p.channels and s.headcount > 0 and s.start == start * HOUR:
                    shifts.setdefault(name, []).append(pool)
        if not shifts:
            return None
        names = _join([f"{name} shift ({', '.join(pools)})" for name, pools in shifts.items()])
        where = self._in_period(period)
        hour = f"{_hour_range(worst, worst + 1)} ({percent(float(hour_sl[worst]))})"
        before = (
            f"just before the {names} starts at {start:02d}:00, whose first hour meets the "
            f"goal ({percent(float(hour_sl[start]))})"
        )
        others = [h for h in judged if h != worst and hour_sl[h] < t.goal - 1e-9]
        if len(judged) > 2 and len(others) >= _THIN * (len(judged) - 1):
            return Cause(
                "thin",
                f"too few agents {where}: {len(others) + 1} of its {len(judged)} hours miss "
                f"the goal, the worst {hour} {before}",
            )
        return Cause(
            "ramp", f"a ramp before a shift starts: the worst hour {where} is {hour}, {before}"
        )

    def _occupancy(self, t: Target, period: str) -> Cause | None:
        """A shift serving the channel in the period with no slack (occupancy above 90%).

        Said only where the occupancy's 95% interval clears 90% (two replications
        gave "92% busy" with an interval of 23-100%: no ground for a cause), and
        said with that interval.
        """
        if self.result.kpis != "all":
            return None
        hours = set(self._hours_of(period))
        busy = []
        for _, row in self.shifts.iterrows():
            pool = self.sc.pools[row["pool"]]
            s = pool.roster_shifts[row["shift"]]
            if t.channel not in pool.channels or not hours & set(_clock_hours(s.start, s.length)):
                continue
            if float(row["occupancy_low"]) > HIGH_OCCUPANCY:
                occ = (float(row["occupancy"]), float(row["occupancy_low"]),
                       float(row["occupancy_high"]))  # fmt: skip
                busy.append((occ, f"{row['pool']} {row['shift']}"))
        if not busy:
            return None
        busy.sort(reverse=True)
        said = [f"the {name} shift is {percent(m, 0)} busy (95% CI {100 * lo:.0f}-{100 * hi:.0f}%)"
                for (m, lo, hi), name in busy[:2]]  # fmt: skip
        return Cause("occupancy", f"no slack: {_join(said)}, above {percent(HIGH_OCCUPANCY, 0)}")


# -- small wording helpers ---------------------------------------------------------------


def _clock_hours(start: float, length: float) -> list[int]:
    """Clock hours (0-23) that a window of ``length`` seconds from ``start`` overlaps."""
    first = int(start // HOUR)
    last = int(np.ceil((start + length) / HOUR))
    return sorted({h % 24 for h in range(first, last)})


def _hour_range(a: int, b: int) -> str:
    return f"{a % 24:02d}:00-{b if b == 24 else b % 24:02d}:00"


def _hour_ranges(hours: tuple[int, ...]) -> str:
    """``00:00-03:00, 04:00-08:00`` for hours 0, 1, 2, 4, 5, 6, 7 (clock order)."""
    if len(hours) == 24:
        return "every hour"
    runs: list[list[int]] = []
    for h in sorted(hours):
        if runs and h == runs[-1][-1] + 1:
            runs[-1].append(h)
        else:
            runs.append([h])
    return ", ".join(_hour_range(r[0], r[-1] + 1) for r in runs)


def _clock(seconds: float) -> str:
    return f"{int(seconds // HOUR):02d}:{int(seconds % HOUR // 60):02d}"


def _date(d: dt.date) -> str:
    return f"{d:%a} {d.day} {d:%b}"


def _about(x: float) -> str:
    """A count rounded as a person would say it: 7, 40, 1,090."""
    if x < 20:
        return f"{x:.0f}"
    digits = len(str(int(x))) - 2
    return f"{round(x, -digits):,.0f}"


def _join(parts: list[str]) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


_IN_PERIOD = {"night": "at night", "evening": "in the evening", "morning": "in the morning",
              "afternoon": "in the afternoon", "day": "in the day period"}  # fmt: skip
