"""Bad scenario files: every problem is reported as ``file: path.to.field: problem (got value)``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from shiftsim.cli import main
from shiftsim.model.loading import load_scenario
from shiftsim.model.problems import Problem, ScenarioError
from shiftsim.model.scenario import Scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))

BASE = """\
name: small
horizon:
  start: 2026-03-02
  days: 2
channels:
  phone:
    kind: voice
    volume: {per_day: 600}
    handle_time: {dist: lognormal, mean: 5min, cv: 0.8}
    patience: {dist: exponential, mean: 5min}
pools:
  agents:
    channels: [phone]
    shifts:
      day: {headcount: 18}
      night: {headcount: 3}
"""


def variant(*edits: tuple[str, str]) -> str:
    """BASE with each ``old`` replaced by ``new`` (each ``old`` must occur exactly once)."""
    text = BASE
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(path: Path) -> tuple[list[Problem], str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    exc = info.value
    assert exc.source == str(path)
    assert exc.problems, "a ScenarioError must list at least one problem"
    # The message is one line per problem: ``file: path.to.field: problem (got value)``.
    lines = str(exc).splitlines()
    assert lines == [f"{path}: {p.path}: {p.message}" if p.path else f"{path}: {p.message}"
                     for p in exc.problems]  # fmt: skip
    return exc.problems, str(exc)


def test_base_file_is_valid(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, BASE, "good.yaml"))
    assert isinstance(sc, Scenario)
    assert sc.pools["agents"].shifts["day"].headcount == 18


# -- clock times and durations ------------------------------------------------


def test_unquoted_clock_time_gets_a_hint_to_quote_it(tmp_path: Path) -> None:
    early = "early: {start: 8:30, end: '16:00', headcount: 18}"
    path = write(tmp_path, variant(("day: {headcount: 18}", early)))
    problems, text = problems_of(path)
    assert len(problems) == 1
    p = problems[0]
    assert p.path == "pools.agents.shifts.early.start"
    assert "quoted" in p.message
    assert "'08:30'" in p.message  # the value the user meant, quoted
    assert "as the number 510" in p.message  # why it is refused
    assert p.message.endswith("(got 8:30)")  # what the file says
    assert text.startswith(f"{path}: pools.agents.shifts.early.start: clock times must be quoted")
    assert text.endswith("(got 8:30)")


def test_unquoted_clock_time_in_a_list(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        variant(
            ("kind: voice", "kind: voice\n    bot: {hours: [8:00, '20:00'], containment: 0.2}")
        ),
    )
    problems, _ = problems_of(path)
    assert [p.path for p in problems] == ["channels.phone.bot.hours.0"]
    assert "'08:00'" in problems[0].message
    assert problems[0].message.endswith("(got 8:00)")


@pytest.mark.parametrize("clock", ["'25:00'", "'8h'", "'12:60'", "'24:30'"])
def test_impossible_clock_time(tmp_path: Path, clock: str) -> None:
    early = f"early: {{start: {clock}, end: '16:00', headcount: 18}}"
    path = write(tmp_path, variant(("day: {headcount: 18}", early)))
    problems, _ = problems_of(path)
    assert [p.path for p in problems] == ["pools.agents.shifts.early.start"]
    assert problems[0].message.endswith(f"(got {clock})")


def test_duration_without_unit(tmp_path: Path) -> None:
    path = write(tmp_path, variant(("mean: 5min, cv", "mean: 5, cv")))
    problems, text = problems_of(path)
    assert problems == [
        Problem(
            path="channels.phone.handle_time.mean",
            message="a duration needs a unit, e.g. '5s', '5min' or '5h' (got 5)",
        )
    ]
    assert text == (
        f"{path}: channels.phone.handle_time.mean: "
        "a duration needs a unit, e.g. '5s', '5min' or '5h' (got 5)"
    )


@pytest.mark.parametrize("value", ["5mn", "5 parsecs", "1h30min", "-5min", "min"])
def test_duration_with_a_bad_unit(tmp_path: Path, value: str) -> None:
    path = write(tmp_path, variant(("mean: 5min, cv", f"mean: '{value}', cv")))
    problems, _ = problems_of(path)
    assert len(problems) == 1
    assert problems[0].path == "channels.phone.handle_time.mean"
    assert problems[0].message == (
        f"expected a duration such as '30s', '5min', '2h' or '1d' (got '{value}')"
    )


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("90s", 90.0), ("5min", 300.0), ("5 minutes", 300.0), ("1.5h", 5400.0), ("2 hrs", 7200.0)],
)
def test_durations_that_are_accepted(tmp_path: Path, value: str, seconds: float) -> None:
    path = write(tmp_path, variant(("mean: 5min, cv", f"mean: '{value}', cv")), "good.yaml")
    assert load_scenario(path).channels["phone"].handle_time.mean == seconds


def test_bad_distribution_name_names_the_choices(tmp_path: Path) -> None:
    path = write(tmp_path, variant(("dist: lognormal", "dist: weibull")))
    problems, _ = problems_of(path)
    assert [p.path for p in problems] == ["channels.phone.handle_time"]
    assert "'weibull'" in problems[0].message
    assert "'lognormal'" in problems[0].message


# -- structure ----------------------------------------------------------------


def test_unknown_key_is_reported_with_its_name(tmp_path: Path) -> None:
    path = write(tmp_path, variant(("day: {headcount: 18}", "day: {headcont: 18}")))
    problems, text = problems_of(path)
    assert (
        Problem(path="pools.agents.shifts.day.headcont", message="unknown key (got 'headcont')")
        in problems
    )
    # The real field is then missing too, and that is said as well.
    assert (
        Problem(path="pools.agents.shifts.day.headcount", message="required field is missing")
        in problems
    )
    assert (
        f"{path}: pools.agents.shifts.day.headcont: unknown key (got 'headcont')"
        in text.splitlines()
    )


def test_missing_required_field(tmp_path: Path) -> None:
    path = write(
        tmp_path, variant(("    handle_time: {dist: lognormal, mean: 5min, cv: 0.8}\n", ""))
    )
    problems, text = problems_of(path)
    assert problems == [
        Problem(path="channels.phone.handle_time", message="required field is missing")
    ]
    assert text == f"{path}: channels.phone.handle_time: required field is missing"


def test_negative_headcount(tmp_path: Path) -> None:
    path = write(tmp_path, variant(("headcount: 18", "headcount: -3")))
    problems, text = problems_of(path)
    assert len(problems) == 1
    assert problems[0].path == "pools.agents.shifts.day.headcount"
    assert problems[0].message.endswith("(got -3)")
    assert ">= 0" in problems[0].message or "greater than or equal to 0" in problems[0].message
    assert text.startswith(f"{path}: pools.agents.shifts.day.headcount: ")


def test_priorities_must_add_up_to_one(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        variant(("kind: voice", "kind: voice\n    priorities: {urgent: 0.5, general: 0.4}")),
    )
    problems, _ = problems_of(path)
    assert len(problems) == 1
    assert problems[0].path.startswith("channels.phone")
    assert "priorities must add up to 1" in problems[0].message
    assert problems[0].message.endswith("(got 0.9)")


def test_hourly_profile_needs_24_values(tmp_path: Path) -> None:
    profile = ", ".join(["1"] * 23)
    path = write(
        tmp_path, variant(("{per_day: 600}", f"{{per_day: 600, hourly_profile: [{profile}]}}"))
    )
    problems, text = problems_of(path)
    assert problems == [
        Problem(
            path="channels.phone.volume.hourly_profile",
            message="needs exactly 24 hourly values (got 23)",
        )
    ]
    assert text.endswith(
        "channels.phone.volume.hourly_profile: needs exactly 24 hourly values (got 23)"
    )


# -- cross references -----------------------------------------------------------

UNKNOWN_CHANNEL = (("channels: [phone]", "channels: [phone, fax]"),)
UNKNOWN_DEPARTMENT = (
    ("kind: voice", "kind: voice\n    escalation: {department: billing, share: 0.1}"),
)


def test_unknown_channel_in_a_pool_message(tmp_path: Path) -> None:
    path = write(tmp_path, variant(*UNKNOWN_CHANNEL))
    _, text = problems_of(path)
    assert text == f"{path}: pools.agents.channels: unknown channel (got 'fax')"


def test_unknown_department_message(tmp_path: Path) -> None:
    path = write(tmp_path, variant(*UNKNOWN_DEPARTMENT))
    _, text = problems_of(path)
    assert (
        text == f"{path}: channels.phone.escalation.department: unknown department (got 'billing')"
    )


def test_two_unknown_channels_have_their_path(tmp_path: Path) -> None:
    path = write(tmp_path, variant(("channels: [phone]", "channels: [phone, fax, tel]")))
    problems, _ = problems_of(path)
    assert problems == [
        Problem(path="pools.agents.channels", message="unknown channel (got 'fax')"),
        Problem(path="pools.agents.channels", message="unknown channel (got 'tel')"),
    ]


def test_unknown_channel_in_a_pool_problem_has_its_path(tmp_path: Path) -> None:
    problems, _ = problems_of(write(tmp_path, variant(*UNKNOWN_CHANNEL)))
    assert problems == [
        Problem(path="pools.agents.channels", message="unknown channel (got 'fax')")
    ]


def test_unknown_department_problem_has_its_path(tmp_path: Path) -> None:
    problems, _ = problems_of(write(tmp_path, variant(*UNKNOWN_DEPARTMENT)))
    assert problems == [
        Problem(
            path="channels.phone.escalation.department",
            message="unknown department (got 'billing')",
        )
    ]


# -- YAML itself ----------------------------------------------------------------


def test_invalid_yaml_syntax_reports_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, variant(("{per_day: 600}", "{per_day: 600")))
    problems, text = problems_of(path)
    assert len(problems) == 1
    assert problems[0].path.startswith("line 9,")  # the unclosed flow mapping
    assert problems[0].message.startswith("invalid YAML")
    assert text.startswith(f"{path}: line 9, column ")


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, variant(("    kind: voice\n", "    kind: voice\n    kind: chat\n")))
    problems, text = problems_of(path)
    assert len(problems) == 1
    assert problems[0].path.startswith("line 8,")
    assert "duplicate key 'kind'" in problems[0].message
    assert "first on line 7" in problems[0].message
    assert text.startswith(f"{path}: line 8, column 5: invalid YAML: duplicate key 'kind'")


def test_several_problems_are_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        variant(
            ("  days: 2\n", "  days: 2\n  dayz: 3\n"),
            ("mean: 5min, cv", "mean: 5, cv"),
            ("headcount: 3", "headcount: -3"),
            ("{per_day: 600}", "{per_day: 0}"),
        ),
    )
    problems, text = problems_of(path)
    assert {p.path for p in problems} == {
        "horizon.dayz",
        "channels.phone.handle_time.mean",
        "pools.agents.shifts.night.headcount",
        "channels.phone.volume.per_day",
    }
    assert len(text.splitlines()) == 4
    assert all(line.startswith(f"{path}: ") for line in text.splitlines())


def test_field_and_cross_reference_problems_are_reported_at_once(tmp_path: Path) -> None:
    path = write(tmp_path, variant(("headcount: 3", "headcount: -3"), *UNKNOWN_CHANNEL))
    problems, _ = problems_of(path)
    assert "pools.agents.shifts.night.headcount" in [p.path for p in problems]
    assert any("unknown channel (got 'fax')" in str(p) for p in problems)


def test_empty_file(tmp_path: Path) -> None:
    path = write(tmp_path, "")
    problems, text = problems_of(path)
    assert problems == [Problem(path="", message="expected a mapping of settings (got None)")]
    assert text == f"{path}: expected a mapping of settings (got None)"


def test_file_that_is_not_a_mapping(tmp_path: Path) -> None:
    problems, _ = problems_of(write(tmp_path, "- a\n- b\n"))
    assert problems == [Problem(path="", message="expected a mapping of settings (got ['a', 'b'])")]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    problems, text = problems_of(path)
    assert len(problems) == 1
    assert problems[0].path == ""
    assert problems[0].message.startswith("cannot read file")
    assert text.startswith(f"{path}: cannot read file")


BAD_DATE = (("start: 2026-03-02", "start: 2026-02-30"),)


def test_impossible_date_is_a_scenario_error(tmp_path: Path) -> None:
    problems, _ = problems_of(write(tmp_path, variant(*BAD_DATE)))
    assert len(problems) == 1
    assert "2026-02-30" in str(problems[0]) or "horizon.start" in problems[0].path


# -- the command line -----------------------------------------------------------


def invoke(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def assert_clean_failure(result: Result, path: Path) -> None:
    """Exit code 1 through sys.exit, the file named in the message, no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert str(path) in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "edits",
    [
        (("mean: 5min, cv", "mean: 5, cv"),),
        (("headcount: 18", "headcount: -3"),),
        UNKNOWN_CHANNEL,
        (("{per_day: 600}", "{per_day: 600"),),
    ],
    ids=["no-unit", "negative", "unknown-channel", "yaml-syntax"],
)
def test_cli_validate_bad_file(tmp_path: Path, edits: tuple[tuple[str, str], ...]) -> None:
    path = write(tmp_path, variant(*edits))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    result = invoke("validate", str(path))
    assert_clean_failure(result, path)
    assert str(info.value) in result.output
    assert "OK" not in result.output


