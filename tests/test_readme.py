"""Every command of the README runs as written, in a fresh virtual environment.

The session fixture copies the repository to a temporary folder and builds
``.venv`` there, as the quick start does, but offline and in seconds: a venv
that sees this project's installed dependencies (a ``.pth`` file naming the
repository's ``.venv`` site-packages, without running its editable hook) with
shiftsim installed editable from the copy (``pip install --no-deps
--no-build-isolation -e .``). Each fenced ``bash`` command then runs in the
copy with only that venv's ``bin`` added to ``PATH`` (not this one's), and
each ``python`` block with the venv's interpreter.

Setup lines the fixture does itself, and blocks that cannot run here, are
skipped by name below, each with its reason; any other block found in the
README must run, so a new example cannot slip in untested.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

# Lines of the quick start that the fixture performs (or that must not run here).
SETUP_LINES = {
    "python3 -m venv .venv && .venv/bin/pip install -q -e .": "the fixture builds .venv",
    "bash scripts/test.sh": "runs this very test suite",
}
# Sections whose blocks are not user commands that can run in a test.
SKIPPED_SECTIONS = {
    "Development": "developer tooling (ruff, mypy, pytest itself); CI runs it",
    "From logs: measure and fit": "a synopsis with placeholders (LOG..., MAPPING.yaml)",
    "Worked example: the Anonymous Bank": "needs the bank's logs, not in the repository",
}

pytestmark = pytest.mark.slow


def blocks() -> list[tuple[str, str, str]]:
    """(section heading, language, code) of every fenced bash or python block."""
    out = []
    section = ""
    lines = README.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#") and not line.startswith("#!"):
            section = line.lstrip("#").strip()
        fence = re.match(r"```(\w*)\s*$", line)
        if fence:
            lang, body = fence.group(1), []
            i += 1
            while not lines[i].startswith("```"):
                body.append(lines[i])
                i += 1
            if lang in ("bash", "python"):
                out.append((section, lang, "\n".join(body)))
        i += 1
    return out


def commands(code: str) -> list[str]:
    """The commands of a bash block: comments and blank lines dropped, ``\\`` lines joined."""
    out, current = [], ""
    for raw in code.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        current += line[:-1] + " " if line.endswith("\\") else line
        if not line.endswith("\\"):
            out.append(current.strip())
            current = ""
    return out


def runnable() -> list[tuple[str, str, str]]:
    """(section, language, command or code) to run, in README order."""
    out = []
    for section, lang, code in blocks():
        if section in SKIPPED_SECTIONS:
            continue
        if lang == "python":
            out.append((section, lang, code))
            continue
        out += [(section, lang, c) for c in commands(code) if c not in SETUP_LINES]
    return out


def test_the_skips_are_still_in_the_readme() -> None:
    sections = {s for s, _, _ in blocks()}
    assert set(SKIPPED_SECTIONS) <= sections, set(SKIPPED_SECTIONS) - sections
    quick = {c for s, lang, code in blocks() if s == "Quick start" for c in commands(code)}
    assert set(SETUP_LINES) <= quick
    assert len(runnable()) >= 12  # the quick start, the other commands and the Python block


@pytest.fixture(scope="session")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A copy of the repository with its own .venv, and the environment of a fresh shell."""
    repo = tmp_path_factory.mktemp("readme") / "shiftsim"
    ignore = shutil.ignore_patterns(".venv", ".git", "results", "__pycache__", "*.egg-info",
                                    ".mypy_cache", ".ruff_cache", ".pytest_cache")  # fmt: skip
    shutil.copytree(ROOT, repo, ignore=ignore)
    venv = repo / ".venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    purelib = sysconfig.get_path("purelib")  # this environment's site-packages
    site = venv / "lib" / f"python{sys.version_info.major}.{sys.version_info.minor}"
    (site / "site-packages" / "readme-test-deps.pth").write_text(purelib + "\n")
    python = venv / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e",
         str(repo)],
        check=True, cwd=repo, capture_output=True,
    )  # fmt: skip
    here = str(Path(sys.executable).parent)
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if p and p != here]
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env |= {"PATH": os.pathsep.join([str(venv / "bin"), *path]), "MPLBACKEND": "Agg"}
    found = subprocess.run([str(python), "-c", "import shiftsim; print(shiftsim.__file__)"],
                           capture_output=True, text=True, check=True, env=env)  # fmt: skip
    assert found.stdout.strip().startswith(str(repo)), found.stdout  # the copy, not this tree
    return repo, env


def test_every_readme_command_runs_as_written(fresh: tuple[Path, dict[str, str]]) -> None:
    repo, env = fresh
    which = subprocess.run(["bash", "-c", "command -v shiftsim"], capture_output=True,
                           text=True, env=env, cwd=repo, check=False)  # fmt: skip
    assert which.stdout.strip() == str(repo / ".venv" / "bin" / "shiftsim")
    for section, lang, code in runnable():
        if lang == "python":
            argv = [str(repo / ".venv" / "bin" / "python"), "-c", code]
        else:
            argv = ["bash", "-c", code]
        proc = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True,
                              timeout=900, check=False)  # fmt: skip
        detail = f"[{section}] {code}\n--- stdout\n{proc.stdout[-3000:]}\n--- stderr\n"
        assert proc.returncode == 0, detail + proc.stderr[-3000:]
        assert "Traceback" not in proc.stdout + proc.stderr, detail + proc.stderr[-3000:]
    # What the commands say they write is there.
    assert (repo / "results" / "baseline" / "report.html").is_file()
    assert (repo / "run.json").read_text().lstrip().startswith("{")
