"""What the commands share: loading a scenario, its overrides, the executor options.

Bad input ends the command here with a message and exit code 1 (no traceback).
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import click


class _Overrides(dict[str, Any]):
    """Values by dotted path that replace the file's, and the option that gave each.

    ``labels[path]`` (``--set PATH=VALUE``, ``--days 7``) names a bad value's
    source in the error, rather than the file. ``a | b`` keeps the labels of
    the values it keeps.
    """

    def __init__(self, values: dict[str, Any] | None = None, labels: dict[str, str] | None = None):
        super().__init__(values or {})
        self.labels: dict[str, str] = dict(labels or {})

    def given(self, path: str, value: Any, label: str) -> None:
        self[path] = value
        self.labels[path] = label

    # compare: ``overrides | changed``; dict's own ``|`` would give a dict without labels.
    def __or__(self, other: dict[str, Any]) -> _Overrides:  # type: ignore[override]
        labels = {p: s for p, s in self.labels.items() if p not in other}
        return _Overrides({**self, **other}, {**labels, **getattr(other, "labels", {})})


def _load(path: str, overrides: dict[str, Any]) -> Any:
    from shiftsim.model.loading import load_scenario
    from shiftsim.model.problems import ScenarioError

    try:
        scenario = load_scenario(path, overrides, getattr(overrides, "labels", None))
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


def _parse_sets(values: tuple[str, ...], option: str = "--set") -> _Overrides:
    """``PATH=VALUE`` items read as in a scenario file, each labelled ``OPTION PATH=VALUE``
    (``--set``, or compare's ``--plan NAME:``) for the errors its value may cause."""
    from shiftsim.model.loading import parse_override
    from shiftsim.model.problems import ScenarioError

    out = _Overrides()
    for item in values:
        path, sep, raw = item.partition("=")
        if not sep or not path:
            raise click.BadParameter(f"expected path=value (got {item!r})", param_hint="--set")
        try:
            value = parse_override(path.strip(), raw)  # read as in a scenario file
        except ScenarioError as exc:
            click.echo(str(exc), err=True)
            sys.exit(1)
        given = f"{path.strip()}={raw.strip()}"
        out.given(
            path.strip(), value, f"{option} {given if len(given) <= 80 else given[:77] + '...'}"
        )
    return out


def _overrides(
    replications: int | None, seed: int | None, days: int | None, sets: tuple[str, ...]
) -> _Overrides:
    """Command-line values that replace the file's; only those the user gave."""
    overrides = _parse_sets(sets)
    if replications is not None:
        overrides.given("replications", replications, f"--replications {replications}")
    if seed is not None:
        overrides.given("seed", seed, f"--seed {seed}")
    if days is not None:
        overrides.given("horizon.days", days, f"--days {days}")
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
    changes = _Overrides()
    for name, ch in sc.channels.items():
        factor, given = factors.get(name), f"{name}="
        if factor is None:
            factor, given = factors.get(None), ""
        if factor is not None:
            changes.given(f"channels.{name}.volume.per_day", ch.volume.per_day * factor,
                          f"--volume {given}{factor:g}")  # fmt: skip
    return _revalidated(sc, changes, source)


def _revalidated(sc: Any, changes: _Overrides, source: str) -> Any:
    """``sc`` with ``changes``; a problem is reported under its change's label or ``source``."""
    from shiftsim.model.loading import parse_scenario
    from shiftsim.model.problems import ScenarioError

    try:  # sc.with_(changes), with the labels
        return parse_scenario(sc.to_dict(), source=source, overrides=changes, labels=changes.labels)
    except ScenarioError as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)


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


def _slug(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-") or "scenario"
