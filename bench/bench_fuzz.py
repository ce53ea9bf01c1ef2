"""Benchmark: Schemathesis fuzzing of the in-process reference app (issue #5).

Prints the cases run, the seconds taken and the cases per second, and fails (exit 1) if
any case failed or fewer than `--min-cases` ran.

    python bench/bench_fuzz.py [--examples 500] [--seed 0] [--min-cases 2000]
"""

from __future__ import annotations

import argparse
import sys

from conformance.fuzz import run_fuzz
from conformance.target import embedded_target


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=500, help="cases per operation and phase")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=float, default=900.0, help="seconds")
    parser.add_argument("--min-cases", type=int, default=2000)
    args = parser.parse_args(argv)
    report = run_fuzz(
        embedded_target(), examples=args.examples, seed=args.seed, budget_s=args.budget
    )
    print(f"cases:       {report.cases}")
    print(f"seconds:     {report.duration_s:.1f}")
    print(f"cases/s:     {report.cases_per_second:.1f}")
    print(f"failures:    {len(report.failures)}")
    print(f"by phase:    {report.cases_by_phase}")
    print(f"statuses:    {report.statuses}")
    print(f"fingerprint: {report.fingerprint[:16]}")
    for failure in report.failures:
        print(failure.render())
    return 0 if report.passed and report.cases >= args.min_cases else 1


if __name__ == "__main__":
    sys.exit(main())
