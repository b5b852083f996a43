"""The ``shiftsim`` command line. Thin: each command imports its implementation lazily."""

from __future__ import annotations

import sys
from typing import Any

import click

__all__ = ["main"]


def _load(path: str, overrides: dict[str, Any]) -> Any:
    from shiftsim.model.loading import load_scenario
    from shiftsim.model.problems import ScenarioError

    try:
        return load_scenario(path, overrides)
    except ScenarioError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


@click.group()
@click.version_option(package_name="shiftsim")
def main() -> None:
    """Size the staff of a 24-hour customer-service center by simulating it."""


def _parse_sets(values: tuple[str, ...]) -> dict[str, Any]:
    import yaml

    out: dict[str, Any] = {}
    for item in values:
        path, sep, raw = item.partition("=")
        if not sep or not path:
            raise click.BadParameter(f"expected path=value (got {item!r})", param_hint="--set")
        out[path.strip()] = yaml.safe_load(raw) if raw.strip() else raw
    return out


def _overrides(
    replications: int | None, seed: int | None, days: int | None, sets: tuple[str, ...]
) -> dict[str, Any]:
    """Command-line values that replace the file's; only those the user gave."""
    overrides = _parse_sets(sets)
    if replications is not None:
        overrides["replications"] = replications
    if seed is not None:
        overrides["seed"] = seed
    if days is not None:
        overrides["horizon.days"] = days
    return overrides


def _scenario_options(f: Any) -> Any:
    for option in reversed(
        [
            click.option("--replications", "-r", type=click.IntRange(min=1),
                         help="Override the file's replications."),
            click.option("--seed", type=click.IntRange(min=0), help="Override the file's seed."),
            click.option("--days", type=click.IntRange(min=1),
                         help="Override the horizon's number of days."),
            click.option("--set", "sets", multiple=True, metavar="PATH=VALUE",
                         help="Override any setting, e.g. pools.agents.shifts.night.headcount=6 "
                              "(repeatable)."),
        ]
    ):  # fmt: skip
        f = option(f)
    return f


def _executor_options(f: Any) -> Any:
    f = click.option(
        "--scheduler", envvar="DASK_SCHEDULER", metavar="ADDRESS",
        help="Run replications on a Dask cluster (tcp://host:8786); also DASK_SCHEDULER.",
    )(f)  # fmt: skip
    f = click.option(
        "--workers", "-w", type=click.IntRange(min=1),
        help="Local worker processes (default: all cores). Results do not depend on it.",
    )(f)  # fmt: skip
    return f


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@_scenario_options
@_executor_options
@click.option("--out", "-o", type=click.Path(file_okay=False),
              help="Results folder (default: results/NAME-YYYYmmdd-HHMMSS).")  # fmt: skip
@click.option("--force", is_flag=True, help="Replace an existing results folder.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet",
              show_default=True, help="Format of the tables and per-contact records.")  # fmt: skip
@click.option("--contacts/--no-contacts", default=True, show_default=True,
              help="Keep the per-contact records.")  # fmt: skip
@click.option("--no-save", is_flag=True, help="Print the report only; write no results folder.")
@click.option("--report", "html_report", is_flag=True, help="Also write the HTML report.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def run(
    scenario: str,
    replications: int | None,
    seed: int | None,
    days: int | None,
    sets: tuple[str, ...],
    workers: int | None,
    scheduler: str | None,
    out: str | None,
    force: bool,
    fmt: str,
    contacts: bool,
    no_save: bool,
    html_report: bool,
    quiet: bool,
) -> None:
    """Simulate SCENARIO and report the probability of meeting each target.

    Results go to a folder (see --out) that is written atomically: an
    interrupted run keeps its finished replications, and running again with
    the same --out runs only the missing ones.
    """
    sc = _load(scenario, _overrides(replications, seed, days, sets))

    import time
    from pathlib import Path

    from rich.console import Console

    from shiftsim.analysis.runner import default_workers, executor_for
    from shiftsim.analysis.runner import run as run_scenario
    from shiftsim.outputs.console import print_report
    from shiftsim.outputs.store import OutputError, ResultsFolder

    console = Console()
    folder = None
    todo = list(range(sc.replications))
    if not no_save:
        target = (
            Path(out)
            if out
            else Path("results") / f"{_slug(sc.name)}-{time.strftime('%Y%m%d-%H%M%S')}"
        )
        try:
            folder = ResultsFolder(target, sc, scenario, force=force, fmt=fmt, contacts=contacts)
        except OutputError as exc:
            click.echo(f"{target}: {exc}", err=True)
            sys.exit(1)
        todo = folder.missing()
        if len(todo) < sc.replications:
            console.print(
                f"Resuming {target}: {sc.replications - len(todo)} replication(s) already "
                f"finished, {len(todo)} to run."
            )
    n_workers = max(1, min(workers or default_workers(), len(todo)))
    with _progress(quiet) as bar:
        task = bar.add_task("replications", total=len(todo))
        with executor_for(n_workers, scheduler) as executor:
            result = run_scenario(
                sc,
                progress=lambda done, total: bar.update(task, completed=done),
                executor=executor,
                replications=todo,
                on_replication=folder.add if folder is not None else None,
                keep_logs=folder is not None and contacts,
            )
    if folder is not None:
        result = folder.finish(result.wall_time)
    print_report(result, console)
    if folder is not None:
        console.print(f"Results: {folder.final}")
        if html_report:
            _write_html(folder.final, console)
    if result.interrupted:
        console.print(
            "[yellow]Run again with the same --out to finish the missing replications.[/yellow]"
        )
        sys.exit(130)


