"""Regenerate the validation table of README.md.

Runs every case of :mod:`shiftsim.planning.theory_cases` (the same cases, seeds and sizes
as ``tests/test_validation.py``) and replaces the text between the
``<!-- validation:start -->`` and ``<!-- validation:end -->`` markers of the
README with the table of closed forms against simulated intervals.

Usage::

    .venv/bin/python scripts/validation_table.py            # all cores
    .venv/bin/python scripts/validation_table.py -w 1       # serial
    .venv/bin/python scripts/validation_table.py --print    # print, leave README alone

The numbers do not depend on the number of workers. Exit code 1 if a case
disagrees with its closed form, has an uninformative interval, or a perturbed
case is not rejected (the table is written anyway, showing which).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from pathlib import Path

from shiftsim.planning.theory_cases import (
    CASES,
    PERTURBED,
    Agreement,
    Case,
    compare,
    markdown_tables,
    replace_between_markers,
    simulate,
)

README = Path(__file__).resolve().parents[1] / "README.md"


def run_all(cases: tuple[Case, ...], executor: Executor | None) -> list[Agreement]:
    out: list[Agreement] = []
    for case in cases:
        started = time.perf_counter()
        rows = compare(case, simulate(case, executor))
        print(
            f"{case.key}: {case.contacts / 1e6:.2f}M contacts, "
            f"{time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        out += rows
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "-w", "--workers", type=int, default=len(os.sched_getaffinity(0)),
        help="worker processes (default: all cores)",
    )  # fmt: skip
    parser.add_argument("--readme", type=Path, default=README, help="file with the markers")
    parser.add_argument("--print", action="store_true", help="print the table, do not write")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    if args.workers > 1:
        with ProcessPoolExecutor(max_workers=args.workers) as pool:
            results, perturbed = run_all(CASES, pool), run_all(PERTURBED, pool)
    else:
        results, perturbed = run_all(CASES, None), run_all(PERTURBED, None)
    print(f"all cases: {time.perf_counter() - started:.0f} s", file=sys.stderr)

    table = markdown_tables(results, perturbed)
    if args.print:
        print(table)
    else:
        text = args.readme.read_text(encoding="utf-8")
        args.readme.write_text(replace_between_markers(text, table), encoding="utf-8")
        print(f"wrote the validation table to {args.readme}", file=sys.stderr)

    problems = [f"{a.case.key} {a.quantity}: disagrees" for a in results if not a.agrees]
    problems += [f"{a.case.key} {a.quantity}: interval too wide" for a in results
                 if not a.informative]  # fmt: skip
    problems += [
        f"{a.case.key} {a.quantity}: perturbed model not rejected"
        for a in perturbed
        if a.quantity in a.case.must_reject and a.agrees
    ]
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