def test_cli_validate_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    result = invoke("validate", str(path))
    assert_clean_failure(result, path)
    assert "cannot read file" in result.output


def test_cli_validate_bad_file_in_a_real_process(tmp_path: Path) -> None:
    path = write(tmp_path, variant(("headcount: 18", "headcount: -3")))
    proc = subprocess.run(
        [sys.executable, "-c", "from shiftsim.cli import main; main()", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip() == (
        f"{path}: pools.agents.shifts.day.headcount: "
        "input should be greater than or equal to 0 (got -3)"
    )


def test_cli_validate_impossible_date(tmp_path: Path) -> None:
    path = write(tmp_path, variant(*BAD_DATE))
    assert_clean_failure(invoke("validate", str(path)), path)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.name for p in SCENARIOS])
def test_cli_validate_shipped_scenarios(path: Path) -> None:
    result = invoke("validate", str(path))
    assert result.exit_code == 0, result.output
    assert result.exception is None
    assert result.output.startswith(f"{path}: OK (")


def test_shipped_scenarios_exist() -> None:
    assert {p.name for p in SCENARIOS} >= {"minimal.yaml", "baseline.yaml", "holiday.yaml"}


# -- files that used to crash the loader or be misread (issue 15) ----------------------------


def write_bytes(tmp_path: Path, data: bytes, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def one_problem(path: Path) -> Problem:
    problems, _ = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize(
    ("data", "where", "says"),
    [
        (BASE.replace("small", "sm\xe4ll").encode("latin-1"), "line 1, column 9", "not UTF-8"),
        (BASE.encode("utf-16"), "", "UTF-16 text; save it as UTF-8"),
        (BASE.encode("utf-16-le"), "", "looks like UTF-16"),
        (BASE.encode("utf-32"), "", "UTF-32 text; save it as UTF-8"),
        (BASE.replace("small", "sm\0all").encode(), "line 1, column 9", "control character #x0000"),
    ],
    ids=["latin-1", "utf-16", "utf-16-no-bom", "utf-32", "nul-byte"],
)
def test_encodings_and_control_characters(tmp_path: Path, data: bytes, where: str, says: str):
    p = one_problem(write_bytes(tmp_path, data))
    assert p.path == where
    assert says in p.message and "\n" not in p.message
    if "UTF-8" in says:
        assert "save it as UTF-8" in p.message


def test_utf8_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    sc = load_scenario(write_bytes(tmp_path, b"\xef\xbb\xbf" + BASE.encode(), "good.yaml"))
    assert sc.name == "small"


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ("x: " + "[" * 500 + "]" * 500 + "\n", "nested more than"),
        ("? [a, b]\n: 1\n", "a key must be a plain name"),
        ("x: &c [1, *c]\n", "refers to the value that contains it"),
        ("x: !!float abc\n", "cannot read this value"),
        ("x: !!timestamp abc\n", "not a valid date"),
        ("x: !!int 1:30\n", "cannot read this value"),
        ("x: !!python/object:os.system ls\n", "could not determine a constructor"),
        ("x: " + "9" * 5000 + "\n", "number too long"),
    ],
    ids=[
        "deep",
        "unhashable-key",
        "cycle",
        "float-tag",
        "timestamp-tag",
        "int-tag",
        "python-tag",
        "huge-int",
    ],  # fmt: skip
)
def test_yaml_that_used_to_raise(tmp_path: Path, extra: str, says: str) -> None:
    p = one_problem(write(tmp_path, BASE + extra))
    assert p.path.startswith("line "), p
    assert p.message.startswith("invalid YAML: ") and says in p.message


