"""Redaction: whole secrets and every 6+-character piece of them become ***, in every
spelling (tests/engine/test_key_forms.py proves it on every output of a run).
"""

from __future__ import annotations

import base64
import time

import pytest

from conformance.redaction import Leak, Redactor, redact_headers

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
    from conformance.reports.json_report import SCHEMA_VERSION
    from conformance.runner import run_checks
    from conformance.target import embedded_target

    key = "testsuite-schema_version-testcase"
    report = run_checks(embedded_target(key), [])
    ET.fromstring(render_junit(report).split("\n", 1)[1])
    assert json.loads(render_json(report))["schema_version"] == SCHEMA_VERSION
    HTMLParser().feed(render_html(report))


_B64 = base64.b64encode(KEY.encode()).decode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"key={KEY.upper()}", "key=***"),
        ("key=" + "".join(f"\\u{ord(c):04x}" for c in KEY) + ";", "key=***;"),
        ("key=" + "".join(f"\\\\u{ord(c):04X}" for c in KEY) + ";", "key=***;"),
        ("k=" + "".join(f"%{b:02x}" for b in KEY.encode()) + "&x=1", "k=***&x=1"),
        ("k=" + "".join(f"&#{ord(c)};" for c in KEY) + "<", "k=***<"),
        (f"auth {_B64} ok", "auth *** ok"),
        (f"hex {KEY.encode().hex().upper()} ok", "hex *** ok"),
        (f"rev {KEY[::-1]} ok", "rev *** ok"),
        (f"mixed {KEY[:4]}%{ord(KEY[4]):02X}{KEY[5:12].upper()}| ok", "mixed ***| ok"),
    ],
    ids=["upper", "json", "json-in-repr", "percent", "html", "base64", "hex", "reversed", "mixed"],
)
def test_every_spelling_is_replaced_in_place(text: str, expected: str) -> None:
    """Each spelling becomes one `***`, and the text around it is kept byte for byte."""
    assert Redactor([KEY]).text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        f"five {KEY[3:8].upper()} chars",
        base64.b64encode(b"sk-test is a prefix everyone uses").decode(),
        "trace_0f1e2d3c4b5a69788796a5b4c3d2e1f0 and %41%42 and \\u0041",
        "",
    ],
    ids=["five-chars", "other-base64", "cids-and-escapes", "empty"],
)
def test_text_without_key_material_is_kept(text: str) -> None:
    """Text that spells no 6-character run of the key is returned unchanged."""
    assert Redactor([KEY]).text(text) == text


@pytest.mark.parametrize(
    ("text", "leak"),
    [
        (f"x {KEY} y", Leak("verbatim", whole=True)),
        (f"x {KEY[2:11]} y", Leak("verbatim", whole=False)),
        (f"x {KEY.swapcase()} y", Leak("in another letter case", whole=True)),
        ("".join(f"\\u{ord(c):04x}" for c in KEY), Leak("JSON-escaped", whole=True)),
        ("".join(f"%{b:02X}" for b in KEY.encode()).lower(), Leak("percent-encoded", whole=True)),
        (_B64, Leak("base64-encoded", whole=True)),
        (
            base64.urlsafe_b64encode(b"~~" + KEY.encode()).decode(),
            Leak("base64-encoded", whole=True),
        ),
        (KEY[::-1][:8], Leak("reversed", whole=False)),
        (KEY.encode().hex(), Leak("hex-encoded", whole=True)),
        ("nothing", None),
    ],
    ids=[
        "whole",
        "piece",
        "case",
        "json",
        "percent",
        "base64",
        "base64-at-2",
        "reversed",
        "hex",
        "none",
    ],
)
def test_find_names_the_spelling(text: str, leak: Leak | None) -> None:
    """`find` says how a secret shows, for SEC-1's finding, and None when it does not."""
    assert Redactor([KEY]).find(text) == leak


def test_leak_descriptions() -> None:
    """A leak reads as a sentence about the key or a piece of it."""
    assert Leak("reversed", whole=True).describe() == "the key appears reversed"
    assert Leak("hex-encoded", whole=False).describe("the token") == (
        "a piece of the token appears hex-encoded"
    )


def test_base64url_is_named_when_it_differs() -> None:
    """A key whose base64url spelling differs from base64 is named base64url-encoded."""
    key = "k>>?~~>>??-0123456"
    assert Redactor([key]).find(base64.urlsafe_b64encode(key.encode()).decode()) == Leak(
        "base64url-encoded", whole=True
    )


def test_short_secrets_are_matched_only_as_written_tokens() -> None:
    """A secret under 6 characters (a URL password, a test key) is hidden only as written
    and as a whole token: inside a word it is a coincidence, not a leak.
    """
    assert Redactor(["pw12"]).text("pw12@host PW12 21wp xpw12") == "***@host PW12 21wp xpw12"
    assert Redactor(["k"]).text("--app must look like module:attr, key=k") == (
        "--app must look like module:attr, key=***"
    )


@pytest.mark.parametrize("unit", ["\\", "\\u", "\\x\\", "%", "&#", "&#x", KEY[:5]], ids=repr)
def test_hostile_text_is_scanned_in_linear_time(unit: str) -> None:
    """A megabyte of escape starts or near-pieces is scanned in well under a second (a run
    of backslashes once made the escape pattern quadratic).
    """
    text = unit * (1_000_000 // len(unit))
    started = time.perf_counter()
    Redactor([KEY]).text(text)
    Redactor([KEY]).find(text)
    assert time.perf_counter() - started < 3
