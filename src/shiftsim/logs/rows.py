"""One log file's raw columns as rows of the documented schema, each row checked.

:func:`_convert` parses the columns the mapping names (times, durations,
categories, ids), places clock times on their dates, derives the outcome and
the times it implies, and checks each row's order; a row that cannot be used
is counted by its first problem in the :class:`~shiftsim.logs.reader.ReadReport`
and left out. Text columns are parsed on their distinct values (:class:`_Text`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from shiftsim.logs.mapping import Mapping, TimeField, ValueField
from shiftsim.logs.schema import FOLLOWS, ID_FIELDS, TIME_FIELDS
from shiftsim.model.durations import DAY, format_duration
from shiftsim.model.names import PRIORITIES

if TYPE_CHECKING:
    from shiftsim.logs.reader import ReadReport

_HALF_DAY = DAY / 2
_EXAMPLES = 3


class _Rows:
    """Per-row bookkeeping while converting one file: the first problem of each row."""

    def __init__(self, n: int, source: str, lines: np.ndarray, report: ReadReport):
        self.bad = np.zeros(n, dtype=bool)
        self.reason = np.empty(n, dtype=object)
        self.source, self.lines, self.report = source, lines, report

    def flag(
        self,
        mask: np.ndarray,
        reason: str,
        got: pd.Series | np.ndarray | None = None,
        unit: str = "",
    ) -> None:
        new = np.asarray(mask, dtype=bool) & ~self.bad
        if not new.any():
            return
        self.bad |= new
        self.reason[new] = reason
        self.report.bad[reason] += int(new.sum())
        ex = self.report.examples.setdefault(reason, [])
        for i in np.flatnonzero(new)[: max(0, _EXAMPLES - len(ex))]:
            value = ""
            if got is not None:
                v = np.asarray(got, dtype=object)[i]
                value = f" (got {v:+g}{unit})" if unit else f" (got {v!r})"
            ex.append(f"{self.source}:{self.lines[i]}{value}")


class _Text:
    """A text column as codes into its distinct values (stripped): log values repeat a lot,
    so tests, recoding and parsing run on the distinct values only."""

    def __init__(self, raw: pd.Series):
        codes, uniques = pd.factorize(raw.astype(object), use_na_sentinel=True)
        self.codes = codes
        self.uniques = pd.Series(uniques, dtype=object).astype(str).str.strip()

    def _spread(self, per_unique: np.ndarray, fill: Any) -> np.ndarray:
        out = np.full(len(self.codes), fill, dtype=per_unique.dtype)
        ok = self.codes >= 0
        out[ok] = per_unique[self.codes[ok]]
        return out

    def isin(self, values: Sequence[str]) -> np.ndarray:
        return self._spread(self.uniques.isin(values).to_numpy(), False)

    def missing(self, none: Sequence[str]) -> np.ndarray:
        u = self.uniques
        return self._spread(((u == "") | u.isin(none)).to_numpy(), True)

    def values(self) -> np.ndarray:
        return self._spread(self.uniques.to_numpy(dtype=object), None)

    def map(self, table: dict[str, str]) -> np.ndarray:
        return self._spread(self.uniques.map(table).to_numpy(dtype=object), None)

    def parse(self, fn: Callable[[pd.Series], Any]) -> np.ndarray:
        return self._spread(np.asarray(fn(self.uniques), dtype=float), np.nan)


def _clock_seconds(text: pd.Series) -> np.ndarray:
    """Seconds of ``H:MM:SS`` / ``H:MM`` times of day (NaN if not one), ``'24:00'`` allowed.

    The usual shapes are decoded from the characters' code points in one numpy
    pass (5x faster than ``pd.to_timedelta``); other text goes to pandas.
    """
    arr = text.to_numpy(dtype=str)
    out = np.full(len(arr), np.nan)
    if len(arr) == 0:
        return out
    length = np.char.str_len(arr)
    short = (length == 4) | (length == 5)
    arr = np.where(short, np.char.add(arr, ":00"), arr)
    length = np.where(short, length + 3, length)
    fixed = np.char.rjust(arr.astype("U8"), 8, "0")
    digits = fixed.view(np.uint32).reshape(-1, 8).astype(np.int64) - ord("0")
    colon = ord(":") - ord("0")
    shape_ok = (length >= 7) & (length <= 8) & (digits[:, 2] == colon) & (digits[:, 5] == colon)
    for j in (0, 1, 3, 4, 6, 7):
        shape_ok &= (digits[:, j] >= 0) & (digits[:, j] <= 9)
    h = digits[:, 0] * 10 + digits[:, 1]
    m = digits[:, 3] * 10 + digits[:, 4]
    sec = digits[:, 6] * 10 + digits[:, 7]
    total = h * 3600 + m * 60 + sec
    valid = shape_ok & (m < 60) & (sec < 60) & (total <= DAY)
    out[valid] = total[valid]
    rest = ~shape_ok
    if rest.any():
        td = pd.to_timedelta(pd.Series(text.to_numpy()[rest]), errors="coerce")
        secs = (td / pd.Timedelta(seconds=1)).to_numpy(float)
        out[rest] = np.where((secs >= 0) & (secs <= DAY), secs, np.nan)
    return out


def _epoch_seconds(values: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(values, errors="coerce")
    secs = (stamps - pd.Timestamp(0)) / pd.Timedelta(seconds=1)
    return np.asarray(secs, dtype=float)


def _parser(fmt: str) -> Callable[[pd.Series], Any]:
    """Text -> seconds (since 1970; of the day for ``clock``), NaN where unparseable."""
    if fmt == "clock":
        return _clock_seconds
    if fmt == "epoch":
        return lambda u: pd.to_numeric(u, errors="coerce")

    def stamps(u: pd.Series) -> Any:
        if fmt == "iso":
            parsed = pd.to_datetime(u, format="ISO8601", errors="coerce")
            if getattr(parsed.dtype, "tz", None) is not None:
                parsed = parsed.dt.tz_localize(None)
        else:
            parsed = pd.to_datetime(u, format=fmt, errors="coerce")
        return (parsed - pd.Timestamp(0)) / pd.Timedelta(seconds=1)

    return stamps


def _parse_time(raw: pd.Series, spec: TimeField) -> tuple[np.ndarray, np.ndarray]:
    """Seconds (since 1970, or of the day for ``clock``) and a mask of unparseable cells."""
    if pd.api.types.is_datetime64_any_dtype(raw.dtype):
        values = _epoch_seconds(raw)
        return values, np.zeros(len(raw), dtype=bool)
    text = _Text(raw)
    missing = text.missing(spec.none)
    values = text.parse(_parser(spec.format))
    values[missing] = np.nan
    return values, np.isnan(values) & ~missing


def _condition(raw: pd.DataFrame, when: dict[str, tuple[str, ...]] | None) -> np.ndarray:
    keep = np.ones(len(raw), dtype=bool)
    for column, values in (when or {}).items():
        keep &= _Text(raw[column]).isin(values)
    return keep


def _convert(raw: pd.DataFrame, mapping: Mapping, source: str, report: ReadReport) -> pd.DataFrame:
    """One file's rows to schema columns; bad rows counted and left out."""
    header = 1 if not source.lower().endswith((".parquet", ".pq")) else 0
    lines = np.arange(len(raw)) + 1 + header
    keep = np.ones(len(raw), dtype=bool)
    for rule in mapping.drop:
        hit = _Text(raw[rule.column]).isin(rule.equals) & keep
        if hit.any():
            report.dropped[rule.label] += int(hit.sum())
        keep &= ~hit
    raw = raw[keep].reset_index(drop=True)
    lines = lines[keep]
    n = len(raw)
    rows = _Rows(n, source, lines, report)
    fields = mapping.fields

    day0 = np.zeros(n)
    if mapping.date is not None:
        col = raw[mapping.date.column]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            day0 = _epoch_seconds(col.dt.normalize())
        else:
            fmt = mapping.date.format
            day0 = _Text(col).parse(
                lambda u: (
                    (pd.to_datetime(u, format=fmt, errors="coerce") - pd.Timestamp(0))
                    / pd.Timedelta(seconds=1)
                )
            )
            day0 = day0 - np.mod(day0, DAY)
        rows.flag(np.isnan(day0), f"unparseable date ({mapping.date.column})", col)

    # 1. Parse the columns; clock times stay times of day until placed.
    times: dict[str, np.ndarray] = {}
    clock: set[str] = set()
    specs = fields.times()
    for name, spec in specs.items():
        if spec.column is None:
            continue
        values, unparseable = _parse_time(raw[spec.column], spec)
        rows.flag(unparseable, f"unparseable {name} time ({spec.column})", raw[spec.column])
        values[~_condition(raw, spec.when)] = np.nan
        times[name] = values
        if spec.format == "clock":
            clock.add(name)

    # 2. Place times of day: arrival on its date, each other within 12 h of its reference.
    for name in TIME_FIELDS:
        if name not in clock:
            continue
        if name == "arrival":
            times[name] = day0 + times[name]
            continue
        ref = _reference(name, times)  # the times it follows come first: already placed
        tod = np.mod(ref, DAY)
        shift = np.mod(times[name] - tod + _HALF_DAY, DAY) - _HALF_DAY
        times[name] = np.where(np.isnan(ref), day0 + times[name], ref + shift)

    # 3. Derived times: another time plus a duration in seconds.
    for name, spec in specs.items():
        if spec.from_ is None or spec.seconds is None:
            continue
        text = _Text(raw[spec.seconds])
        missing = text.missing(spec.none)
        secs = text.parse(lambda u: pd.to_numeric(u, errors="coerce"))
        secs[missing] = np.nan
        got = raw[spec.seconds]
        rows.flag(np.isnan(secs) & ~missing, f"unparseable duration ({spec.seconds})", got)
        with np.errstate(invalid="ignore"):
            rows.flag(secs < 0, f"negative duration ({spec.seconds})", got)
        values = times[spec.from_] + secs
        values[~_condition(raw, spec.when)] = np.nan
        times[name] = values

    # 4. Fallbacks: where a time is missing, another one.
    for name, spec in specs.items():
        if spec.otherwise is not None:
            times[name] = np.where(np.isnan(times[name]), times[spec.otherwise], times[name])
    rows.flag(np.isnan(times["arrival"]) & ~rows.bad, "no arrival time")
    for name in TIME_FIELDS:
        times.setdefault(name, np.full(n, np.nan))

    # 5. Categories and ids.
    out: dict[str, Any] = {}
    channel = _values(raw, fields.channel, "channel", rows)
    out["channel"] = channel
    prio = _values(raw, fields.priority, "priority", rows, allowed=PRIORITIES)
    out["priority"] = np.where(pd.isna(prio), "general", prio).astype(object)
    vip = _values(raw, fields.vip, "vip", rows)
    out["vip"] = (
        np.isin(np.asarray(vip, dtype=str), ["true", "True", "1", "yes", "y", "TRUE"])
        if fields.vip is not None
        else np.zeros(n, dtype=bool)
    )
    for name in (*ID_FIELDS, "department"):
        out[name] = _values(raw, getattr(fields, name), name, rows)

    # 6. Outcome, and the times it implies.
    outcome = _outcome(raw, mapping, times, rows)
    _times_for_outcome(outcome, times, mapping, report, rows)

    # 7. Order: each time at or after the one it follows (clamped within the tolerance).
    tol = mapping.tolerance
    clamped = np.zeros(n, dtype=bool)
    for name in TIME_FIELDS[1:]:
        ref, ref_name = _reference_named(name, times)
        delta = times[name] - ref
        with np.errstate(invalid="ignore"):
            rows.flag(delta < -tol, f"{name} before {ref_name}", delta, unit="s")
            small = (delta < 0) & (delta >= -tol)
        clamped |= small & ~rows.bad
        times[name] = np.where(small, ref, times[name])
    if clamped.any():
        report.adjusted[
            f"times up to {format_duration(tol)} before the time they follow, set equal"
        ] += int(clamped.sum())

    if fields.resolved is None:
        # As the simulator counts it: the agent's end of handling resolves a
        # contact that was not escalated, and a contact that ended in the bot
        # is resolved by the bot.
        plain = (outcome == "answered") & pd.isna(out["department"])
        times["resolved"] = np.where(plain, times["handled"], np.nan)
        times["resolved"] = np.where(outcome == "deflected", times["bot_end"], times["resolved"])

    good = ~rows.bad
    frame = pd.DataFrame({name: _datetimes(times[name][good]) for name in TIME_FIELDS})
    for name, values in out.items():
        frame[name] = np.asarray(values, dtype=object)[good] if name != "vip" else values[good]
    frame["outcome"] = outcome[good]
    frame["file"] = source
    frame["line"] = lines[good]
    return frame


