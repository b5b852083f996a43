"""The service actually given, measured on real records with the simulator's KPI code.

The log becomes one replication of a *measurement scenario* (the log's days,
channels and targets), and :func:`shiftsim.analysis.metrics.measure` computes
its KPIs exactly as for a simulated replication: the same definitions (a
contact counts on the day and period it arrived; an abandon misses its
first-response target; abandonment is counted on contacts that reached the
agents' queue), one code path. Every table is marked ``source = measured``.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from shiftsim.analysis.metrics import ReplicationMetrics, meets
from shiftsim.analysis.metrics import measure as replication_kpis
from shiftsim.analysis.results import RunResult
from shiftsim.logs.history import SEEN_SHIFT, as_replication
from shiftsim.logs.reader import LogTable
from shiftsim.model.durations import DAY, HOUR, format_duration
from shiftsim.model.loading import parse_scenario
from shiftsim.model.names import PRIORITIES
from shiftsim.model.scenario import Scenario
from shiftsim.sim.replication import Replication

__all__ = [
    "ANSWER_GOAL",
    "ANSWER_WITHIN",
    "Measurement",
    "answer_target",
    "groups",
    "measure_logs",
    "measurement_scenario",
]

ANSWER_WITHIN: dict[str, float] = {"voice": 60.0, "chat": 120.0, "async": 3600.0}
"""The answer-time target put first for each channel kind: the bank's data show
waits of about a minute, so "answered within 60 s" separates good hours from bad."""

ANSWER_GOAL = 0.8
"""Its goal (the "80/60" of call centers)."""


def answer_target(channel: str, kind: str) -> dict[str, Any]:
    """The first target of a measured or fitted channel (all priorities), as scenario data."""
    return {"channel": channel, "within": format_duration(ANSWER_WITHIN[kind]),
            "goal": ANSWER_GOAL}  # fmt: skip


def measurement_scenario(table: LogTable, base: Scenario | None = None) -> Scenario:
    """The scenario whose definitions a log is measured with.

    With ``base`` (``--scenario``): its channels, targets and reporting, on the
    log's days. Without: the log's channels (kinds from the mapping), their
    priority mix and bot, and the targets a fitted scenario would have: an
    answer-time target per channel (:data:`ANSWER_WITHIN`) and the tier table
    of docs/domain.md for the priorities present.
    """
    horizon = {"start": table.first_day.isoformat(), "days": table.n_days, "warmup": "0d"}
    if base is not None:
        data = base.to_dict()
        data.update(horizon=horizon, replications=1)
        return parse_scenario(data, source=f"<{base.name} on the log's days>")
    f = table.frame
    days = max(1, len(table.observed_days))
    channels: dict[str, Any] = {}
    for name, kind in table.channels.items():
        rows = f[f["channel"] == name]
        served = rows["handled"] - rows["answered"]
        handle = float(served.dt.total_seconds().mean()) if served.notna().any() else 1.0
        shares = rows["priority"].value_counts(normalize=True)
        spec: dict[str, Any] = {
            "kind": kind,
            "volume": {"per_day": max(len(rows) / days, 1e-6)},
            "handle_time": {"dist": "exponential", "mean": format_duration(max(handle, 1.0))},
            "priorities": {p: float(shares.get(p, 0.0)) for p in PRIORITIES if p in shares},
        }
        if rows["bot_end"].notna().any():
            spec["bot"] = {"containment": float((rows["outcome"] == "deflected").mean())}
        channels[name] = spec
    data = {
        "name": "measured",
        "horizon": horizon,
        "replications": 1,
        "channels": channels,
        # Agents are taken from the log (agents seen), not from this pool.
        "pools": {"agents": {"channels": list(channels),
                             "shifts": {"all": {"start": "00:00", "end": "24:00",
                                                "headcount": 0}}}},
    }  # fmt: skip
    defaults = parse_scenario(data, source="<measured>").to_dict()["targets"]
    answer = [answer_target(c, table.channels[c]) for c in channels]
    return parse_scenario({**data, "targets": answer + defaults}, source="<measured>")


@dataclass
class Measurement:
    """The service a log shows, as KPIs of one replication of history.

    Attributes
    ----------
    table
        The log as read.
    scenario
        The definitions used (targets, channels, periods, interval).
    replication
        The log as the simulator's records.
    metrics
        Its KPIs, from :func:`shiftsim.analysis.metrics.measure`.
    """

    table: LogTable
    scenario: Scenario
    replication: Replication
    metrics: ReplicationMetrics

    @property
    def result(self) -> RunResult:
        """The KPIs as a one-replication :class:`RunResult` (its tables, its code)."""
        cal = self.replication.calendar
        roster = self.replication.roster
        return RunResult(
            scenario=self.scenario,
            metrics=[self.metrics],
            requested=1,
            on_duty_by_day=roster.on_duty_by_day[: cal.days],
            headcount=np.array([roster.n_agents]),
            shift_names=(SEEN_SHIFT,),
        )

    @property
    def observed(self) -> np.ndarray:
        """Per day of the horizon, whether the log has any row on it."""
        days = self.replication.calendar.days
        day = (self.replication.result.log.arrival // DAY).astype(np.int64)
        return np.bincount(np.clip(day, 0, days - 1), minlength=days)[:days] > 0

    def hours(self) -> pd.DataFrame:
        """Per channel and hour of the day, pooled over the observed days (see :func:`groups`)."""
        frames = []
        for j, name in enumerate(self.scenario.channels):
            answer = _answer_target_index(self.scenario, name)
            g = groups([self.metrics], self.scenario, [j], answer, per="hour")
            frame = pd.DataFrame({k: v[0] for k, v in g.items()})
            frame.insert(0, "hour", np.arange(24))
            frame.insert(0, "channel", name)
            frames.append(frame)
        return _measured(pd.concat(frames, ignore_index=True))

    @functools.cached_property
    def _tables(self) -> dict[str, pd.DataFrame]:
        return self._build_tables()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table of ``shiftsim measure``, by file name (without ``.csv``)."""
        return {k: v.copy() for k, v in self._tables.items()}

    def _build_tables(self) -> dict[str, pd.DataFrame]:
        r = self.result
        agents = r.shift_intervals().drop(columns=["pool", "shift"])
        agents = agents.rename(columns={"on_duty": "agents_seen"})
        agents["agents_seen"] = agents["agents_seen"] * 1.0
        out = {
            "targets": r.targets(),
            "channels": _flatten(r.channels()),
            "hours": self.hours(),
            "intervals": r.intervals(),
            "days": r.intervals("day"),
            "target_intervals": r.target_intervals(),
            "target_days": r.target_intervals("day"),
            "agents": agents,
            "read": self.table.report.frame(),
            "requirements": r.requirements(),
        }
        for name, value, required in (("targets", "worst_value", "required"),
                                      ("requirements", "value", "required")):  # fmt: skip
            if name in out and {value, required, "verdict"} <= set(out[name].columns):
                out[name] = _verdicts(out[name], value, required)
        return {k: _measured(v) for k, v in out.items()}

    def write(self, folder: str | Path) -> list[Path]:
        """Write every table as CSV into ``folder``; return the paths."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, frame in self.tables().items():
            path = out / f"{name}.csv"
            frame.to_csv(path, index=False)
            paths.append(path)
        return paths


def measure_logs(table: LogTable, scenario: Scenario | None = None) -> Measurement:
    """Measure the service a log shows, with the definitions of ``scenario`` (see
    :func:`measurement_scenario`)."""
    sc = measurement_scenario(table, scenario)
    rep = as_replication(table, sc, table.mapping.retry_window)
    return Measurement(table, sc, rep, replication_kpis(rep, sc))


def _answer_target_index(scenario: Scenario, channel: str) -> int | None:
    """The channel's tightest first-response target covering every priority, if any."""
    best = None
    for k, t in enumerate(scenario.resolved_targets):
        covers = t.channel == channel and t.kind == "first_response" and t.priority == "all"
        if covers and (best is None or t.within < scenario.resolved_targets[best].within):
            best = k
    return best


