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