def _progress(quiet: bool) -> Any:
    """The progress bar over replications, on stderr (gone when done)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=quiet,
        transient=True,
    )


def _write_html(folder: Any, console: Any) -> None:
    from shiftsim.outputs.html import write_report

    path = write_report(folder)
    console.print(f"Report: {path}")


def _slug(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "scenario"


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_scenario_options
@_executor_options
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def compare(
    scenarios: tuple[str, ...],
    replications: int | None,
    seed: int | None,
    days: int | None,
    sets: tuple[str, ...],
    workers: int | None,
    scheduler: str | None,
    quiet: bool,
) -> None:
    """Compare plans (the first is the baseline) on common random numbers.

    Every plan runs with the same seed and replications, so replication r of
    each plan serves the same customers: the differences shown, with their
    95% confidence intervals, are the plans', not simulation noise. --set
    applies to every plan.
    """
    if len(scenarios) < 2:
        click.echo("compare needs at least two scenario files (got 1)", err=True)
        sys.exit(1)
    overrides = _overrides(replications, seed, days, sets)
    plans = {}
    for path in scenarios:
        name = _slug(path.rsplit("/", 1)[-1].removesuffix(".yaml").removesuffix(".yml"))
        while name in plans:
            name += "'"
        plans[name] = _load(path, overrides)

    from rich.console import Console

    from shiftsim.analysis.comparison import compare as compare_plans
    from shiftsim.analysis.runner import default_workers, executor_for
    from shiftsim.outputs.console import print_comparison

    first = next(iter(plans.values()))
    reps = first.replications
    with _progress(quiet) as bar:
        task = bar.add_task("replications", total=reps * len(plans))
        done = [0]

        def tick(_: int, __: int) -> None:
            done[0] += 1
            bar.update(task, completed=done[0])

        with executor_for(min(workers or default_workers(), reps), scheduler) as executor:
            try:
                comparison = compare_plans(plans, executor=executor, progress=tick)
            except ValueError as exc:
                click.echo(str(exc), err=True)
                sys.exit(1)
    print_comparison(comparison, Console())


@main.command("report")
@click.argument("folder", type=click.Path(file_okay=False))
def report_command(folder: str) -> None:
    """Write report.html and summary.md into the results FOLDER of a run."""
    from shiftsim.outputs.html import write_report
    from shiftsim.outputs.store import OutputError

    try:
        path = write_report(folder)
    except OutputError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    click.echo(f"Report: {path}\nSummary: {path.with_name('summary.md')}")


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
def validate(scenario: str) -> None:
    """Check SCENARIO without running it."""
    sc = _load(scenario, {})
    n_targets = len(sc.resolved_targets)
    click.echo(
        f"{scenario}: OK ({len(sc.channels)} channel(s), {len(sc.pools)} pool(s), "
        f"{n_targets} target(s), {sc.horizon.days} day(s))"
    )


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@_scenario_options
@_executor_options
def check(
    scenario: str,
    replications: int | None,
    seed: int | None,
    days: int | None,
    sets: tuple[str, ...],
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Compare SCENARIO hour by hour with a planner's stationary Erlang C/A figure."""
    sc = _load(scenario, _overrides(replications, seed, days, sets))

    from shiftsim.analysis.runner import default_workers, executor_for
    from shiftsim.planning.check import check_scenario, print_check

    n_workers = max(1, min(workers or default_workers(), sc.replications))
    with executor_for(n_workers, scheduler) as executor:
        checks = check_scenario(sc, executor)
    print_check(checks, sc)
