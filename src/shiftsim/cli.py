"""The ``shiftsim`` command line. Thin: each command imports its implementation lazily."""

from __future__ import annotations

import sys
from typing import Any

import click

__all__ = ["main"]


def _load(path: str, overrides: dict[str, Any]) -> Any:
    from .scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path, overrides)
    except ScenarioError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


@click.group()
@click.version_option(package_name="shiftsim")
def main() -> None:
    """Size the staff of a 24-hour customer-service center by simulating it."""


@main.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@click.option("--replications", "-r", type=click.IntRange(min=1), help="Override the file's replications.")
@click.option("--seed", type=click.IntRange(min=0), help="Override the file's seed.")
@click.option("--days", type=click.IntRange(min=1), help="Override the horizon's number of days.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def run(scenario: str, replications: int | None, seed: int | None, days: int | None, quiet: bool) -> None:
    """Simulate SCENARIO and report the probability of meeting each target."""
    overrides: dict[str, Any] = {}
    if replications is not None:
        overrides["replications"] = replications
    if seed is not None:
        overrides["seed"] = seed
    if days is not None:
        overrides["horizon.days"] = days
    sc = _load(scenario, overrides)

    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    from .report import print_report
    from .runner import run as run_scenario

    console = Console()
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=quiet,
        transient=True,
    ) as bar:
        task = bar.add_task("replications", total=sc.replications)
        result = run_scenario(sc, progress=lambda done, total: bar.update(task, completed=done))
    print_report(result, console)
    if result.interrupted:
        sys.exit(130)


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
