"""The `container` reference app: synth-ai 0.9's PASETO auth in front of `localapi`'s bodies."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from conformance import paseto
from conformance.contract.profiles import CONTAINER, PROFILES, RolloutInputs
from conformance.inference import MockInferenceServer
from conformance.testing import TaskAppClient
from reference_app import build_config, create_profile_app
from reference_app.profiles.container import trusted_keys_problem
from tests.conftest import TEST_KEY
from tests.helpers import sync_client

HEADER = "X-Synth-Container-Authorization"
KEY = paseto.new_key()
OTHER_KEY = paseto.new_key()
SCOPES = {"GET /info": "task_info", "GET /task_info": "task_info", "POST /rollout": "rollout"}
ROUTES = tuple(SCOPES)
BOTH = ["rollout", "task_info"]


def app_client(**environ: str) -> TaskAppClient:
    """The `container` app trusting `KEY` (and an API key it must never read)."""
    env = {
        "SYNTH_CONTAINER_TRUSTED_PUBKEYS": paseto.public_key_b64(KEY),
        "ENVIRONMENT_API_KEY": TEST_KEY,
        **environ,
    }
    return sync_client(create_profile_app(CONTAINER, build_config(environ=env)))


@pytest.fixture
def client() -> Iterator[TaskAppClient]:
    """The `container` app in its default `required` mode."""
    with app_client() as test_client:
        yield test_client


def token(scopes: list[str] | None, key: Ed25519PrivateKey = KEY, **claims: Any) -> str:
    """`Bearer <token>` with these scopes, signed by `key`, with `claims` changed."""
    return paseto.bearer(key, scopes, **claims)


def call(client: TaskAppClient, route: str, headers: dict[str, str], url: str) -> Any:
    """One request to `route`: a valid rollout body for `/rollout`."""
    method, path = route.split()
    if method == "GET":
        return client.get(path, headers=headers)
    inputs = RolloutInputs(cid="trace_ctr", inference_url=url, seed=1)
    return client.post(path, json=PROFILES[CONTAINER].rollout_request(inputs), headers=headers)


def test_health_is_public_and_names_the_header(client: TaskAppClient) -> None:
    """`/health` answers without credentials, with the header the tokens go in."""
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {
        "healthy": True,
        "auth": {
            "required": True,
            "mode": "required",
            "required_header": "x-synth-container-authorization",
        },
    }


@pytest.mark.parametrize(
    ("scopes", "allowed"),
    [
        (["task_info"], {"GET /info", "GET /task_info"}),
        (["rollout"], {"POST /rollout"}),
        (["rollout", "task_info"], set(ROUTES)),
    ],
    ids=["task_info", "rollout", "both"],
)
def test_scopes_open_exactly_their_routes(
    client: TaskAppClient, mock_inference: MockInferenceServer, scopes: list[str], allowed: set[str]
) -> None:
    """`task_info` opens `/info` and `/task_info`, `rollout` opens `/rollout`, nothing more."""
    for route in ROUTES:
        response = call(client, route, {HEADER: token(scopes)}, mock_inference.url)
        assert response.status_code == (200 if route in allowed else 401), route
        if route not in allowed:
            error = response.json()["detail"]["error"]
            assert (error["code"], error["required_scope"]) == ("auth_invalid", SCOPES[route])


BAD_CREDENTIALS = {
    "none": ({}, "auth_missing"),
    "x-api-key": ({"X-API-Key": TEST_KEY}, "auth_missing"),
    "malformed": ({HEADER: "Bearer v4.public.not-a-token"}, "auth_invalid"),
    "untrusted-key": ({HEADER: token(BOTH, OTHER_KEY)}, "auth_invalid"),
    "expired": ({HEADER: token(BOTH, ttl=-timedelta(minutes=1))}, "auth_invalid"),
    "not-yet-valid": ({HEADER: token(BOTH, nbf="2999-01-01T00:00:00Z")}, "auth_invalid"),
    "wrong-audience": ({HEADER: token(BOTH, audience="x")}, "auth_invalid"),
    "wrong-issuer": ({HEADER: token(BOTH, issuer="x")}, "auth_invalid"),
    # Claims and footers of the wrong type are refused, not a 500:
    "expiry-without-offset": ({HEADER: token(BOTH, exp="2999-01-01T00:00:00")}, "auth_invalid"),
    "scope-as-a-list": ({HEADER: token(None, scope=BOTH)}, "auth_invalid"),
    "kid-as-a-list": ({HEADER: token(BOTH, kid=["k1"])}, "auth_invalid"),
}


@pytest.mark.parametrize("case", BAD_CREDENTIALS, ids=list(BAD_CREDENTIALS))
def test_bad_credentials_are_refused_401_with_their_code(
    client: TaskAppClient, mock_inference: MockInferenceServer, case: str
) -> None:
    """No token, an API key, a broken or untrusted token: 401 and the package's error code,
    with no key material in the body.
    """
    headers, code = BAD_CREDENTIALS[case]
    for route in ROUTES:
        response = call(client, route, headers, mock_inference.url)
        assert response.status_code == 401, route
        assert response.json()["detail"]["error"]["code"] == code
        assert TEST_KEY not in response.text
        assert paseto.public_key_b64(KEY) not in response.text


def test_no_trusted_keys_refuses_every_token() -> None:
    """Without SYNTH_CONTAINER_TRUSTED_PUBKEYS the app refuses every token, as synth-ai does."""
    with app_client(SYNTH_CONTAINER_TRUSTED_PUBKEYS="") as client:
        response = client.get("/info", headers={HEADER: token(["task_info"])})
    assert response.status_code == 401
    assert response.json()["detail"]["error"]["deny_reason"].startswith("no trusted keys")


def test_malformed_trusted_keys_refuse_every_token_without_crashing() -> None:
    """A listing that is not base64 keys refuses tokens with a 401, never a 500."""
    with app_client(SYNTH_CONTAINER_TRUSTED_PUBKEYS="not-base64!") as client:
        response = client.get("/info", headers={HEADER: token(["task_info"])})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("optional_local", 200), ("disabled", 200), ("required", 401), ("bogus", 401)],
)
def test_auth_mode_decides_what_a_local_caller_without_token_gets(mode: str, expected: int) -> None:
    """`optional_local` lets a loopback caller in without a token, `disabled` everyone; an
    unknown mode is `required`, and `/health` reports the mode in force.
    """
    with app_client(SYNTH_CONTAINER_AUTH_MODE=mode) as client:
        assert client.get("/info").status_code == expected
        shown = client.get("/health").json()["auth"]["mode"]
    assert shown == ("required" if mode == "bogus" else mode)


def test_optional_local_still_refuses_a_bad_token_and_relayed_calls() -> None:
    """An invalid token is refused even where no token would pass, and so is a relayed call."""
    with app_client(SYNTH_CONTAINER_AUTH_MODE="optional_local") as client:
        assert client.get("/info", headers={HEADER: "Bearer junk"}).status_code == 401
        assert client.get("/info", headers={"x-synth-relay": "1"}).status_code == 401


def test_the_issuer_is_configurable() -> None:
    """SYNTH_CONTAINER_AUTH_ISSUER replaces `synth-backend` as the expected issuer."""
    with app_client(SYNTH_CONTAINER_AUTH_ISSUER="my-backend") as client:
        assert client.get("/info", headers={HEADER: token(["task_info"])}).status_code == 401
        mine = token(["task_info"], issuer="my-backend")
        assert client.get("/info", headers={HEADER: mine}).status_code == 200


def test_trusted_keys_problem_names_the_fix() -> None:
    """`serve --profile container` refuses to start without usable keys, saying how to fix it."""
    assert trusted_keys_problem({}) is not None
    assert "conformance.paseto" in str(trusted_keys_problem({}))
    assert "32 bytes" in str(trusted_keys_problem({"SYNTH_CONTAINER_TRUSTED_PUBKEYS": "abcd"}))
    listed = {"SYNTH_CONTAINER_TRUSTED_PUBKEYS": paseto.public_key_b64(KEY)}
    assert trusted_keys_problem(listed) is None
    assert trusted_keys_problem({"SYNTH_CONTAINER_AUTH_MODE": "disabled"}) is None


def test_paseto_module_exports_a_matching_key_pair() -> None:
    """`eval "$(python -m conformance.paseto)"` sets a public key and the seed it comes from."""
    result = subprocess.run(
        [sys.executable, "-m", "conformance.paseto"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = result.stdout.splitlines()
    exports = dict(line.removeprefix("export ").split("=", 1) for line in lines)
    assert list(exports) == ["SYNTH_CONTAINER_TRUSTED_PUBKEYS", "TASKAPP_CONTAINER_SIGNING_KEY"]
    signing = paseto.load_private_key(exports["TASKAPP_CONTAINER_SIGNING_KEY"])
    assert paseto.public_key_b64(signing) == exports["SYNTH_CONTAINER_TRUSTED_PUBKEYS"]


def test_info_carries_no_rubric_for_synth_ai_09(client: TaskAppClient) -> None:
    """`/info` has `rubrics: null`: synth-ai 0.9.11's `Rubric` is a Rust class that no JSON
    rubric validates as, so any rubric there would make its own `InfoResponse` refuse the body.
    """
    body = client.get("/info", headers={HEADER: token(["task_info"])}).json()
    assert body["rubrics"] is None
    assert body["service"]["task"]["id"] == "arithmetic"


def test_rollout_answers_carry_no_artifact(
    client: TaskAppClient, mock_inference: MockInferenceServer
) -> None:
    """`artifact` is null: 0.9.11 types it as its Rust `Artifact`, which no JSON validates as."""
    response = call(client, "POST /rollout", {HEADER: token(["rollout"])}, mock_inference.url)
    assert response.status_code == 200
    assert response.json()["artifact"] is None
