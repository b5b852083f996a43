"""The meeting-ready report of a results folder: ``report.html`` and ``summary.md``.

``report.html`` is one self-contained file: charts are embedded as base64 PNG,
the style sheet is inline, there is no script and no network reference, so it
can be mailed, archived or opened offline. Every table has one row per
target, channel, shift or event, never per interval or day, and the charts
aggregate long horizons, so a 90-day run gives a report of the same size.
``summary.md`` holds the key facts and the targets table for a ticket or chat.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
import os
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from shiftsim.analysis.results import RunResult
from shiftsim.model.distributions import Distribution, Uniform
from shiftsim.model.durations import format_duration
from shiftsim.model.names import PRIORITIES, WEEKDAYS
from shiftsim.model.problems import ScenarioError
from shiftsim.model.scenario import Scenario
from shiftsim.outputs import plotting
from shiftsim.outputs.store import OutputError, load_results

__all__ = ["render_html", "render_markdown", "write_report"]

MAX_SERVICE_LEVEL_CHARTS = 6
"""Service-level charts in the report: the first target and the weakest others."""

DPI = 100


def write_report(folder: str | Path) -> Path:
    """Write ``report.html``, ``summary.md`` and ``charts/*.png|svg`` into a results folder.

    Both files are written atomically (a temporary file renamed into place).

    Parameters
    ----------
    folder
        A folder written by ``shiftsim run --out``, complete or interrupted.

    Returns
    -------
    Path
        The HTML report.

    Raises
    ------
    OutputError
        ``folder`` is not a readable shiftsim results folder.
    """
    folder = Path(folder)
    try:
        result, meta = load_results(folder)
    except OutputError:
        raise
    except (
        OSError,
        ValueError,
        KeyError,
        yaml.YAMLError,
        ScenarioError,
        zipfile.BadZipFile,
    ) as exc:
        raise OutputError(f"{folder}: cannot read the results ({exc})") from exc
    path = folder / "report.html"
    if result.replications:
        plotting.save_charts(result, folder / "charts")
    _write_atomic(folder / "summary.md", render_markdown(result, meta))
    _write_atomic(path, render_html(result, meta))
    return path


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# -- formatting -------------------------------------------------------------------


def _nan(x: Any) -> bool:
    return x is None or (isinstance(x, float | np.floating) and math.isnan(x))


def _pct(x: float) -> str:
    return "–" if _nan(x) else f"{100 * x:.1f}%"


def _pct_ci(m: float, lo: float, hi: float) -> str:
    if _nan(m):
        return "–"
    if _nan(lo) or _nan(hi):
        return f"{100 * m:.1f}% (no CI)"
    return f"{100 * m:.1f}% ({100 * lo:.1f}–{100 * hi:.1f})"


def _num_ci(est: tuple[float, float, float], fmt: str = "{:,.0f}") -> str:
    """``mean (low–high)`` of a (mean, low, high) estimate, numbers written with ``fmt``."""
    m, lo, hi = est
    if _nan(m):
        return "–"
    if _nan(lo) or _nan(hi):
        return f"{fmt.format(m)} (no CI)"
    return f"{fmt.format(m)} ({fmt.format(lo)}–{fmt.format(hi)})"


def _duration(seconds: float) -> str:
    """A duration for people: ``45 s``, ``6 min``, ``2.5 h``, ``3 d``."""
    for size, unit in ((86400.0, "d"), (3600.0, "h"), (60.0, "min")):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


def _clock(seconds: float) -> str:
    h, rem = divmod(int(round(seconds)), 3600)
    return f"{h:02d}:{rem // 60:02d}"


def _hours(hours: tuple[float, float] | None, always: str = "24/7") -> str:
    return always if hours is None else f"{_clock(hours[0])}–{_clock(hours[1])}"


def _dist(d: Distribution | None) -> str:
    """``lognormal, mean 6 min, cv 0.7`` and the like."""
    if d is None:
        return "–"
    kind = getattr(d, "dist", type(d).__name__.lower())
    mean = _duration(float(d.mean))
    if kind == "constant":
        return f"constant {mean}"
    if kind == "exponential":
        return f"exponential, mean {mean}"
    if kind in ("lognormal", "gamma"):
        return f"{kind}, mean {mean}, cv {d.cv:.2g}"
    if isinstance(d, Uniform):
        return f"uniform {_duration(d.low)}–{_duration(d.high)}"
    return f"{kind}, mean {mean}"


def _status(p: float, thresholds: tuple[float, float] = plotting.THRESHOLDS) -> tuple[str, str]:
    """(css class, words) for a probability of meeting a target."""
    low, high = thresholds
    if _nan(p):
        return "na", "no data"
    if p >= high:
        return "good", "likely met"
    if p >= low:
        return "risk", "at risk"
    return "bad", "likely missed"


def _e(text: Any) -> str:
    return html.escape(str(text))


def _table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[bool] | None = None
) -> str:
    """An HTML table; cells are escaped unless given as ``("html", markup)``."""
    numeric = numeric or [False] * len(headers)
    head = "".join(
        f'<th class="{"num" if n else ""}">{_e(h)}</th>'
        for h, n in zip(headers, numeric, strict=True)
    )
    body = []
    for row in rows:
        cells = []
        for cell, n in zip(row, numeric, strict=True):
            cls = "num" if n else ""
            if isinstance(cell, tuple) and cell and cell[0] == "html":
                markup = cell[1]
                extra = cell[2] if len(cell) > 2 else ""
                cells.append(f'<td class="{cls} {extra}">{markup}</td>')
            else:
                cells.append(f'<td class="{cls}">{_e(cell)}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _check_section(result: RunResult) -> str:
    """The spreadsheet planner's stationary Erlang figure per hour next to the simulation."""
    from shiftsim.planning.check import MATERIAL, check_result

    checks = check_result(result)
    if not checks:
        return ""
    parts = [
        "<h2>Spreadsheet check: stationary Erlang per hour vs simulation</h2>",
        "<p class='defs'>What a spreadsheet computes for each hour of the day (expected "
        "arrivals of the hour averaged over the horizon, skilled agents on duty after "
        "shrinkage, Erlang C or Erlang A with the mean patience; shifts, rotation days, bot, "
        "escalation and retries ignored) next to the simulated share answered within the "
        f"channel's tightest first-response target. Flagged: differs by more than the "
        f"simulation's 95% CI plus {100 * MATERIAL:.0f} points.</p>",
    ]
    for c in checks:
        rows = []
        for hc in c.hours:
            sim = hc.simulated
            flag = ""
            if hc.flagged:
                flag = "differs: " + (", ".join(hc.reasons) or "no known reason")
            rows.append((
                f"{hc.hour:02d}:00", f"{hc.arrivals:.1f}", f"{hc.agents:.1f}", _pct(hc.planner),
                _pct_ci(sim.mean, sim.low, sim.high),
                "-" if math.isnan(hc.difference) else f"{100 * hc.difference:+.1f} pts",
                ("html", _e(flag), "bad" if flag else ""),
            ))  # fmt: skip
        parts.append(
            f"<h3>{_e(c.channel)}: answered within {_e(format_duration(c.within))} "
            f"({_e(c.model)})</h3>"
        )
        parts.append(_table(
            ["hour", "arrivals/h", "agents", "spreadsheet", "simulated (95% CI)", "difference",
             "flag"],
            rows, [False, True, True, True, True, True, False],
        ))  # fmt: skip
        used = {r for hc in c.hours if hc.flagged for r in hc.reasons}
        notes = [f"<li><b>{_e(k)}</b>: {_e(v)}</li>" for k, v in c.notes.items() if k in used]
        if notes:
            parts.append(f"<ul class='defs'>{''.join(notes)}</ul>")
    return "".join(parts)


# -- facts --------------------------------------------------------------------------


def _run_state(result: RunResult, meta: dict[str, Any]) -> tuple[str, str]:
    """(status word, sentence) for the run: complete, interrupted or still running."""
    status = str(meta.get("status", "unknown"))
    done, asked = result.replications, result.requested
    if status == "complete" and not result.interrupted:
        return "COMPLETE", f"all {asked} replications finished"
    word = "INTERRUPTED" if status in ("interrupted", "complete") else status.upper()
    return word, (
        f"only {done} of {asked} replications finished; every figure below uses those "
        f"{done} only and is less certain than planned"
    )


def _facts(result: RunResult, meta: dict[str, Any]) -> list[tuple[str, str]]:
    sc = result.scenario
    h = sc.horizon
    last = h.start + dt.timedelta(days=h.days - 1)
    horizon = f"{h.days} days, {h.start:%a %d %b %Y} – {last:%a %d %b %Y}"
    if h.warmup_days:
        horizon += f" (after {h.warmup_days} warm-up day(s), not reported)"
    word, _ = _run_state(result, meta)
    wall = meta.get("wall_time_s")
    versions = meta.get("versions", {})
    return [
        ("Scenario", sc.name),
        ("Status", f"{word}: {result.replications} of {result.requested} replications"),
        ("Horizon", horizon),
        ("Seed", str(sc.seed)),
        ("Reporting interval", _duration(sc.reporting.interval)),
        ("Started", str(meta.get("started", "–"))),
        ("Simulation time", "–" if wall is None else f"{float(wall):.1f} s"),
        ("Source", str(meta.get("source", "–"))),
        ("shiftsim", str(versions.get("shiftsim", "–"))),
        ("Scenario hash", str(meta.get("scenario_hash", "–"))),
    ]


def _target_counts(targets: pd.DataFrame) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {
        "likely met": [],
        "at risk": [],
        "likely missed": [],
        "no data": [],
    }
    for _, row in targets.iterrows():
        out[_status(row["p_meet"])[1]].append(str(row["target"]))
    return out


def _headline(targets: pd.DataFrame) -> str:
    c = _target_counts(targets)
    n = len(targets)
    if n == 0:
        return "No response targets are defined in this scenario"
    parts = [f"{len(c['likely met'])} of {n} targets likely met (P ≥ {plotting.THRESHOLDS[1]:.0%})"]
    if c["at risk"]:
        parts.append(f"{len(c['at risk'])} at risk")
    if c["likely missed"]:
        parts.append(f"{len(c['likely missed'])} likely missed (P < {plotting.THRESHOLDS[0]:.0%})")
    return ", ".join(parts)


# -- charts ---------------------------------------------------------------------------


def _png(ax: Any) -> tuple[str, int, int]:
    """The chart's figure as base64 PNG, with its pixel size."""
    fig = ax.figure
    buf = io.BytesIO()
    # No Software tag: keeps the file free of any web address.
    fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    width, height = (int(round(v * DPI)) for v in fig.get_size_inches())
    return base64.b64encode(buf.getvalue()).decode("ascii"), width, height


def _figure(ax: Any, caption: str) -> str:
    data, w, h = _png(ax)
    alt = ax.get_title(loc="left") or caption
    return (
        f'<figure class="chart"><img src="data:image/png;base64,{data}" width="{w}" height="{h}" '
        f'alt="{_e(alt)}"><figcaption>{caption}</figcaption></figure>'
    )


def _key_targets(targets: pd.DataFrame) -> list[int]:
    """The first target and the weakest of the others (lowest P(day meets goal))."""
    if targets.empty:
        return []
    high = plotting.THRESHOLDS[1]
    p = targets["p_meet"].to_numpy(dtype=float)
    weak = [int(i) for i in np.argsort(np.nan_to_num(p, nan=2.0), kind="stable") if p[i] < high]
    picked = [0] + [i for i in weak if i != 0]
    return picked[:MAX_SERVICE_LEVEL_CHARTS]


def _charts(result: RunResult, targets: pd.DataFrame) -> list[tuple[str, str]]:
    """(section title, figure markup) of every chart, in reading order."""
    sc = result.scenario
    out: list[tuple[str, str]] = []
    if not targets.empty:
        out.append(("Probability of meeting each target", _figure(
            plotting.target_probabilities(result),
            "Share of simulated days on which the day's service level reached the goal, over all "
            "replications; whiskers: 95% confidence interval across replications. Green ≥ "
            f"{plotting.THRESHOLDS[1]:.0%}, amber ≥ {plotting.THRESHOLDS[0]:.0%}, red below.",
        )))  # fmt: skip

    busiest = _busiest_day(result)
    load = [_figure(plotting.arrivals_and_staff(result),
                    "Bars: contacts offered per clock hour (arrivals and retries, before any bot), "
                    "averaged over the horizon. Lines (right axis): agents rostered on duty, "
                    "agents available after shrinkage, and agents busy.")]  # fmt: skip
    if busiest is not None and sc.horizon.days > 1:
        load.append(_figure(plotting.arrivals_and_staff(result, day=busiest),
                            f"The busiest day of the horizon ({busiest:%A %d %B %Y}), by "
                            "contacts offered."))  # fmt: skip
    out.append(("Arrivals and agents on duty", "".join(load)))
    if not targets.empty:
        out += _target_charts(result, targets)

    waits = [
        _figure(plotting.wait_distribution(result, name),
                "Wait percentiles (p50, p80, p90, p95) of answered contacts, averaged over days, "
                "scaled by the share answered (hang-ups never are); dotted: at least that share "
                "is answered by then. Stars: each target's wait limit and goal; a curve passing "
                "above its star meets the target on average.")
        for name in sc.channels
    ]  # fmt: skip
    out.append(("Waits before first response", "".join(waits)))
    out.append(("Backlog of deferrable work", _figure(
        plotting.backlog_over_time(result),
        "Async messages not yet picked up plus escalated cases answered by the department and "
        "not yet closed by the front line; mean of replications with 95% CI.",
    )))  # fmt: skip
    out.append(("Occupancy by shift", _figure(
        plotting.shift_occupancy(result),
        "Busy time over time on duty (chats weighted by 1/concurrency) over the horizon, with "
        "95% CI; the labels give the agents rostered on duty per day.",
    )))  # fmt: skip
    return out


def _target_charts(result: RunResult, targets: pd.DataFrame) -> list[tuple[str, str]]:
    """Service level over the horizon for the key targets, and their day x hour maps."""
    days = result.scenario.horizon.days
    per = "per day" if days > plotting.LONG_HORIZON_DAYS else "per interval and per day"
    keys = _key_targets(targets)
    sl = [
        _figure(plotting.service_level_over_time(result, k),
                f"Service level {per} (mean of replications, 95% CI shaded) against the goal "
                "(dashed). Shaded in yellow: dated events.")
        for k in keys
    ]  # fmt: skip
    note = ""
    if len(targets) > len(keys):
        weak = f" and the {len(keys) - 1} weakest" if len(keys) > 1 else ""
        note = (f'<p class="note">Charted: the first target{weak}; the others are in the table '
                "and the chart above.</p>")  # fmt: skip

    heat_keys = keys[:1]
    p = targets["p_meet"].to_numpy(dtype=float)
    worst = int(np.argmin(np.nan_to_num(p, nan=2.0)))
    if worst != keys[0] and p[worst] < plotting.THRESHOLDS[1]:
        heat_keys.append(worst)
    heat = [
        _figure(plotting.meet_heatmap(result, k),
                "Share of replications in which that hour's service level reached the goal. "
                "Grey: no contact for this target in that hour.")
        for k in heat_keys
    ]  # fmt: skip
    return [
        ("Service level over the horizon", note + "".join(sl)),
        ("When are targets missed? Day × hour", "".join(heat)),
    ]


def _busiest_day(result: RunResult) -> dt.date | None:
    days = result.intervals("day")
    if days.empty:
        return None
    total = days.groupby("start")["offered"].sum()
    return pd.Timestamp(total.idxmax()).date()


# -- tables -------------------------------------------------------------------------------


def _targets_table(result: RunResult, targets: pd.DataFrame) -> str:
    rows = []
    for t, (_, r) in zip(result.scenario.resolved_targets, targets.iterrows(), strict=True):
        cls, words = _status(r["p_meet"])
        sl = _pct_ci(r["service_level"], r["service_level_low"], r["service_level_high"])
        below = not _nan(r["service_level"]) and r["service_level"] < r["goal"] - 1e-12
        sl_cell = ("html", f'<span class="{"below" if below else ""}">{_e(sl)}</span>')
        p = _pct_ci(r["p_meet"], r["p_meet_low"], r["p_meet_high"])
        p_cell = ("html", f"<b>{_e(p)}</b><br><small>{_e(words)}</small>", cls)
        rows.append([
            r["target"], t.kind.replace("_", " "), _pct(r["goal"]), sl_cell, p_cell,
            f"{r['contacts_per_rep']:,.0f}", str(int(r["days_evaluated"])),
        ])  # fmt: skip
    return _table(
        ["target", "kind", "goal", "service level (95% CI)", "P(day meets goal) (95% CI)",
         "contacts / replication", "days evaluated"],
        rows,
        [False, False, True, True, True, True, True],
    )  # fmt: skip


def _channels_table(result: RunResult) -> str:
    sc = result.scenario
    rows = []
    for _, r in result.channels().iterrows():
        ch = sc.channels[r["channel"]]
        esc = ch.escalation is not None
        delay, low, high = r["dept_delay_s"]
        dd = (delay / 60, low / 60, high / 60)
        rows.append([
            r["channel"], ch.kind, _num_ci(r["offered_per_rep"]),
            _pct_ci(*r["containment"]) if ch.bot is not None else "no bot",
            _pct_ci(*r["abandonment"]) if ch.synchronous else "n/a (async)",
            _num_ci(r["asa_s"], fmt="{:.1f}") if ch.synchronous else "n/a (async)",
            _pct_ci(*r["escalation_share"]) if esc else "–",
            _num_ci(dd, fmt="{:.1f}") if esc else "–",
            _pct_ci(*r["dept_late_share"]) if esc else "–",
        ])  # fmt: skip
    return _table(
        ["channel", "kind", "offered / replication", "bot containment", "abandonment", "ASA (s)",
         "escalated", "dept. delay (min)", "dept. late"],
        rows,
        [False, False] + [True] * 7,
    )  # fmt: skip


def _shifts_table(result: RunResult) -> str:
    sc = result.scenario
    rows = []
    for _, r in result.shifts().iterrows():
        pool = sc.pools[r["pool"]]
        s = pool.shifts[r["shift"]]
        rows.append([
            r["pool"], r["shift"], f"{_clock(s.start)}–{_clock(s.end)}", str(r["headcount"]),
            f"{r['on_duty_per_day']:.1f}", f"{r['on_duty_per_day'] * (1 - pool.shrinkage):.1f}",
            _pct_ci(*r["occupancy"]), _num_ci(r["overtime_h_per_day"], fmt="{:.2f}"),
        ])  # fmt: skip
    return _table(
        ["pool", "shift", "hours", "headcount", "on duty / day", "available (after shrinkage)",
         "occupancy", "overtime h / day"],
        rows,
        [False, False, False, True, True, True, True, True],
    )  # fmt: skip


# -- assumptions ----------------------------------------------------------------------------


def _weekdays(factors: Mapping[Any, float]) -> str:
    shown = [f"{d} {factors[d]:g}" for d in WEEKDAYS if d in factors and factors[d] != 1.0]
    return ", ".join(shown) or "flat"


def _peak(profile: Sequence[float]) -> str:
    h = int(np.argmax(profile))
    share = profile[h] / sum(profile)
    return f"{h:02d}:00–{h + 1:02d}:00 ({share:.0%} of the day)"


def _mix(priorities: Mapping[Any, float]) -> str:
    return ", ".join(f"{p} {priorities[p]:.0%}" for p in PRIORITIES if priorities.get(p, 0) > 0)


def _assumptions(sc: Scenario, result: RunResult | None) -> str:
    parts = []
    rows = []
    for name, ch in sc.channels.items():
        v = ch.volume
        extra = []
        if ch.kind == "chat":
            extra.append(f"{ch.concurrency} chats per agent")
        if ch.retry is not None:
            extra.append(
                f"{ch.retry.share:.0%} of hang-ups retry after {_dist(ch.retry.delay)}, "
                f"up to {ch.retry.max_attempts} attempts"
            )
        rows.append([
            name, ch.kind, f"{v.per_day:,.0f}", f"{v.daily_cv:.0%}",
            _weekdays(v.weekday_factors), _peak(v.hourly_profile), _dist(ch.handle_time),
            _dist(ch.patience) if ch.synchronous else "n/a (async)",
            _mix(ch.priorities), f"{ch.vip_share:.0%}", "; ".join(extra) or "–",
        ])  # fmt: skip
    parts.append("<h3>Volumes and handling per channel</h3>")
    parts.append(_table(
        ["channel", "kind", "contacts / day", "forecast error (cv)", "weekday factors",
         "peak hour", "handle time", "patience", "priorities", "VIP", "other"],
        rows, [False, False, True, True] + [False] * 7,
    ))  # fmt: skip

    parts.append("<h3>Dated events</h3>")
    if sc.events:
        ev_rows = []
        for ev in sc.events:
            dates = f"{ev.date:%a %d %b %Y}" + (f" – {ev.until:%a %d %b %Y}" if ev.until else "")
            per = ", ".join(f"{c} ×{f:g}" for c, f in ev.channels.items())
            ev_rows.append([ev.label or "–", dates, f"×{ev.factor:g}", per or "–"])
        parts.append(_table(["event", "dates", "volume factor", "per channel"], ev_rows))
    else:
        parts.append("<p>None: volumes follow the weekday pattern only.</p>")

    parts.append("<h3>Agents: pools, shifts and rotation</h3>")
    on_duty = {}
    if result is not None and result.on_duty_by_day.size:
        on_duty = {
            name: float(result.on_duty_by_day[:, j].mean())
            for j, name in enumerate(result.shift_names)
        }
    p_rows = []
    for pname, pool in sc.pools.items():
        rot = pool.rotation
        cycle = f"pattern {rot.pattern}" if rot.pattern else f"{rot.work} on / {rot.rest} off"
        cycle += ", staggered" if rot.stagger else ", not staggered"
        role = ("senior; " if pool.senior else "") + ("takes VIPs" if pool.takes_vip else "no VIPs")
        for sname, s in pool.shifts.items():
            od = on_duty.get((pname, sname))
            p_rows.append([
                pname, ", ".join(pool.channels), role, sname,
                f"{_clock(s.start)}–{_clock(s.end)}", str(s.headcount),
                "–" if od is None else f"{od:.1f}", f"{pool.shrinkage:.0%}", cycle,
            ])  # fmt: skip
    parts.append(_table(
        ["pool", "channels", "role", "shift", "hours", "headcount", "on duty / day", "shrinkage",
         "rotation"],
        p_rows, [False] * 5 + [True, True, True, False],
    ))  # fmt: skip

    parts.append("<h3>Chatbot / IVR</h3>")
    bots = [
        [name, _hours(ch.bot.hours), f"{ch.bot.containment:.0%}", _dist(ch.bot.session_time),
         "yes" if ch.bot.counts_as_first_response else "no",
         f"×{ch.bot.handover_handle_factor:g}"]
        for name, ch in sc.channels.items() if ch.bot is not None
    ]  # fmt: skip
    if bots:
        parts.append(_table(
            ["channel", "hours", "containment", "session", "counts as first response",
             "handle time after hand-over"], bots, [False, False, True, False, False, True],
        ))  # fmt: skip
    else:
        parts.append("<p>No bot in this scenario.</p>")

    parts.append("<h3>Escalation</h3>")
    esc = []
    for name, ch in sc.channels.items():
        e = ch.escalation
        if e is None:
            continue
        by = ", ".join(f"{p} {s:.0%}" for p, s in e.by_priority.items())
        d = sc.departments[e.department]
        esc.append([
            name, e.department, f"{e.share:.0%}" + (f" ({by})" if by else ""),
            _duration(d.respond_within), _hours(d.hours, "always"), _dist(d.delay),
            _dist(d.off_hours_delay) if d.hours is not None else "–", _dist(e.closing_time),
        ])  # fmt: skip
    if esc:
        parts.append(_table(
            ["channel", "department", "share escalated", "must respond within", "dept. hours",
             "dept. delay", "off-hours delay", "closing by front line"], esc,
        ))  # fmt: skip
    else:
        parts.append("<p>No escalation in this scenario.</p>")
    return "".join(parts)


# -- the page -------------------------------------------------------------------------------

_CSS = """
:root { --good:#2e7d32; --risk:#a86b00; --bad:#c62828; --ink:#1f2328; --mute:#59636e; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif;
  color: var(--ink); margin: 0; background: #f4f5f7; font-size: 17px; line-height: 1.45; }
main { max-width: 1280px; margin: 0 auto; padding: 24px 32px 48px; background: #fff; }
h1 { font-size: 34px; margin: 8px 0 4px; }
h2 { font-size: 26px; margin: 40px 0 12px; padding-bottom: 6px; border-bottom: 3px solid #e1e4e8; }
h3 { font-size: 20px; margin: 26px 0 8px; }
p.lead { font-size: 19px; color: var(--mute); margin: 0 0 16px; }
.banner { padding: 14px 18px; border-radius: 6px; font-size: 19px; margin: 16px 0; }
.banner.ok { background: #e8f5e9; border-left: 8px solid var(--good); }
.banner.warn { background: #ffebee; border-left: 8px solid var(--bad); font-weight: 600; }
.headline { font-size: 21px; font-weight: 600; margin: 18px 0 6px; }
ul.findings { margin: 6px 0 0; font-size: 18px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 4px 24px; margin: 12px 0; }
dl.facts dt { font-weight: 600; color: var(--mute); }
dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 16px; }
th, td { padding: 7px 10px; border-bottom: 1px solid #e1e4e8; text-align: left;
  vertical-align: top; }
th { background: #f0f2f5; font-weight: 600; }
tbody tr:nth-child(even) td { background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.good { background: #e8f5e9 !important; color: var(--good); }
td.risk { background: #fff4e0 !important; color: var(--risk); }
td.bad { background: #ffebee !important; color: var(--bad); }
span.below { color: var(--bad); font-weight: 600; }
figure.chart { margin: 18px 0 28px; page-break-inside: avoid; break-inside: avoid; }
figure.chart img { display: block; max-width: 100%; height: auto; border: 1px solid #e1e4e8; }
figcaption { color: var(--mute); font-size: 15px; margin-top: 6px; }
p.note, .defs { color: var(--mute); font-size: 15px; }
footer { color: var(--mute); font-size: 14px; margin-top: 40px; border-top: 1px solid #e1e4e8;
  padding-top: 10px; }
@media print { body { background: #fff; } main { padding: 0; } h2 { break-after: avoid; } }
"""


def render_html(result: RunResult, meta: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (see the module docstring)."""
    sc = result.scenario
    word, sentence = _run_state(result, meta)
    body = [f"<h1>Staffing plan: {_e(sc.name)}</h1>"]
    if sc.description:
        body.append(f'<p class="lead">{_e(sc.description)}</p>')
    if word == "COMPLETE":
        body.append(f'<div class="banner ok" id="status"><b>{word}</b>: {_e(sentence)}.</div>')
    else:
        body.append(
            f'<div class="banner warn" id="status">{word}: {_e(sentence)}. Run '
            "<code>shiftsim run</code> again with the same <code>--out</code> to finish the "
            "missing replications.</div>"
        )
    body.append("<h2>Plan summary</h2><dl class='facts'>")
    body += [f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in _facts(result, meta)]
    body.append("</dl>")

    if result.replications == 0:
        body.append("<p class='headline'>No replication finished: there are no results yet.</p>")
    else:
        targets = result.targets()
        body.append(f'<p class="headline">{_e(_headline(targets))}.</p>')
        counts = _target_counts(targets)
        items = [f"<li><b>Likely missed:</b> {_e('; '.join(counts['likely missed']))}</li>"
                 if counts["likely missed"] else "",
                 f"<li><b>At risk:</b> {_e('; '.join(counts['at risk']))}</li>"
                 if counts["at risk"] else ""]  # fmt: skip
        if any(items):
            body.append(f"<ul class='findings'>{''.join(items)}</ul>")
        if result.replications < 2:
            body.append("<p class='note'>One replication: no confidence interval can be given.</p>")

        if not targets.empty:
            body.append("<h2>Response targets</h2>")
            body.append(_targets_table(result, targets))
            body.append(
                "<p class='defs'><b>Service level</b>: share of the horizon's contacts that met "
                "the target, all days and replications pooled (95% CI from the variation "
                "between replications). <b>P(day meets goal)</b>: share of a replication's days "
                "on which the day's service level reached the goal, averaged over replications; "
                "its interval comes from the per-replication shares. Red service levels are "
                "below the goal.</p>"
            )
        for title, markup in _charts(result, targets):
            body.append(f"<h2>{_e(title)}</h2>{markup}")
        body.append("<h2>Channels</h2>")
        body.append(_channels_table(result))
        body.append(
            "<p class='defs'>Offered: contact attempts (retries included). Containment: share of "
            "bot sessions the bot resolved. Abandonment: share of contacts in a human queue that "
            "hung up. ASA: mean wait of answered calls and chats. Dept. late: escalations the "
            "department answered later than it must (raised to the department head).</p>"
        )
        body.append("<h2>Shifts</h2>")
        body.append(_shifts_table(result))
        body.append(_check_section(result))

    body.append("<h2>Key assumptions</h2>")
    body.append(_assumptions(sc, result if result.replications else None))
    versions = ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items())
    body.append(
        f"<footer>Generated {dt.datetime.now():%Y-%m-%d %H:%M} by shiftsim from the results "
        f"folder. {_e(versions)}</footer>"
    )
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{_e(sc.name)}: staffing plan report</title><style>{_CSS}</style></head>"
        f"<body><main>{''.join(body)}</main></body></html>\n"
    )


def render_markdown(result: RunResult, meta: dict[str, Any]) -> str:
    """Key facts and the targets table, in Markdown."""
    sc = result.scenario
    word, sentence = _run_state(result, meta)
    lines = [f"# Staffing plan: {sc.name}", ""]
    if word != "COMPLETE":
        lines += [f"> **{word}**: {sentence}.", ""]
    lines += [f"- **{k}**: {v}" for k, v in _facts(result, meta)]
    headcount = sum(s.headcount for p in sc.pools.values() for s in p.shifts.values())
    lines.append(f"- **Headcount**: {headcount} agents in {len(sc.pools)} pool(s)")
    lines.append("")
    if result.replications == 0:
        lines.append("No replication finished: there are no results yet.")
        return "\n".join(lines) + "\n"
    targets = result.targets()
    lines += [f"**{_headline(targets)}.**", ""]
    if targets.empty:
        return "\n".join(lines) + "\n"
    lines.append("| target | goal | service level (95% CI) | P(day meets goal) (95% CI) | status |")
    lines.append("|---|---:|---:|---:|---|")
    for _, r in targets.iterrows():
        sl = _pct_ci(r["service_level"], r["service_level_low"], r["service_level_high"])
        p = _pct_ci(r["p_meet"], r["p_meet_low"], r["p_meet_high"])
        label = str(r["target"]).replace("|", "\\|")
        lines.append(f"| {label} | {_pct(r['goal'])} | {sl} | {p} | {_status(r['p_meet'])[1]} |")
    lines += [
        "",
        "P(day meets goal): share of a replication's days on which the day's service level "
        "reached the goal, averaged over replications. Charts and all tables: `report.html`.",
    ]
    return "\n".join(lines) + "\n"
