"""Authentication checks (AUTH): each fails against one of its faults with this exact block."""

from __future__ import annotations

from conformance.outcomes import FailureDetail
from tests.checks._support import failure


def test_auth_1_x_api_key_ignored() -> None:
    """AUTH-1 fails an app that rejects the key in `X-API-Key`."""
    assert failure("AUTH-1", "x_api_key_ignored") == FailureDetail(
        summary="A request carrying the key in `X-API-Key` is accepted.",
        sent="GET /health with X-API-Key: <key>",
        expected="200",
        got=(
            '401, body=\'{"detail":{"error":{"code":"unauthorised","message":"API key missing or '
            "invalid\"}}}'"
        ),
        fix=(
            "Accept ENVIRONMENT_API_KEY in the X-API-Key header, as every synth-ai caller sends it."
        ),
        spec="docs/contract.md#auth-key-header",
    )


def test_auth_2_missing_key_accepted() -> None:
    """AUTH-2 fails the first protected route that answers without a key."""
    assert failure("AUTH-2", "missing_key_accepted") == FailureDetail(
        summary="GET /health did not reject no key",
        sent="GET /health with no key",
        expected="a 4xx rejection (401 or 403 with the error envelope)",
        got=('200, body=\'{"healthy":true,"auth":{"required":true,"expected_prefix":"***"}}\''),
        fix=("Validate the key before the handler runs and answer 401 when it does not match."),
        spec="docs/contract.md#auth-rejects",
    )


def test_auth_3_any_key_accepted() -> None:
    """AUTH-3 fails the first protected route that accepts a random key."""
    assert failure("AUTH-3", "any_key_accepted") == FailureDetail(
        summary="GET /health did not reject a random wrong key",
        sent="GET /health with a random wrong key",
        expected="a 4xx rejection (401 or 403 with the error envelope)",
        got=('200, body=\'{"healthy":true,"auth":{"required":true,"expected_prefix":"***"}}\''),
        fix=("Validate the key before the handler runs and answer 401 when it does not match."),
        spec="docs/contract.md#auth-rejects",
    )


def test_auth_4_key_prefix_accepted() -> None:
    """AUTH-4 fails an app that accepts a prefix of the key."""
    assert failure("AUTH-4", "key_prefix_accepted") == FailureDetail(
        summary="GET /health did not reject a prefix of the key",
        sent="GET /health with a prefix of the key",
        expected="a 4xx rejection (401 or 403 with the error envelope)",
        got=('200, body=\'{"healthy":true,"auth":{"required":true,"expected_prefix":"***"}}\''),
        fix=("Validate the key before the handler runs and answer 401 when it does not match."),
        spec="docs/contract.md#auth-rejects",
    )


def test_auth_4_key_case_ignored() -> None:
    """AUTH-4 fails an app that compares keys without case."""
    assert failure("AUTH-4", "key_case_ignored") == FailureDetail(
        summary="GET /health did not reject the key with its case changed",
        sent="GET /health with the key with its case changed",
        expected="a 4xx rejection (401 or 403 with the error envelope)",
        got=('200, body=\'{"healthy":true,"auth":{"required":true,"expected_prefix":"***"}}\''),
        fix=("Validate the key before the handler runs and answer 401 when it does not match."),
        spec="docs/contract.md#auth-rejects",
    )


def test_auth_4_key_compared_on_a_prefix() -> None:
    """AUTH-4 fails an app that compares only the first 16 characters."""
    assert failure("AUTH-4", "key_compared_on_its_first_16_characters") == FailureDetail(
        summary="GET /health did not reject the key with its last character changed",
        sent="GET /health with the key with its last character changed",
        expected="a 4xx rejection (401 or 403 with the error envelope)",
        got=('200, body=\'{"healthy":true,"auth":{"required":true,"expected_prefix":"***"}}\''),
        fix=("Validate the key before the handler runs and answer 401 when it does not match."),
        spec="docs/contract.md#auth-rejects",
    )


