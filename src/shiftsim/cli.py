"""The ``shiftsim`` command line. Thin: each command imports its implementation lazily."""

from __future__ import annotations

import functools
import os
import signal
import sys
from typing import Any


def _interrupted_at_start(signum: int, frame: object) -> None:
    os.write(2, b"\nInterrupted.\n")
    os._exit(130)


# The console script: a Ctrl-C while Python is still importing the command line ends it
# quietly (until main() takes Ctrl-C over); nothing has been done yet that could be lost.
if os.path.basename(sys.argv[0] if sys.argv else "") == "shiftsim":
    signal.signal(signal.SIGINT, _interrupted_at_start)

import click  # noqa: E402

__all__ = ["main"]


def _load(path: str, overrides: dict[str, Any]) -> Any:
    from shiftsim.model.loading import load_scenario
    from shiftsim.model.problems import ScenarioError

    try:
        scenario = load_scenario(path, overrides)
    except ScenarioError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    _check_size(scenario, path)
    return scenario


def _check_size(scenario: Any, path: str) -> None:
    """Refuse, before anything runs, a run that would not fit in memory (see --no-size-check)."""
    ctx = click.get_current_context(silent=True)
    if ctx is None or "shiftsim.memory_check" not in ctx.meta:
        return  # a command that runs nothing (validate, measure)
    from shiftsim.analysis.runner import RunTooLarge, check_size, default_workers

    params = ctx.params
    local = not params.get("scheduler")  # on a Dask cluster only the results come back here
    workers = min(params.get("workers") or default_workers(), scenario.replications)
    try:
        check_size(scenario, workers, memory=ctx.meta["shiftsim.memory_check"] and local)
    except RunTooLarge as exc:
        click.echo(f"{path}: {exc}", err=True)
        sys.exit(1)


def _where_replications_run(f: Any) -> Any:
    """Wrap a command that runs replications: where they cannot run is a message, exit 1."""
    import functools

    @functools.wraps(f)
    def command(*args: Any, **kwargs: Any) -> Any:
        try:
            return f(*args, **kwargs)
        except RuntimeError as exc:
            from shiftsim.analysis.runner import ExecutorError

            if not isinstance(exc, ExecutorError):
                raise
            click.echo(str(exc), err=True)
            sys.exit(1)
        except MemoryError:
            click.echo(
                "out of memory: the run needs more than this machine has; use fewer days, "
                "replications or workers",
                err=True,
            )
            sys.exit(1)

    return command


