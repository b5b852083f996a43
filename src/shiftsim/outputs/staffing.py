"""What `shiftsim staff` prints and writes: the roster, the verified requirements, the plan."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from rich.console import Console
from rich.table import Table

from shiftsim.analysis.metrics import GOAL_TOLERANCE
from shiftsim.model.formats import percent, percent_ci, wide_when_piped
from shiftsim.planning.staffing import StaffingResult, Unmet

__all__ = [
    "print_staffing",
    "render_staffing_html",
    "staffing_summary",
    "write_folder",
    "write_plan",
]


def print_staffing(result: StaffingResult, console: Console) -> None:
    """The recommended roster, its requirements on fresh seeds, the one-fewer check."""
    wide_when_piped(console)
    sc = result.scenario
    if result.feasible:
        verdict = "[green]every requirement met on fresh seeds[/green]"
    elif _beyond_reach(result):
        verdict = "[red]some requirements cannot be met within the bounds[/red]"
    elif result.unmet:
        verdict = (
            "[red]some requirements given up by the search (more agents did not move them)[/red]"
        )
    else:
        verdict = f"[red]misses on fresh seeds after {result.verify_rounds} verifications[/red]"
    what = "requirement curve" if result.curve is not None else "least-cost roster"
    console.print(f"[bold]{sc.name}[/bold]: {what}, {verdict}")
    if result.curve is not None:
        _print_curve(result, console)
    if result.space:
        _print_roster(result, console)
    _print_requirements(result, console)


def _print_roster(result: StaffingResult, console: Console) -> None:
    table = Table(title="Headcount per shift", title_justify="left")
    for col in ("pool", "shift", "now", "start", "recommended", "change", "on duty", "cost now",
                "cost"):  # fmt: skip
        left = col in ("pool", "shift")
        table.add_column(col, justify="left" if left else "right", overflow="fold")
    frame = result.roster()
    for r in frame.itertuples():
        change = f"{r.change:+d}" if r.change else "0"
        cells = (r.now, r.analytic, r.recommended, change, f"{r.on_duty_per_day:.1f}",
                 f"{r.cost_now:,.0f}", f"{r.cost:,.0f}")  # fmt: skip
        table.add_row(r.pool, r.shift, *map(str, cells))
    table.add_row("total", "", str(int(frame["now"].sum())), str(int(frame["analytic"].sum())),
                  str(int(frame["recommended"].sum())),
                  f"{int(frame['change'].sum()):+d}", f"{frame['on_duty_per_day'].sum():.1f}",
                  f"{frame['cost_now'].sum():,.0f}", f"{frame['cost'].sum():,.0f}",
                  style="bold")  # fmt: skip
    console.print(table)
    console.print(
        "start: the Erlang/integer-program start; on duty: mean agents working a day "
        "(rotation); cost: paid hours per agent unless staffing.cost says otherwise"
    )


def _print_curve(result: StaffingResult, console: Console) -> None:
    """The requirement curve: a table per pool and day type, one row per interval."""
    curve = result.curve
    assert curve is not None
    for (pool, days), rows in curve.groupby(["pool", "days"], sort=False):
        table = Table(title=f"Agents on duty per interval: pool {pool}, {days} days",
                      title_justify="left")  # fmt: skip
        for col in ("interval", "now", "Erlang", "recommended", "worst requirement", "one fewer"):
            table.add_column(col, justify="left" if col == "interval" else "right", overflow="fold")
        for r in rows.itertuples():
            change = f" ({r.change:+d})" if r.change else ""
            if r.worst_target is None:
                worst = "not judged"
            else:
                mark = "" if r.met else "[red]missed[/red] "
                worst = f"{mark}{percent(r.value)} (needs {percent(r.required, 0)})"
            fewer = {"": "-", "nothing": "nothing"}.get(str(r.one_fewer_breaks), "breaks")
            table.add_row(str(r.start), str(r.now), str(r.erlang), f"{r.recommended}{change}",
                          worst, fewer)  # fmt: skip
        staffing = result.scenario.pools[str(pool)].staffing
        hours = float(staffing.interval) / 3600 if staffing is not None else 1.0
        totals = [f"{rows[c].sum() * hours:,.0f}" for c in ("now", "erlang", "recommended")]
        table.add_row("agent-hours", *totals, "", "", style="bold")
        console.print(table)
    console.print(
        "Erlang: the Erlang C/A start at the interval's load; worst requirement: the lowest "
        "of the interval's targets on fresh seeds (service level for per: horizon targets, "
        "else the share of days the interval met its goal); one fewer: whether one agent "
        "less there breaks a requirement (fresh seeds, the other intervals one lower too)"
    )


def _print_requirements(result: StaffingResult, console: Console) -> None:
    verified = result.verified
    req = Table(
        title=f"Requirements at the recommended roster, worst period per target "
        f"({result.verify_replications} fresh replications, seed {result.verify_seed})",
        title_justify="left",
    )
    for col in ("target", "worst period", "P(period meets goal)", "needs", "periods met", ""):
        req.add_column(
            col, justify="left" if col in ("target", "worst period") else "right", overflow="fold"
        )
    shaky = False
    for _, rows in verified.groupby("target_index", sort=True):
        worst = rows.loc[(rows["value"] - rows["required"]).idxmin()]
        ok = _status(rows)
        shaky |= ok.startswith("[yellow]")
        req.add_row(
            str(worst["target"]), str(worst["period"]),
            percent_ci(worst["value"], worst["low"], worst["high"], dash="-"),
            percent(worst["required"]), f"{int(rows['met'].sum())}/{len(rows)}", ok,
        )  # fmt: skip
    console.print(req)
    if shaky:
        console.print(
            "met, at risk: the estimate reaches what is required (what the search sizes to), "
            "but its 95% interval reaches below, so `shiftsim run` calls it at risk; more "
            "replications (-r) would tell"
        )
    skipped = verified.attrs.get("skipped")
    if skipped:
        console.print(f"not judged (no eligible contact): {skipped}")
    for unmet in result.unmet:
        console.print(f"[red]{_unmet_label(unmet)}:[/red] {unmet}")
    if result.curve is None and len(result.one_fewer):
        console.print("[bold]One agent fewer[/bold] (fresh seeds):")
        for r in result.one_fewer.itertuples():
            console.print(f"  {r.pool}.{r.shift} at {r.headcount}: breaks {r.breaks}")
    console.print(
        f"{result.evaluations} rosters evaluated, {result.replications_used:,} replications "
        f"(screening {result.screen_replications}, final {result.verify_replications}), "
        f"{result.wall_time:.0f} s"
    )


def _status(rows: pd.DataFrame) -> str:
    """A target's status at the recommended roster, in the words of ``shiftsim run``.

    The search sizes to the estimate (``met``); where a period's 95% interval
    still reaches below what is required, ``shiftsim run`` would call it at
    risk, and the planner reads that here rather than there first.
    """
    if not rows["met"].all():
        return "[red]missed[/red]"
    low = rows["low"].to_numpy(dtype=float)
    # The interval's low end against what is required, as analysis.results.verdict judges it.
    if (np.isnan(low) | (low < rows["required"].to_numpy(dtype=float) - GOAL_TOLERANCE)).any():
        return "[yellow]met, at risk[/yellow]"
    return "[green]likely met[/green]"


def staffing_summary(result: StaffingResult) -> dict[str, Any]:
    """The answer as plain data (``--json``)."""
    return {
        "scenario": result.scenario.name,
        "feasible": result.feasible,
        "roster": result.roster().to_dict(orient="records"),
        "requirements": json.loads(result.verified.to_json(orient="records")),
        "one_fewer": result.one_fewer.to_dict(orient="records"),
        "unmet": [str(u) for u in result.unmet],
        "given_up": [str(u) for u in result.unmet if u.given_up],
        "curve": None
        if result.curve is None
        else json.loads(result.curve.to_json(orient="records")),  # fmt: skip
        "levels": {p: dict(v) for p, v in result.levels.items()},
        "evaluations": result.evaluations,
        "replications": result.replications_used,
        "verify_seed": result.verify_seed,
        "wall_time_s": result.wall_time,
    }


def write_plan(result: StaffingResult, path: str | Path) -> Path:
    """Write the complete scenario with the recommended headcounts, atomically."""
    path = Path(path)
    data = result.plan().to_dict()
    header = (
        f"# Written by `shiftsim staff` from scenario {result.scenario.name!r}: the least-cost\n"
        f"# {'levels' if result.curve is not None else 'headcounts'} meeting every requirement, "
        f"verified on {result.verify_replications} "
        f"fresh replications\n# (seed {result.verify_seed}). Run it with "
        f"`shiftsim run {path.name}`; `--seed {result.verify_seed}` reproduces the\n"
        f"# verified figures, the scenario's own seed ({result.scenario.seed}) draws other "
        f"replications, on which\n# a requirement met by a small margin can read at risk.\n"
    )
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    os.replace(tmp, path)
    return path


def _beyond_reach(result: StaffingResult) -> bool:
    """Some unmet requirement is out of reach (not only given up by the search)."""
    return any(not u.given_up for u in result.unmet)


def _unmet_label(unmet: Unmet) -> str:
    """How an unmet requirement is introduced: out of reach, or given up by the search."""
    return "given up" if unmet.given_up else "cannot be met within the bounds"


def _verdict(result: StaffingResult) -> str:
    if result.feasible:
        return "Every requirement is met on fresh seeds at the recommended roster."
    if _beyond_reach(result):
        return "Some requirements cannot be met within the bounds (see below)."
    if result.unmet:
        return "Some requirements were given up by the search: more agents did not move them."
    return (
        f"The recommended roster still misses on fresh seeds after "
        f"{result.verify_rounds} verifications: more replications would settle it."
    )


def render_staffing_html(result: StaffingResult) -> str:
    """The staffing report: a self-contained HTML page."""
    from shiftsim.outputs import plotting
    from shiftsim.outputs.pages import chart, render, table

    frame = result.roster()
    roster = table(
        ["pool", "shift", "now", "start", "recommended", "change", "on duty per day", "cost now",
         "cost"],
        [[r.pool, r.shift, str(r.now), str(r.analytic), str(r.recommended), f"{r.change:+d}",
          f"{r.on_duty_per_day:.1f}", f"{r.cost_now:,.0f}", f"{r.cost:,.0f}"]
         for r in frame.itertuples()],
        numeric=[False, False, True, True, True, True, True, True, True],
    )  # fmt: skip
    requirements = table(
        ["target", "period", "P(period meets goal), 95% CI", "needs", ""],
        [[str(r.target), str(r.period), percent_ci(r.value, r.low, r.high),
          percent(r.required), "met" if r.met else "missed"]
         for r in result.verified.itertuples()],
        numeric=[False, False, True, True, False],
    )  # fmt: skip
    one_fewer = table(
        ["shift", "headcount", "breaks"],
        [[f"{r.pool}.{r.shift}", str(r.headcount), str(r.breaks)]
         for r in result.one_fewer.itertuples()],
        numeric=[False, True, False],
    )  # fmt: skip
    ax = plotting.staffing_search(result.trail, float(frame["cost"].sum()))
    facts = [
        f"Cost {frame['cost'].sum():,.0f} against {frame['cost_now'].sum():,.0f} today "
        f"({int(frame['recommended'].sum())} agents on the roster against "
        f"{int(frame['now'].sum())}).",
    ]
    charts = [chart(ax, "Every roster evaluated: cost against its worst requirement")]
    if result.curve is not None:
        roster, one_fewer, facts, charts = _curve_html(result, table, chart)
    context = {
        "name": result.scenario.name,
        "verdict": _verdict(result),
        "facts": [
            *facts,
            f"{result.evaluations} rosters evaluated on common random numbers, "
            f"{result.replications_used:,} replications, {result.wall_time:.0f} s.",
            f"Verified on {result.verify_replications} replications with seed "
            f"{result.verify_seed}, which the search never used.",
        ],
        "roster": roster,
        "requirements_note": (
            "Each target judged in each period of the day: the share of simulated "
            "(day, period) pairs whose service level reached the goal must reach the "
            "target's confidence."
        ),
        "requirements": requirements,
        "unmet": [f"{_unmet_label(u)}: {u}" for u in result.unmet],
        "one_fewer": one_fewer,
        "search_chart": charts[0],
    }
    return render("staffing.html.j2", context)


def _curve_html(
    result: StaffingResult, table: Any, chart: Any
) -> tuple[Any, Any, list[str], list[Any]]:
    """The curve's table, its one-fewer check, facts and chart for the staffing page."""
    from shiftsim.outputs.plotting._staffing import staffing_curve

    curve = result.curve
    assert curve is not None
    rows = []
    for r in curve.itertuples():
        worst = "not judged" if r.worst_target is None else (
            f"{r.worst_target}: {percent(r.value)} (needs {percent(r.required, 0)})"
            + ("" if r.met else ", missed"))  # fmt: skip
        rows.append([str(r.pool), str(r.days), str(r.start), str(r.now), str(r.erlang),
                     str(r.recommended), f"{r.change:+d}", worst])  # fmt: skip
    roster = table(["pool", "days", "interval", "now", "Erlang", "recommended", "change",
                    "worst requirement (fresh seeds)"], rows,
                   numeric=[False, False, False, True, True, True, True, False])  # fmt: skip
    fewer = curve[curve["one_fewer_breaks"] != ""]
    one_fewer = table(["pool", "days", "interval", "level", "breaks"],
                      [[str(r.pool), str(r.days), str(r.start), str(r.recommended - 1),
                        str(r.one_fewer_breaks)] for r in fewer.itertuples()],
                      numeric=[False, False, False, True, False])  # fmt: skip
    facts = []
    for pool, mine in curve.groupby("pool", sort=False):
        staffing = result.scenario.pools[str(pool)].staffing
        hours = float(staffing.interval) / 3600 if staffing is not None else 1.0
        for days, rows_d in mine.groupby("days", sort=False):
            facts.append(
                f"Pool {pool}, {days} days: {rows_d['recommended'].sum() * hours:,.0f} "
                f"agent-hours a day against {rows_d['now'].sum() * hours:,.0f} today "
                f"(Erlang start {rows_d['erlang'].sum() * hours:,.0f})."
            )
    kinds = list(dict.fromkeys(curve["days"]))
    charts = [chart(staffing_curve(curve, days), f"Requirement curve, {days} days")
              for days in kinds]  # fmt: skip
    return roster, one_fewer, facts, charts


