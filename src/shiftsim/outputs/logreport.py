"""The fit report: one self-contained HTML page (charts embedded as PNG) for ``shiftsim fit``.

What was read and dropped, every fitted number with its source, the charts
that show the fit against the data (profiles, daily volume, handle-time QQ
plot, patience survival curve, agents available), what the model cannot
express, and, with a back-test, the simulated service against the measured
one, month by month and hour by hour. Rendered from
``templates/fit_report.html.j2``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from shiftsim.model.formats import percent
from shiftsim.outputs import logcharts
from shiftsim.outputs.assumptions import clock, human_duration
from shiftsim.outputs.pages import Cell, Chart, Table, chart, render, table

if TYPE_CHECKING:
    from shiftsim.logs.backtest import Backtest
    from shiftsim.logs.fit import FitResult
    from shiftsim.model.scenario import Bot, Scenario, Target

__all__ = ["fit_report_html", "write_fit_report"]


def _pct(x: float) -> str:
    return percent(x, missing="–")


def _num(x: float, fmt: str = "{:,.1f}") -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else fmt.format(x)


def _charts(fit: FitResult) -> list[Chart]:
    out = [
        chart(logcharts.daily_volume(fit), "Observed first attempts per day against the fitted "
              "level; dated events (holidays) carry their factor."),
        chart(logcharts.volume_profiles(fit), "Hourly profile per day type: observed (dots) and "
              "fitted (steps; hours without agents are left out of the volume)."),
        chart(logcharts.staffing_estimate(fit), "The staffing as it was: agents available by "
              "work conservation (solid) against names seen in the log (dashed), which "
              "overstate it, and busy agents on average (dotted)."),
    ]  # fmt: skip
    for lc in fit.handle:
        text = f"{lc}: handle-time quantiles against the fitted distribution (the sample mean)."
        out.append(chart(logcharts.handle_qq(fit, lc), text))
        text = f"{lc}: mean handle time by hour of arrival against the fitted means: "
        text += (
            "hours with alike means share a band (handle_time_by.hour), each band's mean its "
            "sample mean."
            if fit.handle_bands.get(lc)
            else "one distribution fits every hour (no hour's mean is 3 standard errors off)."
        )
        out.append(chart(logcharts.handle_by_hour(fit, lc), text))
        if lc in fit.patience:
            out.append(chart(logcharts.patience_survival(fit, lc), f"{lc}: patience estimated "
                             "from censored waits (Kaplan-Meier, 95% band) against the fitted "
                             "exponential."))  # fmt: skip
    return out


def _fitted_rows(fit: FitResult) -> list[list[str]]:
    data = fit.scenario.to_dict()
    rows = []
    for path, note in fit.comments.items():
        planner = _planner_text(fit.scenario, path)
        if planner is not None:
            rows.append([path, planner, note])
            continue
        node: Any = data
        for key in path.split("."):
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                node = None
                break
        value = _short(node)
        rows.append([path, value, note])
    return rows


def _planner_text(sc: Scenario, path: str) -> str | None:
    """Settings whose file form reads badly in a table (targets, bots), in words; else None."""
    parts = path.split(".")
    if parts == ["targets"]:
        return "; ".join(_target_text(t) for t in sc.resolved_targets)
    if len(parts) == 3 and parts[0] == "channels" and parts[2] == "bot":
        channel = sc.channels.get(parts[1])
        return _bot_text(channel.bot) if channel is not None else None
    return None


def _target_text(t: Target) -> str:
    """A target as a planner says it: ``phone urgent: answered within 5 min, goal 90%``."""
    who = [t.channel]
    if t.priority != "all":
        who.append(t.priority)
    if t.vip is not None:
        who.append("VIP" if t.vip else "non-VIP")
    text = " ".join(who) + (f", {t.cases} cases" if t.cases != "all" else "")
    what = "answered" if t.kind == "first_response" else "resolved"
    text += f": {what} within {human_duration(t.within)}"
    if t.business_hours is not None and t.off_hours_by is not None:
        start, end = t.business_hours
        text += (f" in business hours {clock(start)}–{clock(end)} (else by the next "
                 f"{clock(t.off_hours_by)})")  # fmt: skip
    text += f", goal {percent(t.goal, 0)}"
    if t.per != "period":
        text += f", judged per {t.per}"
    elif t.periods is not None:
        which = "period" if len(t.periods) == 1 else "periods"
        text += f", judged in {which} {', '.join(t.periods)}"
    if t.confidence is not None:
        text += f", with {percent(t.confidence, 0)} confidence"
    return f"{t.name} ({text})" if t.name else text


def _bot_text(bot: Bot | None) -> str:
    """A bot (voice menu) in words: what it contains, when, and how long a session takes."""
    if bot is None:
        return "none"
    hours = "at all hours" if bot.hours is None else (
        f"open {clock(bot.hours[0])}–{clock(bot.hours[1])}")  # fmt: skip
    session = bot.session_time
    text = (f"{percent(bot.containment)} of contacts end there (containment), {hours}; "
            f"session time {session.dist}, mean {human_duration(session.mean)}")  # fmt: skip
    if bot.counts_as_first_response:
        text += "; its answer counts as the first response"
    if bot.handover_handle_factor != 1.0:
        text += f"; handle time after a hand-over ×{bot.handover_handle_factor:g}"
    return text


def _short(value: Any) -> str:
    if isinstance(value, list) and len(value) > 8:
        return f"[{len(value)} values]"
    if isinstance(value, dict):
        inner = ", ".join(f"{k}: {_short(v)}" for k, v in value.items())
        return "{" + (inner if len(inner) < 140 else inner[:137] + "...") + "}"
    return str(value)


def _summary_table(bt: Backtest) -> Table:
    """One row per month: the four scores (✗ and red where a target is missed), the ASA
    error and Erlang A's (no target: for comparison), and whether all four are met."""
    rows: list[list[str | Cell]] = []
    for s in bt.summaries:
        missed = bt.misses(s)
        rows.append([
            s.label, s.channel, str(s.days), str(s.open_hours),
            _cell(_pts(s.mae_abandonment), "mae_abandonment" in missed),
            _cell(_pts(s.mae_service_level), "mae_service_level" in missed),
            f"{s.mae_asa_s:.1f} s",
            _cell(_pct(s.in_band_abandonment), "in_band_abandonment" in missed),
            _cell(_pct(s.in_band_service_level), "in_band_service_level" in missed),
            _pts(s.erlang_mae_abandonment), _pts(s.erlang_mae_service_level),
            _cell("no", True) if missed else Cell("yes", status="good"),
        ])  # fmt: skip
    return table(
        ["month", "channel", "days", "open hours", "MAE abandon.", "MAE service level",
         "MAE ASA", "in band: abandon.", "in band: service level",
         "Erlang A MAE abandon.", "Erlang A MAE service level", "within targets"],
        rows, numeric=[False, False] + [True] * 9 + [False],
    )  # fmt: skip


