"""What a plan must achieve and how it is judged: targets, reporting, staffing, forecast, events."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, field_validator, model_validator

from shiftsim.model.base import ClockTime, _clock_text, _Model
from shiftsim.model.channels import MAX_EVENT_FACTOR, Profile
from shiftsim.model.distributions import Duration
from shiftsim.model.durations import DAY, HOUR, MINUTE, format_duration
from shiftsim.model.names import PRIORITIES, Priority
from shiftsim.model.values import short_repr

if TYPE_CHECKING:
    from shiftsim.model.channels import Channel

__all__ = [
    "DEFAULT_PERIODS",
    "Event",
    "Forecast",
    "PeriodWindow",
    "Reporting",
    "Staffing",
    "Target",
    "default_targets",
]

# docs/domain.md tiers: first response (phone / online) and resolution.
_FIRST_RESPONSE_VOICE = {"urgent": 5 * MINUTE, "important": 15 * MINUTE, "general": 30 * MINUTE}
_FIRST_RESPONSE_ONLINE = {"urgent": 10 * MINUTE, "important": 30 * MINUTE, "general": 2 * HOUR}
_RESOLUTION = {"important": 24 * HOUR, "general": 48 * HOUR}
_DEFAULT_GOAL = {"urgent": 0.9, "important": 0.8, "general": 0.8}


class Event(_Model):
    """A dated change in volume: a holiday, a campaign, the day after a launch."""

    date: dt.date
    until: dt.date | None = None
    factor: float = Field(default=1.0, ge=0, le=MAX_EVENT_FACTOR)
    channels: dict[str, Annotated[float, Field(ge=0, le=MAX_EVENT_FACTOR)]] = {}
    label: str = ""
    hourly_profile: Profile | None = None

    @model_validator(mode="after")
    def _range(self) -> Event:
        if self.until is not None and self.until < self.date:
            raise ValueError(f"until must not be before date (got {self.until} < {self.date})")
        return self

    def factor_for(self, channel: str) -> float:
        return self.channels.get(channel, self.factor)

    def profile_for(self, channel: str) -> tuple[float, ...] | None:
        """The event's hourly profile for ``channel``: the channels it names, or all."""
        if self.hourly_profile is None or (self.channels and channel not in self.channels):
            return None
        return self.hourly_profile

    def covers(self, day: dt.date) -> bool:
        return self.date <= day <= (self.until or self.date)


class Target(_Model):
    """A response promise: ``within`` for at least ``goal`` of the contacts."""

    name: str = ""
    channel: str
    priority: Priority | Literal["all"] = "all"
    kind: Literal["first_response", "resolution"] = "first_response"
    within: Duration = Field(gt=0)
    goal: float = Field(gt=0, le=1)
    cases: Literal["all", "simple", "complex"] = "all"
    vip: bool | None = None
    business_hours: tuple[ClockTime, ClockTime] | None = None
    off_hours_by: ClockTime | None = None
    per: Literal["period", "day", "horizon"] = "period"
    confidence: float | None = Field(default=None, gt=0, lt=1)
    periods: tuple[str, ...] | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.cases != "all" and self.kind != "resolution":
            raise ValueError("cases (simple/complex) applies to resolution targets only")
        if (self.business_hours is None) != (self.off_hours_by is None):
            raise ValueError("business_hours and off_hours_by go together")
        if self.periods is not None and self.per != "period":
            raise ValueError(f"periods applies to per: period only (got per: {self.per})")
        if self.confidence is not None and self.per == "horizon":
            raise ValueError(
                "confidence applies to per: period or day; a per: horizon target holds when "
                f"the horizon's service level reaches the goal (got confidence: {self.confidence})"
            )
        if self.periods is not None and len(set(self.periods)) < len(self.periods):
            raise ValueError(f"periods are named twice (got {list(self.periods)})")
        return self

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        parts = [self.channel]
        if self.priority != "all":
            parts.append(self.priority)
        if self.vip is not None:
            parts.append("VIP" if self.vip else "non-VIP")
        if self.cases != "all":
            parts.append(self.cases)
        what = "answered" if self.kind == "first_response" else "resolved"
        text = f"{' '.join(parts)} {what} <= {format_duration(self.within)}"
        if self.business_hours is not None:
            text += " (business hours)"
        return text


def _period_pair(value: Any) -> Any:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"a period is [start, end], such as ['22:00', '06:00'] (got {value!r})")
    return value


def _period_window(value: tuple[float, float]) -> tuple[float, float]:
    start, end = value
    window = f"['{_clock_text(start)}', '{_clock_text(end)}']"
    if start >= DAY:
        raise ValueError(f"a period starts before '24:00'; write '00:00' (got {window})")
    if start == end:
        raise ValueError(
            f"a period cannot start and end at the same time; for the whole day write "
            f"['00:00', '24:00'] (got {window})"
        )
    return value


