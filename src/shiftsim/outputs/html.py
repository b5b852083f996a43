"""The meeting-ready report of a results folder: ``report.html`` and ``summary.md``.

``report.html`` is one self-contained file: charts are embedded as base64 PNG,
the style sheet is inline, there is no script and no network reference, so it
can be mailed, archived or opened offline. Every table has one row per
target, channel, shift or event, never per interval or day, and the charts
aggregate long horizons, so a 90-day run gives a report of the same size.
``summary.md`` holds the findings, the key facts and the targets and periods
tables for a ticket or chat. Both open with the findings in words
(:mod:`shiftsim.analysis.findings`); targets are judged on their worst period.

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

from shiftsim.analysis.findings import findings
from shiftsim.analysis.metrics import meets
from shiftsim.analysis.results import RunResult
from shiftsim.model.durations import format_duration
from shiftsim.model.formats import is_missing, percent, percent_ci
from shiftsim.model.problems import ScenarioError
from shiftsim.outputs import plotting
from shiftsim.outputs.assumptions import assumptions, clock, human_duration
from shiftsim.outputs.pages import Cell, Table, render, table
from shiftsim.outputs.report_charts import chart_sections
from shiftsim.outputs.store import OutputError, load_results
from shiftsim.planning.check import (
    MATERIAL,
    SIMULATING,
    check_result,
    reason_summary,
    short_reasons,
)

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
    figures = plotting.Figures(result)  # one figure per chart, for the files and the page
    if result.replications:
        plotting.save_charts(result, folder / "charts", figures=figures)
    _write_atomic(folder / "summary.md", render_markdown(result, meta))
    _write_atomic(path, render_html(result, meta, figures))
    return path


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def render_html(
    result: RunResult, meta: dict[str, Any], figures: plotting.Figures | None = None
) -> str:
    """The report as one self-contained HTML page (see the module docstring).

    ``figures`` (of ``result``) reuses charts already drawn, such as the
    chart files' (:func:`write_report` shares them).
    """
    return render("report.html.j2", _context(result, meta, figures))


def render_markdown(result: RunResult, meta: dict[str, Any]) -> str:
    """Key facts, the findings, and the targets and periods tables, in Markdown."""
    sc = result.scenario
    has_results = result.replications > 0
    targets = result.targets() if has_results else pd.DataFrame()
    rows = [
        [_md(r["target"]), percent(r["goal"]), r["status"],
         percent_ci(r["worst_value"], r["worst_low"], r["worst_high"]),
         percent_ci(r["service_level"], r["service_level_low"], r["service_level_high"]),
         percent_ci(r["p_meet"], r["p_meet_low"], r["p_meet_high"])]
        for _, r in targets.iterrows()
    ]  # fmt: skip
    periods = _periods_table(result, targets) if not targets.empty else None
    context = _page(result, meta, targets) | {
        "headcount": sum(s.headcount for p in sc.pools.values() for s in p.roster_shifts.values()),
        "pools": len(sc.pools),
        "rows": rows,
        "period_head": [c.text for c in periods.head] if periods else [],
        "period_rows": [[_md(c.text) for c in row] for row in periods.rows] if periods else [],
    }
    return render("summary.md.j2", context)


def _md(text: str) -> str:
    """A Markdown table cell: ``|`` escaped."""
    return str(text).replace("|", "\\|")


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
        "findings": _findings(result) if has_results else [],
        "skipped": _skipped(result) if has_results else [],
    }


def _context(
    result: RunResult, meta: dict[str, Any], figures: plotting.Figures | None
) -> dict[str, Any]:
    """Everything ``report.html.j2`` shows."""
    sc = result.scenario
    has_results = result.replications > 0
    targets = result.targets() if has_results else pd.DataFrame()
    return _page(result, meta, targets) | {
        "description": sc.description or "",
        "one_replication": result.replications < 2,
        "targets": _targets_table(result, targets) if not targets.empty else None,
        "periods": _periods_table(result, targets) if not targets.empty else None,
        "confidence": percent(sc.staffing.confidence, 0),
        "chart_sections": chart_sections(result, targets, figures) if has_results else [],
        "channels": _channels_table(result) if has_results else None,
        "shifts": _shifts_table(result) if has_results else None,
        "checks": _checks(result) if has_results else [],
        "material": f"{100 * MATERIAL:.0f}",
        "simulating": SIMULATING,
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


def _est(row: Any, name: str, scale: float = 1.0) -> tuple[float, float, float]:
    """(mean, low, high) of ``name`` in a tidy table's row, times ``scale``."""
    m, lo, hi = (scale * float(row[f"{name}{end}"]) for end in ("", "_low", "_high"))
    return m, lo, hi


_VERDICT_CLASS = {"likely met": "good", "at risk": "risk", "missed": "bad"}
_VERDICT_MARK = {"likely met": "✓", "at risk": "?", "missed": "✗"}


def _verdict_class(verdict: str) -> str:
    """The cell colour of a verdict (see :func:`shiftsim.analysis.results.verdict`)."""
    return _VERDICT_CLASS.get(verdict, "na")


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
        ("Source", _source(meta)),
        ("shiftsim", str(versions.get("shiftsim", "–"))),
        ("Scenario hash", str(meta.get("scenario_hash", "–"))),
    ]


def _source(meta: dict[str, Any]) -> str:
    """The scenario file, and the command-line options that changed its values."""
    source = str(meta.get("source", "–"))
    changes = [str(c) for c in meta.get("changes") or []]
    return f"{source}, changed by {', '.join(changes)}" if changes else source


