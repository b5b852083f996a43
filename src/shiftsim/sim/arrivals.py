"""Arrival streams and customer attributes for one replication (numpy, no SimPy).

Arrivals per channel are a non-homogeneous Poisson process whose rate is
constant within each clock hour: the count in each hour is Poisson and the
times are uniform inside the hour, which is exact for a piecewise-constant
rate (no short peak is skipped by thinning or step approximations). The daily
rate is itself random (gamma with mean 1 and the channel's ``daily_cv``):
forecast error, the main reason real counts vary more than Poisson.

Every attribute a customer brings (priority, VIP, handle time, patience, bot
outcome, escalation) is drawn here, from its own stream, before any staffing is
known: plans compared with the same seed serve the same customers.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from shiftsim.model.deadlines import deadlines, in_hours
from shiftsim.model.durations import DAY, HOUR
from shiftsim.model.names import PRIORITIES, WEEKDAYS
from shiftsim.sim.randomness import Source, stream
from shiftsim.sim.work import with_work

if TYPE_CHECKING:
    from shiftsim.model.scenario import Channel, Scenario

__all__ = [
    "Calendar",
    "CaseDraws",
    "Contacts",
    "daily_factors",
    "day_profiles",
    "expected_hourly",
    "generate_contacts",
    "inside",
    "patience_cases",
    "response_due",
    "response_due_of_one",
]


@dataclass(frozen=True)
class Calendar:
    """Maps simulation time to dates. Time 0 is midnight of the first simulated day."""

    first_day: dt.date
    warmup_days: int
    days: int
    drain_days: int

    @classmethod
    def of(cls, scenario: Scenario) -> Calendar:
        longest = max([t.within for t in scenario.resolved_targets], default=0.0)
        drain = int(np.ceil((longest + DAY) / DAY))
        h = scenario.horizon
        return cls(
            first_day=h.start - dt.timedelta(days=h.warmup_days),
            warmup_days=h.warmup_days,
            days=h.days,
            drain_days=drain,
        )

    @property
    def no_promise_delay(self) -> float:
        """Deadline given to work no target covers: after everything that has one."""
        return self.drain_days * DAY

    @property
    def report_start(self) -> float:
        return self.warmup_days * DAY

    @property
    def report_end(self) -> float:
        return (self.warmup_days + self.days) * DAY

    @property
    def arrival_days(self) -> int:
        """Days with arrivals: warm-up plus the reported horizon."""
        return self.warmup_days + self.days

    @property
    def end(self) -> float:
        """When the simulation stops: arrivals end, then work drains."""
        return (self.arrival_days + self.drain_days) * DAY

    def date(self, day_index: int) -> dt.date:
        return self.first_day + dt.timedelta(days=day_index)


def daily_factors(
    channel: Channel, name: str, scenario: Scenario, calendar: Calendar
) -> np.ndarray:
    """Deterministic day multipliers: weekday factor times dated-event factors."""
    out = np.ones(calendar.arrival_days)
    for i in range(calendar.arrival_days):
        day = calendar.date(i)
        out[i] = channel.volume.weekday_factors.get(WEEKDAYS[day.weekday()], 1.0)
        for ev in scenario.events:
            if ev.covers(day):
                out[i] *= ev.factor_for(name)
    return out


def day_profiles(name: str, scenario: Scenario, calendar: Calendar) -> np.ndarray:
    """Shares of each day's arrivals per clock hour, ``[arrival day, hour]``.

    The weekday's profile (``volume.profiles``, else ``hourly_profile``); a
    dated event with an ``hourly_profile`` for the channel replaces it on its
    days (the last such event listed wins).
    """
    vol = scenario.channels[name].volume
    shares: dict[tuple[float, ...], np.ndarray] = {}
    out = np.empty((calendar.arrival_days, 24))
    for i in range(calendar.arrival_days):
        day = calendar.date(i)
        profile = vol.profile_for(WEEKDAYS[day.weekday()])
        for ev in scenario.events:
            if ev.covers(day):
                profile = ev.profile_for(name) or profile
        if profile not in shares:
            p = np.asarray(profile, dtype=float)
            shares[profile] = p / p.sum()
        out[i] = shares[profile]
    return out


def expected_hourly(name: str, scenario: Scenario, calendar: Calendar) -> np.ndarray:
    """Expected arrivals per clock hour (forecast, before day-level uncertainty)."""
    ch = scenario.channels[name]
    days = daily_factors(ch, name, scenario, calendar) * ch.volume.per_day
    rate: np.ndarray = (days[:, None] * day_profiles(name, scenario, calendar)).ravel()
    return rate


@dataclass(frozen=True)
class Contacts:
    """First attempts of all customers of one replication, sorted by arrival.

    All arrays have one entry per customer. Times are seconds of simulation time.
    """

    channel: np.ndarray  # int8 index into the scenario's channels
    arrival: np.ndarray  # float64
    priority: np.ndarray  # int8, 0 = urgent
    vip: np.ndarray  # bool
    handle: np.ndarray  # float64, agent time (bot hand-over factor applied)
    patience: np.ndarray  # float64, inf = waits forever
    bot: np.ndarray  # bool, goes through the bot first
    bot_session: np.ndarray  # float64
    contained: np.ndarray  # bool, the bot resolves it
    department: np.ndarray  # int8, -1 = no escalation
    dept_delay: np.ndarray  # float64, response delay if escalated in the department's hours
    dept_delay_off: np.ndarray  # float64, same outside its hours
    closing: np.ndarray  # float64, front-line time to close an escalated case
    due: np.ndarray  # float64, first-response deadline (orders async backlog)
    # The work a contact leaves (sim/work.py): after-call work, seconds (None:
    # none), and the repeat contacts customers would make (None: no channel has any).
    wrap_up: np.ndarray | None = None
    # Repeats | None; typed loosely because Contacts(**columns) is built from arrays.
    repeats: Any = None

    def __len__(self) -> int:
        return len(self.arrival)


def generate_contacts(scenario: Scenario, replication: int, calendar: Calendar) -> Contacts:
    """Draw every customer of replication ``replication`` (first attempts only)."""
    seed = scenario.seed
    dept_names = list(scenario.departments)
    parts: list[dict[str, np.ndarray]] = []
    # The day's busyness common to every channel (forecast.shared_cv), times each
    # channel's own factor: daily totals move together across channels.
    shared = _gamma_unit(stream(seed, replication, Source.DAILY, SHARED_KEY),
                         scenario.forecast.shared_cv, calendar.arrival_days)  # fmt: skip
    for ci, (name, ch) in enumerate(scenario.channels.items()):
        rng = stream(seed, replication, Source.ARRIVALS, name)
        daily = _gamma_unit(stream(seed, replication, Source.DAILY, name), ch.volume.daily_cv,
                            calendar.arrival_days) * shared  # fmt: skip
        rate = expected_hourly(name, scenario, calendar) * np.repeat(daily, 24)
        counts = rng.poisson(rate)
        n = int(counts.sum())
        arrival = np.repeat(np.arange(len(rate)) * HOUR, counts) + rng.uniform(0.0, HOUR, n)
        arrival.sort()

        shares = np.array([ch.priorities.get(p, 0.0) for p in PRIORITIES])
        priority = (
            stream(seed, replication, Source.PRIORITY, name)
            .choice(len(PRIORITIES), size=n, p=shares / shares.sum())
            .astype(np.int8)
        )
        vip = stream(seed, replication, Source.VIP, name).random(n) < ch.vip_share
        draw = CaseDraws(seed, replication, name, arrival, priority, vip)
        handle = draw(Source.HANDLE, ch.handle_time, ch.handle_time_by)
        patience = draw(Source.PATIENCE, ch.patience, ch.patience_by)

        bot_rng = stream(seed, replication, Source.BOT, name)
        bot_u, session = bot_rng.random(n), np.zeros(n)
        bot = np.zeros(n, dtype=bool)
        contained = np.zeros(n, dtype=bool)
        if ch.bot is not None:
            session = ch.bot.session_time.sample(bot_rng, n)
            bot = in_hours(np.mod(arrival, DAY), ch.bot.hours)
            contained = bot & (bot_u < ch.bot.containment)
            handle = np.where(bot & ~contained, handle * ch.bot.handover_handle_factor, handle)

        esc_rng = stream(seed, replication, Source.ESCALATION, name)
        esc_u = esc_rng.random(n)
        department = np.full(n, -1, dtype=np.int8)
        dept_delay, dept_off, closing = np.zeros(n), np.zeros(n), np.zeros(n)
        if ch.escalation is not None:
            esc = ch.escalation
            share = np.array([esc.share_for(p) for p in PRIORITIES])[priority]
            department[(esc_u < share) & ~contained] = dept_names.index(esc.department)
            dept = scenario.departments[esc.department]
            dept_delay = dept.delay.sample(esc_rng, n)
            dept_off = (dept.off_hours_delay or dept.delay).sample(esc_rng, n)
            closing = esc.closing_time.sample(esc_rng, n)

        due = response_due(scenario, name, calendar, arrival, priority, vip)

        parts.append(dict(
            channel=np.full(n, ci, dtype=np.int8), arrival=arrival, priority=priority, vip=vip,
            handle=handle, patience=patience, bot=bot, bot_session=session, contained=contained,
            department=department, dept_delay=dept_delay, dept_delay_off=dept_off,
            closing=closing, due=due,
        ))  # fmt: skip

    if len(parts) == 1:  # one channel: already in arrival order
        contacts = Contacts(**parts[0])
    else:
        merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
        order = np.argsort(merged["arrival"], kind="stable")
        contacts = Contacts(**{k: v[order] for k, v in merged.items()})
    return with_work(contacts, scenario, replication)


def response_due(
    scenario: Scenario,
    name: str,
    calendar: Calendar,
    arrival: np.ndarray,
    priority: np.ndarray,
    vip: np.ndarray,
) -> np.ndarray:
    """First-response deadlines of contacts of channel ``name`` (orders the async backlog).

    The earliest deadline of the channel's first-response targets that cover
    each contact; messages no target covers come after those with a promise,
    first in first out among themselves, but are not starved for ever
    (``calendar.no_promise_delay`` after arrival).
    """
    due = np.full(len(arrival), np.inf)
    for t in scenario.resolved_targets:
        if t.channel != name or t.kind != "first_response":
            continue
        applies = np.ones(len(arrival), dtype=bool)
        if t.priority != "all":
            applies &= priority == PRIORITIES.index(t.priority)
        if t.vip is not None:
            applies &= vip == t.vip
        due = np.where(applies, np.minimum(due, deadlines(t, arrival)), due)
    return np.where(np.isfinite(due), due, arrival + calendar.no_promise_delay)


def response_due_of_one(
    scenario: Scenario, name: str, calendar: Calendar
) -> Callable[[float, int, bool], float]:
    """:func:`response_due` for one contact at a time, in plain float arithmetic.

    For contacts that arrive during a run (repeat contacts, ``sim/work.py``):
    numpy on arrays of one element cost about 80 us a contact. The targets that
    cover each (priority, VIP) are looked up once; the numbers are the same as
    :func:`response_due`'s (same operations on the same floats; a test checks).
    """
    # Per priority x 2 + VIP: (within, business hours or None, off-hours clock time).
    cases: list[list[tuple[float, tuple[float, float] | None, float]]] = []
    for priority in PRIORITIES:
        for vip in (False, True):
            cases.append([
                (t.within, t.business_hours if t.off_hours_by is not None else None,
                 (t.off_hours_by or 0.0) % DAY)
                for t in scenario.resolved_targets
                if t.channel == name and t.kind == "first_response"
                and t.priority in ("all", priority) and t.vip in (None, vip)
            ])  # fmt: skip
    no_promise = calendar.no_promise_delay

    def due(arrival: float, priority: int, vip: bool) -> float:
        best = math.inf
        for within, hours, by in cases[2 * priority + vip]:
            # model/deadlines.py's rule: due at `by` next when outside business hours.
            clock = arrival % DAY
            at = arrival + within if inside(clock, hours) else arrival + (by - clock) % DAY
            if at < best:
                best = at
        return best if best < math.inf else arrival + no_promise

    return due


def inside(clock: float, hours: tuple[float, float] | None) -> bool:
    """Whether a time of day lies in ``[open, close)``, which may span midnight: the
    scalar form of :func:`shiftsim.model.deadlines.in_hours` (``None``: always)."""
    if hours is None:
        return True
    start, end = hours[0] % DAY, hours[1] % DAY
    if start == end:
        return True
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def _gamma_unit(rng: np.random.Generator, cv: float, size: int) -> np.ndarray:
    """Multipliers with mean 1 and coefficient of variation ``cv`` (1.0 when cv = 0)."""
    if cv <= 0:
        return np.ones(size)
    shape = 1.0 / cv**2
    return rng.gamma(shape, 1.0 / shape, size)


SHARED_KEY = "*shared*"
"""Key of the day-level stream shared by the channels (no channel can be named so: ``*``)."""


@dataclass(frozen=True)
class CaseDraws:
    """Draws a duration per customer, choosing the distribution by case.

    With no ``*_by`` section every customer draws from the channel's stream,
    as always. Otherwise each case (hour band, priority, VIP) has a stream of
    its own, keyed by the channel and the case: a change to one case's
    distribution leaves every other customer's draw as it was.
    """

    seed: int
    replication: int
    name: str
    arrival: np.ndarray
    priority: np.ndarray
    vip: np.ndarray

    def __call__(self, source: Source, base: Any, by: Any) -> np.ndarray:
        n = len(self.arrival)
        if by is None:
            if base is None:
                return np.full(n, np.inf)
            out: np.ndarray = base.sample(stream(self.seed, self.replication, source, self.name), n)
            return out
        cases: list[tuple[str, Any]] = [(self.name, base)]
        case = np.zeros(n, dtype=np.int64)
        if by.bands:
            starts = np.array([s for s, _ in by.bands])
            band = np.searchsorted(starts, np.mod(self.arrival, DAY), side="right") - 1
            for b, (start, dist) in enumerate(by.bands):
                case[band == b] = len(cases)
                cases.append((f"{self.name}@{start:g}", dist))
        for p, dist in by.priority.items():
            case[self.priority == PRIORITIES.index(p)] = len(cases)
            cases.append((f"{self.name}#{p}", dist))
        if by.vip is not None:
            case[self.vip] = len(cases)
            cases.append((f"{self.name}#vip", by.vip))
        out = np.full(n, np.inf)
        for k, (key, dist) in enumerate(cases):
            sel = case == k
            if dist is not None and sel.any():
                rng = stream(self.seed, self.replication, source, key)
                out[sel] = dist.sample(rng, int(sel.sum()))
        return out


def patience_cases(channel: Channel) -> tuple[Any, ...]:
    """Patience draws of a retry attempt (``Distribution.draw``), indexed ``priority x 2 + VIP``.

    Empty when patience is the same for every customer (``patience_by``
    absent); ``None`` where that customer waits for ever. The same rule as
    a first attempt's: a VIP's, else the priority's, else the channel's.
    """
    by = channel.patience_by
    if by is None:
        return ()
    out = []
    for p in PRIORITIES:
        regular = by.priority.get(p, channel.patience)
        for vip in (False, True):
            dist = by.vip if vip and by.vip is not None else regular
            out.append(dist.draw if dist is not None else None)
    return tuple(out)
