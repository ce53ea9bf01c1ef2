"""What the behaviour phase (DET, RWD, LOAD, MF) adds to a default `check` run.

Runs the whole default command, `taskapp-conformance check` against the embedded reference
app, as users run it (a fresh process, fuzzing on), alternately with and without the
behaviour checks (`--ignore behaviour`), and prints the medians side by side: the process's
wall time, the run's own duration, the CPU time it used, and the requests it sent; then
each behaviour check's own time and what LOAD-1 measured.

Budget (2-core machine, otherwise idle): the whole default run under 10 s.

    python bench/bench_behaviour.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BEHAVIOUR_AREAS = ("DET", "RWD", "LOAD", "MF")
BUDGET_S = 10.0


def _cli() -> list[str]:
    return [sys.executable, "-c", "from conformance.cli import main; main()"]


def _run(extra: list[str]) -> tuple[float, float, dict[str, Any]]:
    """(wall s, CPU s of the child, the JSON report) of one `check` process."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [*_cli(), "check", "-q", "--json", str(report), *extra],
            capture_output=True,
            text=True,
            env={**os.environ, "NO_COLOR": "1"},
            check=False,
        )
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"check {' '.join(extra)} exited {done.returncode}:\n{done.stdout}")
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        return wall, cpu, json.loads(report.read_text())


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s ({min(values):.2f}..{max(values):.2f})"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of each variant (default 5)")
    args = parser.parse_args()
    variants = {"without behaviour": ["--ignore", "behaviour"], "default (with it)": []}
    figures: dict[str, dict[str, list[float]]] = {
        name: {"wall": [], "run": [], "cpu": [], "requests": []} for name in variants
    }
    per_check: dict[str, list[float]] = {}
    load: list[dict[str, Any]] = []
    for _ in range(args.repeat):
        for name, extra in variants.items():
            wall, cpu, report = _run(extra)
            for key, value in (
                ("wall", wall),
                ("run", report["duration_s"]),
                ("cpu", cpu),
                ("requests", report["requests_sent"]),
            ):
                figures[name][key].append(value)
            for result in report["checks"]:
                if result["area"] in BEHAVIOUR_AREAS:
                    per_check.setdefault(result["id"], []).append(result["duration_s"])
            load += report.get("latency", [])
    print(f"default in-process check (fuzzing on), median of {args.repeat} (min..max):")
    for name, values in figures.items():
        print(
            f"  {name:<18} process {_median(values['wall'])}  run {_median(values['run'])}"
            f"  CPU {_median(values['cpu'])}  {statistics.median(values['requests']):.0f} requests"
        )
    base, full = figures["without behaviour"], figures["default (with it)"]
    for key, label in (("wall", "process wall"), ("run", "run duration"), ("cpu", "CPU time")):
        added = statistics.median(full[key]) - statistics.median(base[key])
        print(f"  behaviour phase adds {added:+.2f} s of {label}")
    worst = max(full["wall"])
    verdict = "within" if worst < BUDGET_S else "OVER"
    print(f"  slowest default run {worst:.2f} s: {verdict} the {BUDGET_S:g} s budget")
    print("behaviour checks' own time, median (each runs beside others, 4 at once):")
    for check_id, durations in per_check.items():
        print(f"  {check_id:<7} {_median(durations)}")
    for table in load[:1]:
        print(f"LOAD-1, first run: {table['note']}")
        for run in table["runs"]:
            print(
                f"  {run['label']:<20} wall {run['wall_s']:.2f} s  p50 {run['p50_s']:.2f} s  "
                f"p95 {run['p95_s']:.2f} s  {run['throughput']:.1f}/s  {run['errors']} errors"
            )


if __name__ == "__main__":
    main()