def test_billion_laughs_is_refused_before_expanding(tmp_path: Path) -> None:
    import time

    lol = 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
        f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]\n" for i in range(1, 10)
    )
    path = write(tmp_path, BASE + lol)
    assert path.stat().st_size < 1000
    started = time.perf_counter()
    p = one_problem(path)
    assert time.perf_counter() - started < 2
    assert "aliases expand to more than 1,000,000 values" in p.message


def test_large_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    p = one_problem(write(tmp_path, BASE + "# " + "x" * (2 * 2**20) + "\n"))
    assert p.message.startswith("the file is larger than 1 MiB")


def test_merge_keys_work(tmp_path: Path) -> None:
    early = "early: {<<: {start: '08:00', end: '16:00'}, end: '17:00', headcount: 18}"
    sc = load_scenario(write(tmp_path, variant(("day: {headcount: 18}", early)), "good.yaml"))
    assert sc.pools["agents"].shifts["early"].start == 8 * 3600
    assert sc.pools["agents"].shifts["early"].end == 17 * 3600  # the mapping's own key wins


@pytest.mark.parametrize(
    ("old", "new", "path", "says"),
    [
        ("headcount: 18", "headcount: yes", "pools.agents.shifts.day.headcount", "yes/no"),
        ("headcount: 18", "headcount: true", "pools.agents.shifts.day.headcount", "yes/no"),
        ("headcount: 18", "headcount: 1:30", "pools.agents.shifts.day.headcount", "base-60"),
        (
            "{per_day: 600}",
            "{per_day: 600, daily_cv: off}",
            "channels.phone.volume.daily_cv",
            "yes/no",
        ),
        ("start: 2026-03-02", "start: 0", "horizon.start", "expected a date"),
        ("start: 2026-03-02", "start: '1700000000'", "horizon.start", "expected a date"),
        ("start: 2026-03-02", "start: 0001-01-02", "horizon.start", "between 1900-01-01"),
        ("start: 2026-03-02", "start: 9999-12-30", "horizon.start", "and 2199-12-31"),
        ("{per_day: 600}", "{per_day: .inf}", "channels.phone.volume.per_day", "finite"),
        ("{per_day: 600}", "{per_day: 1e400}", "channels.phone.volume.per_day", "finite"),
        ("{per_day: 600}", "{per_day: .nan}", "channels.phone.volume.per_day", "finite"),
        ("{per_day: 600}", "{per_day: 1e9}", "channels.phone.volume.per_day", "10000000"),
        (
            "{per_day: 600}",
            "{per_day: 600, weekday_factors: {mon: .nan}}",
            "channels.phone.volume.weekday_factors.mon",
            "finite",
        ),
        (
            "{per_day: 600}",
            "{per_day: 600, weekday_factors: {sun: 700}}",
            "channels.phone.volume.weekday_factors",
            "between 0 and 10",
        ),
        (
            "{per_day: 600}",
            "{per_day: 600, hourly_profile: [" + ", ".join(["1e308"] * 24) + "]}",
            "channels.phone.volume.hourly_profile",
            "positive sum",
        ),
        ("cv: 0.8", "cv: 1e200", "channels.phone.handle_time.cv", "10"),
        ("mean: 5min, cv", "mean: 1e400s, cv", "channels.phone.handle_time.mean", "at most 366d"),
        ("mean: 5min, cv", "mean: 1e10d, cv", "channels.phone.handle_time.mean", "at most 366d"),
        (
            "{dist: exponential, mean: 5min}",
            "{dist: empirical, values: [1min], weights: [.nan]}",
            "channels.phone.patience.weights.0",
            "finite",
        ),
        (
            "{dist: exponential, mean: 5min}",
            "{dist: empirical, values: [1min, 2min], weights: [1e308, 1e308]}",
            "channels.phone.patience",
            "positive sum",
        ),
        (
            "{dist: exponential, mean: 5min}",
            "{dist: gamma, mean: 5min, cv: 1e200}",
            "channels.phone.patience.cv",
            "10",
        ),
    ],
    ids=[
        "yes",
        "true",
        "sexagesimal",
        "off",
        "date-0",
        "date-timestamp",
        "year-1",
        "year-9999",
        "inf",
        "1e400",
        "nan",
        "volume-bound",
        "nan-factor",
        "factor-bound",
        "profile-overflow",
        "cv-bound",
        "duration-inf",
        "duration-bound",
        "nan-weight",
        "weights-overflow",
        "gamma-cv",
    ],  # fmt: skip
)
def test_values_that_validated_and_then_crashed_or_lied(
    tmp_path: Path, old: str, new: str, path: str, says: str
) -> None:
    p = one_problem(write(tmp_path, variant((old, new))))
    assert p.path == path
    assert says in p.message, p.message
    assert "(got " in p.message


