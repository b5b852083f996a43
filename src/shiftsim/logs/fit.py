"""``shiftsim fit``: a scenario that reproduces history, every number with its source.

From a log table it fits, per channel: volume (daily level, weekday factors,
hourly profile with a profile per day type where weekdays differ, dated
events, day-level uncertainty), handle time (keeping the sample mean, by hour
band where the hours differ), patience (censored waits, by priority where
priorities differ), retries (linked by customer id), the priority mix, the
bot (voice menu) and, for the agents, the staffing as it was (by work
conservation, per 15 minutes). The scenario is written as YAML with a comment
on each fitted number giving its source and uncertainty, and loads with
``shiftsim run`` as it is.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shiftsim.logs.annotated import annotated_yaml
from shiftsim.logs.arrivals import VolumeFit, find_day_types, fit_volume, hourly_counts
from shiftsim.logs.behaviour import HandleBand, channel_behaviour, rounded
from shiftsim.logs.capacity import Capacity, available_agents, dither
from shiftsim.logs.fitnotes import description, header, limitations, staffing_note, volume_notes
from shiftsim.logs.history import link_retries
from shiftsim.logs.measure import Measurement, answer_target, measure_logs
from shiftsim.logs.patience import PatienceFit, RetryFit
from shiftsim.logs.reader import LogTable
from shiftsim.logs.service import DurationFit
from shiftsim.model.durations import format_duration
from shiftsim.model.loading import parse_scenario
from shiftsim.model.names import WEEKDAYS
from shiftsim.model.scenario import Scenario, Target
from shiftsim.sim.records import Outcome

__all__ = ["STAFFING_STEP", "ChannelFit", "FitResult", "fit_logs"]

STAFFING_STEP = 900.0
"""Staffing is written per 15 minutes, so that whole agents follow a fractional hourly
estimate (3.4 agents: 3, 4, 3, 4); see :func:`shiftsim.logs.capacity.dither`."""


@dataclass(frozen=True)
class ChannelFit:
    """One day type of a log channel (``name``: the scenario channel that simulates it)."""

    name: str
    log_channel: str
    kind: str
    volume: VolumeFit
    staffing: np.ndarray  # agents per hour of the day (fractional estimate)
    staffing_se: np.ndarray


@dataclass
class FitResult:
    """What :func:`fit_logs` found, the scenario it wrote, and what the model cannot express."""

    table: LogTable
    measurement: Measurement
    scenario: Scenario
    text: str
    channels: list[ChannelFit]
    handle: dict[str, DurationFit]
    bot: dict[str, tuple[DurationFit, float, int]]
    patience: dict[str, PatienceFit]
    retries: dict[str, RetryFit | None]
    priorities: dict[str, dict[str, float]]
    capacity: Capacity
    levels: dict[str, np.ndarray]  # staffing per 15 min, by day-type label
    handle_bands: dict[str, list[HandleBand]] = field(default_factory=dict)
    patience_by: dict[str, dict[str, PatienceFit]] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)  # dotted path -> source note
    limitations: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def write(self, path: str | Path) -> Path:
        """Write the annotated scenario YAML (atomically)."""
        out = Path(path)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(self.text, encoding="utf-8")
        tmp.replace(out)
        return out

    def sim_channels(self, log_channel: str) -> list[str]:
        """The scenario channels that simulate one log channel (one, with its day types)."""
        return list(dict.fromkeys(c.name for c in self.channels if c.log_channel == log_channel))


def fit_logs(
    table: LogTable,
    day_types: str = "auto",
    replications: int = 20,
    seed: int = 1,
    name: str | None = None,
) -> FitResult:
    """Fit a scenario to a log (see the module docstring).

    Parameters
    ----------
    table
        The log, as read by :func:`~shiftsim.logs.reader.read_logs`.
    day_types
        ``auto``: weekdays with different hourly profiles get profiles (and
        staffing) of their own, ``volume.profiles``; ``single``: one profile
        and one staffing for every day.
    replications, seed
        Written into the scenario.
    name
        Scenario name (default: from the log's dates).
    """
    t0 = time.perf_counter()
    measurement = measure_logs(table)
    rep = measurement.replication
    log, cal = rep.result.log, rep.calendar
    n_days = cal.days
    observed = measurement.observed
    dates = [cal.date(i) for i in range(n_days)]
    weekday = np.array([d.weekday() for d in dates])
    log_channels = list(measurement.scenario.channels)
    kinds = table.channels
    # A contact takes a whole agent: the log does not say how many chats an agent held.
    weight = np.ones(len(log_channels))
    capacity = available_agents(log, weight, n_days)
    window = table.mapping.retry_window
    _, attempt, previous = link_retries(table, window)
    first = attempt == 1

    counts_all = hourly_counts(log.arrival[first], n_days)
    groups = (
        find_day_types(counts_all, weekday, observed) if day_types == "auto" else [tuple(range(7))]
    )
    levels_by_type: dict[str, np.ndarray] = {}
    channel_fits: list[ChannelFit] = []
    comments: dict[str, str] = {}
    data_channels: dict[str, Any] = {}
    found: dict[str, dict[str, Any]] = {k: {} for k in (
        "handle", "bands", "patience", "patience_by", "retries", "priorities", "bot")}  # fmt: skip
    type_staffing: list[tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]] = []
    for g in groups:
        mask = observed & np.isin(weekday, g)
        level, se, _ = capacity.level(mask)
        type_staffing.append((g, level, se, dither(level, int(3600 / STAFFING_STEP))))

    for j, lc in enumerate(log_channels):
        mine = log.channel == j
        kind = kinds[lc]
        spec_common, notes = channel_behaviour(
            lc, kind, log, mine, attempt, previous, window, cal.end, table, capacity, found
        )
        counts, scale = _first_attempts(log, mine, first, found["retries"].get(lc), window,
                                        cal.end, n_days)  # fmt: skip
        if scale > 1.0 + 1e-9:
            notes["retry"] = notes.get("retry", "") + (
                f"; the volume is all attempts less {scale:.2f}x the linked retries (the "
                "retries of customers without an id are in the log as attempts too)"
            )
        types: list[tuple[str, VolumeFit]] = []
        for g, level, se, levels in type_staffing:
            closed = levels.reshape(24, -1).sum(axis=1) == 0
            vol = fit_volume(counts, weekday, observed, dates, g, closed)
            levels_by_type[vol.label] = levels
            channel_fits.append(ChannelFit(lc, lc, kind, vol, level, se))
            types.append((vol.label.replace("+", ","), vol))
        volume, cv = _volume_data(types)
        data_channels[lc] = {"kind": kind, "volume": volume, **spec_common}
        base = f"channels.{lc}"
        comments.update({f"{base}.{k}": v for k, v in notes.items()})
        comments.update(volume_notes(base, types, cv))

    data: dict[str, Any] = {
        "name": name or f"fitted-{table.first_day.isoformat()}",
        "description": description(table, groups),
        "horizon": {"start": table.first_day, "days": n_days, "warmup": "0d"},
        "replications": replications,
        "seed": seed,
        "channels": data_channels,
        "pools": {"agents": {"channels": list(data_channels),
                             "staffing": _staffing_data(type_staffing)}},
    }  # fmt: skip
    comments["pools.agents.staffing"] = staffing_note(capacity, observed, type_staffing)
    events = _events(channel_fits)
    if events:
        data["events"] = [e for e, _ in events]
        comments.update({f"events.{i}": note for i, (_, note) in enumerate(events)})
    draft = parse_scenario(data, source="<fitted>")
    answer = [answer_target(c, data_channels[c]["kind"]) for c in data_channels]
    data["targets"] = answer + [_compact(t) for t in draft.to_dict()["targets"]]
    comments["targets"] = (
        "first: the answer-time target the back-test compares (all priorities); then the "
        "tier table of docs/domain.md for the priorities present"
    )
    data["reporting"] = {"interval": "1h"}
    scenario = parse_scenario(data, source="<fitted>")
    limits = limitations(table, channel_fits, found["handle"], found["bands"],
                         found["priorities"])  # fmt: skip
    text = annotated_yaml(data, comments, header=header(table, limits))
    return FitResult(
        table=table, measurement=measurement, scenario=scenario, text=text,
        channels=channel_fits, handle=found["handle"], bot=found["bot"],
        patience=found["patience"], retries=found["retries"], priorities=found["priorities"],
        capacity=capacity, levels=levels_by_type, handle_bands=found["bands"],
        patience_by=found["patience_by"], comments=comments, limitations=limits,
        seconds=time.perf_counter() - t0,
    )  # fmt: skip


def _first_attempts(
    log: Any,
    mine: np.ndarray,
    first: np.ndarray,
    retry: RetryFit | None,
    window: float,
    end: float,
    n_days: int,
) -> tuple[np.ndarray, float]:
    """First attempts per [day, hour]: all attempts less the retries the fit will simulate.

    The simulator adds ``share x abandons`` retries to the first attempts. The
    share is measured on customers with an id, but every abandon retries in
    the simulation, so the retries of customers without an id (in the log as
    unlinked attempts) are taken out too: the linked retries, scaled by all
    abandons over those of identified customers. With every id known the
    scale is 1 and the counts are the first attempts.
    """
    all_attempts = hourly_counts(log.arrival[mine], n_days)
    linked = hourly_counts(log.arrival[mine & ~first], n_days)
    scale = 1.0
    if retry is not None and retry.abandons > 0:
        gone = mine & (log.outcome == Outcome.ABANDONED) & (log.abandoned <= end - window)
        scale = max(1.0, float(gone.sum()) / retry.abandons)
    return np.maximum(all_attempts - scale * linked, 0.0), scale


def _compact(target: dict[str, Any]) -> dict[str, Any]:
    """A target without the keys that only repeat their defaults."""
    fields = Target.model_fields
    return {k: v for k, v in target.items()
            if k not in fields or v != fields[k].default or fields[k].is_required()}  # fmt: skip


def _volume_data(types: list[tuple[str, VolumeFit]]) -> tuple[dict[str, Any], float]:
    """One channel's volume from its day types (the main one first), and the pooled cv.

    Each day type's weekdays keep their own level through the weekday factors
    (relative to the main type's ``per_day``) and their own shape through
    ``profiles``; the day-level spread is pooled over the types' degrees of freedom.
    """
    main = types[0][1]
    factors: dict[str, float] = dict.fromkeys(WEEKDAYS, 0.0)
    for _, v in types:
        for d, f in v.weekday_factors.items():
            if f > 0:
                factors[d] = v.per_day * f / main.per_day if main.per_day > 0 else 0.0
    dof = sum(v.dof for _, v in types)
    cv = float(np.sqrt(sum(v.dof * v.daily_cv**2 for _, v in types) / dof)) if dof else 0.0
    out: dict[str, Any] = {
        "per_day": rounded(main.per_day, 1),
        "hourly_profile": [rounded(x, 4) for x in main.profile],
    }
    if len(types) > 1:
        out["profiles"] = {key: [rounded(x, 4) for x in v.profile] for key, v in types[1:]}
    out["weekday_factors"] = {d: rounded(f) for d, f in factors.items()}
    out["daily_cv"] = rounded(cv)
    return out, cv


def _staffing_data(
    types: list[tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]],
) -> dict[str, Any]:
    main = types[0][3]
    out: dict[str, Any] = {
        "interval": format_duration(STAFFING_STEP),
        "levels": [int(x) for x in main],
    }
    weekdays = {}
    for g, _, _, levels in types[1:]:
        for w in g:
            weekdays[WEEKDAYS[w]] = [int(x) for x in levels]
    if weekdays:
        out["weekdays"] = {d: weekdays[d] for d in WEEKDAYS if d in weekdays}
    return out


def _events(fits: list[ChannelFit]) -> list[tuple[dict[str, Any], str]]:
    by_date: dict[dt.date, tuple[dict[str, float], list[str]]] = {}
    for c in fits:
        for e in c.volume.events:
            chans, notes = by_date.setdefault(e.date, ({}, []))
            chans[c.name] = rounded(e.factor)
            sd = e.expected * np.sqrt(c.volume.daily_cv**2 + 1 / max(e.expected, 1.0))
            notes.append(
                f"{c.name}: {e.count:,.0f} first attempts vs {e.expected:,.0f} expected "
                f"(sd {sd:,.0f}): factor {e.factor:.2f}"
            )
    out = []
    for date in sorted(by_date):
        chans, notes = by_date[date]
        low = all(f < 1 for f in chans.values())
        label = "low volume (a holiday?)" if low else "high volume"
        out.append(({"date": date, "channels": chans, "label": label}, "; ".join(notes)))
    return out
