"""The mapping file: which column of a log is which field of the schema.

A mapping is YAML, validated like a scenario: unknown keys are errors and every
problem is reported at once as ``file: path.to.key: problem (got value)``.
See ``examples/logs/anonymous_bank.yaml`` for a worked example::

    date: {column: date, format: '%y%m%d'}        # the day the clock times are on
    drop:
      - {column: outcome, equals: PHANTOM, reason: virtual call}
    fields:
      arrival: {column: vru_entry, format: clock}
      queued: {column: q_start, format: clock, none: ['0:00:00'], otherwise: answered}
      handled: {from: answered, seconds: ser_time}   # derived: a time plus a duration
      priority: {column: priority, values: {'0': general, '1': general, '2': urgent}}
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from shiftsim.logs.schema import LOG_COLUMNS, OUTCOMES, TIME_FIELDS
from shiftsim.model.distributions import Duration
from shiftsim.model.loading import _problems, read_yaml
from shiftsim.model.names import PRIORITIES
from shiftsim.model.problems import Problem, ScenarioError

__all__ = [
    "DropRule",
    "Mapping",
    "MappingError",
    "TimeField",
    "ValueField",
    "load_mapping",
    "parse_mapping",
    "schema_mapping",
]

TimeName = Literal[
    "arrival", "bot_end", "queued", "answered", "abandoned", "handled", "dept_response", "resolved"
]


class MappingError(ScenarioError):
    """A mapping file that cannot be used, with every problem found in it."""


def _column_shorthand(value: Any) -> Any:
    # `arrival: vru_entry` is short for `arrival: {column: vru_entry}`.
    return {"column": value} if isinstance(value, str) else value


def _constant_shorthand(value: Any) -> Any:
    # `channel: phone` is short for `channel: {constant: phone}`.
    return {"constant": value} if isinstance(value, str) else value


Values = tuple[str, ...]


def _as_tuple(value: Any) -> Any:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return (str(value),)
    if isinstance(value, list | tuple):
        return tuple(str(v) for v in value)
    return value


RawValues = Annotated[Values, BeforeValidator(_as_tuple)]
"""One raw value or a list of them, compared as text."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


class _Field(_Model):
    column: str | None = None
    none: RawValues = ()
    when: dict[str, RawValues] | None = None

    def columns(self) -> list[str]:
        """The file's columns this field reads."""
        return [c for c in [self.column, *(self.when or {})] if c is not None]


class TimeField(_Field):
    """An instant: a column in some ``format``, or derived ``from`` another time.

    Attributes
    ----------
    column
        The file's column.
    format
        ``iso`` (default; ISO 8601 date and time), ``clock`` (a time of day,
        ``H:MM:SS``, on the mapping's ``date``), ``epoch`` (seconds since
        1970-01-01) or a ``strptime`` pattern such as ``'%d/%m/%Y %H:%M'``.
    none
        Raw values meaning "no such time" (besides an empty cell), e.g. ``'0:00:00'``.
    when
        Keep the time only on rows where these columns have these values.
    otherwise
        Where the time is missing, take this other time instead.
    from_, seconds
        Derived time: the time ``from`` plus the duration in column ``seconds``.
    """

    format: str = "iso"
    otherwise: TimeName | None = None
    from_: TimeName | None = Field(default=None, alias="from")
    seconds: str | None = None

    @model_validator(mode="after")
    def _source(self) -> TimeField:
        if (self.from_ is None) != (self.seconds is None):
            raise ValueError("a derived time needs both 'from' and 'seconds'")
        if (self.column is None) == (self.from_ is None):
            raise ValueError("give either a 'column' or 'from' and 'seconds'")
        if self.format not in ("iso", "clock", "epoch") and "%" not in self.format:
            raise ValueError(
                f"format must be iso, clock, epoch or a strptime pattern such as "
                f"'%Y-%m-%d %H:%M:%S' (got {self.format!r})"
            )
        return self

    def columns(self) -> list[str]:
        return super().columns() + ([self.seconds] if self.seconds else [])