def test_a_goal_of_yes_is_not_100_percent(tmp_path: Path) -> None:
    for word in ("yes", "true", "on"):
        target = f"targets:\n  - {{channel: phone, within: 1min, goal: {word}}}\n"
        p = one_problem(write(tmp_path, BASE + target))
        assert p.path == "targets.0.goal" and "not a yes/no value" in p.message


def test_target_within_a_huge_duration_is_refused(tmp_path: Path) -> None:
    target = "targets:\n  - {channel: phone, within: 1e10d, goal: 0.8}\n"
    p = one_problem(write(tmp_path, BASE + target))
    assert p.path == "targets.0.within" and "at most 366d" in p.message


def test_yes_no_text_still_works_for_yes_no_fields(tmp_path: Path) -> None:
    text = variant(("channels: [phone]", "channels: [phone]\n    takes_vip: no"))
    assert load_scenario(write(tmp_path, text, "good.yaml")).pools["agents"].takes_vip is False


def test_more_channels_than_the_log_can_number(tmp_path: Path) -> None:
    lines = ["name: many", "horizon: {start: 2026-03-02, days: 1}", "channels:"]
    names = [f"c{i}" for i in range(128)]
    for n in names:
        lines.append(f"  {n}: {{kind: voice, volume: {{per_day: 1}}, "
                     "handle_time: {dist: constant, value: 1min}}")  # fmt: skip
    lines += [
        "pools:",
        f"  a: {{channels: [{', '.join(names)}], shifts: {{day: {{headcount: 1}}}}}}",
    ]
    problems, _ = problems_of(write(tmp_path, "\n".join(lines) + "\n"))
    assert [p.path for p in problems] == ["channels"]
    assert "at most 100 items" in problems[0].message


