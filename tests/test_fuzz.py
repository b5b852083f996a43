"""Fuzzed scenario files: exit 0 or 1, never a traceback, every error line names the file.

Hypothesis mutates the shipped scenarios (see tests/fuzzing.py): nasty values,
broken YAML, other encodings, flipped and cut bytes. ``validate`` runs in
this process through click's CliRunner (a thousand files in the slow tier);
files that validate are run for a day, and a few of them as real processes.
``tests/fuzz_corpus.py`` does the same for a corpus run as real processes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fuzzing import ENCODINGS, KEYS, NASTY, PLAUSIBLE, SCALES, SHIPPED, apply, check_output
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shiftsim.cli import main

numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
)
snippets = st.one_of(
    st.sampled_from(NASTY),
    st.sampled_from(PLAUSIBLE),
    numbers,
    st.text(max_size=12),  # anything, control characters included
)
scaled = st.tuples(st.just("scale"), st.integers(0, 10_000), st.sampled_from(SCALES))
operations = st.one_of(
    st.tuples(st.just("value"), st.integers(0, 10_000), snippets),
    scaled,
    st.tuples(st.sampled_from(["delete", "duplicate"]), st.integers(0, 10_000)),
    st.tuples(st.just("indent"), st.integers(0, 10_000), st.sampled_from([-4, -2, -1, 1, 2])),
    st.tuples(st.just("key"), st.integers(0, 10_000), st.sampled_from(KEYS), snippets),
    st.tuples(st.just("nest"), st.sampled_from([10, 39, 41, 500, 5000])),
    st.tuples(st.just("laughs"), st.integers(2, 12), st.integers(2, 12)),
    st.tuples(st.just("encoding"), st.sampled_from(ENCODINGS)),
    st.tuples(st.just("bytes"), st.integers(0, 10_000), st.binary(min_size=1, max_size=4)),
    st.tuples(st.just("truncate"), st.integers(0, 10_000)),
)
mutations = st.tuples(
    st.sampled_from(sorted(SHIPPED)), st.lists(operations, min_size=1, max_size=4)
)
# Value changes only: files that still validate more often, to be run.
gentle = st.tuples(
    st.sampled_from(sorted(SHIPPED)),
    st.lists(
        st.one_of(
            st.tuples(st.just("value"), st.integers(0, 10_000), st.sampled_from(PLAUSIBLE)),
            scaled,
        ),
        min_size=1,
        max_size=3,
    ),
)

FUZZ = settings(
    deadline=None,
    database=None,
    derandomize=True,  # the same files every run: a failure is reproducible
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _validate(tmp_path: Path, mutation: tuple[str, list[tuple[Any, ...]]]) -> tuple[Path, int]:
    name, ops = mutation
    path = tmp_path / f"fuzzed-{name}"
    path.write_bytes(apply(name, ops))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        ops,
        result.exception,
    )
    check_output(path, result.exit_code, result.output)
    if result.exit_code == 0:
        assert result.output.startswith(f"{path}: OK ("), result.output
    return path, result.exit_code


def _small_enough(path: Path) -> bool:
    """Files whose one-day run is quick (the fuzzed volumes can be ten million a day)."""
    from shiftsim.analysis.runner import estimate_size
    from shiftsim.model.loading import load_scenario

    sc = load_scenario(path, {"horizon.days": 1, "replications": 1})
    size = estimate_size(sc)
    return size.contacts < 30_000 and size.agent_days < 50_000


RUN = ["--days", "1", "-r", "1", "-w", "1", "--no-save", "-q"]


@settings(FUZZ, max_examples=25)
@given(mutation=mutations)
def test_validate_never_crashes_quick(tmp_path_factory, mutation) -> None:
    _validate(tmp_path_factory.mktemp("fuzz"), mutation)


@pytest.mark.slow
@settings(FUZZ, max_examples=1000)
@given(mutation=mutations)
def test_validate_never_crashes(tmp_path_factory, mutation) -> None:
    _validate(tmp_path_factory.mktemp("fuzz"), mutation)


@pytest.mark.slow
@settings(FUZZ, max_examples=80)
@given(mutation=gentle)
def test_a_valid_file_runs(tmp_path_factory, mutation) -> None:
    path, code = _validate(tmp_path_factory.mktemp("fuzz"), mutation)
    if code != 0 or not _small_enough(path):
        return
    result = CliRunner().invoke(main, ["run", str(path), *RUN])
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        mutation,
        result.exception,
    )
    assert result.exit_code == 0, (mutation, result.output)


@pytest.mark.slow
@settings(FUZZ, max_examples=8)
@given(mutation=st.one_of(gentle, mutations))
def test_real_processes_never_show_a_traceback(tmp_path_factory, mutation) -> None:
    name, ops = mutation
    path = tmp_path_factory.mktemp("fuzz") / f"fuzzed-{name}"
    path.write_bytes(apply(name, ops))
    cmd = [sys.executable, "-c", "from shiftsim.cli import main; main()", "run", str(path), *RUN]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    check_output(path, done.returncode, done.stderr)
    assert done.returncode == 1 or "Response targets" in done.stdout or done.stdout, done.stderr
