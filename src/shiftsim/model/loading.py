"""Reading scenario files: YAML to a validated :class:`Scenario`, every problem reported at once.

Problems are reported as ``file: path.to.field: problem (got value)`` through
:class:`~shiftsim.model.problems.ScenarioError`, or under the command-line option
that gave the bad value (``--set PATH=VALUE: path.to.field: ...``; see
:func:`parse_scenario`). Whatever the bytes of a file,
loading it either gives a scenario or raises that error: never another
exception, and never more than a few megabytes of memory.

* The file must be UTF-8 (a UTF-8 byte-order mark is allowed); other
  encodings are named in the error, with what to save the file as.
* YAML is composed into nodes before anything is built, and refused when it
  is larger than :data:`MAX_BYTES`, nested deeper than :data:`MAX_DEPTH` or
  when its aliases expand to more than :data:`MAX_VALUES` values (a "billion
  laughs" file of a kilobyte would otherwise expand to gigabytes).
* Plain scalars are read as YAML 1.2 reads them: ``true``/``false`` only are
  booleans (``yes``, ``no``, ``on``, ``off`` are text), ``010`` is ten, and
  ``1:30`` is text marked as :class:`~shiftsim.model.durations.Sexagesimal` (YAML
  1.1 reads it as 90), which numeric and clock-time fields refuse with a hint.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from yaml.composer import Composer
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

from shiftsim.model.overrides import Created, apply_overrides, by_source, overridden
from shiftsim.model.problems import Problem, ScenarioError
from shiftsim.model.scenario import _CROSS, Scenario, reference_problems
from shiftsim.model.values import Sexagesimal, short_repr

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_VALUES",
    "apply_overrides",
    "load_scenario",
    "parse_override",
    "parse_scenario",
    "read_yaml",
]

MAX_BYTES = 1024 * 1024
"""Largest scenario file read: scenarios are kilobytes (fitted ones with empirical lists some
tens), and pure-Python YAML reads a megabyte in seconds."""
MAX_DEPTH = 40
"""Deepest nesting of mappings and lists (a scenario needs about six levels)."""
MAX_VALUES = 1_000_000
"""Most values (scalars, lists, mappings) a file may hold once its aliases are expanded."""


# -- YAML 1.2 reading of plain scalars -------------------------------------------------------

_SEXAGESIMAL_TAG = "tag:shiftsim.invalid,2026:sexagesimal"


class _Resolver(BaseResolver):
    """The YAML 1.2 core schema, plus dates, merge keys and YAML 1.1 base-60 numbers marked."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # not the YAML 1.1 ones of yaml.Resolver


for _tag, _pattern, _first in (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    (
        "tag:yaml.org,2002:timestamp",
        r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}"
        r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?"
        r"(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$",
        "0123456789",
    ),
    # Exactly what YAML 1.1 reads as base-60 numbers (08:30, with a leading zero, is text there).
    (
        _SEXAGESIMAL_TAG,
        r"^(?:[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*)$",
        "-+0123456789",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:merge", r"^(?:<<)$", "<"),
):
    _Resolver.add_implicit_resolver(_tag, re.compile(_pattern), list(_first))


