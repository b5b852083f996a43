"""``shiftsim fit``: a scenario that reproduces history, every number with its source.

From a log table it fits, per channel: volume (day types, daily level,
weekday factors, hourly profile, dated events, day-level uncertainty), handle
time (keeping the sample mean), patience (censored waits), retries (linked by
customer id), the priority mix, the bot (voice menu) and, for the agents, the
staffing as it was (by work conservation, per 15 minutes). The scenario is
written as YAML with a comment on each fitted number giving its source and
uncertainty, and loads with ``shiftsim run`` as it is.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from shiftsim.analysis.statistics import wilson
from shiftsim.logs.annotated import annotated_yaml
from shiftsim.logs.arrivals import VolumeFit, find_day_types, fit_volume, hourly_counts
from shiftsim.logs.capacity import Capacity, available_agents, dither
from shiftsim.logs.history import link_retries
from shiftsim.logs.measure import Measurement, answer_target, measure_logs
from shiftsim.logs.patience import PatienceFit, RetryFit, fit_patience, fit_retries
from shiftsim.logs.reader import LogTable
from shiftsim.logs.service import DurationFit, fit_duration
from shiftsim.model.durations import format_duration
from shiftsim.model.loading import parse_scenario
from shiftsim.model.names import PRIORITIES, WEEKDAYS
from shiftsim.model.scenario import Scenario, Target
from shiftsim.sim.records import Outcome

__all__ = ["STAFFING_STEP", "ChannelFit", "FitResult", "fit_logs"]

STAFFING_STEP = 900.0
"""Staffing is written per 15 minutes, so that whole agents follow a fractional hourly
estimate (3.4 agents: 3, 4, 3, 4); see :func:`shiftsim.logs.capacity.dither`."""


@dataclass(frozen=True)
class ChannelFit:
    """One scenario channel: a log channel on one day type."""

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
        """The scenario channels that together simulate one log channel (its day types)."""
        return [c.name for c in self.channels if c.log_channel == log_channel]


def _r(x: float, digits: int = 3) -> float:
    return float(round(float(x), digits))


def _shares(values: dict[str, float]) -> dict[str, float]:
    """Rounded shares that add up to exactly 1."""
    keys = [k for k in PRIORITIES if values.get(k, 0.0) > 0]
    if not keys:
        return {"general": 1.0}
    total = sum(values[k] for k in keys)
    out = {k: _r(values[k] / total) for k in keys[:-1]}
    out[keys[-1]] = _r(1.0 - sum(out.values()), 6)
    return {k: v for k, v in out.items() if v > 0} or {keys[-1]: 1.0}


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
        ``auto``: weekdays with different hourly profiles get channels of
        their own; ``single``: one profile for every day.
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
    handle: dict[str, DurationFit] = {}
    bots: dict[str, tuple[DurationFit, float, int]] = {}
    patience: dict[str, PatienceFit] = {}
    retries: dict[str, RetryFit | None] = {}
    priorities: dict[str, dict[str, float]] = {}
    type_staffing: list[tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]] = []
    for g in groups:
        mask = observed & np.isin(weekday, g)
        level, se, _ = capacity.level(mask)
        type_staffing.append((g, level, se, dither(level, int(3600 / STAFFING_STEP))))

    for j, lc in enumerate(log_channels):
        mine = log.channel == j
        kind = kinds[lc]
        spec_common, notes = _channel_behaviour(
            lc, kind, log, mine, attempt, previous, window, cal.end, table, capacity,
            handle, bots, patience, retries, priorities,
        )  # fmt: skip
        counts, scale = _first_attempts(log, mine, first, retries.get(lc), window, cal.end,
                                        n_days)  # fmt: skip
        if scale > 1.0 + 1e-9:
            notes["retry"] = notes.get("retry", "") + (
                f"; the volume is all attempts less {scale:.2f}x the linked retries (the "
                "retries of customers without an id are in the log as attempts too)"
            )
        for i, (g, level, se, levels) in enumerate(type_staffing):
            closed = levels.reshape(24, -1).sum(axis=1) == 0
            vol = fit_volume(counts, weekday, observed, dates, g, closed)
            label = vol.label
            cname = lc if i == 0 else f"{lc}_{label.replace('-', '_').replace('+', '_')}"
            levels_by_type[label] = levels
            channel_fits.append(ChannelFit(cname, lc, kind, vol, level, se))
            data_channels[cname] = {"kind": kind, "volume": _volume_data(vol), **spec_common}
            base = f"channels.{cname}"
            if i == 0:
                comments.update({f"{base}.{k}": v for k, v in notes.items()})
            else:
                comments.update({f"{base}.{k}": f"as {lc} (the same log channel)" for k in notes})
            comments.update(_volume_notes(base, vol, len(groups) > 1))

    data: dict[str, Any] = {
        "name": name or f"fitted-{table.first_day.isoformat()}",
        "description": _description(table, groups),
        "horizon": {"start": table.first_day, "days": n_days, "warmup": "0d"},
        "replications": replications,
        "seed": seed,
        "channels": data_channels,
        "pools": {"agents": {"channels": list(data_channels),
                             "staffing": _staffing_data(type_staffing)}},
    }  # fmt: skip
    comments["pools.agents.staffing"] = _staffing_note(capacity, observed, type_staffing)
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
    limitations = _limitations(table, channel_fits, handle, priorities)
    text = annotated_yaml(data, comments, header=_header(table, limitations))
    return FitResult(
        table=table, measurement=measurement, scenario=scenario, text=text,
        channels=channel_fits, handle=handle, bot=bots, patience=patience, retries=retries,
        priorities=priorities, capacity=capacity, levels=levels_by_type, comments=comments,
        limitations=limitations, seconds=time.perf_counter() - t0,
    )  # fmt: skip


def _channel_behaviour(
    lc: str,
    kind: str,
    log: Any,
    mine: np.ndarray,
    attempt: np.ndarray,
    previous: np.ndarray,
    window: float,
    end: float,
    table: LogTable,
    capacity: Capacity,
    handle: dict[str, DurationFit],
    bots: dict[str, tuple[DurationFit, float, int]],
    patience: dict[str, PatienceFit],
    retries: dict[str, RetryFit | None],
    priorities: dict[str, dict[str, float]],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Handle time, patience, retries, priority mix and bot of one log channel."""
    spec: dict[str, Any] = {}
    notes: dict[str, str] = {}
    answered = mine & ~np.isnan(log.answered) & ~np.isnan(log.handled)
    h = fit_duration(log.handled[answered] - log.answered[answered])
    handle[lc] = h
    spec["handle_time"] = h.spec
    notes["handle_time"] = h.note("answered contacts")
    ended = np.where(np.isnan(log.answered), log.abandoned, log.answered)
    queued = mine & ~np.isnan(log.queued) & ~np.isnan(ended)
    wait = ended[queued] - log.queued[queued]
    gone = log.outcome[queued] == Outcome.ABANDONED
    if kind != "async" and gone.any():
        p = fit_patience(wait, gone)
        patience[lc] = p
        spec["patience"] = {"dist": "exponential", "mean": format_duration(_r(p.mean_s, 1))}
        notes["patience"] = p.note
        known = table.frame["customer"].notna().to_numpy()
        r = fit_retries(
            log.arrival, log.abandoned, log.outcome == Outcome.ABANDONED, known & mine, previous,
            attempt,
            window, end,
        )  # fmt: skip
        retries[lc] = r
        if r is not None and r.retries > 0:
            spec["retry"] = {
                "share": _r(r.share),
                "delay": {"dist": "exponential", "mean": format_duration(_r(r.delay_mean_s, 1))},
                "max_attempts": r.max_attempts,
            }
            notes["retry"] = r.note
    # Priority mix among contacts that waited: whether a contact waits depends on
    # the agents free when it arrives, not on its priority, so they are a fair
    # sample (and the bank's records lack the priority of calls that did not wait).
    waited = queued.copy()
    waited[queued] = wait > 0
    sample = waited & (attempt == 1) if (waited & (attempt == 1)).any() else mine
    mix: dict[str, float] = {
        str(p): float((log.priority[sample] == i).mean()) for i, p in enumerate(PRIORITIES)
    }
    priorities[lc] = mix
    spec["priorities"] = _shares(mix)
    n_sample = int(sample.sum())
    present = [k for k, v in mix.items() if v > 0]
    if len(present) > 1:
        shares = ", ".join(
            f"{k} {mix[k]:.1%} (95% CI {_wilson_text(mix[k], n_sample)})" for k in present
        )
        notes["priorities"] = (
            f"among {n_sample:,} first attempts that waited: {shares}; served by priority then "
            "time in queue (strict), whatever head start the log's center gave"
        )
    else:
        notes["priorities"] = f"every contact of the log is {present[0] if present else 'general'}"
    vip = float(log.vip[mine].mean())
    if vip > 0:
        spec["vip_share"] = _r(vip)
        notes["vip_share"] = f"{int(log.vip[mine].sum()):,} of {int(mine.sum()):,} contacts"
    in_bot = mine & ~np.isnan(log.bot_end)
    if in_bot.any():
        # A few seconds in a menu barely matter: a short empirical list is enough.
        session = fit_duration(log.bot_end[in_bot] - log.arrival[in_bot], points=24)
        hour = np.clip((log.arrival // 3600).astype(np.int64), 0, capacity.estimate.size - 1)
        open_hour = capacity.estimate.reshape(-1)[hour] >= 0.5
        sel = in_bot & open_hour & (attempt == 1)
        ended_there = log.outcome[sel] == Outcome.DEFLECTED
        contained = float(ended_there.mean()) if sel.any() else 0.0
        bots[lc] = (session, contained, int(sel.sum()))
        spec["bot"] = {"containment": _r(contained, 4), "session_time": session.spec}
        notes["bot"] = (
            f"voice menu / bot: {int(ended_there.sum()):,} of {int(sel.sum()):,} "
            f"first attempts in open hours ended there (containment, 95% CI "
            f"{_wilson_text(contained, int(sel.sum()))}); session time: " + session.note("sessions")
        )
    return spec, notes


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


def _wilson_text(share: float, n: int) -> str:
    _, lo, hi = wilson(np.array(round(share * n)), np.array(n))
    return f"{float(lo):.1%}-{float(hi):.1%}"


def _volume_data(v: VolumeFit) -> dict[str, Any]:
    return {
        "per_day": _r(v.per_day, 1),
        "hourly_profile": [_r(x, 4) for x in v.profile],
        "weekday_factors": {d: _r(f) for d, f in v.weekday_factors.items()},
        "daily_cv": _r(v.daily_cv),
    }


def _volume_notes(base: str, v: VolumeFit, typed: bool) -> dict[str, str]:
    days = len(v.days)
    kind = f" ({v.label} only)" if typed else ""
    closed = [h for h in range(24) if v.closed[h]]
    total = max(v.per_day * days, 1.0)
    share_se = float(np.max(np.sqrt(v.profile * (1 - v.profile) / total)))
    factor_se = v.per_day_sd / max(v.per_day, 1e-9)
    out = {
        f"{base}.volume.per_day": (
            f"{v.per_day:,.0f} first attempts/day{kind} over {days} days, sd {v.per_day_sd:,.0f} "
            "(retries are simulated on top)"
            + (f"; {len(v.events)} dated event(s) left out" if v.events else "")
        ),
        f"{base}.volume.hourly_profile": (
            f"share of the day's first attempts by hour, {days} days (standard error of a "
            f"share at most {100 * share_se:.2f} points)"
            + (
                f"; {_hours_text(closed)}: no agent at work, their {v.closed_per_day:.1f} "
                "contacts/day (bot or voice menu only) left out"
                if closed
                else ""
            )
        ),  # fmt: skip
        f"{base}.volume.weekday_factors": "weekday mean / per_day: "
        + ", ".join(
            f"{d} {f:.2f} ({_days(v.weekday_days.get(d, 0))})"
            for d, f in v.weekday_factors.items()
            if f > 0
        )
        + f"; standard error about {factor_se:.2f}/sqrt(days)"
        + ("; 0: other day types" if typed else ""),  # fmt: skip
        f"{base}.volume.daily_cv": (
            f"overdispersion of daily totals after the weekday effect, cv^2 = (s^2 - m)/m^2; "
            f"95% CI {v.cv_low:.2f}-{v.cv_high:.2f} ({v.dof} degrees of freedom)"
            if v.dof >= 1
            else "cannot be estimated: one day per weekday, nothing left for the spread; 0 written"
        ),
    }
    return out


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _hours_text(hours: list[int]) -> str:
    if not hours:
        return ""
    runs: list[list[int]] = [[hours[0], hours[0]]]
    for h in hours[1:]:
        if h == runs[-1][1] + 1:
            runs[-1][1] = h
        else:
            runs.append([h, h])
    return ", ".join(f"{a:02d}-{b + 1:02d}h" for a, b in runs)


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


def _staffing_note(
    capacity: Capacity,
    observed: np.ndarray,
    types: list[tuple[tuple[int, ...], np.ndarray, np.ndarray, np.ndarray]],
) -> str:
    est = capacity.estimate[observed]
    seen = capacity.seen[observed]
    by_wait = capacity.by_waiting[observed]
    open_ = est >= 0.5
    ratio = seen[open_].sum() / max(est[open_].sum(), 1e-9)
    se = np.nanmean(np.concatenate([t[2][t[1] >= 0.5] for t in types])) if types else np.nan
    return (
        f"agents available per 15 min, by work conservation: busy agents while someone "
        f"waited ({by_wait[open_].mean():.0%} of open hours had waiting), the most agents busy "
        f"at once in each quiet stretch otherwise; mean over the days of each day type, "
        f"standard error about {se:.2f} agent; names seen in the log would give {ratio:.2f}x "
        f"as many"
    )


def _events(fits: list[ChannelFit]) -> list[tuple[dict[str, Any], str]]:
    by_date: dict[dt.date, tuple[dict[str, float], list[str]]] = {}
    for c in fits:
        for e in c.volume.events:
            chans, notes = by_date.setdefault(e.date, ({}, []))
            chans[c.name] = _r(e.factor)
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


def _description(table: LogTable, groups: list[tuple[int, ...]]) -> str:
    src = table.mapping.source.strip()
    text = (
        f"Fitted by shiftsim fit from {table.report.rows_kept:,} log rows, "
        f"{table.first_day} to {table.last_day}."
    )
    if len(groups) > 1:
        text += " One channel per day type (weekdays with their own hourly profile)."
    if src:
        text += f" Data: {src}"
    return text


def _header(table: LogTable, limitations: list[str]) -> str:
    lines = [
        "Fitted by shiftsim fit: every fitted number carries a comment with its source and "
        "uncertainty.",
    ]
    if table.mapping.source.strip():
        lines.append(f"Data: {table.mapping.source.strip()}")
    lines.append("")
    lines += [f"- {x.strip()}" for x in table.report.lines()]
    lines.append("")
    lines.append("What the model cannot express (see the fit report):")
    lines += [f"- {x}" for x in limitations]
    return "\n".join(lines)


def _limitations(
    table: LogTable,
    fits: list[ChannelFit],
    handle: dict[str, DurationFit],
    priorities: dict[str, dict[str, float]],
) -> list[str]:
    out = []
    if len({c.log_channel for c in fits}) < len(fits):
        labels = ", ".join(f"{c.name} ({c.volume.label})" for c in fits)
        out.append(
            "one hourly profile per channel: weekdays with their own profile and hours "
            f"(e.g. an early close) are written as channels of their own: {labels}"
        )
    elif fits:
        out.append("one hourly profile for every day of the week (day types not split)")
    for lc, h in handle.items():
        f = table.frame[table.frame["channel"] == lc]
        served = f.dropna(subset=["answered", "handled"])
        if len(served) > 100:
            hours = served["answered"].dt.hour
            secs = (served["handled"] - served["answered"]).dt.total_seconds()
            by_hour = secs.groupby(hours).agg(["mean", "count"])
            by_hour = by_hour[by_hour["count"] >= 50]
            if len(by_hour) > 1:
                out.append(
                    f"handle time does not depend on the hour: {lc} means range from "
                    f"{by_hour['mean'].min():.0f} s to {by_hour['mean'].max():.0f} s by hour "
                    f"(one distribution, mean {h.mean:.0f} s)"
                )
    for lc, mix in priorities.items():
        if sum(v > 0 for v in mix.values()) > 1:
            out.append(
                f"priorities are strict in the model (highest first); a head start in the queue "
                f"(the Anonymous Bank gives priority callers 1.5 minutes) is not expressible: "
                f"{lc} simulates higher-priority callers ahead of all others"
            )
    out.append(
        "staffing is per 15 minutes, the same on every day of a day type: day-to-day changes "
        "of the roster (and absences) are not reproduced; holidays keep their weekday's staffing"
    )
    out.append(
        "the agents' availability is estimated from the work done (work conservation); "
        "breaks, wrap-up and other work are inside it, not modelled separately"
    )
    if any(c.volume.closed.any() for c in fits):
        out.append(
            "contacts arriving while no agent works (handled by the voice menu only) are "
            "left out of the volume: the model cannot route a channel to the bot only"
        )
    ids = table.frame["customer"].notna().mean()
    if ids < 0.95:
        out.append(
            f"retries are seen only where the customer id is recorded ({ids:.0%} of attempts): "
            "the retry share is a lower bound"
        )
    return out