@pytest.mark.parametrize(
    ("clock", "meant"),
    [("8:30", "'08:30'"), ("8:30:00", "'08:30:00'"), ("23:59", "'23:59'")],
)
def test_unquoted_clock_hint_names_what_was_meant(tmp_path: Path, clock: str, meant: str) -> None:
    early = f"early: {{start: {clock}, end: '16:00', headcount: 18}}"
    p = one_problem(write(tmp_path, variant(("day: {headcount: 18}", early))))
    assert f"If you meant {meant[1:-1]}, write it quoted: {meant}" in p.message
    assert p.message.endswith(f"(got {clock})")


def test_unquoted_clock_with_a_leading_zero_is_text_in_both_yaml_versions(tmp_path: Path) -> None:
    early = "early: {start: 08:30, end: '16:00', headcount: 18}"
    sc = load_scenario(write(tmp_path, variant(("day: {headcount: 18}", early)), "good.yaml"))
    assert sc.pools["agents"].shifts["early"].start == 8.5 * 3600


def test_a_huge_wrong_value_is_quoted_short(tmp_path: Path) -> None:
    values = ", ".join(str(i) for i in range(5_000))  # its full repr is 30 kB
    p = one_problem(write(tmp_path, variant(("{per_day: 600}", f"{{per_day: [{values}]}}"))))
    assert len(p.message) < 200


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ("horizon.start=2026-02-30", "--set: horizon.start: invalid YAML: not a valid date"),
        ("horizon.days=[1,", "--set: horizon.days: invalid YAML:"),
        ("pools.agents.shifts.day.headcount=yes", "headcount: expected a number, not a yes/no"),
        ("horizon.days.x=3", "horizon.days.x: cannot set this path"),
    ],
)
def test_cli_set_values_are_read_like_the_file(tmp_path: Path, setting: str, says: str) -> None:
    path = write(tmp_path, BASE, "good.yaml")
    result = invoke("run", str(path), "--no-save", "-q", "-w", "1", "--set", setting)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)
    assert says in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


