"""Security checks (SEC): each fails against one of its faults with this exact block."""

from __future__ import annotations

import pytest

from conformance.outcomes import FailureDetail
from tests.checks._support import failure
from tests.faults import KEY

_SEC_1_EXPECTED = "no part of the API key in the headers or body, in any spelling"
_SEC_1_FIX = (
    "Never echo key material, plain or encoded: no prefixes, no allowed_first15, no debug dumps."
)


def test_sec_1_key_piece_in_a_header() -> None:
    """SEC-1 names the header holding a piece of the key, and does not quote it."""
    assert failure("SEC-1", "root_header_names_the_key") == FailureDetail(
        summary="a piece of the key appears verbatim in the header x-served-for of GET /",
        sent="GET / with no key",
        expected=_SEC_1_EXPECTED,
        got="200; a piece of the key appears verbatim in the header x-served-for (not shown)",
        fix=_SEC_1_FIX,
        spec="docs/contract.md#key-in-responses",
    )


def test_sec_1_key_piece_in_a_rejection_body() -> None:
    """SEC-1 names the JSON path of a key piece in a rejection body, and does not quote it."""
    assert failure("SEC-1", "rejection_leaks_allowed_first15") == FailureDetail(
        summary=(
            "a piece of the key appears verbatim in the body of GET /health, at allowed_first15[0]"
        ),
        sent="GET /health with no key",
        expected=_SEC_1_EXPECTED,
        got="401; a piece of the key appears verbatim in the body, at allowed_first15[0] "
        "(not shown)",
        fix=_SEC_1_FIX,
        spec="docs/contract.md#key-in-responses",
    )


def test_sec_1_key_base64_encoded_in_a_body() -> None:
    """SEC-1 says the key is there base64-encoded, and where, without quoting it."""
    assert failure("SEC-1", "info_signs_with_the_key_base64") == FailureDetail(
        summary="the key appears base64-encoded in the body of GET /info, at build.signature",
        sent="GET /info with the key",
        expected=_SEC_1_EXPECTED,
        got="200; the key appears base64-encoded in the body, at build.signature (not shown)",
        fix=_SEC_1_FIX,
        spec="docs/contract.md#key-in-responses",
    )


@pytest.mark.parametrize(
    ("fault", "finding"),
    [
        (
            "every_answer_names_the_key_uppercased",
            "in another letter case in the header x-served-for",
        ),
        ("rejection_quotes_the_key_json_escaped", "JSON-escaped in the body"),
        ("every_answer_links_the_key_percent_encoded", "percent-encoded in the header link"),
        ("rollout_state_holds_the_key_base64url_in_a_blob", "base64-encoded in the body"),
        ("task_info_etag_is_the_key_hex", "hex-encoded in the header etag"),
        ("health_hints_the_key_reversed", "reversed in the body"),
    ],
)
def test_sec_1_names_each_spelling(fault: str, finding: str) -> None:
    """SEC-1 fails every spelling of the key and names it, quoting none of it."""
    detail = failure("SEC-1", fault)
    assert detail.got.split("; ", 1)[1].startswith(f"the key appears {finding}")
    assert "***" not in detail.got


@pytest.mark.parametrize(
    ("fault", "sent", "got"),
    [
        (
            "root_header_names_the_key",
            "GET / with no key",
            "200; a piece of the key appears verbatim in the header x-served-for (not shown)",
        ),
        (
            "rollout_metadata_echoes_the_key",
            "POST /rollout with the key",
            "the key appears verbatim in the body, at pipeline_metadata.debug_api_key",
        ),
        (
            "rejection_leaks_allowed_first15",
            "GET /health with no key",
            "401; a piece of the key appears verbatim in the body, at allowed_first15[0]",
        ),
    ],
    ids=["root-header", "rollout-metadata", "rejection-body"],
)
def test_sec_1_names_the_request_and_the_place(fault: str, sent: str, got: str) -> None:
    """SEC-1 names the leaking request and where the piece is, without quoting it."""
    detail = failure("SEC-1", fault)
    assert detail.sent == sent
    assert got in detail.got
    assert KEY[:6] not in detail.got


def test_sec_2_health_reveals_key_prefix() -> None:
    """SEC-2 fails a `/health` that reveals the key's first characters."""
    assert failure("SEC-2", "health_reveals_key_prefix") == FailureDetail(
        summary="`/health` does not reveal a prefix of the key in `auth.expected_prefix`.",
        sent="GET /health with X-API-Key",
        expected="auth.expected_prefix that reveals nothing of the key (e.g. '***')",
        got="expected_prefix reveals the first 4 character(s) of the key",
        fix=(
            "Return a constant such as '***' as expected_prefix; a prefix narrows guessing (D23)."
        ),
        spec="docs/contract.md#health-key-prefix",
    )


def test_sec_3_debug_env_exposed() -> None:
    """SEC-3 fails an app that serves `/debug/env`."""
    assert failure("SEC-3", "debug_env_exposed") == FailureDetail(
        summary="`/debug/env` is not served, even to an authenticated caller.",
        sent="GET /debug/env with X-API-Key",
        expected="404",
        got="200, body='{\"has_ENVIRONMENT_API_KEY\": true}'",
        fix=(
            "Remove /debug/env (synth-ai: expose_debug_env=False); it reveals vendor key prefixes."
        ),
        spec="docs/contract.md#debug-env",
    )


def test_sec_4_cors_reflects_any_origin() -> None:
    """SEC-4 fails CORS that reflects any origin with credentials."""
    assert failure("SEC-4", "cors_reflects_any_origin") == FailureDetail(
        summary="CORS never allows an arbitrary origin together with credentials.",
        sent="OPTIONS /rollout with Origin: https://attacker.example",
        expected=(
            "no Access-Control-Allow-Origin for an unknown origin when credentials are allowed"
        ),
        got=(
            "Access-Control-Allow-Origin: https://attacker.example, "
            "Access-Control-Allow-Credentials: true"
        ),
        fix="List the exact origins you trust in cors_origins; never [] or ['*'] (D23).",
        spec="docs/contract.md#cors",
    )


def test_sec_5_openapi_public() -> None:
    """SEC-5 flags an OpenAPI document served without a key."""
    assert failure("SEC-5", "openapi_public") == FailureDetail(
        summary="`/openapi.json` and `/docs` are not served to unauthenticated callers.",
        sent="GET /openapi.json without X-API-Key",
        expected="401, 403 or 404",
        got='200, body=\'{"openapi": "3.1.0"}\'',
        fix="Create the app with docs_url=None, redoc_url=None, openapi_url=None (D23).",
        spec="docs/contract.md#api-docs",
    )
