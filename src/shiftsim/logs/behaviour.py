"""What a log channel's customers and agents do: handle time (by hour band), patience (by
priority), retries, priority mix and bot, each with the note the fitted scenario carries.

Handle time varies by hour of the day in real centers (the Anonymous Bank: about 250 s
at midday, under 200 s in the evening), so where the hourly means differ by more than
their noise, hours are grouped into bands of alike means and each band gets the channel's
fitted shape scaled to its own sample mean (``handle_time_by.hour``): a band's mean, the
load it brings, is its sample mean. Patience is fitted per priority where the data hold
enough abandons and the priorities' intervals do not overlap (``patience_by.priority``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from shiftsim.analysis.statistics import wilson
from shiftsim.logs.capacity import Capacity
from shiftsim.logs.patience import PatienceFit, fit_patience, fit_retries
from shiftsim.logs.reader import LogTable
from shiftsim.logs.service import DurationFit, fit_duration
from shiftsim.model.durations import format_duration, parse_duration
from shiftsim.model.names import PRIORITIES
from shiftsim.sim.records import Outcome

__all__ = ["BAND_CALLS", "BAND_TOLERANCE", "HandleBand", "channel_behaviour", "handle_bands"]

BAND_CALLS = 200
"""Fewest answered contacts an hour needs to have its own mean; quieter hours join a band."""

BAND_TOLERANCE = 0.04
"""Consecutive hours whose means are within this share of their band's mean (or within
three standard errors of it) share the band."""

PATIENCE_ABANDONS = 50
"""Fewest abandons of a priority for a patience of its own."""


def rounded(x: float, digits: int = 3) -> float:
    return float(round(float(x), digits))


def wilson_text(share: float, n: int) -> str:
    _, lo, hi = wilson(np.array(round(share * n)), np.array(n))
    return f"{float(lo):.1%}-{float(hi):.1%}"


def shares(values: dict[str, float]) -> dict[str, float]:
    """Rounded shares that add up to exactly 1."""
    keys = [k for k in PRIORITIES if values.get(k, 0.0) > 0]
    if not keys:
        return {"general": 1.0}
    total = sum(values[k] for k in keys)
    out = {k: rounded(values[k] / total) for k in keys[:-1]}
    out[keys[-1]] = rounded(1.0 - sum(out.values()), 6)
    return {k: v for k, v in out.items() if v > 0} or {keys[-1]: 1.0}


@dataclass(frozen=True)
class HandleBand:
    """Hours of the day (by arrival) that share a handle-time mean."""

    start: int  # first hour
    end: int  # one past the last hour
    n: int
    mean: float
    mean_low: float
    mean_high: float
    spec: dict[str, Any]

    @property
    def clock(self) -> str:
        return f"{self.start:02d}:00"


def _scaled(spec: dict[str, Any], factor: float) -> dict[str, Any]:
    """The fitted distribution with every duration times ``factor`` (the shape kept)."""
    out = dict(spec)
    for key in ("mean", "value"):
        if key in out:
            out[key] = format_duration(round(parse_duration(out[key]) * factor, 3))
    if "values" in out:
        out["values"] = [format_duration(round(parse_duration(v) * factor, 3))
                         for v in out["values"]]  # fmt: skip
    return out


def handle_bands(hour: np.ndarray, durations: np.ndarray, overall: DurationFit) -> list[HandleBand]:
    """Bands of alike hourly handle-time means; empty when one mean fits every hour.

    ``hour`` is each answered contact's arrival hour of the day. Hours with
    fewer than :data:`BAND_CALLS` contacts join the band before them (the
    first band, for the early ones). One mean fits every hour when no hour's
    mean is three standard errors off the overall mean.
    """
    n = np.bincount(hour, minlength=24)
    total = np.bincount(hour, weights=durations, minlength=24)
    squares = np.bincount(hour, weights=durations**2, minlength=24)
    mean = total / np.maximum(n, 1)
    sd = np.sqrt(np.maximum(squares / np.maximum(n, 1) - mean**2, 0.0))
    busy = n >= BAND_CALLS
    if busy.sum() < 2:
        return []
    z = (mean - overall.mean) / np.maximum(sd / np.sqrt(np.maximum(n, 1)), 1e-9)
    if np.abs(z[busy]).max() < 3:
        return []
    groups: list[list[int]] = []
    for h in range(24):
        if not busy[h]:
            if groups:
                groups[-1].append(h)
            continue
        if groups:
            g = groups[-1]
            band_mean = total[g].sum() / n[g].sum()
            se = sd[h] / np.sqrt(n[h])
            if abs(mean[h] - band_mean) <= max(BAND_TOLERANCE * band_mean, 3 * se):
                g.append(h)
                continue
        groups.append([h])
    # Quiet hours before the first busy one belong to the first band.
    first = min(groups[0])
    groups[0] = list(range(first)) + groups[0] if first > 0 else groups[0]
    bands = []
    for g in groups:
        k = int(n[g].sum())
        m = float(total[g].sum() / k)
        s = float(np.sqrt(max(squares[g].sum() / k - m**2, 0.0)))
        half = 1.96 * s / np.sqrt(k)
        bands.append(HandleBand(min(g), max(g) + 1, k, m, m - half, m + half,
                                _scaled(overall.spec, m / overall.mean)))  # fmt: skip
    return bands


def _patience_by_priority(
    wait: np.ndarray, gone: np.ndarray, priority: np.ndarray
) -> dict[str, PatienceFit]:
    """Patience per priority, when at least two priorities differ beyond their intervals."""
    fits: dict[str, PatienceFit] = {}
    for i, p in enumerate(PRIORITIES):
        mine = priority == i
        if int(gone[mine].sum()) >= PATIENCE_ABANDONS:
            fits[p] = fit_patience(wait[mine], gone[mine])
    apart = any(a.mean_high < b.mean_low for a in fits.values() for b in fits.values())
    return fits if len(fits) > 1 and apart else {}


def channel_behaviour(
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
    found: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """Handle time, patience, retries, priority mix and bot of one log channel.

    Returns the channel's scenario keys and their notes; what was fitted goes
    into ``found`` by kind (``handle``, ``bands``, ``patience``,
    ``patience_by``, ``retries``, ``priorities``, ``bot``), keyed by ``lc``.
    """
    spec: dict[str, Any] = {}
    notes: dict[str, str] = {}
    answered = mine & ~np.isnan(log.answered) & ~np.isnan(log.handled)
    durations = log.handled[answered] - log.answered[answered]
    h = fit_duration(durations)
    found["handle"][lc] = h
    spec["handle_time"] = h.spec
    notes["handle_time"] = h.note("answered contacts")
    hour = ((log.arrival[answered] % 86400) // 3600).astype(np.int64)
    bands = handle_bands(hour, durations, h)
    found["bands"][lc] = bands
    if bands:
        spec["handle_time_by"] = {"hour": {b.clock: b.spec for b in bands}}
        notes["handle_time"] += (
            f"; its shape, scaled to each band's mean, in handle_time_by ({len(bands)} bands)"
        )
        for b in bands:
            notes[f"handle_time_by.hour.{b.clock}"] = (
                f"{b.start:02d}-{b.end:02d}h: {b.n:,} contacts, mean {b.mean:,.1f} s "
                f"(95% CI {b.mean_low:,.1f}-{b.mean_high:,.1f})"
            )
    ended = np.where(np.isnan(log.answered), log.abandoned, log.answered)
    queued = mine & ~np.isnan(log.queued) & ~np.isnan(ended)
    wait = ended[queued] - log.queued[queued]
    gone = log.outcome[queued] == Outcome.ABANDONED
    if kind != "async" and gone.any():
        p = fit_patience(wait, gone)
        found["patience"][lc] = p
        spec["patience"] = _exponential(p.mean_s)
        notes["patience"] = p.note
        by = _patience_by_priority(wait, gone, log.priority[queued])
        found["patience_by"][lc] = by
        if by:
            spec["patience_by"] = {"priority": {k: _exponential(f.mean_s) for k, f in by.items()}}
            for k, f in by.items():
                notes[f"patience_by.priority.{k}"] = f"{k}: {f.note}"
        known = table.frame["customer"].notna().to_numpy()
        r = fit_retries(
            log.arrival, log.abandoned, log.outcome == Outcome.ABANDONED, known & mine, previous,
            attempt, window, end,
        )  # fmt: skip
        found["retries"][lc] = r
        if r is not None and r.retries > 0:
            spec["retry"] = {
                "share": rounded(r.share),
                "delay": _exponential(r.delay_mean_s),
                "max_attempts": r.max_attempts,
            }
            notes["retry"] = r.note
    _priorities(lc, log, mine, queued, wait, attempt, spec, notes, found)
    _bot(lc, log, mine, attempt, capacity, spec, notes, found)
    return spec, notes


def _exponential(mean_s: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean": format_duration(rounded(mean_s, 1))}


def _priorities(
    lc: str, log: Any, mine: np.ndarray, queued: np.ndarray, wait: np.ndarray,
    attempt: np.ndarray, spec: dict[str, Any], notes: dict[str, str], found: dict[str, Any],
) -> None:  # fmt: skip
    # Priority mix among contacts that waited: whether a contact waits depends on
    # the agents free when it arrives, not on its priority, so they are a fair
    # sample (and the bank's records lack the priority of calls that did not wait).
    waited = queued.copy()
    waited[queued] = wait > 0
    sample = waited & (attempt == 1) if (waited & (attempt == 1)).any() else mine
    mix: dict[str, float] = {
        str(p): float((log.priority[sample] == i).mean()) for i, p in enumerate(PRIORITIES)
    }
    found["priorities"][lc] = mix
    spec["priorities"] = shares(mix)
    n_sample = int(sample.sum())
    present = [k for k, v in mix.items() if v > 0]
    if len(present) > 1:
        text = ", ".join(
            f"{k} {mix[k]:.1%} (95% CI {wilson_text(mix[k], n_sample)})" for k in present
        )
        notes["priorities"] = (
            f"among {n_sample:,} first attempts that waited: {text}; served by priority then "
            "time in queue (strict), whatever head start the log's center gave"
        )
    else:
        notes["priorities"] = f"every contact of the log is {present[0] if present else 'general'}"
    vip = float(log.vip[mine].mean())
    if vip > 0:
        spec["vip_share"] = rounded(vip)
        notes["vip_share"] = f"{int(log.vip[mine].sum()):,} of {int(mine.sum()):,} contacts"


def _bot(
    lc: str, log: Any, mine: np.ndarray, attempt: np.ndarray, capacity: Capacity,
    spec: dict[str, Any], notes: dict[str, str], found: dict[str, Any],
) -> None:  # fmt: skip
    in_bot = mine & ~np.isnan(log.bot_end)
    if not in_bot.any():
        return
    # A few seconds in a menu barely matter: a short empirical list is enough.
    session = fit_duration(log.bot_end[in_bot] - log.arrival[in_bot], points=24)
    hour = np.clip((log.arrival // 3600).astype(np.int64), 0, capacity.estimate.size - 1)
    open_hour = capacity.estimate.reshape(-1)[hour] >= 0.5
    sel = in_bot & open_hour & (attempt == 1)
    ended_there = log.outcome[sel] == Outcome.DEFLECTED
    contained = float(ended_there.mean()) if sel.any() else 0.0
    found["bot"][lc] = (session, contained, int(sel.sum()))
    spec["bot"] = {"containment": rounded(contained, 4), "session_time": session.spec}
    notes["bot"] = (
        f"voice menu / bot: {int(ended_there.sum()):,} of {int(sel.sum()):,} "
        f"first attempts in open hours ended there (containment, 95% CI "
        f"{wilson_text(contained, int(sel.sum()))}); session time: " + session.note("sessions")
    )
