"""What `shiftsim staff` prints and writes: the roster, the verified requirements, the plan."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import yaml
from rich.console import Console
from rich.table import Table

from shiftsim.model.formats import percent, percent_ci
from shiftsim.planning.staffing import StaffingResult

__all__ = [
    "print_staffing",
    "render_staffing_html",
    "staffing_summary",
    "write_folder",
    "write_plan",
]


def print_staffing(result: StaffingResult, console: Console) -> None:
    """The recommended roster, its requirements on fresh seeds, the one-fewer check."""
    sc = result.scenario
    if result.feasible:
        verdict = "[green]every requirement met on fresh seeds[/green]"
    elif result.unmet:
        verdict = "[red]some requirements cannot be met within the bounds[/red]"
    else:
        verdict = f"[red]misses on fresh seeds after {result.verify_rounds} verifications[/red]"
    console.print(f"[bold]{sc.name}[/bold]: least-cost roster, {verdict}")
    table = Table(title="Headcount per shift", title_justify="left")
    for col in ("pool", "shift", "now", "start", "recommended", "change", "on duty", "cost now",
                "cost"):  # fmt: skip
        left = col in ("pool", "shift")
        table.add_column(col, justify="left" if left else "right", no_wrap=True)
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

    verified = result.verified
    req = Table(
        title=f"Requirements at the recommended roster, worst period per target "
        f"({result.verify_replications} fresh replications, seed {result.verify_seed})",
        title_justify="left",
    )
    for col in ("target", "worst period", "P(period meets goal)", "needs", "periods met", ""):
        req.add_column(col, justify="left" if col in ("target", "worst period") else "right")
    for _, rows in verified.groupby("target_index", sort=True):
        worst = rows.loc[(rows["value"] - rows["required"]).idxmin()]
        ok = "[green]met[/green]" if rows["met"].all() else "[red]missed[/red]"
        req.add_row(
            str(worst["target"]), str(worst["period"]),
            percent_ci(worst["value"], worst["low"], worst["high"], dash="-"),
            percent(worst["required"]), f"{int(rows['met'].sum())}/{len(rows)}", ok,
        )  # fmt: skip
    console.print(req)
    skipped = verified.attrs.get("skipped")
    if skipped:
        console.print(f"not judged (no eligible contact): {skipped}")
    for unmet in result.unmet:
        console.print(f"[red]cannot be met within the bounds:[/red] {unmet}")
    if len(result.one_fewer):
        console.print("[bold]One agent fewer[/bold] (fresh seeds):")
        for r in result.one_fewer.itertuples():
            console.print(f"  {r.pool}.{r.shift} at {r.headcount}: breaks {r.breaks}")
    console.print(
        f"{result.evaluations} rosters evaluated, {result.replications_used:,} replications "
        f"(screening {result.screen_replications}, final {result.verify_replications}), "
        f"{result.wall_time:.0f} s"
    )


def staffing_summary(result: StaffingResult) -> dict[str, Any]:
    """The answer as plain data (``--json``)."""
    return {
        "scenario": result.scenario.name,
        "feasible": result.feasible,
        "roster": result.roster().to_dict(orient="records"),
        "requirements": json.loads(result.verified.to_json(orient="records")),
        "one_fewer": result.one_fewer.to_dict(orient="records"),
        "unmet": [str(u) for u in result.unmet],
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
        f"# headcounts meeting every requirement, verified on {result.verify_replications} "
        f"fresh replications\n# (seed {result.verify_seed}). Run it with "
        f"`shiftsim run {path.name}`.\n"
    )
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    os.replace(tmp, path)
    return path


def _verdict(result: StaffingResult) -> str:
    if result.feasible:
        return "Every requirement is met on fresh seeds at the recommended roster."
    if result.unmet:
        return "Some requirements cannot be met within the bounds (see below)."
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
    context = {
        "name": result.scenario.name,
        "verdict": _verdict(result),
        "facts": [
            f"Cost {frame['cost'].sum():,.0f} against {frame['cost_now'].sum():,.0f} today "
            f"({int(frame['recommended'].sum())} agents on the roster against "
            f"{int(frame['now'].sum())}).",
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
        "unmet": [str(u) for u in result.unmet],
        "one_fewer": one_fewer,
        "search_chart": chart(ax, "Every roster evaluated: cost against its worst requirement"),
    }
    return render("staffing.html.j2", context)


def write_folder(result: StaffingResult, folder: str | Path, force: bool = False) -> Path:
    """Write the staffing results folder atomically (built aside, then moved in place).

    Holds ``plan.yaml`` (runs as is), ``roster.csv``, ``requirements.csv`` (fresh
    seeds), ``one_fewer.csv``, ``search.csv`` (every evaluation), ``summary.json``
    and ``staffing.html``. An existing folder is replaced only with ``force``,
    and only if it is a staffing folder itself.
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