class _Loader(Reader, Scanner, Parser, Composer, SafeConstructor, _Resolver):
    """A safe loader that counts depth while composing and rejects ambiguous keys."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        SafeConstructor.__init__(self)
        _Resolver.__init__(self)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        # Composing is recursive: count levels so that deep nesting is an error, not a crash.
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None,
                    None,
                    f"nested more than {MAX_DEPTH} levels deep",
                    self.peek_event().start_mark,  # type: ignore[no-untyped-call]
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except yaml.YAMLError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, IndexError) as exc:
            # SafeConstructor lets explicit tags such as ``!!float abc`` raise these.
            raise ConstructorError(
                None, None, f"cannot read this value ({exc}) (got {_scalar(node)})", node.start_mark
            ) from None


def _scalar(node: Node) -> str:
    return short_repr(node.value, 40) if isinstance(node, ScalarNode) else "a list or mapping"


def _int(loader: _Loader, node: ScalarNode) -> int:
    text = loader.construct_scalar(node)
    if len(text) > 40:
        raise ConstructorError(None, None, f"number too long (got {text[:40]}...)", node.start_mark)
    sign = -1 if text.startswith("-") else 1
    digits = text.lstrip("+-")
    if digits.startswith("0o"):
        return sign * int(digits[2:], 8)
    if digits.startswith("0x"):
        return sign * int(digits[2:], 16)
    return sign * int(digits, 10)


def _float(loader: _Loader, node: ScalarNode) -> float:
    text = loader.construct_scalar(node).lower()
    if text.lstrip("+-") == ".inf":
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


def _bool(loader: _Loader, node: ScalarNode) -> bool:
    text = loader.construct_scalar(node)
    if text.lower() not in ("true", "false"):
        raise ConstructorError(
            None, None, f"expected true or false (got {text!r})", node.start_mark
        )
    return text.lower() == "true"


def _null(loader: _Loader, node: ScalarNode) -> None:
    loader.construct_scalar(node)


def _sexagesimal(loader: _Loader, node: ScalarNode) -> Sexagesimal:
    return Sexagesimal(loader.construct_scalar(node))


def _timestamp(loader: _Loader, node: ScalarNode) -> Any:
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, AttributeError, OverflowError) as exc:
        why = f": {exc}" if isinstance(exc, ValueError | OverflowError) else ""
        raise ConstructorError(
            None, None, f"not a valid date{why} (got {node.value!r})", node.start_mark
        ) from None


def _mapping(loader: _Loader, node: MappingNode, deep: bool = False) -> Any:
    """A mapping whose keys are plain values, each given once."""
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # ``<<: *defaults``: merged by construct_mapping, may be overridden
        if not isinstance(key_node, ScalarNode):
            raise ConstructorError(
                None, None, "a key must be a plain name, not a list or a mapping",
                key_node.start_mark,
            )  # fmt: skip
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ConstructorError(
                None,
                None,
                f"duplicate key {short_repr(key)} (first on line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep)


def _yaml_map(loader: _Loader, node: MappingNode) -> Any:
    data: dict[Any, Any] = {}
    yield data
    data.update(_mapping(loader, node))


for _tag, _construct in (
    ("tag:yaml.org,2002:int", _int),
    ("tag:yaml.org,2002:float", _float),
    ("tag:yaml.org,2002:bool", _bool),
    ("tag:yaml.org,2002:null", _null),
    ("tag:yaml.org,2002:timestamp", _timestamp),
    (_SEXAGESIMAL_TAG, _sexagesimal),
    ("tag:yaml.org,2002:map", _yaml_map),
):
    _Loader.add_constructor(_tag, _construct)  # type: ignore[type-var]


def _check_size(root: Node) -> None:
    """Refuse aliases that expand too far, or that point into the value holding them.

    Counts the values of the expanded document bottom-up, each shared node
    once (iteratively: depth through aliases is not bounded by composing).
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[Node] = []
        if isinstance(node, SequenceNode):
            children = node.value
        elif isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        if done:
            on_path.discard(key)
            sizes[key] = 1 + sum(sizes[id(c)] for c in children)
            if sizes[key] > MAX_VALUES:
                raise yaml.composer.ComposerError(
                    None, None,
                    f"its aliases expand to more than {MAX_VALUES:,} values", node.start_mark,
                )  # fmt: skip
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise yaml.composer.ComposerError(
                None, None, "an alias refers to the value that contains it", node.start_mark
            )
        on_path.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)


