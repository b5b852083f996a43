"""Run a corpus of mutated scenario files through real ``shiftsim`` processes.

Each file is a shipped scenario damaged by one to four random operations
(tests/fuzzing.py: nasty values, broken YAML, other encodings, flipped and cut
bytes, deep nesting, alias bombs). Every file is validated in a process of
its own, and every file that validates is run for one day and one
replication. A process passes when it exits with 0 or 1, shows no traceback,
names the file on every error line, ends within the time limit and stays
under the memory limit (its address space is capped, as ``ulimit -v`` does,
and its peak resident memory is measured)::

    .venv/bin/python tests/fuzz_corpus.py --files 1000 --jobs 2

Prints a summary and writes it as JSON (``--summary``); exit code 1 if any
process failed. The corpus is written to ``--corpus`` (kept for inspection).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fuzzing import SHIPPED, apply, gentle_ops, random_ops  # noqa: E402

MEMORY_LIMIT = 4 * 2**30


def _command(*args: str) -> list[str]:
    script = Path(sys.executable).with_name("shiftsim")
    head = [str(script)] if script.exists() else [sys.executable, "-m", "shiftsim.cli"]
    return [*head, *args]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_one(args: list[str], timeout: float) -> dict:
    """Run one shiftsim process; its exit code, output, time and peak memory."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        proc = subprocess.Popen(
            _command(*args),
            stdout=out,
            stderr=err,
            preexec_fn=_limit_memory,
            cwd=tempfile.gettempdir(),
        )
        deadline = started + timeout
        status = rusage = None
        while status is None:
            pid, st, ru = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                status, rusage = st, ru
            elif time.monotonic() > deadline:
                proc.kill()
                _, status, rusage = os.wait4(proc.pid, 0)
                status = None
                break
            else:
                time.sleep(0.02)
        proc.returncode = os.waitstatus_to_exitcode(status) if status is not None else -9
        out.seek(0)
        err.seek(0)
        return {
            "code": proc.returncode if status is not None else "timeout",
            "seconds": round(time.monotonic() - started, 2),
            "peak_mib": round(rusage.ru_maxrss / 1024, 1) if rusage else None,
            "stdout": out.read().decode(errors="replace"),
            "stderr": err.read().decode(errors="replace"),
        }


def problems(path: Path, outcome: dict) -> list[str]:
    """What is wrong with one process's outcome (nothing, for a pass)."""
    found = []
    code = outcome["code"]
    if code not in (0, 1):
        found.append(f"exit code {code}")
    if "Traceback" in outcome["stderr"] or "Traceback" in outcome["stdout"]:
        found.append("traceback")
    lines = [line for line in outcome["stderr"].splitlines() if line.strip()]
    if code == 1 and (not lines or any(not line.startswith(f"{path}: ") for line in lines)):
        found.append("an error line that does not start with the file name")
    if outcome["peak_mib"] is not None and outcome["peak_mib"] * 2**20 >= MEMORY_LIMIT:
        found.append(f"peak memory {outcome['peak_mib']} MiB")
    return found


def check_file(path: Path, timeout: float) -> dict:
    record: dict = {"file": path.name}
    validated = run_one(["validate", str(path)], timeout)
    record["validate"] = {k: validated[k] for k in ("code", "seconds", "peak_mib")}
    record["problems"] = [f"validate: {p}" for p in problems(path, validated)]
    if validated["code"] == 1:
        record["message"] = validated["stderr"].splitlines()[0][len(str(path)) + 2 :][:120]
    if validated["code"] == 0:
        ran = run_one(
            ["run", str(path), "--days", "1", "-r", "1", "-w", "1", "--no-save", "-q"], timeout
        )
        record["run"] = {k: ran[k] for k in ("code", "seconds", "peak_mib")}
        record["problems"] += [f"run: {p}" for p in problems(path, ran)]
        if ran["code"] == 1:
            record["run_message"] = ran["stderr"].splitlines()[0][len(str(path)) + 2 :][:120]
    if record["problems"]:
        record["stderr"] = (validated["stderr"] + (ran["stderr"] if "run" in record else ""))[
            -2000:
        ]
    return record


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument(
        "--gentle", type=int, default=300, help="more files with numbers scaled only (to be run)"
    )
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "corpus")
    parser.add_argument("--summary", type=Path, default=None)
    args = parser.parse_args()

    args.corpus.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(args.files + args.gentle):
        rng = random.Random(args.seed * 1_000_003 + i)
        name = rng.choice(sorted(SHIPPED))
        path = args.corpus / f"{i:04d}-{name}"
        path.write_bytes(apply(name, random_ops(rng) if i < args.files else gentle_ops(rng)))
        paths.append(path)

    started = time.monotonic()
    records = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for n, record in enumerate(pool.map(lambda p: check_file(p, args.timeout), paths), 1):
            records.append(record)
            if record["problems"]:
                print(f"FAIL {record['file']}: {'; '.join(record['problems'])}", flush=True)
            if n % 50 == 0:
                print(f"{n}/{len(paths)} files, {time.monotonic() - started:.0f} s", flush=True)

    failed = [r for r in records if r["problems"]]
    runs = [r for r in records if "run" in r]
    peaks = [r[k]["peak_mib"] for r in records for k in ("validate", "run") if k in r]
    messages = Counter(r.get("message", "").split(" (got ")[0] for r in records if "message" in r)
    summary = {
        "files": len(records),
        "processes": len(records) + len(runs),
        "validate_ok": sum(r["validate"]["code"] == 0 for r in records),
        "validate_refused": sum(r["validate"]["code"] == 1 for r in records),
        "runs": len(runs),
        "runs_ok": sum(r["run"]["code"] == 0 for r in runs),
        "runs_refused": sum(r["run"]["code"] == 1 for r in runs),
        "failed": len(failed),
        "peak_mib_max": max(peaks, default=None),
        "seconds_max": max(
            (r[k]["seconds"] for r in records for k in ("validate", "run") if k in r), default=None
        ),
        "wall_seconds": round(time.monotonic() - started),
        "most_common_refusals": messages.most_common(25),
        "run_refusals": Counter(
            r["run_message"].split(" (got ")[0] for r in runs if "run_message" in r
        ).most_common(10),  # fmt: skip
        "failures": failed,
    }
    text = json.dumps(summary, indent=2, default=str)
    if args.summary:
        args.summary.write_text(text)
    print(text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
