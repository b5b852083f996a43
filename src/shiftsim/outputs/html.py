"""The meeting-ready report of a results folder: ``report.html`` and ``summary.md``.

``report.html`` is one self-contained file: charts are embedded as base64 PNG,
the style sheet is inline, there is no script and no network reference, so it
can be mailed, archived or opened offline. Every table has one row per
target, channel, shift or event, never per interval or day, and the charts
aggregate long horizons, so a 90-day run gives a report of the same size.
``summary.md`` holds the key facts and the targets table for a ticket or chat.

The pages are Jinja2 templates (``templates/report.html.j2``, one block per
section, and ``templates/summary.md.j2``). Python only prepares their data:
strings, and tables and charts (:mod:`shiftsim.outputs.pages`): this module
the results, :mod:`~shiftsim.outputs.report_charts` the charts and
:mod:`~shiftsim.outputs.assumptions` the scenario's assumptions.
"""

from __future__ import annotations

import datetime as dt
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from shiftsim.analysis.results import RunResult
from shiftsim.model.durations import format_duration
from shiftsim.model.formats import is_missing, percent, percent_ci
from shiftsim.model.problems import ScenarioError
from shiftsim.outputs import plotting
from shiftsim.outputs.assumptions import assumptions, clock, human_duration
from shiftsim.outputs.pages import Cell, Table, render, table
from shiftsim.outputs.report_charts import chart_sections
from shiftsim.outputs.store import OutputError, load_results
from shiftsim.planning.check import MATERIAL, check_result

__all__ = ["render_html", "render_markdown", "write_report"]


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