def groups(
    metrics: Sequence[ReplicationMetrics],
    scenario: Scenario,
    channels: Sequence[int],
    target: int | Sequence[int] | None,
    per: str = "hour",
    days: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """KPIs per hour of the day (``per="hour"``) or per day, for each replication.

    Counts of the channels ``channels`` (all priorities) and of the target(s)
    ``target`` are summed per group; ratios are of the sums:
    ``abandonment = abandoned / (answered + abandoned)`` (contacts that
    reached the queue and ended), ``service_level = met / eligible``,
    ``asa_s = wait / answered``. ``days`` (a boolean mask over the horizon's
    days) restricts the hours to those days. The same function serves
    measured history (one replication) and simulated runs (many).

    Returns
    -------
    dict
        Arrays ``[replication, group]``: ``offered``, ``answered``,
        ``abandoned``, ``eligible``, ``met`` and the ratios ``abandonment``,
        ``service_level``, ``asa_s``, and for days ``meets`` (1.0 / 0.0 / NaN:
        the day's service level reached the target's goal).
    """
    step = scenario.reporting.interval
    ch = list(channels)
    sel = [target] if isinstance(target, int) else list(target or [])

    def stack(name: str) -> np.ndarray:
        return np.stack([getattr(m, name) for m in metrics]).astype(float)

    offered = stack("iv_offered")[:, :, ch].sum(axis=(2, 3))
    answered = stack("iv_answered")[:, :, ch].sum(axis=(2, 3))
    abandoned = stack("iv_abandoned")[:, :, ch].sum(axis=(2, 3))
    wait = stack("iv_wait_sum")[:, :, ch].sum(axis=(2, 3))
    n_iv = offered.shape[1]
    if sel:
        eligible = stack("iv_target_eligible")[:, sel].sum(axis=1)
        met = stack("iv_target_met")[:, sel].sum(axis=1)
    else:
        eligible = met = np.zeros_like(offered)
    start = np.arange(n_iv) * step
    day_of = (start // DAY).astype(np.int64)
    if per == "hour":
        group, n_groups = (np.mod(start, DAY) // HOUR).astype(np.int64), 24
    elif per == "day":
        group, n_groups = day_of, int(day_of.max()) + 1 if n_iv else 0
    else:
        raise ValueError(f"per must be 'hour' or 'day' (got {per!r})")
    keep = np.ones(n_iv, dtype=bool) if days is None else np.asarray(days, dtype=bool)[day_of]
    onehot = np.zeros((n_iv, n_groups))
    onehot[np.flatnonzero(keep), group[keep]] = 1.0
    out = {k: v @ onehot for k, v in (("offered", offered), ("answered", answered),
                                       ("abandoned", abandoned), ("wait_s", wait),
                                       ("eligible", eligible), ("met", met))}  # fmt: skip
    with np.errstate(invalid="ignore", divide="ignore"):
        ended = out["answered"] + out["abandoned"]
        out["abandonment"] = np.where(ended > 0, out["abandoned"] / ended, np.nan)
        out["service_level"] = np.where(out["eligible"] > 0, out["met"] / out["eligible"], np.nan)
        out["asa_s"] = np.where(out["answered"] > 0, out["wait_s"] / out["answered"], np.nan)
    if per == "day" and len(sel) >= 1:
        goal = scenario.resolved_targets[sel[0]].goal
        ok = meets(out["met"], out["eligible"], goal)
        out["meets"] = np.where(out["eligible"] > 0, ok.astype(float), np.nan)
    del out["wait_s"]
    return out


def _flatten(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns holding (mean, low, high) triples as three columns each."""
    out = frame.copy()
    for col in list(out.columns):
        if len(out) and isinstance(out[col].iloc[0], tuple):
            values = np.array(out[col].tolist(), dtype=float)
            pos = out.columns.get_loc(col)
            out = out.drop(columns=[col])
            for i, suffix in enumerate(("", "_low", "_high")):
                out.insert(pos + i, f"{col}{suffix}", values[:, i])
    return out


def _verdicts(frame: pd.DataFrame, value: str, required: str) -> pd.DataFrame:
    """History has no confidence interval: a requirement was met or missed, as observed."""
    out = frame.copy()
    met = out[value] >= out[required] - 1e-12
    verdict = np.where(out[value].isna(), "no data", np.where(met, "met", "missed"))
    out["verdict"] = verdict
    if "status" in out.columns:
        out["status"] = [
            f"{v}{s[len('no CI') :]}" if isinstance(s, str) and s.startswith("no CI") else s
            for v, s in zip(verdict, out["status"], strict=True)
        ]
    return out


def _measured(frame: pd.DataFrame) -> pd.DataFrame:
    """Mark a table as measured and drop the confidence bounds a single history lacks."""
    out = frame.copy()
    empty = [c for c in out.columns if c.endswith(("_low", "_high")) and out[c].isna().all()]
    out = out.drop(columns=empty)
    if "source" not in out.columns:
        out.insert(0, "source", "measured")
    return out