def _no_size_check(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    ctx.meta["shiftsim.memory_check"] = not value


class _Commands(click.Group):
    """The command group. Exit codes: 0 done, 1 bad input (a usage error too), 2 a target
    missed with ``--fail-on-miss``, 3 ``staff`` cannot meet a requirement, 130 interrupted.

    Click gives usage errors code 2; here they are bad input like any other (1),
    so that 2 always means a missed target.
    """

    def main(
        self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
        standalone_mode: bool = True, **extra: Any,
    ) -> Any:  # fmt: skip
        run = functools.partial(super().main, args, prog_name, complete_var, False, **extra)
        if not standalone_mode:
            return run()
        try:
            rv: Any = run()
        except click.exceptions.NoArgsIsHelpError as exc:
            exc.show()
            sys.exit(0)
        except click.UsageError as exc:
            exc.show()
            sys.exit(1)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Interrupted.", err=True)
            sys.exit(130)
        sys.exit(rv if isinstance(rv, int) else 0)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # The console script: from the start, a first Ctrl-C interrupts (KeyboardInterrupt)
        # and a second ends the process at once, even while Python shuts down.
        from shiftsim.analysis.interrupts import Interrupts

        with Interrupts(hard_exit=True, farewell=lambda: "Stopped."):
            return self.main(*args, **kwargs)


@click.group(cls=_Commands)
@click.version_option(package_name="shiftsim")
def main() -> None:
    """Size the staff of a 24-hour customer-service center by simulating it."""


def _parse_sets(values: tuple[str, ...]) -> dict[str, Any]:
    from shiftsim.model.loading import parse_override
    from shiftsim.model.problems import ScenarioError

    out: dict[str, Any] = {}
    for item in values:
        path, sep, raw = item.partition("=")
        if not sep or not path:
            raise click.BadParameter(f"expected path=value (got {item!r})", param_hint="--set")
        try:
            out[path.strip()] = parse_override(path.strip(), raw)  # read as in a scenario file
        except ScenarioError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
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


def _volume_option(f: Any) -> Any:
    return click.option(
        "--volume", "volumes", multiple=True, metavar="[CHANNEL=]FACTOR",
        help="Scale the forecast volume (per_day): of every channel (--volume 1.3) or of one "
             "(--volume phone=1.2); repeatable, a channel's own factor wins.",
    )(f)  # fmt: skip


def _volume_factors(volumes: tuple[str, ...], where: str) -> dict[str | None, float]:
    """``{None: 1.3, "phone": 1.2}`` from ``--volume`` values; bad ones end the command."""
    import math

    out: dict[str | None, float] = {}
    for item in volumes:
        channel, sep, raw = item.rpartition("=")
        try:
            factor = float(raw)
        except ValueError:
            factor = math.nan
        if not math.isfinite(factor) or factor <= 0 or (sep and not channel.strip()):
            click.echo(f"{where}: --volume: expected FACTOR or CHANNEL=FACTOR with a positive "
                       f"number (got {item!r})", err=True)  # fmt: skip
            sys.exit(1)
        out[channel.strip() or None] = factor
    return out


def _scaled(sc: Any, factors: dict[str | None, float], source: str) -> Any:
    """``sc`` with each channel's per_day times its ``--volume`` factor."""
    if not factors:
        return sc
    unknown = [c for c in factors if c is not None and c not in sc.channels]
    if unknown:
        click.echo(f"{source}: --volume: no channel {unknown[0]!r} (channels: "
                   f"{', '.join(sc.channels)})", err=True)  # fmt: skip
        sys.exit(1)
    changes = {}
    for name, ch in sc.channels.items():
        factor = factors.get(name, factors.get(None))
        if factor is not None:
            changes[f"channels.{name}.volume.per_day"] = ch.volume.per_day * factor
    return _revalidated(sc, changes, source)


def _revalidated(sc: Any, changes: dict[str, Any], source: str) -> Any:
    from shiftsim.model.problems import ScenarioError

    try:
        return sc.with_(changes)
    except ScenarioError as exc:
        click.echo(str(exc).replace(f"<{sc.name}>", source, 1), err=True)
        sys.exit(1)


def _plan(text: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """``NAME: path=value, path=value`` as (name, --set values, --volume values).

    Items are split at commas that start a new ``path=``, so a value may hold
    commas (``{phone: 2, chat: 3}``). ``volume=1.3`` and ``volume.phone=1.3``
    scale volumes like ``--volume``. Without ``NAME:`` the plan is named by
    its changes.
    """
    import re

    head = re.match(r"\s*([^:=]+?)\s*:\s*(.*)$", text, flags=re.S)  # no "=" before the name's ":"
    name, body = (head.group(1), head.group(2)) if head else ("", text)
    items = [i.strip() for i in re.split(r",\s*(?=[A-Za-z_][\w.\[\]]*\s*=)", body) if i.strip()]
    if not items or any("=" not in i or not i.split("=", 1)[0].strip() for i in items):
        raise click.BadParameter(
            f"expected 'NAME: path=value[, path=value...]' (got {text!r})", param_hint="--plan"
        )
    sets, volumes = [], []
    for item in items:
        path, _, value = item.partition("=")
        path = path.strip()
        if path == "volume" or path.startswith("volume."):
            volumes.append(f"{path.removeprefix('volume').lstrip('.')}={value}".lstrip("="))
        else:
            sets.append(f"{path}={value}")
    return name or ", ".join(items), tuple(sets), tuple(volumes)


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
    f = _where_replications_run(f)
    f = click.option(
        "--no-size-check", is_flag=True, expose_value=False, callback=_no_size_check,
        help="Run even if the run's estimated memory exceeds this machine's.",
    )(f)  # fmt: skip
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
            sc = _load(scenario, _overrides(replications, seed, days, sets))
            sc = _scaled(sc, _volume_factors(volumes, scenario), scenario)

            from rich.console import Console

            from shiftsim.outputs.console import print_report
            from shiftsim.outputs.summary import all_met, dumps, run_summary

            console = Console(stderr=as_json)
            result, folder = _simulate(
                sc, scenario, stop, box, out=out, force=force, fmt=fmt, contacts=contacts,
                save=not no_save, workers=workers, scheduler=scheduler, quiet=quiet,
                console=console,
            )  # fmt: skip
            if result is None:
                click.echo(
                    "Interrupted before any replication finished: nothing written.", err=True
                )
                sys.exit(130)
            print_report(result, console)
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
                folder = ResultsFolder(target, sc, source, force=force, fmt=fmt, contacts=contacts)
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
    from shiftsim.outputs.store import OutputError, why

    try:
        path = write_report(folder)
    except OutputError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"{folder}: cannot write the report ({why(exc)})", err=True)
        sys.exit(1)
    console.print(f"Report: {path}")


def _slug(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "scenario"


@main.command()
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(dir_okay=False))
@_scenario_options
@_executor_options
@click.option("--plan", "plans_given", multiple=True, metavar="'NAME: PATH=VALUE, ...'",
              help="A what-if on the first file: its name, then the settings it changes "
                   "(volume=1.3 scales volumes); repeatable.")  # fmt: skip
@_volume_option
@click.option("--json", "as_json", is_flag=True,
              help="Print the comparison as JSON on stdout (the tables go to stderr).")  # fmt: skip
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def compare(
    scenarios: tuple[str, ...],
    replications: int | None,
    seed: int | None,
    days: int | None,
    sets: tuple[str, ...],
    workers: int | None,
    scheduler: str | None,
    plans_given: tuple[str, ...],
    volumes: tuple[str, ...],
    as_json: bool,
    quiet: bool,
) -> None:
    """Compare plans on common random numbers: the first file is the baseline.

    The other plans are more scenario files, or what-ifs on the first one in a
    line each: --plan "night+4: pools.frontline.shifts.night.headcount=10".
    Every plan runs with the same seed and replications, so replication r of
    each plan serves the same customers: the differences shown, with their
    95% confidence intervals, are the plans', not simulation noise. --set,
    --volume, -r, --seed and --days apply to every plan.
    """
    parsed = [_plan(text) for text in plans_given]
    if len(scenarios) + len(parsed) < 2:
        click.echo(
            f"{scenarios[0]}: compare needs a second plan: another scenario file, or a "
            'what-if such as --plan "night+4: pools.NAME.shifts.night.headcount=10" (got one '
            "plan)",
            err=True,
        )
        sys.exit(1)
    overrides = _overrides(replications, seed, days, sets)
    factors = _volume_factors(volumes, scenarios[0])
    plans: dict[str, Any] = {}
    changes: dict[str, dict[str, Any]] = {}

    def add(name: str, sc: Any, changed: dict[str, Any]) -> None:
        while name in plans:
            name += "'"
        plans[name] = sc
        changes[name] = changed

    for path in scenarios:
        name = _slug(path.rsplit("/", 1)[-1].removesuffix(".yaml").removesuffix(".yml"))
        add(name, _scaled(_load(path, overrides), factors, path), {})
    for name, plan_sets, plan_volumes in parsed:
        changed = _parse_sets(plan_sets)
        sc = _scaled(_load(scenarios[0], overrides | changed), factors, scenarios[0])
        plan_factors = _volume_factors(plan_volumes, scenarios[0])
        sc = _scaled(sc, plan_factors, scenarios[0])
        volume = {f"volume{'.' + c if c else ''}": f for c, f in plan_factors.items()}
        add(name, sc, {**changed, **volume})
    _comparable(list(plans.values()), [*scenarios, *(f"--plan {p[0]}" for p in parsed)])

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
    print_comparison(comparison, Console(stderr=as_json))
    if as_json:
        from shiftsim.outputs.summary import comparison_summary, dumps

        click.echo(dumps(comparison_summary(comparison, changes)))
    if any(r.interrupted for r in comparison.results.values()):
        sys.exit(130)  # compared on what finished, as the note says


def _comparable(plans: list[Any], sources: list[str]) -> None:
    """Plans are compared day by day and interval by interval: their calendars must agree."""
    first = plans[0]

    def calendar(sc: Any) -> dict[str, Any]:
        h = sc.horizon
        return {
            "horizon": f"{h.start}, {h.days} day(s), warm-up {h.warmup_days} day(s)",
            "reporting.interval": sc.reporting.interval,
            "reporting.periods": dict(sc.reporting.periods),
            "channels": list(sc.channels),
        }

    want = calendar(first)
    for sc, source in zip(plans[1:], sources[1:], strict=False):
        for key, value in calendar(sc).items():
            if value != want[key]:
                click.echo(
                    f"{source}: {key}: differs from {sources[0]}'s, so days and intervals "
                    f"cannot be paired; compare plans of the same center and period "
                    f"(got {value}, not {want[key]})",
                    err=True,
                )
                sys.exit(1)


@main.command("report")
@click.argument("folder", type=click.Path(file_okay=False))
def report_command(folder: str) -> None:
    """Write report.html and summary.md into the results FOLDER of a run.

    The folder is checked first (metadata.json, the scenario's hash, every
    replication it lists); summary tables that are missing are rebuilt from
    the replications' KPIs, and the command says so.
    """
    from pathlib import Path

    from shiftsim.outputs.html import write_report
    from shiftsim.outputs.store import (
        FolderLock,
        OutputError,
        load_results,
        missing_tables,
        why,
        write_tables,
    )

    lock = FolderLock(Path(folder))
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
    except OutputError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"{folder}: cannot write the report ({why(exc)})", err=True)
        sys.exit(1)
    finally:
        lock.release()
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
@_volume_option
@click.option("--json", "as_json", is_flag=True,
              help="Print the hours as JSON on stdout (the tables go to stderr).")  # fmt: skip
def check(
    scenario: str,
    replications: int | None,
    seed: int | None,
    days: int | None,
    sets: tuple[str, ...],
    workers: int | None,
    scheduler: str | None,
    volumes: tuple[str, ...],
    as_json: bool,
) -> None:
    """Compare SCENARIO hour by hour with a planner's stationary Erlang C/A figure.

    Each flagged hour names its one or two dominant reasons, measured by
    rerunning the hour's Erlang figure with what the simulation saw.
    """
    sc = _load(scenario, _overrides(replications, seed, days, sets))
    sc = _scaled(sc, _volume_factors(volumes, scenario), scenario)

    from rich.console import Console

    from shiftsim.analysis.runner import default_workers, executor_for
    from shiftsim.planning.check import check_scenario, print_check

    n_workers = max(1, min(workers or default_workers(), sc.replications))
    with executor_for(n_workers, scheduler) as executor:
        checks = check_scenario(sc, executor)
    print_check(checks, sc, Console(stderr=as_json))
    if as_json:
        from shiftsim.outputs.summary import check_summary, dumps

        click.echo(dumps(check_summary(checks, sc)))


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
