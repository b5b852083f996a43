"""``--json`` output checked against the schema the README documents, key by key.

The README's "Machine-readable output" section lists each summary's keys in a
small notation (a key, its type, a description; indentation for the keys of
an object, ``[]`` for a list of objects). This test reads those lists and
checks real output against them: every documented key present with its type,
no undocumented key. So the documentation cannot drift from the output.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from shiftsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "tests" / "data" / "small_center.yaml"
TYPES = {"string", "int", "number", "bool", "date", "estimate", "object"}

# One channel, generously staffed: every target likely met.
EASY = """\
name: easy
horizon: {start: 2026-03-02, days: 7}
replications: 6
channels:
  phone:
    kind: voice
    volume: {per_day: 100}
    handle_time: {dist: exponential, mean: 3min}
pools:
  agents:
    channels: [phone]
    shifts: {day: {headcount: 6}, evening: {headcount: 6}, night: {headcount: 6}}
targets:
  - {channel: phone, within: 5min, goal: 0.8}
"""


@pytest.fixture(autouse=True)
def _in_tmp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


def invoke(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args])


# -- the README's notation ------------------------------------------------------------


def documented(name: str) -> dict[str, Any]:
    """The schema of ``<!-- json: NAME -->`` in the README, as nested dicts."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(rf"<!-- json: {name} -->\n```text\n(.*?)\n```", text, flags=re.S)
    assert block is not None, f"no schema {name!r} in the README"
    root: dict[str, Any] = {}
    stack: list[tuple[int, dict[str, Any]]] = [(-1, root)]
    for line in block.group(1).splitlines():
        depth = (len(line) - len(line.lstrip(" "))) // 2
        words = line.split()
        key, kind = words[0], words[1] if len(words) > 1 else ""
        if not (kind.startswith('"') or kind.split("|")[0].removesuffix("[]") in TYPES):
            kind = ""  # a description: the key holds an object (or a list of them)
        while stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1]
        if kind:
            parent[key] = kind
        else:
            child: dict[str, Any] = {}
            parent[key] = child
            stack.append((depth, child))
    return root


def check(value: Any, spec: Any, where: str = "$") -> None:
    """Raise AssertionError where ``value`` does not follow ``spec``."""
    if isinstance(spec, dict):
        assert isinstance(value, dict), f"{where}: expected an object (got {value!r:.80})"
        keys = {k.removesuffix("[]"): k for k in spec}
        assert set(value) == set(keys), (
            f"{where}: undocumented {sorted(set(value) - set(keys))}, "
            f"missing {sorted(set(keys) - set(value))}"
        )
        for short, key in keys.items():
            if key.endswith("[]"):
                assert isinstance(value[short], list), f"{where}.{short}: expected a list"
                for i, item in enumerate(value[short]):
                    check(item, spec[key], f"{where}.{short}[{i}]")
            else:
                check(value[short], spec[key], f"{where}.{short}")
        return
    kind = str(spec)
    if kind.startswith('"'):
        assert value == kind.strip('"'), f"{where}: expected {kind} (got {value!r})"
        return
    kind, _, nullable = kind.partition("|")
    if value is None:
        assert nullable == "null" or kind == "estimate", f"{where}: null not allowed"
        return
    if kind.endswith("[]"):
        assert isinstance(value, list), f"{where}: expected a list (got {value!r:.80})"
        for i, item in enumerate(value):
            check(item, kind.removesuffix("[]"), f"{where}[{i}]")
        return
    ok = {
        "string": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "date": lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\d", v),
        "object": lambda v: isinstance(v, dict),
        "estimate": lambda v: (
            isinstance(v, dict)
            and set(v) == {"value", "low", "high"}
            and all(x is None or isinstance(x, int | float) for x in v.values())
        ),
    }[kind]
    assert ok(value), f"{where}: expected {kind} (got {value!r:.80})"


def test_the_checker_catches_what_it_must() -> None:
    spec = {"a": "int", "b[]": {"c": "string|null"}, "d": "estimate", "e": '"x/1"'}
    good = {"a": 1, "b": [{"c": None}, {"c": "y"}], "d": {"value": 1.0, "low": None,
                                                            "high": 2}, "e": "x/1"}  # fmt: skip
    check(good, spec)
    for bad in ({**good, "a": 1.5}, {**good, "f": 0}, {k: v for k, v in good.items() if k != "a"},
                {**good, "b": [{"c": 3}]}, {**good, "d": {"value": 1}}, {**good, "e": "x/2"},
                {**good, "a": True}):  # fmt: skip
        with pytest.raises(AssertionError):
            check(bad, spec)