def failed_run(path: Path, *args: str) -> list[str]:
    """The lines of a run that must fail: exit code 1 through sys.exit, no traceback."""
    result = invoke("run", str(path), "--no-save", "-q", "-w", "1", *args)
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result.output.strip().splitlines()


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ("pools.agents.shifts.nigth.headcount=8",
         "pools.agents.shifts: no shift 'nigth' (shifts: day, night)"),
        ("pools.agnets.shifts.day.headcount=8", "pools: no pool 'agnets' (pools: agents)"),
        ("channels.phnoe.volume.per_day=500", "channels: no channel 'phnoe' (channels: phone)"),
        ("departments.tech.delay.mean=5min",
         "departments: no department 'tech' (departments: none)"),
    ],
)  # fmt: skip
def test_cli_set_through_a_name_that_is_not_there(tmp_path: Path, setting: str, says: str):
    # Not the fields a new entry of that name would lack (nigth.start, nigth.end).
    path = write(tmp_path, BASE, "good.yaml")
    assert failed_run(path, "--set", setting) == [f"--set {setting}: {says}"]


def test_compare_plan_through_a_name_that_is_not_there(tmp_path: Path) -> None:
    path = write(tmp_path, BASE, "good.yaml")
    result = invoke("compare", str(path), "-r", "1", "-q", "-w", "1",
                    "--plan", "typo: pools.agents.shifts.nigth.headcount=8")  # fmt: skip
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    # Labelled with the plan that gave the value, not as a --set the user never wrote.
    assert result.output.strip().splitlines() == [
        "--plan typo: pools.agents.shifts.nigth.headcount=8: pools.agents.shifts: no shift "
        "'nigth' (shifts: day, night)"
    ]