def read_yaml(text: str, source: str) -> Any:
    """The data of a YAML document, read safely (see the module docstring).

    Raises
    ------
    ScenarioError
        With the line and column of what cannot be read.
    """
    loader = None
    try:
        loader = _Loader(text)  # checks every character first
        node = loader.get_single_node()
        if node is None:
            return None
        _check_size(node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = " ".join(str(exc.problem or exc.context or exc).split())
        raise ScenarioError(
            source, [Problem(path=where, message=f"invalid YAML: {problem}")]
        ) from None
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        where = f"line {before.count(chr(10)) + 1}, column {exc.position - before.rfind(chr(10))}"
        code = ord(exc.character) if isinstance(exc.character, str) else int(exc.character)
        message = f"invalid YAML: control character #x{code:04x} is not allowed (got {chr(code)!r})"
        raise ScenarioError(source, [Problem(path=where, message=message)]) from None
    except yaml.YAMLError as exc:
        message = " ".join(str(exc).split())
        raise ScenarioError(
            source, [Problem(path="", message=f"invalid YAML: {message}")]
        ) from None
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError, RecursionError) as exc:
        raise ScenarioError(
            source, [Problem(path="", message=f"invalid YAML: cannot read it ({exc})")]
        ) from None
    finally:
        if loader is not None:
            loader.dispose()


