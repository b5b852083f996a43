"""Plain values of scenario files: numbers that are numbers, dates that are dates.

pydantic's lax mode turns ``true`` into 1 and the integer 0 into 1970-01-01;
in a scenario file both are mistakes, not values. :func:`check_plain` runs
before every field of the schema (see ``_Model`` in :mod:`shiftsim.model.base`)
and rejects them, naming what was expected. Non-finite numbers are refused by
the models' ``allow_inf_nan=False``.

YAML 1.1 reads an unquoted ``1:30`` as the base-60 number 90; shiftsim reads
files the YAML 1.2 way (:mod:`shiftsim.model.loading`), where it is text, and
marks it as :class:`Sexagesimal` so that a number or a clock time written that
way is refused with a hint instead of silently mis-read.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from typing import Annotated, Any, Union

from pydantic import BaseModel, BeforeValidator
from pydantic.fields import FieldInfo

from shiftsim.model.durations import Sexagesimal

__all__ = ["FIRST_DATE", "LAST_DATE", "Sexagesimal", "check_plain", "short_repr"]

FIRST_DATE = dt.date(1900, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
"""Dates a scenario may name: calendars of real centers, far from ``date``'s own limits."""

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def short_repr(value: Any, limit: int = 80) -> str:
    """``repr`` cut to ``limit`` characters without building the whole text first.

    A value read from a file can be huge (a long list, nested mappings); its
    full ``repr`` must never be computed just to quote its beginning.
    """
    import reprlib

    r = reprlib.Repr()
    r.maxlevel, r.maxlist, r.maxtuple, r.maxdict, r.maxset = 3, 12, 12, 8, 8
    r.maxstring = r.maxother = r.maxlong = limit
    text = r.repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_plain(field: FieldInfo, value: Any) -> Any:
    """Return ``value`` if its kind fits ``field``; raise ``ValueError`` saying what was expected.

    Only what pydantic's lax mode would wrongly accept is checked here: a
    boolean or a base-60 text where a number belongs, a number or a
    non-ISO text where a date belongs, a date outside the calendar a center
    could plan for. Everything else is left to the field's own validation.
    """
    if _parses_itself(field.metadata):
        return value
    problem = _problem(field.annotation, value)
    if problem:
        raise ValueError(problem)
    return value


def _parses_itself(metadata: list[Any]) -> bool:
    # Durations and clock times read their raw text with their own parser.
    return any(isinstance(m, BeforeValidator) for m in metadata)


def _problem(annotation: Any, value: Any) -> str | None:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        base, *meta = typing.get_args(annotation)
        return None if _parses_itself(meta) else _problem(base, value)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        found = [_problem(member, value) for member in typing.get_args(annotation)]
        return None if None in found else found[0]
    if annotation in (int, float):
        return _number_problem(value)
    if annotation is dt.date:
        return _date_problem(value)
    if isinstance(value, list | tuple) and origin in (tuple, list):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        for i, item in enumerate(value):
            element = args[0] if len(args) == 1 else args[i] if i < len(args) else None
            problem = _problem(element, item) if element is not None else None
            if problem:
                return f"item {i}: {problem}"
        return None
    if isinstance(value, dict) and origin is dict:
        element = typing.get_args(annotation)[1]
        for key, item in value.items():
            problem = _problem(element, item)
            if problem:
                return f"{key}: {problem}"
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return None  # the model checks its own fields
    return None


_YES_NO = {"yes", "no", "on", "off", "y", "n"}  # booleans in YAML 1.1, text in YAML 1.2


def _number_problem(value: Any) -> str | None:
    if isinstance(value, bool):
        return f"expected a number, not a yes/no value (got {str(value).lower()})"
    if isinstance(value, str) and value.lower() in _YES_NO:
        return f"expected a number, not a yes/no value (got {value})"
    if isinstance(value, Sexagesimal):
        return (
            f"expected a number; YAML 1.1 reads an unquoted {value} as the base-60 number "
            f"{value.yaml11:g}: write the number itself (got {value})"
        )
    return None


def _date_problem(value: Any) -> str | None:
    if isinstance(value, bool | int | float):
        return f"expected a date such as 2026-03-02 (got {value!r})"
    if isinstance(value, str):
        if not _ISO_DATE.match(value):
            return f"expected a date such as 2026-03-02 (got {short_repr(value)})"
        try:
            value = dt.date.fromisoformat(value)
        except ValueError as exc:
            return f"not a valid date: {exc} (got {value!r})"
    if isinstance(value, dt.datetime):
        return f"expected a date without a time of day (got {value.isoformat(sep=' ')})"
    if isinstance(value, dt.date) and not FIRST_DATE <= value <= LAST_DATE:
        return f"dates must be between {FIRST_DATE} and {LAST_DATE} (got {value})"
    return None
