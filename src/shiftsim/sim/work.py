"""The work a contact leaves behind: after-call work (wrap-up) and repeat contacts.

Both are drawn with the arrivals, before any staffing is known, each from
streams of its own (``Source.WRAP_UP`` keyed by channel, ``Source.REPEAT``
keyed by channel, repeat number and what is drawn): two plans compared with
the same seed give every contact the same wrap-up and every customer the same
repeat contacts with the same needs (common random numbers). A retry repeats
its contact's values, like the handle time.

Wrap-up durations are rounded to float32 when drawn, so that the log can keep
them in 4 bytes and ``handled + wrap_up`` there is exactly the time the engine
freed the agent (a float32 is exact as a float64; at an hour of wrap-up the
rounding is under a millisecond).

Repeat contacts
---------------
A contact a channel with ``repeat`` resolves (by the bot, at the end of
handling, or when an escalated case is closed) comes back with that channel's
share for the customer's priority, ``delay`` after its resolution, on the
rule's ``channel``, as a fresh contact of the same customer (priority and VIP
kept; through the bot again if that channel's bot is open then). Whether a
customer's k-th contact would come back, after what delay, and what the next
contact would need (handle time, patience, wrap-up, bot session and outcome,
escalation) are drawn here for every customer whose chain of decisions gets
that far: the *potential* repeats. Whether one happens depends on the run: the
contact before it must be resolved. A customer makes at most ``max_contacts``
contacts (the rule of the channel of the contact that would come back).

The handle time of a potential repeat is drawn for every hour band of its
channel (``handle_time_by.hour``), and the engine takes the band of the time
it arrives. Its first-response deadline (async work is worked by it) is
computed at that time too, by :func:`response_due`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from shiftsim.model.names import PRIORITIES
from shiftsim.sim.randomness import Source, stream

if TYPE_CHECKING:
    from shiftsim.model.scenario import Scenario
    from shiftsim.sim.arrivals import Calendar, Contacts

__all__ = ["Repeats", "float32", "response_due", "with_work"]


@dataclass(frozen=True, eq=False)
class Repeats:
    """The potential repeat contacts of one replication (see the module docstring).

    ``first`` has one entry per customer (its first potential repeat, -1 for
    none); every other array one per potential repeat ``r``, chained by
    ``next``. ``handle`` is ``[r, band]``, the bands of a channel starting at
    ``band_starts[channel]`` (seconds after midnight, the first at 0): a repeat
    arriving at clock time ``c`` takes the last band starting at or before ``c``.
    """

    first: np.ndarray  # int64 [customer]
    next: np.ndarray  # int64, the potential repeat after this one, -1 for none
    customer: np.ndarray  # int64, the customer's row (its first contact)
    number: np.ndarray  # int64, 1 for a customer's first repeat, 2 for the next...
    channel: np.ndarray  # int64, where it comes back
    delay: np.ndarray  # after the contact before it was resolved
    handle: np.ndarray  # [r, band]: agent time (bot hand-over factor not applied)
    band_starts: tuple[tuple[float, ...], ...]  # per channel
    patience: np.ndarray
    wrap_up: np.ndarray  # float32-exact
    bot_session: np.ndarray
    contained: np.ndarray  # bool: the bot resolves it, if it meets the bot
    department: np.ndarray  # int64, -1 = no escalation (ignored when the bot resolves it)
    dept_delay: np.ndarray
    dept_delay_off: np.ndarray
    closing: np.ndarray

    def __len__(self) -> int:
        return len(self.next)

    def __eq__(self, other: object) -> bool:
        """Equal when every array is (plans on common random numbers have equal repeats)."""
        if not isinstance(other, Repeats):
            return NotImplemented
        return all(
            np.array_equal(getattr(self, f.name), getattr(other, f.name))
            for f in dataclasses.fields(self)
        )

    __hash__ = None  # type: ignore[assignment]


def with_work(contacts: Contacts, scenario: Scenario, replication: int) -> Contacts:
    """``contacts`` with the wrap-up of each contact (0 where its channel has none)
    and the customers' potential repeat contacts (``None`` when no channel has any)."""
    wrap = np.zeros(len(contacts))
    for ci, (name, ch) in enumerate(scenario.channels.items()):
        if ch.wrap_up is None:
            continue
        # Within a channel the contacts are in arrival order, as drawn.
        rows = np.flatnonzero(contacts.channel == ci)
        rng = stream(scenario.seed, replication, Source.WRAP_UP, name)
        wrap[rows] = float32(ch.wrap_up.sample(rng, len(rows)))
    repeats = _repeats(contacts, scenario, replication)
    return dataclasses.replace(contacts, wrap_up=wrap, repeats=repeats)


