"""Secrets given to the writers never appear in any output format, raw or escaped."""

from __future__ import annotations

import html
import io
import json
import re
import string
from collections.abc import Callable, Iterable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.reports import (
    ConsoleReporter,
    render_html,
    render_json,
    render_junit,
    render_markdown,
)
from conformance.runner import RunReport
from tests.engine.key_oracle import decodable
from tests.faults.leak_faults import LEAK_KEY, SPELLINGS
from tests.reports.reports_factory import ODD_SECRET, SECRET, make_report

Render = Callable[..., str]


def _console(report: RunReport, *, secrets: Iterable[str] = ()) -> str:
    buffer = io.StringIO()
    reporter = ConsoleReporter(file=buffer, secrets=secrets)
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
    out = FORMATS[fmt](planted_report, secrets=[SECRET, ODD_SECRET])
    for secret in (SECRET, ODD_SECRET):
        for form in _forms(secret):
            assert form not in out
    assert "***" in out


@pytest.mark.parametrize("fmt", FORMATS)
def test_secret_in_check_metadata_is_redacted_too(fmt: str, report: RunReport) -> None:
    """Belt and braces: even a secret inside a check title or the target label is redacted."""
    out = FORMATS[fmt](report, secrets=["rejects_missing_api_key", "127.0.0.1:8123"])
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
    report = make_report(text=lambda value: f"{before}{value}{secret}{after}")
    for render in FORMATS.values():
        out = render(report, secrets=[secret])
        for form in _forms(secret):
            assert form not in out


@pytest.mark.parametrize("spelling", SPELLINGS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_spelling_planted_in_every_field_is_hidden(fmt: str, spelling: str) -> None:
    """A key planted in every free-text field in one spelling (base64, hex, escaped...)
    leaves no decodable form of it in any format.
    """
    spelled = SPELLINGS[spelling](LEAK_KEY)  # SECRET shares "conformance" with the tool's name
    report = make_report(text=lambda value: f"{value} (echo {spelled})")
    out = FORMATS[fmt](report, secrets=[LEAK_KEY])
    assert decodable(out, LEAK_KEY) == []
    assert re.search(r"\(echo [A-Za-z0-9+/=_-]*\*\*\*", out)  # blobs keep their own edges
