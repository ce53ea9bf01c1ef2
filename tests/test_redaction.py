"""Redaction: whole secrets and every 6+-character piece of them become ***."""

from __future__ import annotations

import pytest

from conformance.redaction import Redactor, redact_headers

KEY = "sk-live-0123456789abcdef"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"key={KEY}", "key=***"),
        (f"allowed_first15=['{KEY[:15]}']", "allowed_first15=['***']"),
        (f"prefix {KEY[:6]}...", "prefix ***..."),
        (f"tail {KEY[-7:]}", "tail ***"),
        (f"short {KEY[:5]}", f"short {KEY[:5]}"),
        ("nothing secret here", "nothing secret here"),
    ],
    ids=["whole", "first15", "prefix6", "tail7", "five-chars-kept", "clean"],
)
def test_pieces_of_six_or_more_are_redacted(text: str, expected: str) -> None:
    """The key, and any run of 6+ of its characters, is replaced; shorter runs are not."""
    assert Redactor([KEY]).text(text) == expected


def test_short_secret_is_redacted_whole() -> None:
    """A secret of 6 characters or fewer is redacted as a whole."""
    assert Redactor(["k1"]).text("x-k1-y") == "x-***-y"


def test_values_and_headers() -> None:
    """Nested JSON values and secret-bearing headers are redacted."""
    assert Redactor([KEY]).value({"a": [KEY[2:10]], KEY: 1}) == {"a": ["***"], "***": 1}
    assert redact_headers({"X-API-Key": KEY, "Accept": "x"}) == {"X-API-Key": "***", "Accept": "x"}


def test_report_documents_stay_well_formed_when_the_key_shares_markup_words() -> None:
    """A key sharing 6+ characters with tag or key names leaves JUnit, JSON and HTML parseable."""
    import json
    import xml.etree.ElementTree as ET
    from html.parser import HTMLParser

    from conformance.reports import render_html, render_json, render_junit
    from conformance.runner import run_checks
    from conformance.target import embedded_target

    key = "testsuite-schema_version-testcase"
    report = run_checks(embedded_target(key), [])
    ET.fromstring(render_junit(report, secrets=[key]).split("\n", 1)[1])
    assert json.loads(render_json(report, secrets=[key]))["schema_version"] == 1
    HTMLParser().feed(render_html(report, secrets=[key]))