def _backtest_context(bt: Backtest) -> dict[str, Any]:
    summary = _summary_table(bt)
    months = []
    for s in bt.summaries:
        charts = [chart(logcharts.backtest_hours(bt, s.label, s.channel, key), caption)
                  for key, caption in (
                      ("abandonment", "Abandonment (of calls that reached the queue)"),
                      ("service_level", "Service level of the answer-time target"),
                      ("asa_s", "ASA (mean wait of answered calls)"))]  # fmt: skip
        h = bt.hours[(bt.hours["month"] == s.label) & (bt.hours["channel"] == s.channel)]
        h = h[h["open"]]
        rows = []
        for _, r in h.iterrows():
            rows.append([f"{int(r['hour']):02d}", _num(r["queued_per_day"]),
                         _pct(r["measured_abandonment"]), _ci(r, "abandonment"),
                         _pct(r["erlang_a_abandonment"]), _pct(r["measured_service_level"]),
                         _ci(r, "service_level"), _pct(r["erlang_a_service_level"]),
                         _num(r["measured_asa_s"]), _ci(r, "asa_s", pct=False),
                         _num(r["erlang_a_asa_s"])])  # fmt: skip
        hours = table(
            ["hour", "queued/day", "abandonment measured", "simulated (95% CI)", "Erlang A",
             "service level measured", "simulated (95% CI)", "Erlang A", "ASA measured (s)",
             "simulated (95% CI)", "Erlang A"],
            rows, numeric=[True] * 11,
        )  # fmt: skip
        months.append({"label": f"{s.label} {s.channel}", "charts": charts, "hours": hours})
    days = []
    for lc in dict.fromkeys(s.channel for s in bt.summaries):
        for key in ("abandonment", "service_level"):
            what = key.replace("_", " ")
            text = (f"{lc}: each observed day's measured {what} against the 2.5-97.5 "
                    "percentiles of that day across replications")  # fmt: skip
            days.append(chart(logcharts.backtest_days(bt, lc, key), text))
    return {"summary": summary, "months": months, "days": days,
            "replications": bt.result.replications, "mae_goal": f"{100 * bt.mae_goal:.0f}",
            "band_goal": _pct(bt.band_goal)}  # fmt: skip


def _ci(r: Any, key: str, pct: bool = True) -> str:
    f = _pct if pct else _num
    m, lo, hi = r[f"simulated_{key}"], r[f"simulated_{key}_low"], r[f"simulated_{key}_high"]
    if isinstance(lo, float) and math.isnan(lo):
        return f(m)
    return f"{f(m)} ({f(lo)}–{f(hi)})"


def _pts(x: float) -> str:
    return "–" if math.isnan(x) else f"{100 * x:.1f} pts"


def _cell(text: str, missed: bool) -> Cell:
    """A score's cell: green, or red and marked ✗ where it misses its target."""
    return Cell(f"{text} ✗", status="bad") if missed else Cell(text, status="good")


def fit_report_html(fit: FitResult, bt: Backtest | None = None) -> str:
    """The fit report as one HTML string (no network reference, charts inline)."""
    t = fit.table
    read = table(["", "what", "rows", "examples"],
                 [[r["kind"], str(r["what"]), f"{int(r['rows']):,}", str(r["examples"])]
                  for _, r in t.report.frame().iterrows()],
                 numeric=[False, False, True, False])  # fmt: skip
    fitted = table(["setting", "value", "source and uncertainty"], _fitted_rows(fit))
    context = {
        "title": f"Fit report: {fit.scenario.name}",
        "source": t.mapping.source.strip(),
        "first_day": str(t.first_day),
        "last_day": str(t.last_day),
        "rows": f"{t.report.rows_kept:,}",
        "seconds": f"{fit.seconds:.1f}",
        "missing_days": ", ".join(str(d) for d in t.report.missing_days),
        "read": read,
        "fitted": fitted,
        "charts": _charts(fit),
        "limitations": fit.limitations,
        "backtest": _backtest_context(bt) if bt is not None else None,
    }
    return render("fit_report.html.j2", context)


def write_fit_report(fit: FitResult, path: str | Path, bt: Backtest | None = None) -> Path:
    """Write the fit report (atomically) and return its path."""
    out = Path(path)
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(fit_report_html(fit, bt), encoding="utf-8")
    tmp.replace(out)
    return out
