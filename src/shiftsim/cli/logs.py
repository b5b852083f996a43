"""``shiftsim measure`` and ``fit``: from contact logs to measured service and a scenario."""

from __future__ import annotations

import sys
from typing import Any

import click

from shiftsim.cli._common import _executor_options, _load


def _log_files(f: Any) -> Any:
    """The LOGS argument and ``--mapping``: the log files a command reads, and how."""
    f = click.option(
        "--mapping", "-m", type=click.Path(dir_okay=False),
        help="Mapping file: which column is which (default: the documented log schema).",
    )(f)  # fmt: skip
    return click.argument("logs", nargs=-1, required=True, type=click.Path(dir_okay=False))(f)


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


@click.command("measure")
@_log_files
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


@click.command("fit")
@_log_files
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
    help="auto: weekdays with their own hourly profile get it as volume.profiles.",
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
    from shiftsim.model.problems import ScenarioError

    try:
        fitted = fit_logs(table, day_types=day_types, replications=replications, seed=seed)
    except (ValueError, ScenarioError) as exc:
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