def float32(values: np.ndarray) -> np.ndarray:
    """Durations rounded to the nearest float32, as float64 (exact in the log's column)."""
    out: np.ndarray = np.asarray(values, dtype=np.float32).astype(np.float64)
    return out


def _repeats(contacts: Contacts, scenario: Scenario, replication: int) -> Repeats | None:
    chans = list(scenario.channels.items())
    rules = [ch.repeat for _, ch in chans]
    if all(rule is None for rule in rules):
        return None
    names = [name for name, _ in chans]
    seed = scenario.seed
    n = len(contacts)
    priority = contacts.priority.astype(np.int64)
    first = np.full(n, -1, dtype=np.int64)
    # The contacts of the current step: customers, channel, potential repeat (-1: a first contact).
    cust = np.arange(n, dtype=np.int64)
    chan = contacts.channel.astype(np.int64)
    rid = np.full(n, -1, dtype=np.int64)
    parts: list[dict[str, np.ndarray]] = []
    links: list[tuple[np.ndarray, np.ndarray]] = []  # (potential repeat, the one after it)
    total = 0
    top = max(rule.max_contacts for rule in rules if rule is not None)
    for number in range(1, top):
        # Contact `number` of each chain comes back with its channel's share.
        back = np.zeros(len(cust), dtype=bool)
        target = chan.copy()
        delay = np.zeros(len(cust))
        for ci, rule in enumerate(rules):
            if rule is None or number >= rule.max_contacts:
                continue
            sel = np.flatnonzero(chan == ci)
            key = f"{names[ci]}/{number}"
            share = np.array([rule.share_for(p) for p in PRIORITIES])[priority[cust[sel]]]
            back[sel] = stream(seed, replication, Source.REPEAT, key).random(len(sel)) < share
            if rule.channel is not None:
                target[sel] = names.index(rule.channel)
            delay[sel] = rule.delay.sample(
                stream(seed, replication, Source.REPEAT, f"{key}/delay"), len(sel)
            )
        m = int(back.sum())
        if m == 0:
            break
        new = total + np.arange(m)
        came = rid[back]
        first[cust[back][came < 0]] = new[came < 0]
        links.append((came[came >= 0], new[came >= 0]))
        cust, chan, rid = cust[back], target[back], new
        parts.append(
            {"customer": cust, "number": np.full(m, number), "channel": chan,
             "delay": delay[back], **_needs(contacts, scenario, replication, number, cust, chan)}
        )  # fmt: skip
        total += m
    if not parts:
        return _repeats_of({}, first, np.zeros(0, np.int64), scenario)
    merged = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    following = np.full(total, -1, dtype=np.int64)
    for came, new in links:
        following[came] = new
    return _repeats_of(merged, first, following, scenario)


def _repeats_of(
    merged: dict[str, np.ndarray], first: np.ndarray, following: np.ndarray, scenario: Scenario
) -> Repeats:
    empty = {
        "customer": np.zeros(0, np.int64), "number": np.zeros(0, np.int64),
        "channel": np.zeros(0, np.int64), "delay": np.zeros(0), "patience": np.zeros(0),
        "wrap_up": np.zeros(0), "bot_session": np.zeros(0), "contained": np.zeros(0, bool),
        "department": np.zeros(0, np.int64), "dept_delay": np.zeros(0),
        "dept_delay_off": np.zeros(0), "closing": np.zeros(0),
        "handle": np.zeros((0, max(len(b) for b in _band_starts(scenario)))),
    }  # fmt: skip
    values = merged or empty
    return Repeats(first=first, next=following, band_starts=_band_starts(scenario), **values)


