"""Who answers: agent pools (shifts, rotation, staffing by interval) and departments."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from shiftsim.model.base import ClockTime, _clock_text, _Model
from shiftsim.model.distributions import Distribution, Duration
from shiftsim.model.durations import DAY, HOUR, MINUTE, format_duration
from shiftsim.model.names import Weekday

__all__ = [
    "DEFAULT_SHIFT_TIMES",
    "Department",
    "IntervalStaffing",
    "Pool",
    "Rotation",
    "Shift",
]

DEFAULT_SHIFT_TIMES: dict[str, tuple[float, float]] = {
    "day": (8 * HOUR, 18 * HOUR),
    "evening": (18 * HOUR, 24 * HOUR),
    "night": (0.0, 8 * HOUR),
}


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