def _decode(data: bytes, source: str) -> str:
    """The text of a scenario file, which must be UTF-8."""

    def refuse(where: str, message: str) -> ScenarioError:
        return ScenarioError(source, [Problem(path=where, message=message)])

    for bom, name in (
        (b"\x00\x00\xfe\xff", "UTF-32"), (b"\xff\xfe\x00\x00", "UTF-32"),
        (b"\xfe\xff", "UTF-16"), (b"\xff\xfe", "UTF-16"),
    ):  # fmt: skip
        if data.startswith(bom):
            raise refuse("", f"the file is {name} text; save it as UTF-8")
    data = data.removeprefix(b"\xef\xbb\xbf")
    if len(data) >= 4 and data.count(0, 0, 200) * 3 >= min(len(data), 200):
        raise refuse("", "the file looks like UTF-16 text (no byte-order mark); save it as UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        guess = ""
        try:
            data.decode("cp1252")
            guess = " (it looks like Windows-1252 or Latin-1)"
        except UnicodeDecodeError:
            pass
        message = (
            f"the file is not UTF-8 text{guess}; save it as UTF-8 "
            f"(got byte 0x{data[exc.start]:02x})"
        )
        raise refuse(f"line {line}, column {column}", message) from None


def load_scenario(
    path: str | Path,
    overrides: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
) -> Scenario:
    """Read and validate a scenario file.

    Parameters
    ----------
    path
        The YAML file.
    overrides
        Values that replace the file's, by dotted path (``{"horizon.days": 7}``).
    labels
        Where each override came from, by the same paths (``{"horizon.days": "--days 7"}``):
        a problem with an override's value is reported under its label, not the file's
        name (see :func:`parse_scenario`).

    Raises
    ------
    ScenarioError
        Listing every problem, each as ``path.to.field: problem (got value)``.
    """
    source = str(path)
    try:
        with Path(path).open("rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ScenarioError(
            source, [Problem(path="", message=f"cannot read file ({exc.strerror or exc})")]
        ) from None
    except ValueError as exc:  # a path with a NUL byte
        raise ScenarioError(
            source, [Problem(path="", message=f"cannot read file ({exc})")]
        ) from None
    if len(raw) > MAX_BYTES:
        message = f"the file is larger than {MAX_BYTES // 2**20} MiB; a scenario is a few kB"
        raise ScenarioError(source, [Problem(path="", message=message)])
    data = read_yaml(_decode(raw, source), source)
    return parse_scenario(data, source=source, overrides=overrides, labels=labels)


def parse_override(path: str, text: str, source: str = "--set") -> Any:
    """The value of one ``--set path=value``, read like a value of a scenario file.

    Raises
    ------
    ScenarioError
        ``source: path: problem (got value)`` when the text is not valid YAML.
    """
    if not text.strip():
        return text
    try:
        return read_yaml(text, source)
    except ScenarioError as exc:
        got = f" (got {short_repr(text)})"
        problems = [
            Problem(path=path, message=p.message if "(got " in p.message else p.message + got)
            for p in exc.problems
        ]
        raise ScenarioError(source, problems) from None


def parse_scenario(
    data: Any,
    source: str = "<scenario>",
    overrides: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
) -> Scenario:
    """Validate already-loaded scenario data (a dict as read from YAML).

    ``overrides`` replace values by dotted path (see :func:`apply_overrides`, in
    :mod:`shiftsim.model.overrides`).
    Every problem is reported under ``source`` (the file) unless the bad value
    came from an override that has a label in ``labels`` (``--set PATH=VALUE``,
    ``--days 7``); then under that label:

    * a problem at an override's path or inside it is that override's (the
      most specific one when overrides nest), and so is a problem inside a
      key the override created (the required ``containment`` of the ``bot``
      that ``channels.phone.bot.session_time.mean`` made);
    * a problem at a path that holds overrides (a rule across fields, such as
      a shift's start before its end) is theirs when the data without the
      overrides does not break that rule there, else the file's;
    * any other problem is the file's.
    """
    if not isinstance(data, dict):
        message = f"expected a mapping of settings (got {short_repr(data, 60)})"
        raise ScenarioError(source, [Problem(path="", message=message)])
    labels = labels or {}
    created: list[Created] = []
    given = data
    if overrides:
        data, created = overridden(data, overrides, source, labels)
    scenario, problems = _validated(data)
    if scenario is not None:
        return scenario
    if overrides:
        problems = by_source(problems, overrides, labels, created, lambda: _validated(given)[1])
    raise ScenarioError(source, problems)


def _validated(data: dict[str, Any]) -> tuple[Scenario | None, list[Problem]]:
    try:
        return Scenario.model_validate(data), []
    except ValidationError as exc:
        problems = _problems(exc, data)
        problems += [p for p in reference_problems(data) if p not in problems]
        return None, problems


def _problems(exc: ValidationError, data: Any) -> list[Problem]:
    problems: list[Problem] = []
    for err in exc.errors(include_url=False):
        path = _document_path(err["loc"], data)
        msg = err["msg"]
        for prefix in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(prefix)
        etype = err["type"]
        if etype == "value_error" and msg.startswith(_CROSS):
            continue  # reported from the raw data by reference_problems()
        if etype == "missing":
            msg = "required field is missing"
        elif etype == "extra_forbidden":
            msg = f"unknown key (got {short_repr(path.rsplit('.', 1)[-1])})"
        elif etype == "union_tag_invalid":
            msg = f"{msg[0].lower()}{msg[1:]} (got {short_repr(err['ctx'].get('tag'))})"
        elif "(got " not in msg:
            msg = f"{msg[0].lower()}{msg[1:]} (got {short_repr(err['input'])})"
        problems.append(Problem(path=path, message=" ".join(msg.split())))
    return problems


def _document_path(loc: tuple[Any, ...], data: Any) -> str:
    """Dotted path through the document, dropping pydantic's union-tag components."""
    parts: list[str] = []
    node = data
    for key in loc:
        if (
            isinstance(node, dict)
            and key in node
            or isinstance(node, list)
            and isinstance(key, int)
            and key < len(node)
        ):
            node = node[key]
            parts.append(str(key))
        elif isinstance(node, dict | list):
            # A key pydantic knows but the document lacks (missing or tag).
            if isinstance(key, str) and key not in _UNION_TAGS:
                parts.append(key)
                node = None
        else:
            if isinstance(key, str) and key not in _UNION_TAGS:
                parts.append(str(key))
    return ".".join(parts)


_UNION_TAGS = {"exponential", "constant", "lognormal", "gamma", "uniform", "empirical"}
