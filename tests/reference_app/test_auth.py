"""Auth of the reference app: every accepted form, every rejection, no leaks
(spec §2, Appendix A).
"""

from __future__ import annotations

import base64
import logging

import pytest

from conformance.testing import TaskAppClient
from reference_app import build_config, create_app
from reference_app.auth import allowed_keys
from tests.conftest import TEST_KEY
from tests.helpers import sync_client

PROTECTED = ["/health", "/info", "/task_info"]


def _client(environ: dict[str, str]) -> TaskAppClient:
    return sync_client(create_app(build_config(environ=environ)))


@pytest.mark.parametrize(
    ("headers", "environ"),
    [
        ({"X-API-Key": TEST_KEY}, {"ENVIRONMENT_API_KEY": TEST_KEY}),
        ({"X-API-Key": f"other, {TEST_KEY}"}, {"ENVIRONMENT_API_KEY": TEST_KEY}),
        ({"X-API-Keys": f"other,{TEST_KEY}"}, {"ENVIRONMENT_API_KEY": TEST_KEY}),
        ({"Authorization": f"Bearer {TEST_KEY}"}, {"ENVIRONMENT_API_KEY": TEST_KEY}),
        ({"authorization": f"bearer {TEST_KEY}"}, {"ENVIRONMENT_API_KEY": TEST_KEY}),
        (
            {"X-API-Key": "alias-two"},
            {"ENVIRONMENT_API_KEY": TEST_KEY, "ENVIRONMENT_API_KEY_ALIASES": "a1, alias-two"},
        ),
        ({"X-API-Key": "alias-only"}, {"ENVIRONMENT_API_KEY_ALIASES": "alias-only"}),
        ({"X-API-Key": "dev-key"}, {"DEV_ENVIRONMENT_API_KEY": "dev-key"}),
        ({"X-API-Key": "dev-lower"}, {"dev_environment_api_key": "dev-lower"}),
    ],
    ids=[
        "x-api-key",
        "x-api-key-list",
        "x-api-keys",
        "bearer",
        "bearer-lowercase",
        "alias",
        "alias-only",
        "dev-fallback-upper",
        "dev-fallback-lower",
    ],
)
def test_accepted_key_forms(headers: dict[str, str], environ: dict[str, str]) -> None:
    """Every accepted way of presenting a configured key opens every protected route."""
    with _client(environ) as client:
        assert [client.get(p, headers=headers).status_code for p in PROTECTED] == [200, 200, 200]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-API-Key": "wrong"},
        {"X-API-Key": TEST_KEY[:-1]},
        {"X-API-Key": TEST_KEY + "x"},
        {"X-API-Key": TEST_KEY.upper()},
        {"X-API-Key": ""},
        {"Authorization": "Bearer"},
        {"Authorization": f"Basic {base64.b64encode(f'{TEST_KEY}:'.encode()).decode()}"},
        {"Authorization": f"Token {TEST_KEY}"},
    ],
    ids=[
        "missing",
        "wrong",
        "prefix",
        "extension",
        "case-changed",
        "empty",
        "empty-bearer",
        "basic",
        "other-scheme",
    ],
)
def test_rejected_with_401_envelope_and_no_key_material(headers: dict[str, str]) -> None:
    """Missing or wrong keys get 401 with the envelope and nothing of the key in the answer."""
    with _client({"ENVIRONMENT_API_KEY": TEST_KEY}) as client:
        for path in PROTECTED:
            response = client.get(path, headers=headers)
            assert response.status_code == 401
            assert response.json() == {
                "detail": {
                    "error": {"code": "unauthorised", "message": "API key missing or invalid"}
                }
            }
            assert TEST_KEY[:6] not in response.text + str(response.headers)
        rollout = client.post("/rollout", headers=headers, json={})
        assert rollout.status_code == 401


def test_no_key_configured_gives_503() -> None:
    """With no key configured, every protected route answers 503 missing_environment_api_key."""
    with _client({}) as client:
        for path in PROTECTED:
            response = client.get(path, headers={"X-API-Key": "anything"})
            assert response.status_code == 503
            assert response.json()["detail"]["error"]["code"] == "missing_environment_api_key"


def test_dev_fallback_is_never_written_back() -> None:
    """Reading a dev fallback key leaves the environment mapping untouched (unlike synth-ai,
    D35).
    """
    environ = {"DEV_ENVIRONMENT_API_KEY": "dev-key"}
    with _client(environ) as client:
        client.get("/health", headers={"X-API-Key": "dev-key"})
    assert environ == {"DEV_ENVIRONMENT_API_KEY": "dev-key"}
    assert allowed_keys(environ) == ("dev-key",)


def test_key_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    """No log record of a request cycle carries the key."""
    caplog.set_level(logging.DEBUG)
    with _client({"ENVIRONMENT_API_KEY": TEST_KEY}) as client:
        client.get("/health", headers={"X-API-Key": "wrong"})
        client.get("/health", headers={"X-API-Key": TEST_KEY})
    assert TEST_KEY not in caplog.text