def test_set_can_still_add_keys_and_entries(tmp_path: Path) -> None:
    path = write(tmp_path, BASE, "good.yaml")
    sc = load_scenario(path, {
        "channels.phone.bot.containment": 0.3,  # an optional field the file leaves out
        "pools.agents.absence": 0.1,
        "pools.agents.shifts.evening.headcount": 4,  # a new shift, complete with default times
        "pools.agents.shifts.early": {"start": "06:00", "end": "14:00", "headcount": 2},
        "pools.agents.shifts.late.start": "14:00",  # a new shift, field by field
        "pools.agents.shifts.late.end": "20:00",
        "pools.agents.shifts.late.headcount": 1,
    })  # fmt: skip
    assert sc.channels["phone"].bot is not None and sc.channels["phone"].bot.containment == 0.3
    shifts = sc.pools["agents"].shifts
    assert sc.pools["agents"].absence == 0.1 and shifts["evening"].headcount == 4
    assert (shifts["early"].start, shifts["late"].end) == (6 * 3600, 20 * 3600)


def test_scenario_set_through_a_name_that_is_not_there(tmp_path: Path) -> None:
    sc = load_scenario(write(tmp_path, BASE, "good.yaml"))
    with pytest.raises(ScenarioError) as info:
        sc.set("pools.agents.shifts.nigth.headcount", 5)
    assert str(info.value) == "<small>: pools.agents.shifts: no shift 'nigth' (shifts: day, night)"


@pytest.mark.parametrize(
    ("args", "lines"),
    [
        (("--set", "pools.agents.shifts.day.headcount=-3"),
         ["--set pools.agents.shifts.day.headcount=-3: pools.agents.shifts.day.headcount: "
          "input should be greater than or equal to 0 (got -3)"]),
        (("--set", "staffing.bounds={agents.night: [5]}"),
         ["--set staffing.bounds={agents.night: [5]}: staffing.bounds.agents.night: "
          "needs [low, high] (got [5])"]),
        # a rule across fields of the value set (the shift ends at 08:00 by default)
        (("--set", "pools.agents.shifts.night.start='08:00'"),
         ["--set pools.agents.shifts.night.start='08:00': pools.agents.shifts.night: a shift "
          "cannot start and end at the same time; for a 24-hour shift write start: '00:00', "
          "end: '24:00' (got {'end': '08:00', 'headcount': 3, 'start': '08:00'})"]),
        # a required field of what the --set created
        (("--set", "channels.phone.bot.counts_as_first_response=true"),
         ["--set channels.phone.bot.counts_as_first_response=true: channels.phone.bot."
          "containment: required field is missing"]),
        (("--days", "5000"),
         ["--days 5000: horizon.days: input should be less than or equal to 3660 (got 5000)"]),
        (("--volume", "1e5"),
         ["--volume 100000: channels.phone.volume.per_day: input should be less than or "
          "equal to 10000000 (got 60000000.0)"]),
        (("--volume", "phone=1e5"),
         ["--volume phone=100000: channels.phone.volume.per_day: input should be less than or "
          "equal to 10000000 (got 60000000.0)"]),
    ],
)  # fmt: skip
def test_cli_bad_values_given_on_the_command_line_name_the_option(
    tmp_path: Path, args: tuple[str, ...], lines: list[str]
) -> None:
    path = write(tmp_path, BASE, "good.yaml")
    assert failed_run(path, *args) == lines


def test_cli_problems_of_the_file_still_name_the_file(tmp_path: Path) -> None:
    night = "night: {start: '06:00', end: '06:00', headcount: 3}"
    path = write(tmp_path, variant(("headcount: 18", "headcount: -1"),
                                   ("night: {headcount: 3}", night)))  # fmt: skip
    lines = failed_run(path, "--set", "pools.agents.shifts.night.headcount=4",
                       "--set", "channels.phone.volume.per_day=-5")  # fmt: skip
    assert sorted(lines) == sorted([
        "--set channels.phone.volume.per_day=-5: channels.phone.volume.per_day: input should "
        "be greater than 0 (got -5)",
        f"{path}: pools.agents.shifts.day.headcount: input should be greater than or equal "
        "to 0 (got -1)",
        # the shift holds the --set value, but the file's start and end are what is wrong
        f"{path}: pools.agents.shifts.night: a shift cannot start and end at the same time; "
        "for a 24-hour shift write start: '00:00', end: '24:00' "
        "(got {'end': '06:00', 'headcount': 4, 'start': '06:00'})",
    ])  # fmt: skip


@pytest.mark.parametrize("bound", ["[5]", "[1, 2, 3]", "5", "'1-5'"])
def test_a_staffing_bound_needs_low_and_high(tmp_path: Path, bound: str) -> None:
    path = write(tmp_path, BASE + f"staffing: {{bounds: {{agents.night: {bound}}}}}\n")
    result = invoke("validate", str(path))
    assert_clean_failure(result, path)
    assert result.output.strip().splitlines() == [
        f"{path}: staffing.bounds.agents.night: needs [low, high] (got {bound})"
    ]


