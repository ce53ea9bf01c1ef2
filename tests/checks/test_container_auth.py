"""Container auth checks (CTR): each fails against one of its faults with this exact block."""

from __future__ import annotations

from conformance.outcomes import FailureDetail
from tests.checks._support import generation_failure


def test_ctr_1_health_needs_a_token() -> None:
    """CTR-1 fails a /health that wants a token."""
    assert generation_failure("CTR-1", "container_health_needs_a_token") == FailureDetail(
        summary="GET /health is not the public probe that names the token header",
        sent="GET /health without credentials",
        expected=(
            '200 {"healthy": true, "auth": {"required": true, "mode": ..., '
            '"required_header": "x-synth-container-authorization"}}'
        ),
        got=(
            '401, body=\'{"detail": {"error": {"code": "auth_missing", "message": "Container '
            "token is required\"}}}'"
        ),
        fix=(
            "Serve /health to every caller, with auth.required_header naming the token "
            "header: backends probe it before they hold a token for the app."
        ),
        spec="docs/contract.md#container-health",
    )


def test_ctr_1_health_of_localapi() -> None:
    """CTR-1 fails a /health that does not name the token header."""
    assert generation_failure("CTR-1", "container_health_of_localapi") == FailureDetail(
        summary="GET /health is not the public probe that names the token header",
        sent="GET /health without credentials",
        expected=(
            '200 {"healthy": true, "auth": {"required": true, "mode": ..., '
            '"required_header": "x-synth-container-authorization"}}'
        ),
        got='200, body=\'{"healthy": true, "auth": {"required": true}}\'',
        fix=(
            "Serve /health to every caller, with auth.required_header naming the token "
            "header: backends probe it before they hold a token for the app."
        ),
        spec="docs/contract.md#container-health",
    )


def test_ctr_2_other_issuer_only() -> None:
    """CTR-2 fails an app that refuses tokens from the backend's issuer."""
    assert generation_failure("CTR-2", "container_other_issuer_only") == FailureDetail(
        summary="GET /info refused a valid token scoped 'task_info'",
        sent="GET /info with a valid token scoped 'task_info' from the trusted key",
        expected="200",
        got=(
            '401, body=\'{"detail": {"error": {"code": "auth_invalid", "message": "Container '
            "token invalid or expired\"}}}'"
        ),
        fix=(
            "Trust the key the backend signs with (SYNTH_CONTAINER_TRUSTED_PUBKEYS) and "
            "accept audience synth-container, issuer synth-backend and scope 'task_info' on "
            "/info."
        ),
        spec="docs/contract.md#container-token-accepted",
    )


def test_ctr_3_tokenless_served_in_required_mode() -> None:
    """CTR-3 fails a tokenless request served in required mode."""
    assert generation_failure(
        "CTR-3", "container_tokenless_served_in_required_mode"
    ) == FailureDetail(
        summary="GET /info served a request with no token",
        sent="GET /info with no token",
        expected="401 (the request is refused before any handler runs)",
        got=(
            '200, body=\'{"service":{"task":{"id":"arithmetic","name":"Arithmetic word '
            'problems","description":"Arithmetic word problems solved with a calculator '
            'tool.","version":"1.0.0...\''
        ),
        fix=(
            "Verify X-Synth-Container-Authorization on every protected route (synth-ai's "
            "require_api_key_dependency) and answer 401 unless it holds a valid v4.public "
            "token from a trusted key, for audience synth-container and your issuer, inside "
            "its validity window."
        ),
        spec="docs/contract.md#container-auth-matrix",
    )


def test_ctr_3_api_key_accepted() -> None:
    """CTR-3 fails an X-API-Key taken instead of a token."""
    assert generation_failure("CTR-3", "container_api_key_accepted") == FailureDetail(
        summary="GET /info served a request with X-API-Key instead",
        sent="GET /info with X-API-Key instead",
        expected="401 (the request is refused before any handler runs)",
        got=(
            '200, body=\'{"service":{"task":{"id":"arithmetic","name":"Arithmetic word '
            'problems","description":"Arithmetic word problems solved with a calculator '
            'tool.","version":"1.0.0...\''
        ),
        fix=(
            "Verify X-Synth-Container-Authorization on every protected route (synth-ai's "
            "require_api_key_dependency) and answer 401 unless it holds a valid v4.public "
            "token from a trusted key, for audience synth-container and your issuer, inside "
            "its validity window."
        ),
        spec="docs/contract.md#container-auth-matrix",
    )


def test_ctr_3_signature_unchecked() -> None:
    """CTR-3 fails an app that takes any well-formed token."""
    assert generation_failure("CTR-3", "container_signature_unchecked") == FailureDetail(
        summary="GET /info served a request with a malformed token",
        sent="GET /info with a malformed token",
        expected="401 (the request is refused before any handler runs)",
        got=(
            '200, body=\'{"service":{"task":{"id":"arithmetic","name":"Arithmetic word '
            'problems","description":"Arithmetic word problems solved with a calculator '
            'tool.","version":"1.0.0...\''
        ),
        fix=(
            "Verify X-Synth-Container-Authorization on every protected route (synth-ai's "
            "require_api_key_dependency) and answer 401 unless it holds a valid v4.public "
            "token from a trusted key, for audience synth-container and your issuer, inside "
            "its validity window."
        ),
        spec="docs/contract.md#container-auth-matrix",
    )