def _datetimes(seconds: np.ndarray) -> np.ndarray:
    """Float seconds since 1970 as datetime64[ns] (NaN as NaT), without a per-value loop."""
    ns = np.where(np.isnan(seconds), 0, np.round(seconds * 1e9)).astype(np.int64)
    return np.where(np.isnan(seconds), np.datetime64("NaT"), ns.view("M8[ns]"))


def _reference(name: str, times: dict[str, np.ndarray]) -> np.ndarray:
    """Per row, the first present time among those ``name`` follows."""
    ref = np.full(len(times["arrival"]), np.nan)
    for other in FOLLOWS[name]:
        if other in times:
            ref = np.where(np.isnan(ref), times[other], ref)
    return ref


def _reference_named(name: str, times: dict[str, np.ndarray]) -> tuple[np.ndarray, str]:
    ref = _reference(name, times)
    # For the message: the usual reference (the first one present in some row).
    first = next((o for o in FOLLOWS[name] if not np.isnan(times[o]).all()), FOLLOWS[name][0])
    return ref, first


def _values(
    raw: pd.DataFrame,
    spec: ValueField | None,
    name: str,
    rows: _Rows,
    allowed: Sequence[str] | None = None,
) -> np.ndarray:
    """A categorical or id column, recoded; ``None`` where missing."""
    n = len(raw)
    if spec is None:
        return np.full(n, None, dtype=object)
    if spec.constant is not None:
        return np.full(n, spec.constant, dtype=object)
    assert spec.column is not None
    text = _Text(raw[spec.column])
    got = raw[spec.column]
    missing = text.missing(spec.none)
    if spec.values is not None:
        values = text.map(spec.values)
        unknown = pd.isna(values) & ~missing
        if spec.default is not None:
            values[unknown] = spec.default
        else:
            rows.flag(unknown, f"unknown {name} value ({spec.column})", got)
    else:
        values = text.values()
        if allowed is not None:
            rows.flag(~text.isin(list(allowed)) & ~missing,
                      f"unknown {name} value ({spec.column})", got)  # fmt: skip
    values[missing] = None
    values[~_condition(raw, spec.when)] = None
    if name == "channel":
        rows.flag(missing, f"no channel ({spec.column})", text)
    return values