class ValueField(_Field):
    """A categorical or identifier column, optionally recoded.

    Attributes
    ----------
    column, constant
        The file's column, or one value for every row.
    values
        Raw value -> schema value (``{'2': urgent}``).
    default
        Schema value for raw values not in ``values``; without it they are bad rows.
    """

    constant: str | None = None
    values: dict[str, str] | None = None
    default: str | None = None

    @model_validator(mode="after")
    def _source(self) -> ValueField:
        if (self.column is None) == (self.constant is None):
            raise ValueError("give either a 'column' or a 'constant'")
        return self

    def allowed(self) -> set[str]:
        """The schema values this field can produce (for validation)."""
        out = set((self.values or {}).values())
        for v in (self.constant, self.default):
            if v is not None:
                out.add(v)
        return out


TimeSpec = Annotated[TimeField, BeforeValidator(_column_shorthand)]
ValueSpec = Annotated[ValueField, BeforeValidator(_column_shorthand)]
ConstantSpec = Annotated[ValueField, BeforeValidator(_constant_shorthand)]


class Fields(_Model):
    """Where each field of the schema comes from (all but ``arrival`` optional)."""

    arrival: TimeSpec
    bot_end: TimeSpec | None = None
    queued: TimeSpec | None = None
    answered: TimeSpec | None = None
    abandoned: TimeSpec | None = None
    handled: TimeSpec | None = None
    dept_response: TimeSpec | None = None
    resolved: TimeSpec | None = None
    channel: ConstantSpec = ValueField(constant="phone")
    priority: ValueSpec | None = None
    vip: ValueSpec | None = None
    outcome: ValueSpec | None = None
    department: ValueSpec | None = None
    customer: ValueSpec | None = None
    agent: ValueSpec | None = None

    @model_validator(mode="after")
    def _values(self) -> Fields:
        checks = {
            "priority": PRIORITIES,
            "outcome": OUTCOMES,
            "vip": ("true", "false"),
        }
        for name, allowed in checks.items():
            spec = getattr(self, name)
            if spec is None or (spec.values is None and spec.constant is None):
                continue
            bad = sorted(spec.allowed() - set(allowed))
            if bad:
                raise ValueError(
                    f"{name} values must be {', '.join(allowed)} (got {', '.join(map(repr, bad))})"
                )
        for name in TIME_FIELDS:
            spec = getattr(self, name)
            if spec is None:
                continue
            for ref in (spec.otherwise, spec.from_):
                if ref is not None and (ref == name or getattr(self, ref) is None):
                    raise ValueError(f"{name} refers to {ref}, which is not mapped (got {ref!r})")
        return self

    def times(self) -> dict[str, TimeField]:
        """The mapped time fields, in schema order."""
        return {n: getattr(self, n) for n in TIME_FIELDS if getattr(self, n) is not None}


class DateSpec(_Model):
    """The column giving the date of ``format: clock`` times."""

    column: str
    format: str = "%Y-%m-%d"


class DropRule(_Model):
    """Rows to leave out on purpose, counted under ``reason``."""

    column: str
    equals: RawValues
    reason: str = ""

    @property
    def label(self) -> str:
        return self.reason or f"{self.column} = {', '.join(self.equals)}"


class FileFormat(_Model):
    """How to read a text file (Parquet needs nothing)."""

    delimiter: str | None = None  # default: tab for .tsv/.txt, comma otherwise
    encoding: str = "utf-8"


class ChannelKind(_Model):
    kind: Literal["voice", "chat", "async"] = "voice"


