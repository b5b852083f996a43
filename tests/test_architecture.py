"""The layout holds: layers import only downwards, the engine stays free of the schema stack."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_layers_import_only_downwards() -> None:
    # import-linter reads the contracts in pyproject.toml ([tool.importlinter]).
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_engine_imports_neither_schema_nor_dataframes() -> None:
    code = (
        "import sys, shiftsim.sim.engine, shiftsim.sim.replication\n"
        "heavy = ('pydantic', 'yaml', 'pandas', 'matplotlib', 'scipy')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_a_run_and_its_console_output_do_not_import_scipy_stats() -> None:
    # scipy.stats costs about 50 MB and a third of a second; the intervals and the
    # comparisons take their quantiles from scipy.special (analysis.statistics).
    code = (
        "import sys, shiftsim.cli.run, shiftsim.outputs.console, shiftsim.analysis.comparison\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
