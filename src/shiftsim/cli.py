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


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@_scenario_options
@_executor_options
@click.option("--write", "plan_path", type=click.Path(dir_okay=False), metavar="PLAN.yaml",
              help="Write the scenario with the recommended headcounts (runs as is).")  # fmt: skip
@click.option("--screen", type=click.IntRange(min=2), metavar="N",
              help="Replications per screening evaluation (default: a quarter, >= 4).")  # fmt: skip
@click.option("--out", "-o", type=click.Path(file_okay=False),
              help="Write a staffing folder: plan, tables, search, staffing.html.")  # fmt: skip
@click.option("--force", is_flag=True, help="Replace an existing staffing folder.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON on stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No progress line.")
def staff(
    scenario: str,
    replications: int | None,
    seed: int | None,
    days: int | None,
    sets: tuple[str, ...],
    workers: int | None,
    scheduler: str | None,
    plan_path: str | None,
    screen: int | None,
    out: str | None,
    force: bool,
    as_json: bool,
    quiet: bool,
) -> None:
    """Find the least-cost headcount per shift that meets every target in every period.

    An integer program on Erlang figures gives the start; a search on common
    random numbers adds agents where a requirement fails and removes them while
    all hold; the answer is verified on fresh seeds. Exit code 0 when every
    requirement is met, 3 when some cannot be met within the bounds.
    """
    sc = _load(scenario, _overrides(replications, seed, days, sets))

    import json

    from rich.console import Console

    from shiftsim.analysis.runner import default_workers, executor_for
    from shiftsim.outputs.staffing import (
        print_staffing,
        staffing_summary,
        write_folder,
        write_plan,
    )
    from shiftsim.planning.staffing import staff as staff_search

    console = Console(stderr=as_json)
    n_workers = max(1, workers or default_workers())
    with _progress(quiet) as bar, executor_for(n_workers, scheduler) as executor:
        task = bar.add_task("searching", total=None)

        def progress(line: str) -> None:
            bar.update(task, description=line, advance=1)

        result = staff_search(sc, executor=executor, screen_replications=screen,
                              progress=progress)  # fmt: skip
    if as_json:
        click.echo(json.dumps(staffing_summary(result), indent=2, default=float))
    else:
        print_staffing(result, console)
    for path, write in ((plan_path, lambda p: write_plan(result, p)),
                        (out, lambda p: write_folder(result, p, force))):  # fmt: skip
        if path is None:
            continue
        try:
            written = write(path)
        except FileExistsError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        except OSError as exc:
            click.echo(f"{path}: cannot write ({exc.strerror or exc})", err=True)
            sys.exit(1)
        console.print(f"Written: {written}")
    if not result.feasible:
        sys.exit(3)


def _read_logs(paths: tuple[str, ...], mapping: str | None) -> Any:
    """Read log files through a mapping file; bad input is a message and exit code 1."""
    from shiftsim.logs.mapping import MappingError, load_mapping
    from shiftsim.logs.reader import LogError, read_logs

    try:
        spec = load_mapping(mapping) if mapping else None
        return read_logs(list(paths), spec)
    except (MappingError, LogError) as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


@main.command("measure")
@click.argument("logs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--mapping",
    "-m",
    type=click.Path(dir_okay=False),
    help="Mapping file: which column is which (default: the documented log schema).",
)
@click.option(
    "--scenario",
    "-s",
    type=click.Path(dir_okay=False),
    help="Measure with this scenario's targets, channels and periods.",
)
@click.option("--out", "-o", type=click.Path(file_okay=False),
              help="Write every table as CSV into this folder.")  # fmt: skip
def measure_command(
    logs: tuple[str, ...], mapping: str | None, scenario: str | None, out: str | None
) -> None:
    """Measure the service a contact log shows, with the definitions of a simulation.

    Per channel and priority, hour, period and day: offered, answered,
    abandoned, service level per target, the share of days and periods that
    met each goal, ASA and wait percentiles, agents seen and busy. Every
    figure is marked "measured".
    """
    table = _read_logs(logs, mapping)
    sc = _load(scenario, {}) if scenario else None

    from rich.console import Console

    from shiftsim.logs.measure import measure_logs
    from shiftsim.logs.reader import LogError
    from shiftsim.outputs.logconsole import print_measurement

    try:
        result = measure_logs(table, sc)
    except LogError as exc:
        click.echo(f"{scenario}: {exc.where}: {exc.message}", err=True)
        sys.exit(1)
    console = Console()
    print_measurement(result, console)
    if out:
        paths = result.write(out)
        console.print(f"Tables ({len(paths)} CSV files, marked measured): {out}")


@main.command("fit")
@click.argument("logs", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--mapping",
    "-m",
    type=click.Path(dir_okay=False),
    help="Mapping file: which column is which (default: the documented log schema).",
)
@click.option(
    "--output",
    "-o",
    "output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Scenario YAML to write.",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False),
    help="Also write the fit report (HTML, self-contained).",
)
@click.option(
    "--day-types",
    type=click.Choice(["auto", "single"]),
    default="auto",
    show_default=True,
    help="auto: weekdays with their own hourly profile get channels of their own.",
)
@click.option(
    "--backtest",
    is_flag=True,
    help="Simulate the fitted scenario and compare it hour by hour with the "
    "measured service (printed, and in the report).",
)
@click.option(
    "--replications",
    "-r",
    type=click.IntRange(min=2),
    default=20,
    show_default=True,
    help="Replications written into the scenario (and run by --backtest).",
)
@click.option("--seed", type=click.IntRange(min=0), default=1, show_default=True)
@click.option("--force", is_flag=True, help="Replace an existing scenario file.")
@_executor_options
def fit_command(
    logs: tuple[str, ...],
    mapping: str | None,
    output: str,
    report_path: str | None,
    day_types: str,
    backtest: bool,
    replications: int,
    seed: int,
    force: bool,
    workers: int | None,
    scheduler: str | None,
) -> None:
    """Fit a scenario that reproduces the history in LOGS; `shiftsim run` loads it as is.

    Every fitted number is written with a comment giving its source and
    uncertainty. With --backtest the fitted scenario is simulated on the
    log's days and compared with the measured service, month by month.
    """
    from pathlib import Path

    if Path(output).exists() and not force:
        click.echo(f"{output}: exists; pass --force to replace it", err=True)
        sys.exit(1)
    table = _read_logs(logs, mapping)

    from rich.console import Console

    from shiftsim.logs.fit import fit_logs
    from shiftsim.outputs.logconsole import print_backtest, print_fit

    console = Console()
    try:
        fitted = fit_logs(table, day_types=day_types, replications=replications, seed=seed)
    except ValueError as exc:
        click.echo(f"{', '.join(logs)}: cannot fit: {exc}", err=True)
        sys.exit(1)
    try:
        fitted.write(output)
    except OSError as exc:
        click.echo(f"{output}: cannot write ({exc.strerror})", err=True)
        sys.exit(1)
    print_fit(fitted, output, console)
    bt = None
    if backtest:
        from shiftsim.analysis.runner import default_workers, executor_for
        from shiftsim.logs.backtest import backtest as run_backtest

        n_workers = max(1, min(workers or default_workers(), replications))
        with executor_for(n_workers, scheduler) as executor:
            bt = run_backtest(fitted, executor=executor)
        print_backtest(bt, console)
    if report_path:
        from shiftsim.outputs.logreport import write_fit_report

        written = write_fit_report(fitted, report_path, bt)
        console.print(f"Report: {written}")
