"""The scenario file: a typed, frozen, validated description of the center.

A scenario is written in YAML and validated into :class:`Scenario`. Every
problem in a file is reported at once, as ``file: path.to.field: problem (got
value)``, through :class:`ScenarioError`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import Field, field_validator, model_validator

from shiftsim.model.base import ClockTime, _clock_text, _Model
from shiftsim.model.channels import (
    TYPICAL_PROFILE,
    Bot,
    ByCase,
    ByCustomer,
    Channel,
    Escalation,
    Profile,
    Repeat,
    Retry,
    Volume,
)
from shiftsim.model.distributions import Duration
from shiftsim.model.durations import DAY, format_duration
from shiftsim.model.names import PRIORITIES
from shiftsim.model.pools import (
    DEFAULT_SHIFT_TIMES,
    Department,
    IntervalStaffing,
    Pool,
    Rotation,
    Shift,
)
from shiftsim.model.problems import Problem
from shiftsim.model.targets import (
    DEFAULT_PERIODS,
    Event,
    Forecast,
    PeriodWindow,
    Reporting,
    Staffing,
    Target,
    default_targets,
)

# The schema's models live in model.channels, model.pools and model.targets;
# they are re-exported here, where callers have always imported them from.
__all__ = [
    "DEFAULT_PERIODS",
    "DEFAULT_SHIFT_TIMES",
    "PRIORITIES",
    "TYPICAL_PROFILE",
    "Bot",
    "ByCase",
    "ByCustomer",
    "Channel",
    "ClockTime",
    "Department",
    "Escalation",
    "Event",
    "Forecast",
    "Horizon",
    "IntervalStaffing",
    "PeriodWindow",
    "Pool",
    "Profile",
    "Repeat",
    "Reporting",
    "Retry",
    "Rotation",
    "Scenario",
    "Shift",
    "Staffing",
    "Target",
    "Volume",
    "default_targets",
    "reference_problems",
]


class Horizon(_Model):
    """The simulated period: ``days`` days from ``start``, after an unreported warm-up."""

    start: dt.date
    days: int = Field(ge=1, le=3660)
    warmup: Duration = 0.0

    @field_validator("warmup")
    @classmethod
    def _whole_days(cls, v: float) -> float:
        if v < 0 or v % DAY:
            raise ValueError(
                f"warm-up must be a whole number of days such as '1d' (got {v / DAY:g}d)"
            )
        return v

    @property
    def warmup_days(self) -> int:
        return int(self.warmup // DAY)


class Scenario(_Model):
    """A whole center: horizon, channels, agents, departments and targets."""

    name: str = "scenario"
    description: str = ""
    horizon: Horizon
    replications: int = Field(default=20, ge=1, le=100_000)
    seed: int = Field(default=1, ge=0)
    # Channels and departments are numbered in 8 bits in the contact log.
    channels: dict[str, Channel] = Field(min_length=1, max_length=100)
    pools: dict[str, Pool] = Field(min_length=1, max_length=100)
    departments: dict[str, Department] = Field(default={}, max_length=100)
    events: tuple[Event, ...] = ()
    targets: tuple[Target, ...] | None = None
    reporting: Reporting = Reporting(interval="1h", short_abandon="0s")
    staffing: Staffing = Staffing()
    forecast: Forecast = Forecast()

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        problems = reference_problems(self.model_dump(by_alias=True))
        if problems:
            raise ValueError(_CROSS + "\n".join(str(p) for p in problems))
        return self

    # -- derived views -------------------------------------------------------
    @property
    def resolved_targets(self) -> tuple[Target, ...]:
        """The targets in force: the file's, or docs/domain.md tiers for every channel."""
        if self.targets is not None:
            return self.targets
        return default_targets(self.channels)

    def set(self, path: str, value: Any) -> Scenario:
        """A copy with one setting changed, by dotted path.

        >>> plan_b = scenario.set("pools.agents.shifts.night.headcount", 5)  # doctest: +SKIP

        The copy is validated like a file; durations and clock times are
        written as in files (``"5min"``, ``"08:00"``).
        """
        return self.with_({path: value})

    def with_(self, overrides: dict[str, Any] | None = None, **top_level: Any) -> Scenario:
        """A copy with settings changed: dotted paths in ``overrides``, top-level keys as keywords.

        >>> scenario.with_({"channels.chat.bot.containment": 0.3}, replications=9)  # doctest: +SKIP
        """
        changes = dict(overrides or {})
        changes.update(top_level)
        from shiftsim.model.loading import parse_scenario

        return parse_scenario(self.to_dict(), source=f"<{self.name}>", overrides=changes)

    def to_dict(self) -> dict[str, Any]:
        """The fully resolved scenario (defaults filled in), as YAML-ready data."""
        data = self.model_dump(mode="json", by_alias=True)
        data["targets"] = [t.model_dump(mode="json", by_alias=True) for t in self.resolved_targets]
        return _clock_and_durations_to_text(data)