def stdout_json(result: Result) -> Any:
    """The command's stdout as JSON: nothing but the summary is printed there."""
    return json.loads(result.stdout)


def non_empty(data: Any, *path: str) -> list[Any]:
    """The list at ``path`` (through the first item of each list), asserted non-empty."""
    node = data
    for key in path:
        node = node[0] if isinstance(node, list) else node
        node = node[key]
    assert node, path
    return list(node)


# -- the commands ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def missed() -> Result:
    """``run --json --fail-on-miss`` of the small center, which misses targets."""
    # Eight agents by day: busy enough (93%, 95% CI 91-95%) for a cause to be named.
    return invoke("run", SMALL, "--no-save", "-q", "-w", "1", "--json", "--fail-on-miss",
                  "--set", "pools.agents.shifts.day.headcount=8")  # fmt: skip


@pytest.fixture(scope="module")
def easy(tmp_path_factory: pytest.TempPathFactory) -> Result:
    """``run --json --fail-on-miss`` of a center that meets every target, into a folder."""
    folder = tmp_path_factory.mktemp("easy")
    (folder / "easy.yaml").write_text(EASY)
    return invoke("run", folder / "easy.yaml", "--out", folder / "out", "-q", "-w", "1",
                  "--json", "--fail-on-miss")  # fmt: skip


def test_run_json_follows_the_documented_schema(missed: Result) -> None:
    assert missed.exit_code == 2, missed.output  # --fail-on-miss: a target misses
    data = stdout_json(missed)
    check(data, documented("run"))
    # Every list holds something, so every documented key was checked.
    non_empty(data, "targets", "periods")
    found = non_empty(data, "findings")
    assert any(f["causes"] for f in found)  # at least one cause checked
    assert data["all_met"] is False and data["results_folder"] is None
    assert "Findings" in missed.stderr and "Response targets" in missed.stderr
    verdicts = {t["target"]: t["verdict"] for t in data["targets"]}
    assert {f["target"] for f in found} == {t for t, v in verdicts.items()
                                            if v in ("missed", "at risk")}  # fmt: skip


def test_fail_on_miss_exits_0_when_every_target_is_met(easy: Result) -> None:
    assert easy.exit_code == 0, easy.output
    data = stdout_json(easy)
    check(data, documented("run"))
    assert data["all_met"] is True and data["findings"] == []
    assert data["results_folder"] is not None and data["results_folder"].endswith("out")


@pytest.mark.slow
def test_without_fail_on_miss_a_miss_is_no_error() -> None:
    assert invoke("run", SMALL, "--no-save", "-q", "-w", "1").exit_code == 0


@pytest.mark.slow
def test_compare_json_follows_the_documented_schema() -> None:
    result = invoke("compare", SMALL, "-q", "-w", "1", "--json",
                    "--plan", "night+2: pools.agents.shifts.night.headcount=4",
                    "--plan", "busy: volume.phone=1.2")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = stdout_json(result)
    check(data, documented("compare"))
    assert [p["plan"] for p in data["plans"]] == ["small_center", "night+2", "busy"]
    assert data["plans"][1]["changes"] == {"pools.agents.shifts.night.headcount": 4}
    assert data["plans"][2]["changes"] == {"volume.phone": 1.2}
    non_empty(data, "plans", "targets")
    assert len(data["differences"]) == 2 * len(data["plans"][0]["targets"])


@pytest.mark.slow
def test_check_json_follows_the_documented_schema() -> None:
    result = invoke("check", SMALL, "-w", "1", "--json")
    assert result.exit_code == 0, result.output
    data = stdout_json(result)
    check(data, documented("check"))
    hours = [h for c in data["channels"] for h in c["hours"]]
    assert len(hours) == 24 * len(data["channels"]) > 0
    flagged = [h for h in hours if h["flagged"]]
    assert flagged and all(1 <= len(h["reasons"]) <= 2 for h in flagged)
    assert all(h["reasons"] == [] for h in hours if not h["flagged"])
    assert sum(c["flagged_hours"] for c in data["channels"]) == len(flagged)
