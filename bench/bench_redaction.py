"""What hiding the key costs: every string of a report goes through a `Redactor` once,
where the runner makes it; the renderers trust the report.

The report is a real one: the full catalogue against an app that echoes the key,
uppercased, in a header of every answer and in an HTML page for every rejection (so
failure blocks quote bodies). The script prints

- `RunSession.report`: assembling the report, redacting the labels, the learned profile,
  the latency tables and the catalogue's words (findings were redacted when made),
- the five formats plus the console rendered from that report (no redaction left there),
- one pass of `Redactor.text` over every string of the report,
- building a `Redactor` for keys of 32, 64 and 512 characters (compiled once per set of
  secrets, then cached),
- `Redactor.text` and `Redactor.find` over a 1 MB body that holds no key, and one that
  ends with it base64-encoded (SEC-1 scans whole answers).

    python bench/bench_redaction.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import base64
import functools
import io
import random
import secrets
import statistics
import string
import time
from collections.abc import Callable, Iterator
from dataclasses import astuple

from conformance.redaction import Redactor, _matcher
from conformance.registry import catalogue
from conformance.reports import (
    ConsoleReporter,
    render_html,
    render_json,
    render_junit,
    render_markdown,
)
from conformance.runner import RunReport, RunSession, run_checks
from conformance.target import Target, asgi_target
from tests.faults import KEY
from tests.faults.apps import reference
from tests.faults.leak_faults import SPELLINGS, _echo_everywhere


def _median_ms(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def _render_all(report: RunReport) -> None:
    for render in (render_json, render_junit, render_markdown, render_html):
        render(report)
    console = ConsoleReporter(file=io.StringIO())
    for done, result in enumerate(report.results, 1):
        console.on_result(result, done, len(report.results))
    console.summary(report)


def _strings(report: RunReport) -> Iterator[str]:
    yield from (report.target, report.inference, *report.stale_baseline)
    for result in report.results:
        yield from (result.check.title, result.reason)
        if result.detail is not None:
            yield from astuple(result.detail)


def _target() -> Target:
    app = _echo_everywhere(SPELLINGS["uppercased"])(reference())
    return asgi_target(app, KEY, "echoing app")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs of each figure (default 5)")
    args = parser.parse_args()
    target = _target()
    report = run_checks(target, catalogue())
    texts = list(_strings(report))
    print(
        f"report: {len(report.results)} checks, {len(texts)} strings, "
        f"{sum(map(len, texts)):,} characters; median of {args.repeat} runs"
    )
    with RunSession(target) as session:
        assemble = functools.partial(
            session.report, report.results, report.started_at, report.duration_s
        )
        built = _median_ms(assemble, args.repeat)
    rendered = _median_ms(functools.partial(_render_all, report), args.repeat)
    print(f"  RunSession.report, redacting as it builds: {built:6.1f} ms")
    print(f"  5 formats + console from the report:       {rendered:6.1f} ms")
    redactor = Redactor([KEY])
    one_pass = _median_ms(lambda: [redactor.text(t) for t in texts], args.repeat)
    print(f"  one Redactor.text pass over the report: {one_pass:6.1f} ms")
    for size in (32, 64, 512):
        key = secrets.token_urlsafe(size)[:size]

        def build(key: str = key) -> None:
            _matcher.cache_clear()
            Redactor([key]).text("")

        print(
            f"  build a Redactor, {size:3}-character key:  {_median_ms(build, args.repeat):6.1f} ms"
        )
    rng = random.Random(0)
    body = "".join(rng.choices(string.ascii_letters + string.digits + ' {}":,.-_/', k=1 << 20))
    leaky = body + base64.b64encode(KEY.encode()).decode()
    for name, text in (("1 MB body, no key", body), ("1 MB body + key, base64", leaky)):
        scan = _median_ms(functools.partial(redactor.text, text), args.repeat)
        find = _median_ms(functools.partial(redactor.find, text), args.repeat)
        print(f"  {name:<24} text {scan:6.1f} ms, find {find:6.1f} ms")


if __name__ == "__main__":
    main()
