"""Wall time and request count of a full default `check` run: in-process vs loopback.

Targets (2-core machine): under 5 s in-process and under 10 s over loopback uvicorn.
Both variants run alternately in one process, so the medians are side by side.

    python bench/bench_check.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time

from conformance.registry import catalogue
from conformance.runner import RunReport, run_checks
from conformance.serving import ServerThread
from conformance.target import asgi_target, url_target
from reference_app import build_config, create_app

KEY = "bench-key-0123456789abcdef"


def _app() -> object:
    return create_app(build_config(environ={"ENVIRONMENT_API_KEY": KEY}))


def _timed(run: object) -> tuple[float, RunReport]:
    started = time.perf_counter()
    report = run()  # type: ignore[operator]
    return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of each variant (default 5)")
    args = parser.parse_args()
    checks = catalogue()
    times: dict[str, list[float]] = {"in-process": [], "loopback": []}
    requests: dict[str, int] = {}
    with ServerThread(_app()) as server:
        for _ in range(args.repeat):
            for name, target in (
                ("in-process", asgi_target(_app(), KEY, "bench")),
                ("loopback", url_target(server.url, KEY)),
            ):
                elapsed, report = _timed(lambda t=target: run_checks(t, checks))
                assert report.conforms, f"{name}: the reference app must conform"
                times[name].append(elapsed)
                requests[name] = report.requests_sent
    print(f"full default run, {len(checks)} checks, median of {args.repeat} (min..max):")
    for name, values in times.items():
        print(
            f"  {name:<11} {statistics.median(values):6.2f} s"
            f"  ({min(values):.2f}..{max(values):.2f})"
            f"  {requests[name]} requests"
        )
    ratio = statistics.median(times["loopback"]) / statistics.median(times["in-process"])
    print(f"  loopback / in-process: {ratio:.2f}x")


if __name__ == "__main__":
    main()
