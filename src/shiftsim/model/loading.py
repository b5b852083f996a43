"""Reading scenario files: YAML to a validated :class:`Scenario`, every problem reported at once.

Problems are reported as ``file: path.to.field: problem (got value)`` through
:class:`~shiftsim.model.problems.ScenarioError`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from shiftsim.model.problems import Problem, ScenarioError
from shiftsim.model.scenario import _CROSS, Scenario, reference_problems

__all__ = ["apply_overrides", "load_scenario", "parse_scenario"]


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys instead of keeping the last one."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> Any:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,  # type: ignore[arg-type]
)


def _construct_timestamp(loader: _UniqueKeyLoader, node: yaml.ScalarNode) -> Any:
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"not a valid date: {exc} (got {node.value!r})", node.start_mark
        ) from None


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)  # type: ignore[arg-type]


def load_scenario(path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Read and validate a scenario file.

    Parameters
    ----------
    path
        The YAML file.
    overrides
        Values that replace the file's, by dotted path (``{"horizon.days": 7}``).

    Raises
    ------
    ScenarioError
        Listing every problem, each as ``path.to.field: problem (got value)``.
    """
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(
            source, [Problem(path="", message=f"cannot read file ({exc.strerror})")]
        ) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError(
            source, [Problem(path=where, message=f"invalid YAML: {problem}")]
        ) from None
    return parse_scenario(data, source=source, overrides=overrides)


def parse_scenario(
    data: Any, source: str = "<scenario>", overrides: dict[str, Any] | None = None
) -> Scenario:
    """Validate already-loaded scenario data (a dict as read from YAML)."""
    if not isinstance(data, dict):
        raise ScenarioError(
            source, [Problem(path="", message=f"expected a mapping of settings (got {data!r:.60})")]
        )
    if overrides:
        data = apply_overrides(data, overrides, source)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = _problems(exc, data)
        problems += [p for p in reference_problems(data) if p not in problems]
        raise ScenarioError(source, problems) from None


def apply_overrides(data: dict[str, Any], overrides: dict[str, Any], source: str) -> dict[str, Any]:
    """Return a copy of ``data`` with dotted-path values replaced."""
    import copy

    out = copy.deepcopy(data)
    for dotted, value in overrides.items():
        node: Any = out
        keys = dotted.split(".")
        for key in keys[:-1]:
            if isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            elif isinstance(node, dict):
                node = node.setdefault(key, {})
            else:
                raise ScenarioError(source, [Problem(path=dotted, message="cannot set this path")])
        last = keys[-1]
        if isinstance(node, list) and last.isdigit() and int(last) < len(node):
            node[int(last)] = value
        elif isinstance(node, dict):
            node[last] = value
        else:
            raise ScenarioError(source, [Problem(path=dotted, message="cannot set this path")])
    return out


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
            msg = f"unknown key (got {path.rsplit('.', 1)[-1]!r})"
        elif etype == "union_tag_invalid":
            msg = f"{msg[0].lower()}{msg[1:]} (got {err['ctx'].get('tag')!r})"
        elif "(got " not in msg:
            msg = f"{msg[0].lower()}{msg[1:]} (got {err['input']!r:.80})"
        problems.append(Problem(path=path, message=msg))
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
