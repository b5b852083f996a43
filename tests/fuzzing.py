"""Mutated scenario files for the fuzz tests (tests/test_fuzz.py) and the corpus script.

A mutation is a list of operations applied to the text of a shipped scenario,
then to its bytes: replace a value with a nasty one (wrong type, non-finite or
huge number, YAML 1.1 word, broken YAML), delete, duplicate or re-indent a line,
add a key, nest deeply, add an alias bomb, re-encode, flip or cut bytes. The
same operations are drawn by hypothesis (tests) and by ``random.Random``
(``scripts/fuzz_corpus.py``), so both try the same kinds of damage.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

SHIPPED = {
    p.name: p.read_text(encoding="utf-8")
    for p in sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))
}

NASTY = [
    # numbers that are not what they seem
    "0", "-1", "-0.0", "1e400", "-1e400", ".inf", "-.inf", ".nan", "1e-320", "9" * 30,
    "0x1F", "0o17", "010", "1_000", "1e9", "1e10", "2147483648", "3.5", "1:30", "8:30:00",
    "-1:30", "190:20:30.15",
    # YAML 1.1 booleans and nulls
    "yes", "no", "on", "off", "y", "n", "true", "false", "True", "null", "~", "''",
    # dates and times
    "2026-02-30", "0001-01-01", "9999-12-31", "2026-03-02 10:00:00", "1970-01-01", "'08:00'",
    "'25:00'", "'24:00'", "8:30", "08:30", "'8h'",
    # durations
    "5", "5min", "'5min'", "1e10d", "-5min", "0s", "1e308s", "'1e400s'", "'nan s'", "366d",
    "367d", "1d",
    # structures and wrong types
    "[]", "{}", "[1, 2]", "{a: 1}", "[[[[[[]]]]]]", "{dist: exponential}", "{dist: weibull}",
    "{dist: constant, value: .inf}", "{dist: lognormal, mean: 5min, cv: 1e200}",
    "{dist: gamma, mean: 1e-300s, cv: 10}", "{dist: empirical, values: [1min], weights: [0]}",
    "{dist: uniform, low: 5min, high: 1min}", "abc", "'\u00e9t\u00e9'", "\"\\u0000\"",
    # YAML features
    "!!binary aGVsbG8=", "!!python/object:os.system ls", "!!float abc", "!!timestamp x",
    "!!set {a, b}", "&a 1", "*a", "*undefined", "? [a]", "'", "{", "[", "]", "}", "\"",
    "|\n  block", ">", "- a", "---", "...", "%YAML 1.1", "\t", "@x", "`x`", "!x", "<<: *a",
]  # fmt: skip

PLAUSIBLE = [
    # values at the edges of what validates: the runs must cope with them
    "0", "1", "0.5", "0.999", "1e-9", "10", "100000", "9999999", "0s", "1s", "1e-6s", "1min",
    "24h", "1d", "30d", "366d", "'00:00'", "'23:59'", "'24:00'", "'00:01'", "true", "false",
    "{dist: constant, value: 0s}", "{dist: exponential, mean: 1e-3s}",
    "{dist: lognormal, mean: 366d, cv: 10}", "{dist: gamma, mean: 1s, cv: 10}",
    "{dist: uniform, low: 0s, high: 0s}", "{dist: empirical, values: [0s, 1d], weights: [1, 0]}",
]  # fmt: skip

KEYS = ["dayz", "headcount", "per_day", "start", "<<", "days", "replications", "seed", "on",
        "1", "true", "null", "name", "channels", "targets", "? [x]", "\u00e9", ""]  # fmt: skip
SCALES = [0.0, 0.01, 0.5, 2.0, 10.0, 1000.0]
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252"]

# Scalar values written after "key: " in block or flow style.
_VALUE = re.compile(r"(?<=: )[^,{}\[\]\n#]+")
_NUMBER = re.compile(r"(?<=[:\[,] )(\d+(?:\.\d+)?)(?=[,\]}\s]|$)", re.MULTILINE)


def value_spans(text: str) -> list[tuple[int, int]]:
    """Where the scalar values of a YAML text are."""
    return [m.span() for m in _VALUE.finditer(text)]


def apply(name: str, ops: list[tuple[Any, ...]]) -> bytes:
    """The bytes of shipped scenario ``name`` after the operations ``ops``."""
    text = SHIPPED[name]
    encoding = "utf-8"
    byte_ops = []
    for op in ops:
        kind = op[0]
        lines = text.split("\n")
        if kind == "value":
            spans = value_spans(text)
            if spans:
                start, end = spans[op[1] % len(spans)]
                text = text[:start] + op[2] + text[end:]
        elif kind == "scale":
            numbers = list(_NUMBER.finditer(text))
            if numbers:
                m = numbers[op[1] % len(numbers)]
                scaled = float(m.group(1)) * op[2]
                value = str(int(scaled)) if scaled.is_integer() else repr(scaled)
                text = text[: m.start()] + value + text[m.end() :]
        elif kind == "delete":
            del lines[op[1] % len(lines)]
            text = "\n".join(lines)
        elif kind == "duplicate":
            i = op[1] % len(lines)
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        elif kind == "indent":
            i = op[1] % len(lines)
            line = lines[i]
            stripped = line.lstrip(" ")
            lines[i] = " " * max(0, len(line) - len(stripped) + op[2]) + stripped
            text = "\n".join(lines)
        elif kind == "key":
            i = op[1] % len(lines)
            indent = len(lines[i]) - len(lines[i].lstrip(" "))
            lines.insert(i + 1, " " * indent + f"{op[2]}: {op[3]}")
            text = "\n".join(lines)
        elif kind == "nest":
            text += "\nx: " + "[" * op[1] + "]" * op[1] + "\n"
        elif kind == "laughs":
            levels, width = op[1], op[2]
            bomb = ["a0: &a0 [lol]"] + [
                f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)
            ]
            text += "\n" + "\n".join(bomb) + "\n"
        elif kind == "encoding":
            encoding = op[1]
            if encoding != "utf-8":
                text = text.replace("name: ", "name: \u00e9t\u00e9-", 1)
        else:
            byte_ops.append(op)
    data = text.encode(encoding, errors="replace")
    for op in byte_ops:
        if op[0] == "bytes" and data:
            pos = op[1] % len(data)
            data = data[:pos] + op[2] + data[pos + len(op[2]) :]
        elif op[0] == "truncate":
            data = data[: op[1] % (len(data) + 1)]
    return data


def random_ops(rng: random.Random) -> list[tuple[Any, ...]]:
    """One to four operations drawn at random (for the corpus script)."""
    ops: list[tuple[Any, ...]] = []
    for _ in range(rng.choice([1, 1, 1, 1, 2, 2, 3, 4])):
        kind = rng.choices(
            ["value", "plausible", "scale", "delete", "duplicate", "indent", "key", "nest",
             "laughs", "encoding", "bytes", "truncate"],
            weights=[24, 24, 24, 5, 5, 4, 6, 2, 2, 4, 4, 2],
        )[0]  # fmt: skip
        k = rng.randrange(10_000)
        if kind == "value":
            snippet = rng.choice(NASTY) if rng.random() < 0.8 else _random_number(rng)
            ops.append((kind, k, snippet))
        elif kind == "plausible":
            ops.append(("value", k, rng.choice(PLAUSIBLE)))
        elif kind == "scale":
            ops.append((kind, k, rng.choice(SCALES)))
        elif kind in ("delete", "duplicate"):
            ops.append((kind, k))
        elif kind == "indent":
            ops.append((kind, k, rng.choice([-4, -2, -1, 1, 2, 3])))
        elif kind == "key":
            ops.append((kind, k, rng.choice(KEYS), rng.choice(NASTY)))
        elif kind == "nest":
            ops.append((kind, rng.choice([10, 39, 41, 100, 500, 5000])))
        elif kind == "laughs":
            ops.append((kind, rng.randint(2, 12), rng.randint(2, 12)))
        elif kind == "encoding":
            ops.append((kind, rng.choice(ENCODINGS)))
        elif kind == "bytes":
            junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 4)))
            ops.append((kind, k, junk))
        else:
            ops.append((kind, k))
    return ops


def gentle_ops(rng: random.Random) -> list[tuple[Any, ...]]:
    """One to three numbers scaled: files that often still validate, to be run."""
    return [("scale", rng.randrange(10_000), rng.choice(SCALES)) for _ in range(rng.randint(1, 3))]


def _random_number(rng: random.Random) -> str:
    value = rng.choice([rng.uniform(-1e6, 1e6), 10 ** rng.uniform(-320, 320), rng.randint(-5, 5)])
    return repr(value) if rng.random() < 0.5 else str(int(value)) if abs(value) < 1e30 else "1e30"


def check_output(path: Path | str, code: int, output: str) -> None:
    """What every outcome of ``shiftsim validate`` / ``run`` on a file must look like.

    Exit code 0 or 1, no traceback, and after a failure every line names the file.
    """
    assert code in (0, 1), (code, output)
    assert "Traceback" not in output, output
    lines = [line for line in output.splitlines() if line.strip()]
    if code == 1:
        assert lines, "a failure says why"
        bad = [line for line in lines if not line.startswith(f"{path}: ")]
        assert not bad, output