_CROSS = "cross-references:\n"


def reference_problems(data: Any) -> list[Problem]:
    """Names that point nowhere (pool channels, departments, target channels...).

    Works on raw, possibly invalid, scenario data so that these problems are
    reported together with every other problem of a file.
    """

    def mapping(node: Any) -> dict[Any, Any]:
        return node if isinstance(node, dict) else {}

    def items(node: Any) -> list[Any]:
        return list(node) if isinstance(node, list | tuple) else []

    data = mapping(data)
    channels = mapping(data.get("channels"))
    departments = mapping(data.get("departments"))
    problems: list[Problem] = []
    served: set[str] = set()
    vip_served: set[str] = set()
    for pname, pool in mapping(data.get("pools")).items():
        pool = mapping(pool)
        for ch in items(pool.get("channels")):
            if not isinstance(ch, str):
                continue
            if ch not in channels:
                problems.append(Problem(path=f"pools.{pname}.channels",
                                        message=f"unknown channel (got {ch!r})"))  # fmt: skip
            served.add(ch)
            if pool.get("takes_vip", True) is not False:
                vip_served.add(ch)
    problems += _head_start_problems(data)
    for cname, ch in channels.items():
        ch = mapping(ch)
        if cname not in served:
            problems.append(
                Problem(path=f"channels.{cname}", message="no pool serves this channel")
            )
        elif (
            isinstance(ch.get("vip_share"), int | float)
            and ch["vip_share"] > 0
            and cname not in vip_served
        ):
            problems.append(Problem(path=f"channels.{cname}.vip_share",
                                    message="no pool serving this channel takes VIPs"))  # fmt: skip
        again = mapping(ch.get("repeat")).get("channel")
        if isinstance(again, str) and again not in channels:
            problems.append(Problem(path=f"channels.{cname}.repeat.channel",
                                    message=f"unknown channel (got {again!r})"))  # fmt: skip
        dept = mapping(ch.get("escalation")).get("department")
        if isinstance(dept, str) and dept not in departments:
            problems.append(Problem(path=f"channels.{cname}.escalation.department",
                                    message=f"unknown department (got {dept!r})"))  # fmt: skip
    for i, ev in enumerate(items(data.get("events"))):
        for ch_name in mapping(mapping(ev).get("channels")):
            if ch_name not in channels:
                problems.append(Problem(path=f"events.{i}.channels",
                                        message=f"unknown channel (got {ch_name!r})"))  # fmt: skip
    reporting = mapping(data.get("reporting"))
    periods = reporting.get("periods", DEFAULT_PERIODS)
    shifts = {
        f"{p}.{s}" for p, pool in mapping(data.get("pools")).items()
        for s in mapping(mapping(pool).get("shifts"))
    }  # fmt: skip
    by_interval = {
        p for p, pool in mapping(data.get("pools")).items() if mapping(pool).get("staffing")
    }
    staffing = mapping(data.get("staffing"))
    for key in ("change", "bounds", "cost"):
        names = staffing.get(key)
        named = shifts | by_interval if key == "bounds" else shifts
        for name in names if isinstance(names, list | tuple | dict) else ():
            if isinstance(name, str) and name not in named:
                message = f"unknown shift, write pool.shift (got {name!r})"
                if key == "bounds":
                    message = (f"unknown shift or pool staffed by interval, write pool.shift "
                               f"or pool (got {name!r})")  # fmt: skip
                problems.append(Problem(path=f"staffing.{key}", message=message))
    for i, t in enumerate(items(data.get("targets"))):
        ch_name = mapping(t).get("channel")
        if isinstance(ch_name, str) and ch_name not in channels:
            problems.append(Problem(path=f"targets.{i}.channel",
                                    message=f"unknown channel (got {ch_name!r})"))  # fmt: skip
        for name in items(mapping(t).get("periods")):
            if isinstance(periods, dict) and isinstance(name, str) and name not in periods:
                known = ", ".join(map(str, periods))
                problems.append(Problem(path=f"targets.{i}.periods",
                                        message=f"unknown period (got {name!r}); "
                                                f"reporting.periods has {known}"))  # fmt: skip
    return problems


