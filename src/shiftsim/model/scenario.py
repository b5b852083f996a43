"""The scenario file: a typed, frozen, validated description of the center.

A scenario is written in YAML and validated into :class:`Scenario`. Every
problem in a file is reported at once, as ``file: path.to.field: problem (got
value)``, through :class:`ScenarioError`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from shiftsim.model.distributions import Constant, Distribution, Duration, Exponential
from shiftsim.model.durations import DAY, HOUR, MINUTE, format_duration, parse_clock
from shiftsim.model.names import PRIORITIES, Priority, Weekday, weekday_group
from shiftsim.model.problems import Problem
from shiftsim.model.values import check_plain

__all__ = [
    "PRIORITIES",
    "Bot",
    "ByCase",
    "ByCustomer",
    "Channel",
    "Department",
    "Escalation",
    "Event",
    "Forecast",
    "Horizon",
    "IntervalStaffing",
    "Pool",
    "Repeat",
    "Reporting",
    "Retry",
    "Rotation",
    "Scenario",
    "Shift",
    "Staffing",
    "Target",
    "Volume",
]


ClockTime = Annotated[float, BeforeValidator(parse_clock)]
"""A quoted clock time (``'08:00'``), in seconds after midnight."""

# A typical inbound profile: quiet nights, a morning peak and an afternoon peak.
TYPICAL_PROFILE: tuple[float, ...] = (
    0.6, 0.4, 0.3, 0.3, 0.3, 0.5, 1.0, 2.2,
    4.2, 6.4, 7.4, 7.3, 6.3, 6.6, 7.0, 6.8,
    6.1, 5.4, 4.6, 4.2, 3.8, 3.2, 2.4, 1.4,
)  # fmt: skip

DEFAULT_SHIFT_TIMES: dict[str, tuple[float, float]] = {
    "day": (8 * HOUR, 18 * HOUR),
    "evening": (18 * HOUR, 24 * HOUR),
    "night": (0.0, 8 * HOUR),
}

# docs/domain.md tiers: first response (phone / online) and resolution.
_FIRST_RESPONSE_VOICE = {"urgent": 5 * MINUTE, "important": 15 * MINUTE, "general": 30 * MINUTE}
_FIRST_RESPONSE_ONLINE = {"urgent": 10 * MINUTE, "important": 30 * MINUTE, "general": 2 * HOUR}
_RESOLUTION = {"important": 24 * HOUR, "general": 48 * HOUR}
_DEFAULT_GOAL = {"urgent": 0.9, "important": 0.8, "general": 0.8}


class _Model(BaseModel):
    model_config = ConfigDict(
        frozen=True, extra="forbid", populate_by_name=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _plain(cls, value: Any, info: ValidationInfo) -> Any:
        # No yes/no or base-60 text as a number, no number as a date.
        assert info.field_name is not None
        return check_plain(cls.model_fields[info.field_name], value)


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


def _profile(v: tuple[float, ...]) -> tuple[float, ...]:
    if len(v) != 24:
        raise ValueError(f"needs exactly 24 hourly values (got {len(v)})")
    if min(v) < 0 or not 0 < sum(v) < math.inf:
        raise ValueError(f"values must be >= 0 with a positive sum (got {list(v)})")
    return v


Profile = Annotated[tuple[float, ...], AfterValidator(_profile)]
"""24 relative volumes, one per clock hour; a zero is a closed hour."""


class Volume(_Model):
    """How many contacts arrive: a daily volume shaped by hour and weekday.

    ``hourly_profile`` shapes every day; ``profiles`` gives other shapes (and
    so other closed hours) to some weekdays, keyed by a day type: a weekday
    (``fri``), a range (``sat-sun``, ``sun-thu``) or a list (``'mon,wed'``).
    The day's total is ``per_day`` times its weekday factor either way.
    """

    per_day: float = Field(gt=0, le=10_000_000)  # contacts per day: more is a typing mistake
    hourly_profile: Profile = TYPICAL_PROFILE
    profiles: dict[str, Profile] = {}
    weekday_factors: dict[Weekday, float] = {}
    daily_cv: float = Field(default=0.1, ge=0, le=2)

    @field_validator("profiles")
    @classmethod
    def _day_types(cls, v: dict[str, tuple[float, ...]]) -> dict[str, tuple[float, ...]]:
        seen: dict[str, str] = {}
        for key in v:
            for day in weekday_group(key):
                if day in seen:
                    raise ValueError(f"{day} has two profiles ({seen[day]!r} and {key!r})")
                seen[day] = key
        return v

    @field_validator("weekday_factors")
    @classmethod
    def _factors(cls, v: dict[str, float]) -> dict[str, float]:
        for day, factor in v.items():
            if factor < 0:
                raise ValueError(f"factor for {day} must be >= 0 (got {factor})")
        return v

    def profile_for(self, weekday: str) -> tuple[float, ...]:
        """The hourly profile of a weekday (``'mon'`` ... ``'sun'``)."""
        for key, profile in self.profiles.items():
            if weekday in weekday_group(key):
                return profile
        return self.hourly_profile

    @property
    def has_closed_hours(self) -> bool:
        """Whether some hour of some day type expects no contact (a zero in a profile)."""
        return any(0 in p for p in (self.hourly_profile, *self.profiles.values()))


class Retry(_Model):
    """Customers who hang up and try again later, as new attempts."""

    share: float = Field(ge=0, le=1)
    delay: Distribution = Exponential(dist="exponential", mean="15min")
    max_attempts: int = Field(default=3, ge=1, le=20)


class Repeat(_Model):
    """Resolved contacts whose problem comes back: a new contact of the same customer.

    A share of the contacts this channel resolves (by their priority) come
    back after ``delay`` on ``channel`` (this one by default), as a fresh
    contact (through the bot again if that channel has one); a customer makes
    at most ``max_contacts`` contacts for one problem, the first included.
    """

    share: float = Field(ge=0, le=1)
    by_priority: dict[Priority, Annotated[float, Field(ge=0, le=1)]] = {}
    delay: Distribution = Exponential(dist="exponential", mean="1d")
    channel: str | None = None
    max_contacts: int = Field(default=3, ge=2, le=20)

    def share_for(self, priority: Priority) -> float:
        return self.by_priority.get(priority, self.share)


class Bot(_Model):
    """A chatbot / IVR that answers first and hands the rest to humans."""

    hours: tuple[ClockTime, ClockTime] | None = None
    containment: float = Field(ge=0, le=1)
    session_time: Distribution = Exponential(dist="exponential", mean="2min")
    counts_as_first_response: bool = False
    handover_handle_factor: float = Field(default=1.0, gt=0, le=5)


class Escalation(_Model):
    """Contacts the front line cannot solve, sent to another department."""

    department: str
    share: float = Field(ge=0, le=1)
    by_priority: dict[Priority, Annotated[float, Field(ge=0, le=1)]] = {}
    closing_time: Distribution = Constant(dist="constant", value="5min")

    def share_for(self, priority: Priority) -> float:
        return self.by_priority.get(priority, self.share)


class ByCustomer(_Model):
    """Other distributions for some customers (``patience_by``): by priority tier, for VIPs.

    The most specific one applies: a VIP's (``vip``), else the priority's,
    else the channel's own distribution.
    """

    priority: dict[Priority, Distribution] = {}
    vip: Distribution | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> ByCustomer:
        if not self.model_fields_set:
            keys = ", ".join(type(self).model_fields)
            raise ValueError(f"give at least one of {keys} (got {{}})")
        return self

    @property
    def bands(self) -> tuple[tuple[float, Distribution], ...]:
        """Hour-of-day bands ``(start second, distribution)``: none here."""
        return ()


class ByCase(ByCustomer):
    """Other handle times (``handle_time_by``) by hour of arrival, priority tier and VIP.

    ``hour`` maps quoted clock times to distributions: each band runs from its
    time to the next one's (the last to midnight); before the first, the
    channel's ``handle_time`` applies. Most specific first: VIP, priority, hour band.
    """

    hour: dict[str, Distribution] = {}

    @field_validator("hour", mode="before")
    @classmethod
    def _clock_keys(cls, v: Any) -> Any:
        # Before pydantic turns the keys into plain text: an unquoted 8:30 keeps
        # its mark (model.values.Sexagesimal) for parse_clock's hint.
        if not isinstance(v, dict):
            return v
        starts: dict[float, str] = {}
        for key in v:
            t = parse_clock(key)
            if t >= DAY:
                raise ValueError(f"a band starts before '24:00' (got {key!r})")
            if t in starts:
                raise ValueError(
                    f"two bands start at the same time (got {starts[t]!r} and {key!r})"
                )
            starts[t] = key
        return v

    @property
    def bands(self) -> tuple[tuple[float, Distribution], ...]:
        return tuple(sorted(((parse_clock(k), d) for k, d in self.hour.items()),
                            key=lambda b: b[0]))  # fmt: skip


class Channel(_Model):
    """One contact channel with its own arrivals, handling and rules."""

    kind: Literal["voice", "chat", "async"]
    volume: Volume
    handle_time: Distribution
    handle_time_by: ByCase | None = None
    patience: Distribution | None = None
    patience_by: ByCustomer | None = None
    retry: Retry | None = None
    concurrency: int = Field(default=1, ge=1, le=10)
    priorities: dict[Priority, Annotated[float, Field(ge=0, le=1)]] = {"general": 1.0}
    vip_share: float = Field(default=0.0, ge=0, le=1)
    bot: Bot | None = None
    escalation: Escalation | None = None
    wrap_up: Distribution | None = None  # after-call work: the agent stays busy, not the customer
    head_start: dict[Literal["urgent", "important", "general", "vip"], Duration] | None = None
    repeat: Repeat | None = None

    @field_validator("head_start")
    @classmethod
    def _bonuses(cls, v: dict[str, float] | None, info: ValidationInfo) -> dict[str, float] | None:
        # Routing by time bonus rather than strict priority (sim/routing.py).
        if v is None:
            return v
        if info.data.get("kind") == "async":
            raise ValueError(
                "head_start orders waiting customers; async work goes by deadline "
                "(got kind 'async')"
            )
        for key, bonus in v.items():
            if bonus < 0:
                raise ValueError(f"the head start of {key} must be >= 0 (got {bonus:g}s)")
        return v

    @field_validator("priorities")
    @classmethod
    def _sum_to_one(cls, v: dict[str, float]) -> dict[str, float]:
        # Shares written to 3 decimals (0.333 x 3 = 0.999) are meant to add up to
        # 1: accepted within 0.005 and normalised, so the mix is exact.
        total = sum(v.values())
        if abs(total - 1.0) > 0.005:
            raise ValueError(f"priorities must add up to 1, within 0.005 (got {total:g})")
        if abs(total - 1.0) <= 1e-12:
            return v  # exact already: leave the numbers as written
        return {k: x / total for k, x in v.items()}

    @model_validator(mode="after")
    def _consistent(self) -> Channel:
        if self.kind != "chat" and self.concurrency != 1:
            raise ValueError(f"concurrency applies to chat channels only (got {self.concurrency})")
        if self.kind == "async" and (self.patience is not None or self.retry is not None):
            raise ValueError("async channels have no waiting customer: remove patience and retry")
        if self.kind == "async" and self.patience_by is not None:
            raise ValueError("async channels have no waiting customer: remove patience_by")
        return self

    @property
    def synchronous(self) -> bool:
        return self.kind != "async"

    def handle_means(self) -> tuple[float, ...]:
        """Mean handle time of a contact arriving in each clock hour (24 values, seconds).

        Over the channel's priority mix and VIP share, with the hour bands of
        ``handle_time_by`` weighted by the part of the hour they cover; for
        analytic figures (Erlang) that need one number per hour.
        """
        by = self.handle_time_by
        if by is None:
            return (self.handle_time.mean,) * 24
        bands = by.bands
        starts = [s for s, _ in bands] + [DAY]
        out = []
        for h in range(24):
            lo, hi = h * HOUR, (h + 1) * HOUR
            covered = 0.0
            mean = 0.0
            for (s, d), e in zip(bands, starts[1:], strict=True):
                part = max(0.0, min(hi, e) - max(lo, s))
                covered += part
                mean += part * d.mean
            mean = (mean + (HOUR - covered) * self.handle_time.mean) / HOUR
            shares = {p: x / sum(self.priorities.values()) for p, x in self.priorities.items()}
            regular = sum(x * (by.priority[p].mean if p in by.priority else mean)
                          for p, x in shares.items())  # fmt: skip
            vip = by.vip.mean if by.vip is not None else regular
            out.append(self.vip_share * vip + (1 - self.vip_share) * regular)
        return tuple(out)


class Department(_Model):
    """A back-office team that answers escalations."""

    respond_within: Duration = Field(default=30 * MINUTE, gt=0)
    hours: tuple[ClockTime, ClockTime] | None = None
    delay: Distribution
    off_hours_delay: Distribution | None = None


class Shift(_Model):
    """A shift's clock times (end may be past midnight) and headcount (people employed)."""

    start: ClockTime
    end: ClockTime
    headcount: int = Field(ge=0, le=100_000)

    @model_validator(mode="after")
    def _not_empty(self) -> Shift:
        if self.start == self.end:
            raise ValueError(
                "a shift cannot start and end at the same time; for a 24-hour shift "
                "write start: '00:00', end: '24:00'"
            )
        return self

    @property
    def length(self) -> float:
        return (self.end - self.start) % DAY or DAY


