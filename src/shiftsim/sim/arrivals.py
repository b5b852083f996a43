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
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from shiftsim.model.deadlines import deadlines, in_hours
from shiftsim.model.durations import DAY, HOUR
from shiftsim.model.names import PRIORITIES, WEEKDAYS
from shiftsim.sim.randomness import Source, stream

if TYPE_CHECKING:
    from shiftsim.model.scenario import Channel, Scenario

__all__ = ["Calendar", "Contacts", "daily_factors", "expected_hourly", "generate_contacts"]


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


def expected_hourly(name: str, scenario: Scenario, calendar: Calendar) -> np.ndarray:
    """Expected arrivals per clock hour (forecast, before day-level uncertainty)."""
    ch = scenario.channels[name]
    profile = np.asarray(ch.volume.hourly_profile, dtype=float)
    profile = profile / profile.sum()
    days = daily_factors(ch, name, scenario, calendar) * ch.volume.per_day
    return np.outer(days, profile).ravel()


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

    def __len__(self) -> int:
        return len(self.arrival)


def generate_contacts(scenario: Scenario, replication: int, calendar: Calendar) -> Contacts:
    """Draw every customer of replication ``replication`` (first attempts only)."""
    seed = scenario.seed
    dept_names = list(scenario.departments)
    parts: list[dict[str, np.ndarray]] = []
    for ci, (name, ch) in enumerate(scenario.channels.items()):
        rng = stream(seed, replication, Source.ARRIVALS, name)
        daily = _gamma_unit(stream(seed, replication, Source.DAILY, name), ch.volume.daily_cv,
                            calendar.arrival_days)  # fmt: skip
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
        handle = ch.handle_time.sample(stream(seed, replication, Source.HANDLE, name), n)
        patience = (
            ch.patience.sample(stream(seed, replication, Source.PATIENCE, name), n)
            if ch.patience is not None
            else np.full(n, np.inf)
        )

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

        due = np.full(n, np.inf)
        for t in scenario.resolved_targets:
            if t.channel != name or t.kind != "first_response":
                continue
            applies = np.ones(n, dtype=bool)
            if t.priority != "all":
                applies &= priority == PRIORITIES.index(t.priority)
            if t.vip is not None:
                applies &= vip == t.vip
            due = np.where(applies, np.minimum(due, deadlines(t, arrival)), due)
        # Messages no target covers come after those with a promise, first in
        # first out among themselves, but are not starved for ever.
        due = np.where(np.isfinite(due), due, arrival + calendar.no_promise_delay)

        parts.append(dict(
            channel=np.full(n, ci, dtype=np.int8), arrival=arrival, priority=priority, vip=vip,
            handle=handle, patience=patience, bot=bot, bot_session=session, contained=contained,
            department=department, dept_delay=dept_delay, dept_delay_off=dept_off,
            closing=closing, due=due,
        ))  # fmt: skip

    if len(parts) == 1:  # one channel: already in arrival order
        return Contacts(**parts[0])
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.argsort(merged["arrival"], kind="stable")
    return Contacts(**{k: v[order] for k, v in merged.items()})


def _gamma_unit(rng: np.random.Generator, cv: float, size: int) -> np.ndarray:
    """Multipliers with mean 1 and coefficient of variation ``cv`` (1.0 when cv = 0)."""
    if cv <= 0:
        return np.ones(size)
    shape = 1.0 / cv**2
    return rng.gamma(shape, 1.0 / shape, size)
