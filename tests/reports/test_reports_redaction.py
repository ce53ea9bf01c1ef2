"""Secrets never appear in any output format, raw or escaped: a report is redacted where
the runner builds it, and the renderers trust it (they never call the redactor).
"""

from __future__ import annotations

import dataclasses
import html
import io
import json
import re
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.context import CheckContext
from conformance.latency import LatencyRun, LatencyTable
from conformance.outcomes import CheckFailure
from conformance.redaction import Redactor
from conformance.reports import (
    ConsoleReporter,
    render_html,
    render_json,
    render_junit,
    render_markdown,
    write_reports,
)
from conformance.runner import RunOptions, RunReport, run_checks
from conformance.target import asgi_target, embedded_target
from reference_app import build_config, create_app
from tests.engine.key_oracle import decodable
from tests.faults.leak_faults import LEAK_KEY, SPELLINGS
from tests.reports.reports_factory import ODD_SECRET, SECRET, as_found, make_report, make_results

Render = Callable[[RunReport], str]


def _console(report: RunReport) -> str:
    buffer = io.StringIO()
    reporter = ConsoleReporter(file=buffer)
    for done, result in enumerate(report.results, 1):
        reporter.on_result(result, done, len(report.results))
    reporter.summary(report)
    return buffer.getvalue()


FORMATS: dict[str, Render] = {
    "console": _console,
    "json": render_json,
    "junit": render_junit,
    "markdown": render_markdown,
    "html": render_html,
}


def _forms(secret: str) -> set[str]:
    """The secret as each format could spell it."""
    return {
        secret,
        html.escape(secret),
        html.escape(secret, quote=False),
        json.dumps(secret)[1:-1],
    }


@pytest.mark.parametrize("fmt", FORMATS)
def test_planted_secrets_never_appear(fmt: str, planted_report: RunReport) -> None:
    """A key planted in every free-text field is replaced by *** in every format."""
    out = FORMATS[fmt](planted_report)
    for secret in (SECRET, ODD_SECRET):
        for form in _forms(secret):
            assert form not in out
    assert "***" in out


@pytest.fixture(scope="module")
def metadata_report() -> RunReport:
    """A run whose secrets (its key, its recorder token) are a check's name and the
    target's label.
    """
    key, token = "rejects_missing_api_key", "127.0.0.1:8123"
    app = create_app(build_config(environ={"ENVIRONMENT_API_KEY": key}))
    target = asgi_target(app, key, "http://127.0.0.1:8123")
    specs = [result.check for result in make_results()]
    return run_checks(target, specs, RunOptions(recorder_token=token))


@pytest.mark.parametrize("fmt", FORMATS)
def test_secret_in_check_metadata_is_redacted_too(fmt: str, metadata_report: RunReport) -> None:
    """Belt and braces: even a secret inside a check title or the target label is redacted."""
    out = FORMATS[fmt](metadata_report)
    assert "rejects_missing_api_key" not in out
    assert "127.0.0.1:8123" not in out


_SECRET_CHARS = string.ascii_letters + string.digits + "<&>\"'|`*_-[]"
_NOISE = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=20)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    secret=st.text(_SECRET_CHARS, min_size=8, max_size=24).map(lambda s: f"sk-{s}"),
    before=_NOISE,
    after=_NOISE,
)
def test_any_secret_in_any_text_never_leaks(secret: str, before: str, after: str) -> None:
    """Whatever the key and whatever surrounds it, no format prints it or an escape of it."""
    report = make_report(text=as_found(lambda value: f"{before}{value}{secret}{after}", secret))
    for render in FORMATS.values():
        out = render(report)
        for form in _forms(secret):
            assert form not in out


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_spelling_planted_in_every_field_is_hidden(fmt: str, spelling: str) -> None:
    """A key planted in every free-text field in one spelling (base64, hex, escaped...)
    leaves no decodable form of it in any format.
    """
    spelled = SPELLINGS[spelling](LEAK_KEY)  # SECRET shares "conformance" with the tool's name
    report = make_report(text=as_found(lambda value: f"{value} (echo {spelled})", LEAK_KEY))
    out = FORMATS[fmt](report)
    assert decodable(out, LEAK_KEY) == []
    assert re.search(r"\(echo [A-Za-z0-9+/=_-]*\*\*\*", out)  # blobs keep their own edges


# --- the renderers trust the report -------------------------------------------------------


def _measured_and_failing(ctx: CheckContext) -> None:
    """Records a latency table, then fails."""
    run = LatencyRun("1 rollout alone", (0.25,), 0, 0.25)
    ctx.record_latency(LatencyTable("EP-1", "Rollout latency", (run,), "1.0x one alone"))
    raise CheckFailure(sent="GET /", expected="a pass", got="a failure", fix="Pass.")


@pytest.fixture(scope="module")
def run_report() -> RunReport:
    """A report a real run built: a failure with a latency table, a pass, a stale baseline."""
    results = make_results()
    failing = dataclasses.replace(results[0].check, func=_measured_and_failing)  # EP-1
    passing = results[3].check  # RO-3
    options = RunOptions(baseline=frozenset({passing.id}))
    return run_checks(embedded_target(SECRET), [failing, passing], options)


@pytest.mark.parametrize("which", ["planted_report", "run_report"])
def test_renderers_never_call_the_redactor(
    which: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every format, and `write_reports`, print an already-built report without a single
    call to the redactor: redaction ran once, when the report was made.
    """
    report = request.getfixturevalue(which)

    def refuse(self: Redactor, value: object) -> str:
        raise AssertionError(f"a renderer called the redactor on {value!r}")

    for method in ("text", "value", "find"):
        monkeypatch.setattr(Redactor, method, refuse)
    outputs = {fmt: render(report) for fmt, render in FORMATS.items()}
    paths = {f"{k}_path": tmp_path / f"r.{k}" for k in ("json", "junit", "markdown", "html")}
    write_reports(report, **paths)
    assert all(outputs.values())
    assert all(path.stat().st_size for path in paths.values())