def _head_start_problems(data: dict[str, Any]) -> list[Problem]:
    """Pools whose waiting channels mix head-start and strict-priority routing.

    An agent compares the queues it serves by one key; a head start and a
    strict priority have no common order, so the channels of a pool use one
    rule or the other.
    """
    channels = data.get("channels")
    channels = channels if isinstance(channels, dict) else {}
    pools = data.get("pools")
    problems: list[Problem] = []
    for pname, pool in (pools if isinstance(pools, dict) else {}).items():
        names = pool.get("channels") if isinstance(pool, dict) else None
        waiting = [
            c for c in (names if isinstance(names, list | tuple) else ())
            if isinstance(c, str) and isinstance(channels.get(c), dict)
            and channels[c].get("kind") in ("voice", "chat")
        ]  # fmt: skip
        with_bonus = [c for c in waiting if channels[c].get("head_start") is not None]
        if with_bonus and len(with_bonus) < len(waiting):
            strict = [c for c in waiting if c not in with_bonus]
            problems.append(Problem(
                path=f"pools.{pname}.channels",
                message="the waiting channels of a pool all use head_start or none "
                        f"(got head_start on {', '.join(with_bonus)}, "
                        f"strict priority on {', '.join(strict)})",
            ))  # fmt: skip
    return problems


def _clock_and_durations_to_text(data: dict[str, Any]) -> dict[str, Any]:
    # model_dump gives seconds; that is faithful but unreadable. We keep seconds
    # with an explicit unit so that the dump loads back as the same scenario.

    duration_keys = {
        "warmup", "mean", "value", "low", "high", "within", "respond_within", "interval",
        "short_abandon",
    }  # fmt: skip
    clock_keys = {"start", "end", "off_hours_by"}

    clock = _clock_text

    def walk(node: Any, key: str | None = None, parent: str | None = None) -> Any:
        if isinstance(node, dict):
            return {k: walk(v, k, key) for k, v in node.items()}
        if isinstance(node, list):
            if key in ("hours", "business_hours") and node and isinstance(node[0], float | int):
                return [clock(v) for v in node]
            if parent == "periods" and node and isinstance(node[0], float | int):
                return [clock(v) for v in node]  # reporting.periods.NAME
            if key == "values":
                return [format_duration(v) for v in node]
            return [walk(v, key, parent) for v in node]
        if isinstance(node, float | int) and not isinstance(node, bool):
            if parent == "head_start" or (key in duration_keys and parent != "horizon_start"):
                return format_duration(float(node))
            if key in clock_keys and parent != "horizon":
                return clock(float(node))
        return node

    text: dict[str, Any] = walk(data)
    return text
