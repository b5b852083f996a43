"""``shiftsim staff``: the least-cost headcounts that meet every target."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click

from shiftsim.cli._common import _executor_options, _load, _overrides, _progress, _scenario_options


@click.command()
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
    requirement is met, 3 when some cannot be met within the bounds (or the search
    gave them up: agents added did not move them).
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
    writers: tuple[tuple[str | None, Callable[[str], Path]], ...] = (
        (plan_path, lambda p: write_plan(result, p)),
        (out, lambda p: write_folder(result, p, force)),
    )
    for path, write in writers:
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
        if path == plan_path:
            console.print(
                f"`shiftsim run {path} --seed {result.verify_seed}` reproduces the verified "
                f"figures; the scenario's seed ({sc.seed}) draws other replications."
            )
    if not result.feasible:
        sys.exit(3)
