"""The latency LOAD-1 measured: a table in the console and Markdown, a chart in the HTML, a
`latency` list in the JSON, and nothing where nothing was measured.
"""

from __future__ import annotations

import dataclasses
import io
import re

import jsonschema_rs

from conformance.latency import LatencyRun, LatencyTable, percentile
from conformance.reports import ConsoleReporter, json_schema, render_html, render_markdown, to_json
from conformance.runner import RunReport
from tests.reports.reports_factory import make_report

TABLE = LatencyTable(
    "LOAD-1",
    "Rollout latency",
    (
        LatencyRun("1 rollout alone", (0.52,), 0, 0.52),
        LatencyRun("3 rollouts at once", (0.61, 0.64, 0.66), 1, 0.67),
    ),
    "3 at once took 1.3x one alone (limit 1.5x); model latency 0.25s",
    {"ratio": 1.29, "limit": 1.5, "model_latency_s": 0.25},
)


def _measured() -> RunReport:
    return dataclasses.replace(make_report(), latency_tables=[TABLE])


def _console(report: RunReport) -> str:
    buffer = io.StringIO()
    ConsoleReporter(file=buffer, width=120).summary(report)
    return buffer.getvalue()


def test_console_shows_an_aligned_table() -> None:
    """The console summary prints the heading and one aligned row per run."""
    assert (
        "Rollout latency (LOAD-1): 3 at once took 1.3x one alone (limit 1.5x); model latency "
        "0.25s\n"
        "  run                 rollouts  errors    p50    p95   wall  rollouts/s\n"
        "  1 rollout alone            1       0  0.52s  0.52s  0.52s         1.9\n"
        "  3 rollouts at once         3       1  0.64s  0.66s  0.67s         4.5\n"
    ) in _console(_measured())


def test_markdown_shows_a_table() -> None:
    """The Markdown summary has a `###` heading and a GFM table of the runs."""
    text = render_markdown(_measured())
    assert "| run | rollouts | errors | p50 | p95 | wall | rollouts/s |" in text
    assert "| 3 rollouts at once | 3 | 1 | 0.64s | 0.66s | 0.67s | 4.5 |" in text


def test_html_draws_one_bar_per_rollout_without_script() -> None:
    """The HTML report carries an inline SVG with a bar for each of the 4 rollouts, no script."""
    page = render_html(_measured())
    (svg,) = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert svg.count('class="lat-bar"') == 4
    assert "<title>3 rollouts at once #3: 0.660s</title>" in svg
    assert "<script" not in page.lower()


def test_json_carries_the_figures_and_validates() -> None:
    """The JSON report's `latency` list holds every figure and matches the schema."""
    document = to_json(_measured())
    assert document["latency"][0]["figures"] == {
        "ratio": 1.29,
        "limit": 1.5,
        "model_latency_s": 0.25,
    }
    assert document["latency"][0]["runs"][1] == {
        "label": "3 rollouts at once",
        "rollouts": 3,
        "errors": 1,
        "wall_s": 0.67,
        "p50_s": 0.64,
        "p95_s": 0.66,
        "throughput": 4.478,
        "durations_s": [0.61, 0.64, 0.66],
    }
    validator = jsonschema_rs.Draft202012Validator(json_schema())
    assert [str(e) for e in validator.iter_errors(document)] == []


def test_nothing_measured_shows_nothing() -> None:
    """Without measurements no output mentions latency; the JSON list is empty."""
    report = make_report()
    assert "latency" not in _console(report).lower()
    assert "Rollout latency" not in render_markdown(report)
    assert "<svg" not in render_html(report)
    assert to_json(report)["latency"] == []


def test_percentiles_are_nearest_rank() -> None:
    """p50 and p95 are nearest-rank percentiles; no values give 0."""
    values = [0.1 * i for i in range(1, 21)]
    assert (percentile(values, 50), percentile(values, 95), percentile([], 50)) == (
        values[9],
        values[18],
        0.0,
    )