def _band_starts(scenario: Scenario) -> tuple[tuple[float, ...], ...]:
    """Per channel, the clock times its handle-time bands start (the first at 0)."""
    out = []
    for ch in scenario.channels.values():
        starts = [s for s, _ in ch.handle_time_by.bands] if ch.handle_time_by else []
        out.append(tuple(starts) if starts and starts[0] == 0 else (0.0, *starts))
    return tuple(out)


def _needs(
    contacts: Contacts,
    scenario: Scenario,
    replication: int,
    number: int,
    cust: np.ndarray,
    chan: np.ndarray,
) -> dict[str, np.ndarray]:
    """What each new potential repeat needs, drawn per channel it comes back on.

    Priority and VIP are the customer's; each value has its own stream, keyed
    by the channel, the repeat number and what is drawn.
    """
    from shiftsim.sim.arrivals import CaseDraws  # arrivals imports this module

    m = len(cust)
    bands = _band_starts(scenario)
    out = {
        "handle": np.zeros((m, max(len(b) for b in bands))), "patience": np.full(m, np.inf),
        "wrap_up": np.zeros(m), "bot_session": np.zeros(m), "contained": np.zeros(m, bool),
        "department": np.full(m, -1, np.int64), "dept_delay": np.zeros(m),
        "dept_delay_off": np.zeros(m), "closing": np.zeros(m),
    }  # fmt: skip
    dept_names = list(scenario.departments)
    seed = scenario.seed
    for ci, (name, ch) in enumerate(scenario.channels.items()):
        sel = np.flatnonzero(chan == ci)
        if len(sel) == 0:
            continue
        key = f"{name}/{number}"

        def rng(what: str, key: str = key) -> np.random.Generator:
            return stream(seed, replication, Source.REPEAT, f"{key}/{what}")

        prio, vip = contacts.priority[cust[sel]], contacts.vip[cust[sel]]
        for b, start in enumerate(bands[ci]):
            # As if arriving in band b: the engine picks the band of the arrival.
            at = np.full(len(sel), start)
            draw = CaseDraws(seed, replication, f"{key}/handle", at, prio, vip)
            out["handle"][sel, b] = draw(Source.REPEAT, ch.handle_time, ch.handle_time_by)
        draw = CaseDraws(seed, replication, f"{key}/patience", np.zeros(len(sel)), prio, vip)
        out["patience"][sel] = draw(Source.REPEAT, ch.patience, ch.patience_by)
        if ch.wrap_up is not None:
            out["wrap_up"][sel] = float32(ch.wrap_up.sample(rng("wrap_up"), len(sel)))
        if ch.bot is not None:
            bot = rng("bot")
            out["contained"][sel] = bot.random(len(sel)) < ch.bot.containment
            out["bot_session"][sel] = ch.bot.session_time.sample(bot, len(sel))
        if ch.escalation is not None:
            esc, esc_rng = ch.escalation, rng("escalation")
            share = np.array([esc.share_for(p) for p in PRIORITIES])[prio]
            escalated = esc_rng.random(len(sel)) < share
            out["department"][sel] = np.where(escalated, dept_names.index(esc.department), -1)
            dept = scenario.departments[esc.department]
            out["dept_delay"][sel] = dept.delay.sample(esc_rng, len(sel))
            out["dept_delay_off"][sel] = (dept.off_hours_delay or dept.delay).sample(
                esc_rng, len(sel)
            )
            out["closing"][sel] = esc.closing_time.sample(esc_rng, len(sel))
    return out


def response_due(
    scenario: Scenario, name: str, calendar: Calendar
) -> Callable[[float, int, bool], float]:
    """The first-response deadline of a contact of channel ``name`` arriving at a time:
    the arrivals' rule (:func:`shiftsim.sim.arrivals.response_due`) for one contact."""
    from shiftsim.sim.arrivals import response_due_of_one  # arrivals imports this module

    return response_due_of_one(scenario, name, calendar)