@pytest.mark.parametrize(
    "data",
    [
        BASE.encode("utf-16"),
        BASE.replace("small", "sm\xe4ll").encode("latin-1"),
        (BASE + "x: " + "[" * 500 + "]" * 500 + "\n").encode(),
        (BASE + "? [a, b]\n: 1\n").encode(),
        BASE.replace("per_day: 600", "per_day: 1e400").encode(),
    ],
    ids=["utf-16", "latin-1", "deep", "unhashable", "inf"],
)
def test_cli_validate_never_shows_a_traceback(tmp_path: Path, data: bytes) -> None:
    path = write_bytes(tmp_path, data)
    result = invoke("validate", str(path))
    assert_clean_failure(result, path)
    assert all(line.startswith(f"{path}: ") for line in result.output.strip().splitlines())


# -- the command line's other surfaces (issue 15) --------------------------------------------


def test_dask_scheduler_without_the_dask_extra(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if not installed
    monkeypatch.setenv("DASK_SCHEDULER", "tcp://127.0.0.1:8786")
    path = write(tmp_path, BASE, "good.yaml")
    for args in (["run", str(path), "--no-save", "-q"], ["check", str(path), "-r", "2"]):
        result = invoke(*args)
        assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
        assert result.output.startswith("tcp://127.0.0.1:8786: running on a Dask cluster")
        assert "pip install 'shiftsim[dask]'" in result.output


def test_compare_refuses_plans_of_different_periods(tmp_path: Path) -> None:
    first = write(tmp_path, BASE, "a.yaml")
    longer = write(tmp_path, variant(("days: 2", "days: 3")), "b.yaml")
    result = invoke("compare", str(first), str(longer), "-r", "2", "-q", "-w", "1")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.output.startswith(f"{longer}: horizon: differs from {first}'s")
    what_if = invoke("compare", str(first), "--plan", "long: horizon.days=3", "-r", "2", "-q")
    assert what_if.exit_code == 1 and what_if.output.startswith("--plan long: horizon: differs")


def test_a_run_too_large_for_this_machine_is_refused_up_front(tmp_path: Path, monkeypatch):
    import shiftsim.analysis.runner as runner

    monkeypatch.setattr(runner, "memory_limit", lambda: (300e6, "this machine has"))
    path = write(tmp_path, BASE, "good.yaml")
    result = invoke("run", str(path), "--no-save", "-q", "-w", "1", "-r", "2")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.output.startswith(f"{path}: this run needs about ")
    assert "and this machine has 286 MiB" in result.output and "--no-size-check" in result.output
    forced = invoke("run", str(path), "--no-save", "-q", "-w", "1", "-r", "2", "--no-size-check")
    assert forced.exit_code == 0, forced.output


def test_more_contacts_than_a_replication_can_hold(tmp_path: Path) -> None:
    path = write(tmp_path, variant(("{per_day: 600}", "{per_day: 1e7}"), ("days: 2", "days: 300")))
    assert load_scenario(path).horizon.days == 300  # a valid file...
    result = invoke("run", str(path), "--no-save", "-q", "--no-size-check")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.output.startswith(f"{path}: about 3,000,000,000 contact attempts per")


def test_size_estimate_is_an_upper_bound_of_the_contacts(tmp_path: Path) -> None:
    from shiftsim.analysis.runner import estimate_size, replicate

    sc = load_scenario(SCENARIOS[0].with_name("holiday.yaml"), {"horizon.days": 2})
    size = estimate_size(sc)
    metrics, _ = replicate(sc, 0)
    assert 0.8 * size.contacts <= metrics.n_contacts <= 1.3 * size.contacts


def test_running_out_of_memory_is_a_message(tmp_path: Path, monkeypatch) -> None:
    import shiftsim.analysis.runner as runner

    def exhausted(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(runner, "replicate", exhausted)
    path = write(tmp_path, BASE, "good.yaml")
    result = invoke("run", str(path), "--no-save", "-q", "-w", "1")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert result.output.startswith("out of memory")


def test_set_names_a_staffing_bound_or_cost_by_pool_and_shift() -> None:
    # `--set staffing.bounds.frontline.night=[1,5]` split the key "frontline.night"
    # at its dot, so bounds and costs could only be set as a whole mapping (a review).
    from shiftsim.model.loading import load_scenario

    sc = load_scenario("scenarios/minimal.yaml", {"staffing.bounds.agents.night": [1, 5],
                                                  "staffing.cost.agents.day": 12})  # fmt: skip
    assert sc.staffing.bounds == {"agents.night": (1, 5)}
    assert sc.staffing.cost == {"agents.day": 12.0}