class Rotation(_Model):
    """Days at work and at rest ("work four, rest two"), or an explicit ``pattern``.

    ``pattern`` is a string of 1 (at work) and 0 (at rest) over one cycle, such
    as ``'1111100'``; it overrides ``work``/``rest``. (``on``/``off`` are not
    used as keys because YAML reads an unquoted ``on`` as ``true``.)
    """

    work: int = Field(default=4, ge=1, le=60)
    rest: int = Field(default=2, ge=0, le=60)
    pattern: str | None = Field(default=None, pattern=r"^[01]+$")
    stagger: bool = True

    @model_validator(mode="after")
    def _works(self) -> Rotation:
        if self.pattern is not None and "1" not in self.pattern:
            raise ValueError(f"pattern needs at least one working day '1' (got {self.pattern!r})")
        return self

    @property
    def cycle(self) -> tuple[bool, ...]:
        if self.pattern is not None:
            return tuple(c == "1" for c in self.pattern)
        return (True,) * self.work + (False,) * self.rest


class IntervalStaffing(_Model):
    """Agents on duty per interval of the day, every day (or per weekday), instead of shifts.

    ``levels`` has one integer per ``interval`` of the day (24 for ``1h``, 96
    for ``15min``); ``weekdays`` gives other levels for some weekdays. This is
    how Erlang calculators and WFM tools speak ("agents required per
    interval") and what a center's logs show (agents available per interval).
    """

    interval: Duration = HOUR
    levels: tuple[Annotated[int, Field(ge=0, le=100_000)], ...]
    weekdays: dict[Weekday, tuple[Annotated[int, Field(ge=0, le=100_000)], ...]] = {}

    @field_validator("interval")
    @classmethod
    def _divides_day(cls, v: float) -> float:
        n = DAY / v if v > 0 else 0.0
        if v < 60 or abs(n - round(n)) > 1e-9:
            raise ValueError(
                "must divide the day into whole intervals of at least a minute, such as "
                f"15min, 30min or 1h (got {format_duration(v)})"
            )
        return v

    @field_validator("levels")
    @classmethod
    def _one_per_interval(cls, v: tuple[int, ...], info: ValidationInfo) -> tuple[int, ...]:
        return _check_levels(v, info.data.get("interval"))

    @field_validator("weekdays")
    @classmethod
    def _weekday_levels(
        cls, v: dict[str, tuple[int, ...]], info: ValidationInfo
    ) -> dict[str, tuple[int, ...]]:
        for day, levels in v.items():
            _check_levels(levels, info.data.get("interval"), f"{day}: ")
        return v

    def levels_for(self, weekday: str) -> tuple[int, ...]:
        """The levels of a weekday (``'mon'`` ... ``'sun'``)."""
        return self.weekdays.get(weekday, self.levels)  # type: ignore[call-overload, no-any-return]

    @property
    def peak(self) -> int:
        """The most agents on duty at once on any day: the pool's headcount."""
        return max(
            [max(self.levels, default=0)] + [max(v, default=0) for v in self.weekdays.values()]
        )