PeriodWindow = Annotated[
    tuple[ClockTime, ClockTime], BeforeValidator(_period_pair), AfterValidator(_period_window)
]
"""A clock window of the day, ``['08:00', '18:00']``; ``['22:00', '06:00']`` spans midnight."""

DEFAULT_PERIODS: dict[str, tuple[float, float]] = {
    "night": (0.0, 8 * HOUR),
    "day": (8 * HOUR, 18 * HOUR),
    "evening": (18 * HOUR, 24 * HOUR),
}
"""Periods of the day targets are judged in by default: the shifts of docs/domain.md."""


class Reporting(_Model):
    """How results are cut and counted (the debatable KPI choices).

    ``periods`` are named clock windows of the day (``['22:00', '06:00']`` runs
    across midnight and belongs to the day it starts on); targets with
    ``per: period`` are judged in each of them.
    """

    interval: Duration = 3600.0
    short_abandon: Duration = 0.0
    periods: dict[str, PeriodWindow] = Field(default=DEFAULT_PERIODS, min_length=1)

    @field_validator("interval")
    @classmethod
    def _divides_day(cls, v: float) -> float:
        if v < 300 or DAY % v:
            raise ValueError(
                f"interval must divide a day and be at least 5min, e.g. '15min', '30min', '1h' "
                f"(got {format_duration(v)})"
            )
        return v

    @field_validator("periods")
    @classmethod
    def _names(cls, v: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for name in v:
            if not name.strip():
                raise ValueError(f"a period needs a name (got {name!r})")
        return v


class Forecast(_Model):
    """How wrong the volume forecast may be, across channels.

    ``shared_cv``: a day-level busyness factor (gamma, mean 1) common to every
    channel; each channel's own ``volume.daily_cv`` multiplies it, so a
    channel's day factor has cv^2 = (1 + shared_cv^2)(1 + daily_cv^2) - 1 and
    two channels' day factors have covariance shared_cv^2. With no shared
    factor (the default) ``daily_cv`` alone is the channel's day-level error.
    """

    shared_cv: float = Field(default=0.0, ge=0, le=2)


def _bound_pair(value: Any) -> Any:
    # Before the tuple's own check, which calls [5] "missing" its second item.
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"needs [low, high] (got {short_repr(value, 60)})")
    return value


class Staffing(_Model):
    """How sure a plan must be, and what ``shiftsim staff`` may change.

    ``confidence`` is the probability each target's periods must reach.
    ``change`` lists the shifts (``pool.shift``) whose headcount the search may
    change (default: every shift); ``bounds`` gives ``[low, high]`` headcounts
    per shift (default 0 to three times today's, at least today's + 30), or,
    for a pool staffed by interval (named alone), the agents of each of its
    intervals (default 0 to three times today's peak, at least the peak + 30);
    ``cost`` the cost of one agent on a shift (default: the shift's paid hours,
    so that cost is agent-hours per day of the pattern).
    """

    confidence: float = Field(default=0.9, gt=0, lt=1)
    change: tuple[str, ...] | None = None
    bounds: dict[str, Annotated[tuple[int, int], BeforeValidator(_bound_pair)]] = {}
    cost: dict[str, float] = {}

    @field_validator("bounds")
    @classmethod
    def _ordered(cls, v: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
        for name, (lo, hi) in v.items():
            if not 0 <= lo <= hi <= 100_000:
                raise ValueError(f"{name}: bounds need 0 <= low <= high (got [{lo}, {hi}])")
        return v

    @field_validator("cost")
    @classmethod
    def _positive(cls, v: dict[str, float]) -> dict[str, float]:
        for name, c in v.items():
            if not (c > 0 and c < 1e9):
                raise ValueError(f"{name}: a cost must be a positive number (got {c})")
        return v


def default_targets(channels: dict[str, Channel]) -> tuple[Target, ...]:
    """The tier table of docs/domain.md as targets, for the priorities each channel has."""
    out = []
    for cname, ch in channels.items():
        first = _FIRST_RESPONSE_VOICE if ch.kind == "voice" else _FIRST_RESPONSE_ONLINE
        for prio in PRIORITIES:
            if ch.priorities.get(prio, 0.0) <= 0:
                continue
            goal = _DEFAULT_GOAL[prio]
            out.append(
                Target(channel=cname, priority=prio, within=format_duration(first[prio]), goal=goal)
            )
            if prio == "urgent":
                out.append(Target(channel=cname, priority=prio, kind="resolution",
                                  cases="simple", within="2h", goal=goal))  # fmt: skip
                if ch.escalation is not None:
                    out.append(Target(channel=cname, priority=prio, kind="resolution",
                                      cases="complex", within="8h", goal=goal))  # fmt: skip
            else:
                out.append(Target(channel=cname, priority=prio, kind="resolution",
                                  within=format_duration(_RESOLUTION[prio]),
                                  goal=goal))  # fmt: skip
    return tuple(out)