def render_html(result: RunResult, meta: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (see the module docstring)."""
    return render("report.html.j2", _context(result, meta))


def render_markdown(result: RunResult, meta: dict[str, Any]) -> str:
    """Key facts and the targets table, in Markdown."""
    sc = result.scenario
    targets = result.targets() if result.replications else pd.DataFrame()
    rows = [
        [str(r["target"]).replace("|", "\\|"), percent(r["goal"]),
         percent_ci(r["service_level"], r["service_level_low"], r["service_level_high"]),
         percent_ci(r["p_meet"], r["p_meet_low"], r["p_meet_high"]), _status(r["p_meet"])[1]]
        for _, r in targets.iterrows()
    ]  # fmt: skip
    context = _page(result, meta, targets) | {
        "headcount": sum(s.headcount for p in sc.pools.values() for s in p.shifts.values()),
        "pools": len(sc.pools),
        "rows": rows,
    }
    return render("summary.md.j2", context)


def _page(result: RunResult, meta: dict[str, Any], targets: pd.DataFrame) -> dict[str, Any]:
    """What both the HTML page and the Markdown summary show."""
    word, sentence = _run_state(result, meta)
    has_results = result.replications > 0
    return {
        "name": result.scenario.name,
        "word": word,
        "sentence": sentence,
        "complete": word == "COMPLETE",
        "facts": _facts(result, meta),
        "has_results": has_results,
        "headline": _headline(targets) if has_results else "",
    }


def _context(result: RunResult, meta: dict[str, Any]) -> dict[str, Any]:
    """Everything ``report.html.j2`` shows."""
    sc = result.scenario
    has_results = result.replications > 0
    targets = result.targets() if has_results else pd.DataFrame()
    counts = _target_counts(targets)
    return _page(result, meta, targets) | {
        "description": sc.description or "",
        "missed": counts["likely missed"],
        "at_risk": counts["at risk"],
        "one_replication": result.replications < 2,
        "targets": _targets_table(result, targets) if not targets.empty else None,
        "chart_sections": chart_sections(result, targets) if has_results else [],
        "channels": _channels_table(result) if has_results else None,
        "shifts": _shifts_table(result) if has_results else None,
        "checks": _checks(result) if has_results else [],
        "material": f"{100 * MATERIAL:.0f}",
        "assumptions": assumptions(sc, result if has_results else None),
        "generated": f"{dt.datetime.now():%Y-%m-%d %H:%M}",
        "versions": ", ".join(f"{k} {v}" for k, v in meta.get("versions", {}).items()),
    }


# -- formatting -------------------------------------------------------------------


def _num_ci(est: tuple[float, float, float], fmt: str = "{:,.0f}") -> str:
    """``mean (low–high)`` of a (mean, low, high) estimate, numbers written with ``fmt``."""
    m, lo, hi = est
    if is_missing(m):
        return "–"
    if is_missing(lo) or is_missing(hi):
        return f"{fmt.format(m)} (no CI)"
    return f"{fmt.format(m)} ({fmt.format(lo)}–{fmt.format(hi)})"


def _status(p: float, thresholds: tuple[float, float] = plotting.THRESHOLDS) -> tuple[str, str]:
    """(css class, words) for a probability of meeting a target."""
    low, high = thresholds
    if is_missing(p):
        return "na", "no data"
    if p >= high:
        return "good", "likely met"
    if p >= low:
        return "risk", "at risk"
    return "bad", "likely missed"


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
        ("Reporting interval", human_duration(sc.reporting.interval)),
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
    low, high = (percent(t, 0) for t in plotting.THRESHOLDS)
    parts = [f"{len(c['likely met'])} of {n} targets likely met (P ≥ {high})"]
    if c["at risk"]:
        parts.append(f"{len(c['at risk'])} at risk")
    if c["likely missed"]:
        parts.append(f"{len(c['likely missed'])} likely missed (P < {low})")
    return ", ".join(parts)


# -- tables -------------------------------------------------------------------------------


def _targets_table(result: RunResult, targets: pd.DataFrame) -> Table:
    rows = []
    for t, (_, r) in zip(result.scenario.resolved_targets, targets.iterrows(), strict=True):
        cls, words = _status(r["p_meet"])
        below = not is_missing(r["service_level"]) and r["service_level"] < r["goal"] - 1e-12
        sl = percent_ci(r["service_level"], r["service_level_low"], r["service_level_high"])
        p = percent_ci(r["p_meet"], r["p_meet_low"], r["p_meet_high"])
        rows.append([
            r["target"], t.kind.replace("_", " "), percent(r["goal"]), Cell(sl, below=below),
            Cell(p, status=cls, note=words, strong=True),
            f"{r['contacts_per_rep']:,.0f}", str(int(r["days_evaluated"])),
        ])  # fmt: skip
    return table(
        ["target", "kind", "goal", "service level (95% CI)", "P(day meets goal) (95% CI)",
         "contacts / replication", "days evaluated"],
        rows,
        [False, False, True, True, True, True, True],
    )  # fmt: skip


def _channels_table(result: RunResult) -> Table:
    sc = result.scenario
    rows = []
    for _, r in result.channels().iterrows():
        ch = sc.channels[r["channel"]]
        esc = ch.escalation is not None
        delay, low, high = r["dept_delay_s"]
        dd = (delay / 60, low / 60, high / 60)
        rows.append([
            r["channel"], ch.kind, _num_ci(r["offered_per_rep"]),
            percent_ci(*r["containment"]) if ch.bot is not None else "no bot",
            percent_ci(*r["abandonment"]) if ch.synchronous else "n/a (async)",
            _num_ci(r["asa_s"], fmt="{:.1f}") if ch.synchronous else "n/a (async)",
            percent_ci(*r["escalation_share"]) if esc else "–",
            _num_ci(dd, fmt="{:.1f}") if esc else "–",
            percent_ci(*r["dept_late_share"]) if esc else "–",
        ])  # fmt: skip
    return table(
        ["channel", "kind", "offered / replication", "bot containment", "abandonment", "ASA (s)",
         "escalated", "dept. delay (min)", "dept. late"],
        rows,
        [False, False] + [True] * 7,
    )  # fmt: skip


def _shifts_table(result: RunResult) -> Table:
    sc = result.scenario
    rows = []
    for _, r in result.shifts().iterrows():
        pool = sc.pools[r["pool"]]
        s = pool.shifts[r["shift"]]
        rows.append([
            r["pool"], r["shift"], f"{clock(s.start)}–{clock(s.end)}", str(r["headcount"]),
            f"{r['on_duty_per_day']:.1f}", f"{r['on_duty_per_day'] * (1 - pool.shrinkage):.1f}",
            percent_ci(*r["occupancy"]), _num_ci(r["overtime_h_per_day"], fmt="{:.2f}"),
        ])  # fmt: skip
    return table(
        ["pool", "shift", "hours", "headcount", "on duty / day", "available (after shrinkage)",
         "occupancy", "overtime h / day"],
        rows,
        [False, False, False, True, True, True, True, True],
    )  # fmt: skip


@dataclass(frozen=True)
class CheckTable:
    """The spreadsheet check of one channel: a table by hour, notes on the flagged reasons."""

    title: str
    table: Table
    notes: list[tuple[str, str]]


def _checks(result: RunResult) -> list[CheckTable]:
    """The spreadsheet planner's stationary Erlang figure per hour next to the simulation."""
    out = []
    for c in check_result(result):
        rows = []
        for hc in c.hours:
            sim = hc.simulated
            flag = ""
            if hc.flagged:
                flag = "differs: " + (", ".join(hc.reasons) or "no known reason")
            rows.append((
                f"{hc.hour:02d}:00", f"{hc.arrivals:.1f}", f"{hc.agents:.1f}",
                percent(hc.planner), percent_ci(sim.mean, sim.low, sim.high),
                "-" if is_missing(hc.difference) else f"{100 * hc.difference:+.1f} pts",
                Cell(flag, status="bad" if flag else ""),
            ))  # fmt: skip
        hours = table(
            ["hour", "arrivals/h", "agents", "spreadsheet", "simulated (95% CI)", "difference",
             "flag"],
            rows, [False, True, True, True, True, True, False],
        )  # fmt: skip
        used = {r for hc in c.hours if hc.flagged for r in hc.reasons}
        notes = [(k, v) for k, v in c.notes.items() if k in used]
        title = f"{c.channel}: answered within {format_duration(c.within)} ({c.model})"
        out.append(CheckTable(title, hours, notes))
    return out