def write_folder(result: StaffingResult, folder: str | Path, force: bool = False) -> Path:
    """Write the staffing results folder atomically (built aside, then moved in place).

    Holds ``plan.yaml`` (runs as is), ``roster.csv``, ``requirements.csv`` (fresh
    seeds), ``one_fewer.csv``, ``search.csv`` (every evaluation), ``summary.json``
    and ``staffing.html``; for pools staffed by interval also ``curve.csv`` and
    ``interval_requirements.csv`` (every interval and target, fresh seeds). An
    existing folder is replaced only with ``force``, and only if it is a
    staffing folder itself.
    """
    folder = Path(folder)
    if folder.exists():
        if not force:
            raise FileExistsError(f"{folder}: exists; use --force to replace it")
        if not (folder / "summary.json").is_file() or not (folder / "staffing.html").is_file():
            raise FileExistsError(f"{folder}: not a shiftsim staffing folder; not replaced")
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        write_plan(result, tmp / "plan.yaml")
        result.roster().to_csv(tmp / "roster.csv", index=False)
        if result.curve is not None:
            result.curve.to_csv(tmp / "curve.csv", index=False)
        if result.interval_requirements is not None:
            result.interval_requirements.to_csv(tmp / "interval_requirements.csv", index=False)
        result.verified.to_csv(tmp / "requirements.csv", index=False)
        result.one_fewer.to_csv(tmp / "one_fewer.csv", index=False)
        result.trail.to_csv(tmp / "search.csv", index=False)
        (tmp / "summary.json").write_text(
            json.dumps(staffing_summary(result), indent=2, default=float) + "\n"
        )
        (tmp / "staffing.html").write_text(render_staffing_html(result), encoding="utf-8")
        if folder.exists():
            old = folder.with_name(f".{folder.name}.old")
            os.replace(folder, old)
            os.replace(tmp, folder)
            shutil.rmtree(old)
        else:
            os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder
