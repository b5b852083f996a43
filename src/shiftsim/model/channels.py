"""Contact channels: their volume, handling, bot, escalation, retries and repeats."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationInfo, field_validator, model_validator

from shiftsim.model.base import ClockTime, _Model
from shiftsim.model.distributions import Constant, Distribution, Duration, Exponential
from shiftsim.model.durations import DAY, HOUR, parse_clock
from shiftsim.model.names import Priority, Weekday, weekday_group

__all__ = [
    "TYPICAL_PROFILE",
    "Bot",
    "ByCase",
    "ByCustomer",
    "Channel",
    "Escalation",
    "Profile",
    "Repeat",
    "Retry",
    "Volume",
]

# A typical inbound profile: quiet nights, a morning peak and an afternoon peak.
TYPICAL_PROFILE: tuple[float, ...] = (
    0.6, 0.4, 0.3, 0.3, 0.3, 0.5, 1.0, 2.2,
    4.2, 6.4, 7.4, 7.3, 6.3, 6.6, 7.0, 6.8,
    6.1, 5.4, 4.6, 4.2, 3.8, 3.2, 2.4, 1.4,
)  # fmt: skip


def _profile(v: tuple[float, ...]) -> tuple[float, ...]:
    if len(v) != 24:
        raise ValueError(f"needs exactly 24 hourly values (got {len(v)})")
    if min(v) < 0 or not 0 < sum(v) < math.inf:
        raise ValueError(f"values must be >= 0 with a positive sum (got {list(v)})")
    return v


Profile = Annotated[tuple[float, ...], AfterValidator(_profile)]
"""24 relative volumes, one per clock hour; a zero is a closed hour."""


MAX_WEEKDAY_FACTOR = 10.0
"""Largest weekday factor: a weekday ten times ``per_day`` is a different center."""

MAX_EVENT_FACTOR = 100.0
"""Largest event factor: a launch day a hundred times the usual volume is past any plan."""


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
            if not 0 <= factor <= MAX_WEEKDAY_FACTOR:
                raise ValueError(
                    f"factor for {day} must be between 0 and {MAX_WEEKDAY_FACTOR:g} "
                    f"(a weekday's volume relative to per_day) (got {factor:g})"
                )
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