def _check_levels(
    levels: tuple[int, ...], interval: float | None, prefix: str = ""
) -> tuple[int, ...]:
    if interval is None:  # the interval itself is invalid (reported there)
        return levels
    n = round(DAY / interval)
    if len(levels) != n:
        raise ValueError(
            f"{prefix}needs {n} levels, one per {format_duration(interval)} of the day "
            f"(got {len(levels)})"
        )
    return levels


class Pool(_Model):
    """A group of agents with the same skills, spread across shifts or staffed by interval.

    Shifts named ``day``, ``evening`` and ``night`` default to 08:00-18:00,
    18:00-24:00 and 00:00-08:00. ``shrinkage`` is the share of duty time
    present agents spend away (breaks, training); ``absence`` the probability
    that a rostered agent misses a whole day (sickness, short-notice leave),
    drawn at random per agent and day.

    ``staffing`` replaces ``shifts`` (a pool has one or the other): a number of
    agents on duty per interval of the day; rotation and absence do not apply,
    shrinkage does. ``clear_queue_at_close``: agents whose duty ends while a
    channel they serve is closed keep serving its waiting callers until none
    are left (overtime); by default, when a channel the pool serves has hours
    with no volume in its profile.
    """

    channels: tuple[str, ...] = Field(min_length=1)
    takes_vip: bool = True
    senior: bool = False
    shrinkage: float = Field(default=0.0, ge=0, lt=1)
    absence: float = Field(default=0.0, ge=0, lt=1)  # chance a rostered agent misses a day
    rotation: Rotation = Rotation()
    shifts: dict[str, Shift] = {}
    staffing: IntervalStaffing | None = None
    clear_queue_at_close: bool | None = None

    @model_validator(mode="after")
    def _shifts_or_staffing(self) -> Pool:
        if self.staffing is None and not self.shifts:
            raise ValueError("a pool needs shifts, or staffing by interval (got neither)")
        if self.staffing is not None:
            if self.shifts:
                raise ValueError(
                    "a pool has either shifts or staffing by interval, not both "
                    f"(got shifts {', '.join(self.shifts)} and staffing)"
                )
            if self.rotation != Rotation():
                raise ValueError(
                    "rotation applies to shifts; staffing levels are the agents on duty "
                    "each day (got a rotation with staffing)"
                )
            if self.absence > 0:
                raise ValueError(
                    "absence applies to shifts; staffing levels count the agents present "
                    f"(got absence: {self.absence} with staffing)"
                )
        return self

    @property
    def roster_shifts(self) -> dict[str, Shift]:
        """The shifts as the roster and the reports list them.

        The pool's shifts; for a pool staffed by interval, one shift named
        ``intervals``, 00:00-24:00, whose headcount is the highest level.
        """
        if self.staffing is None:
            return self.shifts
        return {"intervals": Shift(start="00:00", end="24:00", headcount=self.staffing.peak)}

    @field_validator("shifts", mode="before")
    @classmethod
    def _default_times(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out = {}
        for name, shift in value.items():
            if isinstance(shift, dict) and name in DEFAULT_SHIFT_TIMES:
                start, end = DEFAULT_SHIFT_TIMES[name]
                shift = {"start": _clock_text(start), "end": _clock_text(end), **shift}
            out[name] = shift
        return out


def _clock_text(seconds: float) -> str:
    h, rem = divmod(int(round(seconds)), 3600)
    return f"{h:02d}:{rem // 60:02d}"


class Event(_Model):
    """A dated change in volume: a holiday, a campaign, the day after a launch."""

    date: dt.date
    until: dt.date | None = None
    factor: float = Field(default=1.0, ge=0)
    channels: dict[str, Annotated[float, Field(ge=0)]] = {}
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


class Staffing(_Model):
    """How sure a plan must be, and what ``shiftsim staff`` may change.

    ``confidence`` is the probability each target's periods must reach.
    ``change`` lists the shifts (``pool.shift``) whose headcount the search may
    change (default: every shift); ``bounds`` gives ``[low, high]`` headcounts
    per shift (default 0 to three times today's, at least today's + 30);
    ``cost`` the cost of one agent on a shift (default: the shift's paid hours,
    so that cost is agent-hours per day of the pattern).
    """

    confidence: float = Field(default=0.9, gt=0, lt=1)
    change: tuple[str, ...] | None = None
    bounds: dict[str, tuple[int, int]] = {}
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
    staffing = mapping(data.get("staffing"))
    for key in ("change", "bounds", "cost"):
        names = staffing.get(key)
        for name in names if isinstance(names, list | tuple | dict) else ():
            if isinstance(name, str) and name not in shifts:
                message = f"unknown shift, write pool.shift (got {name!r})"
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
