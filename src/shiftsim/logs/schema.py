"""The documented log schema: one row per contact attempt.

A log file of any layout is turned into these columns by a mapping file
(:mod:`shiftsim.logs.mapping`); a file already written in this schema (for
example by :func:`shiftsim.logs.history.to_log`) needs no mapping. Only
``arrival`` is required.

Times are instants (date and time of day). A contact goes through its times in
the order of :data:`TIME_FIELDS`; each time after ``arrival`` must not come
before the time it follows (:data:`FOLLOWS`).
"""

from __future__ import annotations

__all__ = ["FOLLOWS", "ID_FIELDS", "LOG_COLUMNS", "OUTCOMES", "TIME_FIELDS", "VALUE_FIELDS"]

LOG_COLUMNS: dict[str, str] = {
    "arrival": "when the contact arrived (entered the bot / voice menu if there is one); required",
    "channel": "channel name (phone, chat, email...); default: one channel, 'phone'",
    "priority": "urgent, important or general; default general",
    "vip": "true or false; default false",
    "customer": "customer id, to link a caller's attempts (retries); empty: unknown",
    "bot_end": "end of the bot / voice-menu session; empty: no bot",
    "queued": "entered the human queue (or backlog); default: bot_end, else arrival",
    "answered": "first response: an agent picked up (voice, chat) or replied (async)",
    "handled": "the agent finished handling",
    "abandoned": "the customer hung up or left while waiting",
    "outcome": "answered, abandoned, deflected (ended in the bot) or open; default from the times",
    "department": "department the contact was escalated to; empty: not escalated",
    "dept_response": "the department answered the escalation",
    "resolved": "the case was resolved; default: handled, for answered contacts not escalated",
    "agent": "id of the agent who handled it; empty: unknown",
}
"""Every column of the schema with its meaning, in the order files are written."""

TIME_FIELDS: tuple[str, ...] = (
    "arrival", "bot_end", "queued", "answered", "abandoned", "handled", "dept_response",
    "resolved",
)  # fmt: skip
"""The instants of a contact, each after those it follows."""

FOLLOWS: dict[str, tuple[str, ...]] = {
    "bot_end": ("arrival",),
    "queued": ("bot_end", "arrival"),
    "answered": ("queued", "bot_end", "arrival"),
    "abandoned": ("queued", "bot_end", "arrival"),
    "handled": ("answered",),
    "dept_response": ("handled",),
    "resolved": ("handled", "answered", "arrival"),
}
"""For each time, the times it follows: the first one present is its reference.

A time of day without a date (``format: clock``) is placed within 12 hours of
its reference, so that a queue or a service that crosses midnight lands on the
next day; a time that comes before its reference is an impossible order.
"""

VALUE_FIELDS: tuple[str, ...] = ("channel", "priority", "vip", "outcome", "department")
"""Columns whose raw values may be recoded by a mapping (``values:``)."""

ID_FIELDS: tuple[str, ...] = ("customer", "agent")
"""Identifiers, kept as text."""

OUTCOMES: tuple[str, ...] = ("answered", "abandoned", "deflected", "open")
"""How an attempt ended, as in :class:`shiftsim.sim.records.Outcome`."""
