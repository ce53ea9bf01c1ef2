"""Endpoint checks (EP): each fails against one of its faults with this exact block."""

from __future__ import annotations

from conformance.outcomes import FailureDetail
from tests.checks._support import failure


def test_ep_1_root_without_service() -> None:
    """EP-1 fails a `GET /` answer without `service` and names the missing field."""
    assert failure("EP-1", "root_without_service") == FailureDetail(
        summary="GET / is not the unauthenticated liveness probe (service: Field required)",
        sent="GET / without X-API-Key",
        expected='200 with {"status": "ok", "service": "<app id>"}',
        got='200, body=\'{"status": "ok"}\'',
        fix=("Serve GET / without auth and return the status and the app id as non-empty strings."),
        spec="docs/contract.md#root",
    )


def test_ep_2_head_root_not_allowed() -> None:
    """EP-2 fails an app that answers `HEAD /` with 405."""
    assert failure("EP-2", "head_root_not_allowed") == FailureDetail(
        summary=("`HEAD /` answers 200 without a key, as load balancers and synth-ai probe it."),
        sent="HEAD / without X-API-Key",
        expected="200",
        got="405, body=''",
        fix=(
            "Register HEAD next to GET on / (FastAPI: @app.api_route('/', methods=['GET', "
            "'HEAD']))."
        ),
        spec="docs/contract.md#head-root",
    )


def test_ep_3_health_without_auth_object() -> None:
    """EP-3 fails a `/health` body without the auth object and names it."""
    assert failure("EP-3", "health_without_auth_object") == FailureDetail(
        summary=(
            '`GET /health` returns `{"healthy": bool, "auth": {"required", "expected_prefix"}}`.'
        ),
        sent="GET /health with X-API-Key",
        expected='{"healthy": true, "auth": {"required": true, "expected_prefix": "..."}}',
        got='{"healthy": true} (auth: Field required)',
        fix=("Return healthy as a bool and an auth object with required and expected_prefix."),
        spec="docs/contract.md#health",
    )


def test_ep_4_info_sections_as_strings() -> None:
    """EP-4 fails `/info` sections serialised as strings and names them."""
    assert failure("EP-4", "info_circular_strings") == FailureDetail(
        summary=(
            "`GET /info` returns objects for service, dataset, inference and limits, never strings."
        ),
        sent="GET /info with X-API-Key",
        expected="service.task, dataset, inference and limits as JSON objects",
        got=(
            '{"service": {"task": {"id": "arithmetic", "name": "Arithmetic word problems", '
            '"description": "Arithmetic word problems solved with a calculator tool.", '
            '"version... (dataset, limits are strings)'
        ),
        fix=(
            "Build /info from model_dump(mode='json') dicts, not synth-ai's to_jsonable (it "
            "turns sections into '<circular ...>' strings)."
        ),
        spec="docs/contract.md#info",
    )
