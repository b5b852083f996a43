"""``--set`` and friends: dotted-path values that replace a scenario's, and whose
problems they are.

:func:`overridden` applies them, following the schema as it walks a path so
that a key it creates in a mapping of named entries (a misspelt shift) is
known; :func:`by_source` then labels each validation problem with the
option that gave the bad value. :func:`shiftsim.model.loading.parse_scenario`
calls both.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from types import UnionType
from typing import Annotated, Any, NamedTuple, Union, get_args, get_origin

from pydantic import BaseModel

from shiftsim.model.problems import Problem, ScenarioError
from shiftsim.model.scenario import Scenario
from shiftsim.model.values import short_repr

__all__ = ["Created", "apply_overrides", "by_source", "overridden"]


def apply_overrides(
    data: dict[str, Any],
    overrides: dict[str, Any],
    source: str,
    labels: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Return a copy of ``data`` with dotted-path values replaced.

    A key the data lacks is created, so that an optional field the file leaves
    out can be set (``channels.phone.bot.containment``). A key missing from a
    mapping of named entries (per the schema, a ``dict[str, Model]``:
    ``channels``, ``pools``, ``departments``, a pool's ``shifts``) is created
    too, as a new entry; :func:`parse_scenario` reports an entry so created
    that does not validate as ``no shift 'nigth' (shifts: day, evening, night)``,
    a misspelt name, instead of the fields the new entry lacks. An entry
    given whole (``pools.p.shifts.late={start: ..., end: ..., headcount: 4}``)
    or completed by the values set is kept. The schema decides, not the data:
    ``staffing: {bounds: {...}}`` holds only mappings, but ``staffing.cost`` is
    an optional field, not a misspelt entry.

    Raises
    ------
    ScenarioError
        When a path goes through a single value or past the end of a list,
        labelled with ``labels[path]`` when given.
    """
    return overridden(data, overrides, source, labels or {})[0]


class Created(NamedTuple):
    """A key the data lacked that an override created by walking through it."""

    override: str  # the override's path, as given
    mapping: str  # the dotted path of the mapping it was created in, e.g. pools.frontline.shifts
    name: str
    kind: str | None  # in a mapping of named entries, what an entry is: shift, pool...
    names: tuple[str, ...]  # the entries the mapping had

    @property
    def path(self) -> str:
        return f"{self.mapping}.{self.name}" if self.mapping else self.name


def overridden(
    data: dict[str, Any], overrides: dict[str, Any], source: str, labels: dict[str, str]
) -> tuple[dict[str, Any], list[Created]]:
    out = copy.deepcopy(data)
    created: list[Created] = []
    for dotted, value in overrides.items():
        node: Any = out
        schema: Any = Scenario
        keys = _keys(dotted)
        for i, key in enumerate(keys[:-1]):
            if isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            elif isinstance(node, dict):
                if key not in node:
                    entries = _entries(schema)
                    kind = entries.__name__.lower() if entries is not None else None
                    names = tuple(map(str, node))
                    created.append(Created(dotted, ".".join(keys[:i]), key, kind, names))
                node = node.setdefault(key, {})
            else:
                raise ScenarioError(source, [_cannot_set(dotted, node, labels)])
            schema = _child(schema, key)
        last = keys[-1]
        if isinstance(node, list) and last.isdigit() and int(last) < len(node):
            node[int(last)] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ScenarioError(source, [_cannot_set(dotted, node, labels)])
    return out, created


_POOL_SHIFT_KEYED = (["staffing", "bounds"], ["staffing", "cost"])
"""Mappings keyed by ``pool.shift``: the rest of a path under them is one key."""


def _keys(dotted: str) -> list[str]:
    """The keys of a dotted path: list items by index either way (``events.0.factor``
    or ``events[0].factor``), and ``staffing.bounds.frontline.night`` as
    ``staffing``, ``bounds``, ``frontline.night`` (those keys name a shift)."""
    keys = re.sub(r"\[(\d+)\]", r".\1", dotted).split(".")
    if keys[:2] in _POOL_SHIFT_KEYED and len(keys) > 3:
        keys = [*keys[:2], ".".join(keys[2:])]
    return keys