def test_auth_5_basic_auth_accepted() -> None:
    """AUTH-5 fails an app that accepts the key as Basic auth."""
    assert failure("AUTH-5", "basic_auth_accepted") == FailureDetail(
        summary="GET /health did not reject the key as Basic auth",
        sent="GET /health with the key as Basic auth",
        expected="a 4xx rejection (401 or 403 with the error envelope)",
        got=('200, body=\'{"healthy":true,"auth":{"required":true,"expected_prefix":"***"}}\''),
        fix=("Validate the key before the handler runs and answer 401 when it does not match."),
        spec="docs/contract.md#auth-rejects",
    )


def test_auth_6_x_api_keys_ignored() -> None:
    """AUTH-6 fails an app that ignores `X-API-Keys`."""
    assert failure("AUTH-6", "x_api_keys_ignored") == FailureDetail(
        summary=(
            "The key inside a comma list in `X-API-Keys` is accepted, as `TaskAppClient` sends it."
        ),
        sent="GET /health with X-API-Keys: <other>, <key>",
        expected="200",
        got=(
            '401, body=\'{"detail":{"error":{"code":"unauthorised","message":"API key missing or '
            "invalid\"}}}'"
        ),
        fix="Also read X-API-Keys, split on commas, and accept any listed key.",
        spec="docs/contract.md#auth-keys-header",
    )


def test_auth_7_bearer_ignored() -> None:
    """AUTH-7 fails an app that ignores a Bearer token."""
    assert failure("AUTH-7", "bearer_ignored") == FailureDetail(
        summary="The key as `Authorization: Bearer <key>` is accepted.",
        sent="GET /health with Authorization: Bearer <key>",
        expected="200",
        got=(
            '401, body=\'{"detail":{"error":{"code":"unauthorised","message":"API key missing or '
            "invalid\"}}}'"
        ),
        fix="Also accept the key as a Bearer token in the Authorization header.",
        spec="docs/contract.md#auth-bearer",
    )


def test_auth_8_rejects_with_400() -> None:
    """AUTH-8 fails a rejection answered with 400."""
    assert failure("AUTH-8", "rejects_with_400") == FailureDetail(
        summary="GET /health answers no key with 400",
        sent="GET /health with no key",
        expected="401 (or 403)",
        got=(
            '400, body=\'{"detail":{"error":{"code":"unauthorised","message":"API key missing or '
            "invalid\"}}}'"
        ),
        fix=("Answer 401 for a missing or wrong key; 400 reads as a malformed request (D1)."),
        spec="docs/contract.md#auth-rejection-status",
    )


def test_auth_8_rollout_rejection_is_404() -> None:
    """AUTH-8 names the one route whose rejection is not 401 or 403."""
    assert failure("AUTH-8", "rollout_rejection_is_404") == FailureDetail(
        summary="POST /rollout answers no key with 404",
        sent="POST /rollout with no key",
        expected="401 (or 403)",
        got=(
            '404, body=\'{"detail": {"error": {"code": "unauthorised", "message": "API key '
            "missing or invalid\"}}}'"
        ),
        fix=("Answer 401 for a missing or wrong key; 400 reads as a malformed request (D1)."),
        spec="docs/contract.md#auth-rejection-status",
    )


def test_auth_9_rejection_as_plain_text() -> None:
    """AUTH-9 fails a rejection body that is not the error envelope."""
    assert failure("AUTH-9", "rejection_as_plain_text") == FailureDetail(
        summary=(
            'The auth rejection body is the error envelope `{"detail": {"error": {"code", '
            '"message"}}}`.'
        ),
        sent="GET /health without X-API-Key",
        expected='{"detail": {"error": {"code": "unauthorised", "message": "..."}}}',
        got="401, body='Unauthorized'",
        fix=("Raise the rejection through the error envelope so clients can read its code."),
        spec="docs/contract.md#error-envelope",
    )
