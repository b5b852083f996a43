"""The words of a fitted scenario: where each number comes from, and what the model cannot
express (the header of the file and the fit report)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from shiftsim.logs.arrivals import VolumeFit
from shiftsim.logs.capacity import Capacity
from shiftsim.logs.reader import LogTable
from shiftsim.logs.service import DurationFit

__all__ = ["description", "header", "hours_text", "limitations", "staffing_note", "volume_notes"]


def volume_notes(base: str, types: Sequence[tuple[str, VolumeFit]], cv: float) -> dict[str, str]:
    """Notes on one channel's volume: the main day type, the other types' profiles, the spread.

    ``types`` are ``(profile key, fit)`` of each day type, the main one first
    (its key unused); ``cv`` is the pooled day-level spread written.
    """
    main = types[0][1]
    typed = len(types) > 1
    out = {
        f"{base}.volume.per_day": (
            f"{main.per_day:,.0f} first attempts/day ({main.label}) over {len(main.days)} days, "
            f"sd {main.per_day_sd:,.0f} (retries are simulated on top)"
            + (f"; {len(main.events)} dated event(s) left out" if main.events else "")
            + ("; other day types' levels through weekday_factors" if typed else "")
        ),
        f"{base}.volume.hourly_profile": _profile_note(main)
        + (f" ({main.label}; other days in profiles)" if typed else ""),
        f"{base}.volume.weekday_factors": "weekday mean / per_day: "
        + ", ".join(
            f"{d} {v.per_day * f / max(main.per_day, 1e-9):.2f} ({_days(v.weekday_days[d])})"
            for _, v in types
            for d, f in v.weekday_factors.items()
            if f > 0
        )
        + f"; standard error about {main.per_day_sd / max(main.per_day, 1e-9):.2f}/sqrt(days)",
    }
    for key, v in types[1:]:
        out[f"{base}.volume.profiles.{key}"] = _profile_note(v)
    dof = sum(v.dof for _, v in types)
    parts = ", ".join(f"{v.label} {v.daily_cv:.2f} (95% CI {v.cv_low:.2f}-{v.cv_high:.2f})"
                      for _, v in types if v.dof >= 1)  # fmt: skip
    out[f"{base}.volume.daily_cv"] = (
        f"overdispersion of daily totals after the weekday effect, cv^2 = (s^2 - m)/m^2; {parts}"
        + (f"; pooled over {dof} degrees of freedom: {cv:.3f}" if typed else f"; {dof} dof")
        if dof >= 1
        else "cannot be estimated: one day per weekday, nothing left for the spread; 0 written"
    )
    return out


def _profile_note(v: VolumeFit) -> str:
    days = len(v.days)
    closed = [h for h in range(24) if v.closed[h]]
    total = max(v.per_day * days, 1.0)
    share_se = float(np.max(np.sqrt(v.profile * (1 - v.profile) / total)))
    text = (
        f"share of the day's first attempts by hour, {days} days (standard error of a "
        f"share at most {100 * share_se:.2f} points)"
    )
    if closed:
        text += (
            f"; {hours_text(closed)}: no agent at work, their {v.closed_per_day:.1f} "
            "contacts/day (bot or voice menu only) left out"
        )
    return text


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def hours_text(hours: list[int]) -> str:
    """``[0, 1, 2, 22, 23]`` as ``00-03h, 22-24h``."""
    if not hours:
        return ""
    runs: list[list[int]] = [[hours[0], hours[0]]]
    for h in hours[1:]:
        if h == runs[-1][1] + 1:
            runs[-1][1] = h
        else:
            runs.append([h, h])
    return ", ".join(f"{a:02d}-{b + 1:02d}h" for a, b in runs)


def staffing_note(
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


def description(table: LogTable, groups: list[tuple[int, ...]]) -> str:
    src = table.mapping.source.strip()
    text = (
        f"Fitted by shiftsim fit from {table.report.rows_kept:,} log rows, "
        f"{table.first_day} to {table.last_day}."
    )
    if len(groups) > 1:
        text += " Day types (weekdays with their own hourly profile) as volume.profiles."
    if src:
        text += f" Data: {src}"
    return text


def header(table: LogTable, limits: list[str]) -> str:
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
    lines += [f"- {x}" for x in limits]
    return "\n".join(lines)


def limitations(
    table: LogTable,
    fits: Sequence[Any],
    handle: dict[str, DurationFit],
    bands: dict[str, list[Any]],
    priorities: dict[str, dict[str, float]],
) -> list[str]:
    """What the fitted scenario cannot say about this log."""
    out = []
    for lc, h in handle.items():
        if not bands.get(lc):
            continue
        b = bands[lc]
        out.append(
            f"handle time by hour: {lc} in {len(b)} bands of hours with alike means "
            f"({min(x.mean for x in b):.0f} s to {max(x.mean for x in b):.0f} s; one shape, "
            f"cv {h.cv:.2f}, scaled to each band's mean); a retry keeps its first attempt's"
        )
    for lc, mix in priorities.items():
        if sum(v > 0 for v in mix.values()) > 1:
            out.append(
                f"priorities are strict in the fitted model (highest first); the head start in "
                f"the queue a center may give (the Anonymous Bank gives priority callers 1.5 "
                f"minutes) is not fitted: {lc} simulates higher-priority callers ahead of the "
                "others"
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