def test_ctr_3_expiry_unchecked() -> None:
    """CTR-3 fails an expired token accepted."""
    assert generation_failure("CTR-3", "container_expiry_unchecked") == FailureDetail(
        summary="GET /info served a request with an expired token",
        sent="GET /info with an expired token",
        expected="401 (the request is refused before any handler runs)",
        got=(
            '200, body=\'{"service":{"task":{"id":"arithmetic","name":"Arithmetic word '
            'problems","description":"Arithmetic word problems solved with a calculator '
            'tool.","version":"1.0.0...\''
        ),
        fix=(
            "Verify X-Synth-Container-Authorization on every protected route (synth-ai's "
            "require_api_key_dependency) and answer 401 unless it holds a valid v4.public "
            "token from a trusted key, for audience synth-container and your issuer, inside "
            "its validity window."
        ),
        spec="docs/contract.md#container-auth-matrix",
    )


def test_ctr_3_audience_unchecked() -> None:
    """CTR-3 fails a token for another audience accepted."""
    assert generation_failure("CTR-3", "container_audience_unchecked") == FailureDetail(
        summary="GET /info served a request with a token for another audience",
        sent="GET /info with a token for another audience",
        expected="401 (the request is refused before any handler runs)",
        got=(
            '200, body=\'{"service":{"task":{"id":"arithmetic","name":"Arithmetic word '
            'problems","description":"Arithmetic word problems solved with a calculator '
            'tool.","version":"1.0.0...\''
        ),
        fix=(
            "Verify X-Synth-Container-Authorization on every protected route (synth-ai's "
            "require_api_key_dependency) and answer 401 unless it holds a valid v4.public "
            "token from a trusted key, for audience synth-container and your issuer, inside "
            "its validity window."
        ),
        spec="docs/contract.md#container-auth-matrix",
    )


def test_ctr_3_auth_disabled() -> None:
    """CTR-3 sends no tokenless request when /health says disabled; a malformed token fails it."""
    assert generation_failure("CTR-3", "container_auth_disabled") == FailureDetail(
        summary="GET /info served a request with a malformed token",
        sent=(
            "GET /info with a malformed token (tokenless requests not sent: /health says "
            "auth.mode 'disabled')"
        ),
        expected="401 (the request is refused before any handler runs)",
        got=(
            '200, body=\'{"service":{"task":{"id":"arithmetic","name":"Arithmetic word '
            'problems","description":"Arithmetic word problems solved with a calculator '
            'tool.","version":"1.0.0...\''
        ),
        fix=(
            "Verify X-Synth-Container-Authorization on every protected route (synth-ai's "
            "require_api_key_dependency) and answer 401 unless it holds a valid v4.public "
            "token from a trusted key, for audience synth-container and your issuer, inside "
            "its validity window. Never deploy with SYNTH_CONTAINER_AUTH_MODE=disabled."
        ),
        spec="docs/contract.md#container-auth-matrix",
    )


def test_ctr_4_scopes_ignored() -> None:
    """CTR-4 fails a rollout-only token accepted on /info."""
    assert generation_failure("CTR-4", "container_scopes_ignored") == FailureDetail(
        summary="GET /info served a token without scope 'task_info'",
        sent="GET /info with a valid token scoped only 'rollout'",
        expected="401: /info needs scope 'task_info'",
        got=(
            '200, body=\'{"service":{"task":{"id":"arithmetic","name":"Arithmetic word '
            'problems","description":"Arithmetic word problems solved with a calculator '
            'tool.","version":"1.0.0...\''
        ),
        fix=(
            "Require scope 'task_info' in the token's scopes (or scope) on /info, as "
            "synth-ai's _ROUTE_SCOPE_MAP does: a token issued for one job opens no other."
        ),
        spec="docs/contract.md#container-token-scopes",
    )


def test_ctr_5_refusals_403() -> None:
    """CTR-5 warns about refusals answered 403."""
    assert generation_failure("CTR-5", "container_refusals_403") == FailureDetail(
        summary=(
            "GET /info refused no token with 403 and code 'auth_missing', not 401 and "
            "'auth_missing'"
        ),
        sent="GET /info with no token",
        expected='401 {"detail": {"error": {"code": "auth_missing", ...}}}',
        got=(
            '403, body=\'{"detail": {"error": {"code": "auth_missing", "message": "Container '
            "token is required\"}}}'"
        ),
        fix=(
            "Answer refusals as synth-ai does: 401 with the error envelope, code "
            "auth_missing without a token and auth_invalid for a token that fails "
            "verification, so callers can tell a missing token from a bad one."
        ),
        spec="docs/contract.md#container-auth-errors",
    )


def test_ctr_5_refusal_codes_swapped() -> None:
    """CTR-5 warns about refusals with the wrong error code."""
    assert generation_failure("CTR-5", "container_refusal_codes_swapped") == FailureDetail(
        summary=(
            "GET /info refused no token with 401 and code 'auth_invalid', not 401 and "
            "'auth_missing'"
        ),
        sent="GET /info with no token",
        expected='401 {"detail": {"error": {"code": "auth_missing", ...}}}',
        got=(
            '401, body=\'{"detail": {"error": {"code": "auth_invalid", "message": "Container '
            "token is required\"}}}'"
        ),
        fix=(
            "Answer refusals as synth-ai does: 401 with the error envelope, code "
            "auth_missing without a token and auth_invalid for a token that fails "
            "verification, so callers can tell a missing token from a bad one."
        ),
        spec="docs/contract.md#container-auth-errors",
    )
