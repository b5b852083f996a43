"""``shiftsim run``, ``report`` and ``validate``: one scenario, its results folder."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Any

import click

from shiftsim.cli._common import (
    _executor_options,
    _load,
    _overrides,
    _progress,
    _scaled,
    _scenario_options,
    _slug,
    _volume_factors,
    _volume_option,
)


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
@_scenario_options
@_executor_options
@click.option("--out", "-o", type=click.Path(file_okay=False),
              help="Results folder (default: results/NAME-YYYYmmdd-HHMMSS).")  # fmt: skip
@click.option("--force", is_flag=True, help="Replace an existing results folder.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet",
              show_default=True, help="Format of the tables and per-contact records.")  # fmt: skip
@click.option("--contacts/--no-contacts", default=False, show_default=True,
              help="Also keep the per-contact records (about 100 bytes a contact).")  # fmt: skip
@click.option("--no-save", is_flag=True, help="Print the report only; write no results folder.")
@click.option("--report", "html_report", is_flag=True, help="Also write the HTML report.")
@_volume_option
@click.option("--json", "as_json", is_flag=True,
              help="Print a summary as JSON on stdout (the report goes to stderr).")  # fmt: skip
@click.option("--fail-on-miss", is_flag=True,
              help="Exit with code 2 when a target misses its requirement.")  # fmt: skip
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
    volumes: tuple[str, ...],
    as_json: bool,
    fail_on_miss: bool,
    quiet: bool,
) -> None:
    """Simulate SCENARIO and report the probability of meeting each target.

    Results go to a folder (see --out) that is written atomically: an
    interrupted run keeps its finished replications, and running again with
    the same --out runs only the missing ones.
    """
    from shiftsim.analysis.interrupts import Interrupts  # standard library only: quick

    box: list[Any] = []  # the results folder, for the message of a second Ctrl-C
    with Interrupts(hard_exit=True, farewell=lambda: _farewell(box)) as stop:
        try:
            overrides = _overrides(replications, seed, days, sets)
            sc = _load(scenario, overrides)
            sc = _scaled(sc, _volume_factors(volumes, scenario), scenario)
            # What the command line changed, said wherever the source is.
            changes = [*overrides.labels.values(), *(f"--volume {v}" for v in volumes)]

            from rich.console import Console

            from shiftsim.outputs.console import print_report
            from shiftsim.outputs.summary import all_met, dumps, run_summary

            console = Console(stderr=as_json)
            result, folder = _simulate(
                sc, scenario, stop, box, out=out, force=force, fmt=fmt, contacts=contacts,
                save=not no_save, workers=workers, scheduler=scheduler, quiet=quiet,
                console=console, changes=changes,
            )  # fmt: skip
            if result is None:
                click.echo(
                    "Interrupted before any replication finished: nothing written.", err=True
                )
                sys.exit(130)
            print_report(result, console, changes)
            if folder is not None:
                console.print(f"Results: {folder.final}")
                if html_report:
                    _write_html(folder.final, console)
            if as_json:
                where = str(folder.final) if folder is not None else None
                click.echo(dumps(run_summary(result, where)))
        except KeyboardInterrupt:
            # Before the run, or while printing: what was simulated is already written.
            where = f" Results: {box[0].final}" if box and box[0].in_place else ""
            click.echo(f"\nInterrupted.{where}", err=True)
            sys.exit(130)
    if result.interrupted:
        console.print(
            "[yellow]Run again with the same --out to finish the missing replications.[/yellow]"
        )
    if result.interrupted or stop.requested:
        sys.exit(130)
    if fail_on_miss and not all_met(result):
        sys.exit(2)


def _simulate(
    sc: Any,
    source: str,
    stop: Any,
    box: list[Any],
    *,
    out: str | None,
    force: bool,
    fmt: str,
    contacts: bool,
    save: bool,
    workers: int | None,
    scheduler: str | None,
    quiet: bool,
    console: Any,
    changes: list[str] | None = None,
) -> tuple[Any, Any]:
    """Run the replications of ``sc`` into its results folder; ``(None, folder)`` if none finished.

    The first Ctrl-C stops the run and keeps what finished; file system
    problems are ``DIR: problem``, exit code 1.
    """
    import time
    from pathlib import Path

    from shiftsim.analysis.runner import ExecutorError, default_workers, executor_for
    from shiftsim.analysis.runner import run as run_scenario
    from shiftsim.outputs.store import OutputError, ResultsFolder

    started = time.perf_counter()
    folder = None
    todo = list(range(sc.replications))
    if save:
        target = (
            Path(out)
            if out
            else Path("results") / f"{_slug(sc.name)}-{time.strftime('%Y%m%d-%H%M%S')}"
        )
        try:
            with stop.protected():
                folder = ResultsFolder(target, sc, source, force=force, fmt=fmt, contacts=contacts,
                                       changes=changes)  # fmt: skip
        except OutputError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        box.append(folder)
        todo = folder.missing()
        if len(todo) < sc.replications:
            console.print(
                f"Resuming {target}: {sc.replications - len(todo)} replication(s) already "
                f"finished, {len(todo)} to run."
            )
    result = None
    n_workers = max(1, min(workers or default_workers(), len(todo)))
    try:
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
                    interrupts=stop,
                )
    except KeyboardInterrupt:
        stop.requested = True  # while workers started or stopped: what is stored is kept
    except (ExecutorError, OSError) as exc:
        if folder is not None:
            folder.close() if folder.done else folder.discard()
        if isinstance(exc, ExecutorError):
            click.echo(str(exc), err=True)
        else:
            _cannot_write(folder, exc)
        sys.exit(1)
    if folder is None:
        return (result if result is not None and result.metrics else None), None
    wall = result.wall_time if result is not None else time.perf_counter() - started
    try:
        with stop.protected(raise_after=False):
            if not folder.done:
                folder.discard()
                return None, folder
            result = folder.finish(wall, atomic=stop.atomic)
    except OSError as exc:
        folder.close()
        _cannot_write(folder, exc)
        sys.exit(1)
    return result, folder


def _cannot_write(folder: Any, exc: OSError) -> None:
    """Say that the results folder cannot be written, and what is kept."""
    from shiftsim.outputs.store import why

    if folder is None:
        click.echo(f"cannot write ({why(exc)})", err=True)
        return
    kept = (
        f"; {folder.partial} keeps the {len(folder.done)} replication(s) stored: "
        "fix this and run again with the same --out"
        if folder.done
        else ""
    )
    click.echo(f"{folder.final}: cannot write the results ({why(exc)}){kept}", err=True)


def _farewell(box: list[Any]) -> str:
    """What a second Ctrl-C says as the run stops at once."""
    if not box:
        return "Stopped."
    folder = box[0]
    folder.close()  # no stale lock left behind
    if folder.in_place:
        return f"Stopped. Results: {folder.final}"
    if not folder.done:
        return "Stopped before any replication finished."
    return (
        f"Stopped at once: {folder.partial} keeps {len(folder.done)} finished replication(s); "
        "run again with the same --out to resume."
    )


def _write_html(folder: Any, console: Any) -> None:
    from shiftsim.outputs.html import write_report

    with _report_problems(folder):
        path = write_report(folder)
    console.print(f"Report: {path}")


@contextlib.contextmanager
def _report_problems(folder: Any) -> Iterator[None]:
    """A report of ``folder`` that cannot be written: a message and exit code 1."""
    from shiftsim.outputs.store import OutputError, why

    try:
        yield
    except OutputError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"{folder}: cannot write the report ({why(exc)})", err=True)
        sys.exit(1)


@click.command("report")
@click.argument("folder", type=click.Path(file_okay=False))
def report_command(folder: str) -> None:
    """Write report.html and summary.md into the results FOLDER of a run.

    The folder is checked first (metadata.json, the scenario's hash, every
    replication it lists); summary tables that are missing are rebuilt from
    the replications' KPIs, and the command says so.
    """
    from pathlib import Path

    from shiftsim.outputs.html import write_report
    from shiftsim.outputs.store import FolderLock, load_results, missing_tables, write_tables

    lock = FolderLock(Path(folder))
    with _report_problems(folder):
        try:
            result, meta = load_results(folder)  # checks what the report is built from
            lock.acquire()
            lacking = missing_tables(folder, meta.get("format", "parquet"))
            if lacking and result.metrics:
                write_tables(result, Path(folder), meta.get("format", "parquet"))
                click.echo(
                    f"{folder}: {', '.join(lacking)} missing: rebuilt from the KPIs of the "
                    f"{result.replications} replication(s) metadata.json lists",
                    err=True,
                )
            path = write_report(folder)
        finally:
            lock.release()
    click.echo(f"Report: {path}\nSummary: {path.with_name('summary.md')}")


@click.command()
@click.argument("scenario", type=click.Path(dir_okay=False))
def validate(scenario: str) -> None:
    """Check SCENARIO without running it."""
    sc = _load(scenario, {})
    n_targets = len(sc.resolved_targets)
    click.echo(
        f"{scenario}: OK ({len(sc.channels)} channel(s), {len(sc.pools)} pool(s), "
        f"{n_targets} target(s), {sc.horizon.days} day(s))"
    )