class Mapping(_Model):
    """A whole mapping file.

    Attributes
    ----------
    source
        Where the data come from, quoted in every report built on them.
    tolerance
        Times out of order by at most this much (clocks that differ by a
        second) are set equal to the time they follow instead of making a bad row.
    retry_window
        A customer who abandoned and comes back within this is a retry.
    abandoned_before_queue
        An abandon before joining the queue (in the voice menu): ``deflected``
        (the bot handled the call, as the simulator counts it) or ``abandoned``.
    """

    source: str = ""
    description: str = ""
    file: FileFormat = FileFormat()
    date: DateSpec | None = None
    tolerance: Duration = 0.0
    retry_window: Duration = 3600.0
    abandoned_before_queue: Literal["deflected", "abandoned"] = "deflected"
    drop: tuple[DropRule, ...] = ()
    channels: dict[str, ChannelKind] = {}
    fields: Fields

    @model_validator(mode="after")
    def _clock_needs_date(self) -> Mapping:
        if self.date is None:
            clock = [n for n, f in self.fields.times().items() if f.format == "clock"]
            if clock:
                raise ValueError(
                    f"format: clock needs a 'date' column for the day (got clock times in "
                    f"{', '.join(clock)})"
                )
        return self

    def columns(self) -> dict[str, str]:
        """Every column of the file the mapping reads -> where it is named."""
        out: dict[str, str] = {}
        if self.date is not None:
            out.setdefault(self.date.column, "date.column")
        for i, rule in enumerate(self.drop):
            out.setdefault(rule.column, f"drop.{i}.column")
        for name in LOG_COLUMNS:
            spec = getattr(self.fields, name)
            if spec is None:
                continue
            if spec.column is not None:
                out.setdefault(spec.column, f"fields.{name}.column")
            if getattr(spec, "seconds", None) is not None:
                out.setdefault(spec.seconds, f"fields.{name}.seconds")
            for col in spec.when or {}:
                out.setdefault(col, f"fields.{name}.when")
        return out

    def kind_of(self, channel: str) -> str:
        spec = self.channels.get(channel)
        return spec.kind if spec is not None else "voice"


def parse_mapping(data: Any, source: str = "<mapping>") -> Mapping:
    """Validate already-loaded mapping data."""
    if not isinstance(data, dict):
        raise MappingError(
            source, [Problem(path="", message=f"expected a mapping of settings (got {data!r:.60})")]
        )
    try:
        return Mapping.model_validate(data)
    except ValidationError as exc:
        raise MappingError(source, _problems(exc, data)) from None


def load_mapping(path: str | Path) -> Mapping:
    """Read and validate a mapping file.

    Raises
    ------
    MappingError
        Listing every problem, each as ``path.to.key: problem (got value)``.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise MappingError(
            source, [Problem(path="", message=f"cannot read file ({exc.strerror})")]
        ) from None
    except UnicodeDecodeError as exc:
        raise MappingError(
            source, [Problem(path="", message=f"not UTF-8 text; save it as UTF-8 ({exc.reason})")]
        ) from None
    try:
        data = read_yaml(text, source)  # the scenario files' YAML reading, same safeguards
    except ScenarioError as exc:
        raise MappingError(source, exc.problems) from None
    return parse_mapping(data, source)


def schema_mapping(columns: list[str]) -> Mapping:
    """The mapping of a file already in the documented schema (as :func:`to_log` writes it).

    Every schema column present in ``columns`` is read as itself; times are ISO 8601.
    """
    present = set(columns)
    fields: dict[str, Any] = {}
    for name in LOG_COLUMNS:
        if name not in present:
            continue
        if name in TIME_FIELDS:
            fields[name] = {"column": name, "format": "iso"}
        else:
            fields[name] = {"column": name}
    if "arrival" not in fields:
        fields["arrival"] = {"column": "arrival"}  # reported as a missing column
    if "priority" in fields:
        fields["priority"]["values"] = {p: p for p in PRIORITIES}
    if "outcome" in fields:
        fields["outcome"]["values"] = {o: o for o in OUTCOMES}
    if "vip" in fields:
        fields["vip"]["values"] = {"true": "true", "True": "true", "1": "true",
                                   "false": "false", "False": "false", "0": "false"}  # fmt: skip
        fields["vip"]["default"] = "false"
    return parse_mapping({"fields": fields}, "<log schema>")