def _headline(targets: pd.DataFrame) -> str:
    """How many targets are likely met, at risk and missed, each judged on its worst period."""
    n = len(targets)
    if n == 0:
        return "No response targets are defined in this scenario"
    count = targets["verdict"].value_counts()
    parts = [f"{count.get('likely met', 0)} of {n} targets likely met"]
    for word in ("at risk", "missed", "no CI", "not judged"):
        if count.get(word, 0):
            parts.append(f"{count[word]} {word}")
    return ", ".join(parts) + ", each judged on its worst period"


def _findings(result: RunResult) -> list[dict[str, str]]:
    """The findings (:mod:`shiftsim.analysis.findings`) as the templates show them."""
    return [
        {
            "css": _verdict_class(f.verdict),
            "mark": _VERDICT_MARK.get(f.verdict, "?"),
            "target": f.target,
            "verdict": f.verdict_words,
            "how_badly": f.how_badly,
            "when": f.when,
            "cause": f.cause.text if f.cause else "none of the usual causes stands out",
        }
        for f in findings(result)
    ]


def _skipped(result: RunResult) -> list[str]:
    """Target periods not judged (no eligible contact), as sentences."""
    skipped = result.requirements().attrs.get("skipped", [])
    return [f"{label}, {period}: {reason}" for label, period, reason in skipped]


# -- tables -------------------------------------------------------------------------------


def _targets_table(result: RunResult, targets: pd.DataFrame) -> Table:
    """One row per target: its status on its worst period, then its whole-horizon figures."""
    rows = []
    for t, (_, r) in zip(result.scenario.resolved_targets, targets.iterrows(), strict=True):
        ok = bool(meets(r["service_level"], 1.0, r["goal"])) or is_missing(r["service_level"])
        sl = percent_ci(r["service_level"], r["service_level_low"], r["service_level_high"])
        p = percent_ci(r["p_meet"], r["p_meet_low"], r["p_meet_high"])
        worst = percent_ci(r["worst_value"], r["worst_low"], r["worst_high"])
        rows.append([
            r["target"], t.kind.replace("_", " "), percent(r["goal"]),
            Cell(r["status"], status=_verdict_class(r["verdict"]), strong=True),
            worst, Cell(sl, below=not ok), p, f"{r['contacts_per_rep']:,.0f}",
        ])  # fmt: skip
    return table(
        ["target", "kind", "goal", "status (worst period)", "worst period (95% CI)",
         "service level (95% CI)", "P(day meets goal) (95% CI)", "contacts / replication"],
        rows,
        [False, False, True, False, True, True, True, True],
    )  # fmt: skip


def _periods_table(result: RunResult, targets: pd.DataFrame) -> Table:
    """P(period meets goal) per target and period, coloured where the target is judged."""
    req = result.requirements()
    periods = list(result.scenario.reporting.periods)
    rows = []
    for k, (_, r) in enumerate(targets.iterrows()):
        judged = {(j.per, j.period): j for j in req[req["target_index"] == k].itertuples()}
        cells: list[str | Cell] = [r["target"]]
        for name in periods:
            j = judged.get(("period", name))
            cells.append(_judged(percent(j.value, 0) if j else "–", j))
        cells.append(_judged(percent(r["p_meet"], 0), judged.get(("day", "day"))))
        sl = percent_ci(r["service_level"], r["service_level_low"], r["service_level_high"])
        cells.append(_judged(sl, judged.get(("horizon", "horizon"))))
        rows.append(cells)
    return table(
        ["target", *periods, "whole day", "service level"],
        rows,
        [False] + [True] * (len(periods) + 2),
    )


def _judged(text: str, row: Any) -> Cell:
    """A period-table cell: marked and coloured when the target is judged on it."""
    if row is None:
        return Cell(text)
    return Cell(f"{text} {_VERDICT_MARK.get(row.verdict, '')}".strip(),
                status=_verdict_class(row.verdict), note=row.verdict)  # fmt: skip


def _channels_table(result: RunResult) -> Table:
    sc = result.scenario
    rows = []
    for _, r in result.channels().iterrows():
        ch = sc.channels[r["channel"]]
        esc = ch.escalation is not None
        rows.append([
            r["channel"], ch.kind, _num_ci(_est(r, "offered_per_rep")),
            percent_ci(*_est(r, "containment")) if ch.bot is not None else "no bot",
            percent_ci(*_est(r, "abandonment")) if ch.synchronous else "n/a (async)",
            _num_ci(_est(r, "asa_s"), fmt="{:.1f}") if ch.synchronous else "n/a (async)",
            percent_ci(*_est(r, "escalation_share")) if esc else "–",
            _num_ci(_est(r, "dept_delay_s", 1 / 60), fmt="{:.1f}") if esc else "–",
            percent_ci(*_est(r, "dept_late_share")) if esc else "–",
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
        s = pool.roster_shifts[r["shift"]]
        rows.append([
            r["pool"], r["shift"], f"{clock(s.start)}–{clock(s.end)}", str(r["headcount"]),
            f"{r['on_duty_per_day']:.1f}", f"{r['on_duty_per_day'] * (1 - pool.shrinkage):.1f}",
            percent_ci(*_est(r, "occupancy")), _num_ci(_est(r, "overtime_h_per_day"), fmt="{:.2f}"),
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
                flag = "differs: " + short_reasons(hc)
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
        notes = reason_summary(c)
        title = f"{c.channel}: answered within {format_duration(c.within)} ({c.model})"
        out.append(CheckTable(title, hours, notes))
    return out
