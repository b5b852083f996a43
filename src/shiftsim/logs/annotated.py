"""Writing a scenario as YAML with a comment on every fitted number.

PyYAML drops comments, so the fitted scenario is written here: nested
mappings in block style where a person reads them (channels, pools), small
values in flow style (``{dist: lognormal, mean: 183.3s, cv: 1.25}``), long
number lists wrapped, and each comment, keyed by the dotted path of the value
it explains, written at the end of the line or, if long, on the line above.
"""

from __future__ import annotations

import textwrap
from typing import Any

import yaml

__all__ = ["annotated_yaml"]

_INLINE = 60  # longest comment kept at the end of its line
_WIDTH = 100
_PER_LINE = 16  # numbers per line of a wrapped list


def _flow(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10**9, sort_keys=False)
    text = text.removesuffix("\n").removesuffix("\n...")
    return text.strip()


def _block(path: str, value: Any) -> bool:
    """Whether a mapping is written in block style (one key per line)."""
    if not isinstance(value, dict) or "dist" in value:
        return False
    parts = path.split(".") if path else []
    if not parts:
        return True
    head = parts[0]
    if head in ("horizon", "reporting"):
        return len(parts) == 1
    if head == "channels":
        nested = {"volume": ("profiles",), "handle_time_by": ("hour", "priority"),
                  "patience_by": ("priority",)}  # fmt: skip
        if len(parts) <= 2 or (len(parts) == 3 and parts[2] in nested):
            return True
        return len(parts) == 4 and parts[3] in nested.get(parts[2], ())
    if head == "pools":
        return len(parts) <= 3 or (len(parts) == 4 and parts[3] == "weekdays")
    return len(parts) == 1 and head != "staffing"


def _comment_lines(text: str, indent: str) -> list[str]:
    return [f"{indent}# {line}" for line in
            textwrap.wrap(text, width=_WIDTH - len(indent) - 2)]  # fmt: skip


def _emit(node: dict[str, Any], path: str, depth: int, comments: dict[str, str]) -> list[str]:
    indent = "  " * depth
    lines: list[str] = []
    for name, value in node.items():
        here = f"{path}.{name}" if path else str(name)
        # Clock times quoted, as scenario files write them; other keys where YAML needs it.
        key = f"'{name}'" if isinstance(name, str) and ":" in name else _flow(name)
        note = comments.get(here, "")
        above = note if len(note) > _INLINE else ""
        inline = f"  # {note}" if note and not above else ""
        if above:
            lines += _comment_lines(above, indent)
        if _block(here, value):
            lines.append(f"{indent}{key}:{inline}")
            lines += _emit(value, here, depth + 1, comments)
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            lines.append(f"{indent}{key}:{inline}")
            for i, item in enumerate(value):
                sub = comments.get(f"{here}.{i}", "")
                if len(sub) > _INLINE:
                    lines += _comment_lines(sub, indent + "  ")
                    sub = ""
                lines.append(f"{indent}  - {_flow(item)}" + (f"  # {sub}" if sub else ""))
        elif (isinstance(value, list) and len(value) > _PER_LINE
              and all(isinstance(v, int | float) for v in value)):  # fmt: skip
            lines.append(f"{indent}{key}: [{inline}")
            for i in range(0, len(value), _PER_LINE):
                chunk = ", ".join(_flow(v) for v in value[i : i + _PER_LINE])
                lines.append(f"{indent}  {chunk},")
            lines.append(f"{indent}]")
        else:
            lines.append(f"{indent}{key}: {_flow(value)}{inline}")
    return lines


def annotated_yaml(data: dict[str, Any], comments: dict[str, str], header: str = "") -> str:
    """YAML text of ``data`` with ``comments`` (dotted path -> text) beside the values.

    ``yaml.safe_load`` of the result gives ``data`` back (the comments are
    comments); values must be plain Python (no numpy scalars).
    """
    lines = []
    for paragraph in header.strip().split("\n"):
        lines += _comment_lines(paragraph, "") if paragraph.strip() else ["#"]
    if lines:
        lines.append("")
    lines += _emit(data, "", 0, comments)
    return "\n".join(lines) + "\n"