def _cannot_set(dotted: str, node: Any, labels: dict[str, str]) -> Problem:
    what = "a list: give an index below its length" if isinstance(node, list) else "a single value"
    return Problem(path=dotted, message=f"cannot set this path: it goes through {what} "
                                        f"(got {short_repr(node, 60)})",
                   source=labels.get(dotted))  # fmt: skip


def _plain_type(tp: Any) -> Any:
    """``tp`` without ``Annotated`` metadata and without the ``None`` of ``X | None``."""
    while True:
        if get_origin(tp) is Annotated:
            tp = get_args(tp)[0]
        elif get_origin(tp) in (Union, UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) != 1:
                return tp  # a union of models (distributions): not followed
            tp = args[0]
        else:
            return tp


def _entries(tp: Any) -> type[BaseModel] | None:
    """The model of each entry when ``tp`` is a mapping of named entries, ``dict[str, Model]``."""
    tp = _plain_type(tp)
    if get_origin(tp) is dict:
        key, value = get_args(tp)
        value = _plain_type(value)
        if key is str and isinstance(value, type) and issubclass(value, BaseModel):
            return value
    return None


def _child(tp: Any, key: str) -> Any:
    """The schema type under ``key`` in a value of type ``tp`` (None when unknown)."""
    tp = _plain_type(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            if key in (name, field.alias):
                return field.annotation
        return None
    origin, args = get_origin(tp), get_args(tp)
    if origin is dict:
        return args[1]
    if origin in (list, tuple) and key.isdigit():
        if origin is list or (len(args) == 2 and args[1] is Ellipsis):
            return args[0]
        return args[int(key)] if int(key) < len(args) else None
    return None


def _rule(p: Problem) -> tuple[str, str]:
    """A problem without the value it quotes, which may hold an override's."""
    return p.path, p.message.split(" (got ", 1)[0]


def _within(path: str, prefix: str) -> bool:
    """Whether ``path`` is ``prefix`` or below it (every path is below the root, ``""``)."""
    return not prefix or path == prefix or path.startswith(prefix + ".")


def by_source(
    problems: list[Problem],
    overrides: dict[str, Any],
    labels: dict[str, str],
    created: list[Created],
    own_problems: Callable[[], list[Problem]],
) -> list[Problem]:
    """``problems`` labelled with the override that gave the bad value.

    See :func:`shiftsim.model.loading.parse_scenario` for the rules;
    ``own_problems`` gives the problems of the data without the overrides
    (called only when a rule across fields needs them).
    """
    paths = {o: ".".join(_keys(o)) for o in overrides}
    own: set[tuple[str, str]] | None = None  # the rules the data without the overrides breaks
    out: list[Problem] = []
    reported: set[Created] = set()
    for p in problems:
        new = next((c for c in created if c.kind and _within(p.path, c.path)), None)
        if new is not None:
            if new not in reported:  # the entry's problems, as one: a name that is not there
                reported.add(new)
                names = ", ".join(new.names) or "none"
                message = f"no {new.kind} {new.name!r} ({new.mapping.rsplit('.', 1)[-1]}: {names})"
                out.append(Problem(path=new.mapping, message=message,
                                   source=labels.get(new.override)))  # fmt: skip
            continue
        holders = [o for o in overrides if _within(p.path, paths[o])]
        if holders:
            holder = max(holders, key=lambda o: len(paths[o]))
            out.append(p.model_copy(update={"source": labels.get(holder)}))
            continue
        maker = next((c.override for c in created if _within(p.path, c.path)), None)
        if maker is not None:  # inside what the override created: bot.containment, missing
            out.append(p.model_copy(update={"source": labels.get(maker)}))
            continue
        inside = [labels[o] for o in overrides if o in labels and _within(paths[o], p.path)]
        if inside:
            if own is None:
                own = {_rule(q) for q in own_problems()}
            if _rule(p) not in own:
                p = p.model_copy(update={"source": ", ".join(dict.fromkeys(inside))})
        out.append(p)
    return out