def _outcome(
    raw: pd.DataFrame, mapping: Mapping, times: dict[str, np.ndarray], rows: _Rows
) -> np.ndarray:
    spec = mapping.fields.outcome
    if spec is not None:
        outcome = _values(raw, spec, "outcome", rows)
        rows.flag(pd.isna(outcome), "no outcome")
    else:
        answered = ~np.isnan(times["answered"])
        abandoned = ~np.isnan(times["abandoned"])
        in_bot = ~np.isnan(times["bot_end"]) & np.isnan(times["queued"])
        outcome = np.select([answered, abandoned, in_bot], ["answered", "abandoned", "deflected"],
                            "open").astype(object)  # fmt: skip
    if mapping.abandoned_before_queue == "deflected" and mapping.fields.queued is not None:
        # Hung up in the voice menu, before queueing: the bot ended the call.
        outcome = np.where((outcome == "abandoned") & np.isnan(times["queued"]),
                           "deflected", outcome)  # fmt: skip
    return np.asarray(outcome, dtype=object)


def _times_for_outcome(
    outcome: np.ndarray,
    times: dict[str, np.ndarray],
    mapping: Mapping,
    report: ReadReport,
    rows: _Rows,
) -> None:
    """Make the times agree with the outcome; count what had to be ignored."""
    answered, abandoned = outcome == "answered", outcome == "abandoned"
    deflected = outcome == "deflected"
    has = {k: ~np.isnan(v) for k, v in times.items()}
    rows.flag(answered & ~has["answered"], "answered without an answer time")
    rows.flag(abandoned & ~has["abandoned"], "abandoned without a time of abandoning")
    ignored = abandoned & (has["answered"] | has["handled"]) & ~rows.bad
    if ignored.any():
        report.adjusted["abandoned rows with service times (service times ignored)"] += int(
            ignored.sum()
        )
    agent_times = has["queued"] | has["answered"] | has["handled"] | has["abandoned"]
    ignored = deflected & agent_times & ~rows.bad & (has["answered"] | has["handled"])
    if ignored.any():
        report.adjusted["rows ended in the bot with agent times (agent times ignored)"] += int(
            ignored.sum()
        )
    for name in ("answered", "handled"):
        times[name] = np.where(abandoned | deflected, np.nan, times[name])
    times["abandoned"] = np.where(abandoned, times["abandoned"], np.nan)
    # A contact that reached the agents without a queue time joined the queue
    # when it left the bot (or on arrival).
    start = np.where(has["bot_end"], times["bot_end"], times["arrival"])
    to_agents = ~deflected
    times["queued"] = np.where(to_agents & np.isnan(times["queued"]), start, times["queued"])
    times["queued"] = np.where(deflected, np.nan, times["queued"])
    if mapping.fields.bot_end is None:
        times["bot_end"] = np.full(len(outcome), np.nan)
