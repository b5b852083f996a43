"""``shiftsim compare`` and ``check``: plans side by side, the planner's figure alongside."""

from __future__ import annotations

import sys
from typing import Any

import click

from shiftsim.cli._common import (
    _executor_options,
    _load,
    _overrides,
    _parse_sets,
    _progress,
    _scaled,
    _scenario_options,
    _slug,
    _volume_factors,
    _volume_option,
)


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


@click.command()
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
        changed = _parse_sets(plan_sets, option=f"--plan {name}:")
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


@click.command()
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
