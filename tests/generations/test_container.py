"""Interop baseline for the `container` generation: what synth-ai 0.9.11 itself serves and accepts.

The app of `container_app.py` runs in-process and trusts a throwaway Ed25519 key pair; the
tests mint PASETO tokens with `paseto.py` and send them as a synth backend does
(`X-Synth-Container-Authorization: Bearer <token>`), then pin what the package answers. These
are the facts future `container` verdicts are checked against (docs/generations.md).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import httpx
import pytest

from conformance.inference import MockInferenceServer
from tests.generations.pins import require

require("container")

import synth_ai_py  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey  # noqa: E402
from synth_ai.sdk.container import create_container  # noqa: E402
from synth_ai.sdk.container._impl.client import ContainerClient  # noqa: E402
from synth_ai.sdk.container._impl.contracts import RolloutRequest, RolloutResponse  # noqa: E402
from synth_ai.sdk.container._impl.validators import (  # noqa: E402
    validate_rollout_response_for_rl,
)

from conformance import paseto  # noqa: E402
from tests.generations import container_app  # noqa: E402

AUTH = "X-Synth-Container-Authorization"
BASE = "http://container.test"
LOOPBACK = ("127.0.0.1", 50000)
REMOTE = ("203.0.113.9", 50000)
ROUTES = (("GET", "/info"), ("GET", "/task_info"), ("POST", "/rollout"), ("POST", "/done"))
T = TypeVar("T")

KEY = Ed25519PrivateKey.generate()
OTHER_KEY = Ed25519PrivateKey.generate()


@pytest.fixture(autouse=True)
def _trust(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app trusts KEY's public half and requires a token, as a deployed container does."""
    monkeypatch.setenv("SYNTH_CONTAINER_TRUSTED_PUBKEYS", paseto.public_key_b64(KEY))
    monkeypatch.setenv("SYNTH_CONTAINER_AUTH_MODE", "required")
    monkeypatch.delenv("SYNTH_CONTAINER_AUTH_ISSUER", raising=False)


def _drive(
    app: Any,
    use: Callable[[httpx.AsyncClient], Awaitable[T]],
    client: tuple[str, int] = LOOPBACK,
) -> T:
    """Run `use` with a client on `app` in-process, seen by the app as coming from `client`."""

    async def run() -> T:
        transport = httpx.ASGITransport(app=app, client=client, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as raw:
            return await use(raw)

    return asyncio.run(run())


def _body(cid: str, inference_url: str | None = None) -> dict[str, Any]:
    config = {"inference_url": f"{inference_url}?cid={cid}"} if inference_url else {}
    request = RolloutRequest(trace_correlation_id=cid, env={"seed": 3}, policy={"config": config})
    return request.model_dump(mode="json", by_alias=True)  # as the package's client prepares it


def _verify(header: str, scope: str | None) -> str:
    try:
        synth_ai_py.container_verify_paseto_header(header, required_scope=scope)
    except Exception as exc:  # the binding raises its own error classes
        return f"{type(exc).__name__}: {exc}"
    return "ok"


@pytest.mark.parametrize(
    ("header", "scope", "verdict"),
    [
        pytest.param(paseto.bearer(KEY, ["rollout"]), "rollout", "ok", id="scoped-bearer"),
        pytest.param(paseto.bearer(KEY, ["rollout"])[7:], "rollout", "ok", id="bare-token"),
        pytest.param(paseto.bearer(KEY, None, scope="rollout"), "rollout", "ok", id="scope-str"),
        pytest.param(paseto.bearer(KEY, []), None, "ok", id="no-scope-asked"),
        pytest.param(
            paseto.bearer(KEY, ["task_info"]),
            "rollout",
            "AuthenticationError: container token missing required scope 'rollout'",
            id="wrong-scope",
        ),
        pytest.param(
            paseto.bearer(OTHER_KEY, ["rollout"]),
            "rollout",
            "AuthenticationError: container token verification failed: TokenValidation",
            id="untrusted-key",
        ),
        pytest.param(
            paseto.bearer(KEY, ["rollout"], ttl=timedelta(minutes=-1)),
            "rollout",
            "AuthenticationError: container token verification failed: ClaimValidation(Exp)",
            id="expired",
        ),
        pytest.param(
            paseto.bearer(KEY, ["rollout"], audience="other"),
            "rollout",
            "AuthenticationError: container token verification failed: ClaimValidation(Aud)",
            id="wrong-audience",
        ),
        pytest.param(
            paseto.bearer(KEY, ["rollout"], issuer="someone"),
            "rollout",
            "AuthenticationError: container token verification failed: ClaimValidation(Iss)",
            id="wrong-issuer",
        ),
        pytest.param(
            paseto.bearer(KEY, ["rollout"], kid="k9"),
            "rollout",
            "AuthenticationError: container token kid 'k9' is not trusted",
            id="unknown-kid",
        ),
        pytest.param(
            "Bearer v4.local.abc",
            "rollout",
            "AuthenticationError: container token is malformed or unsupported",
            id="not-v4-public",
        ),
    ],
)
def test_package_verifier_on_minted_tokens(header: str, scope: str | None, verdict: str) -> None:
    """synth-ai's own verifier accepts our minted tokens and names each broken claim."""
    assert _verify(header, scope) == verdict


def test_verifier_refuses_everything_without_trusted_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without SYNTH_CONTAINER_TRUSTED_PUBKEYS even a well-formed token is refused."""
    monkeypatch.delenv("SYNTH_CONTAINER_TRUSTED_PUBKEYS")
    verdict = _verify(paseto.bearer(KEY, ["rollout"]), "rollout")
    assert verdict == "ConfigError: SYNTH_CONTAINER_TRUSTED_PUBKEYS is not configured"


@pytest.mark.parametrize("mode", ["required", "optional_local", "disabled"])
def test_health_is_public_and_names_the_header(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """`/health` answers without a token in every mode and names the token header."""
    monkeypatch.setenv("SYNTH_CONTAINER_AUTH_MODE", mode)
    response = _drive(container_app.create_app(), lambda raw: raw.get("/health"), REMOTE)
    assert response.status_code == 200
    assert response.json() == {
        "healthy": True,
        "auth": {
            "required": True,
            "mode": mode,
            "required_header": "x-synth-container-authorization",
        },
    }


CREDENTIALS: dict[str, dict[str, str]] = {
    "none": {},
    "rollout-token": {AUTH: paseto.bearer(KEY, ["rollout"])},
    "task_info-token": {AUTH: paseto.bearer(KEY, ["task_info"])},
    "garbage-token": {AUTH: "Bearer junk"},
    "x-api-key": {"X-API-Key": "any"},
}


@pytest.mark.parametrize(
    ("mode", "client", "credential", "statuses"),
    [
        pytest.param("required", LOOPBACK, "none", (401, 401, 401, 401), id="required-none"),
        pytest.param("required", REMOTE, "rollout-token", (401, 401, 200, 200), id="req-rollout"),
        pytest.param("required", REMOTE, "task_info-token", (200, 200, 401, 200), id="req-ti"),
        pytest.param("required", LOOPBACK, "garbage-token", (401, 401, 401, 401), id="req-bad"),
        pytest.param("required", LOOPBACK, "x-api-key", (401, 401, 401, 401), id="req-apikey"),
        pytest.param("optional_local", LOOPBACK, "none", (200, 200, 200, 401), id="local-none"),
        pytest.param("optional_local", REMOTE, "none", (401, 401, 401, 401), id="local-remote"),
        pytest.param("optional_local", LOOPBACK, "garbage-token", (401,) * 4, id="local-bad"),
        pytest.param("disabled", REMOTE, "garbage-token", (200,) * 4, id="disabled-bad"),
        pytest.param("unknown", REMOTE, "none", (401,) * 4, id="unknown-mode-is-required"),
    ],
)
def test_auth_matrix(
    monkeypatch: pytest.MonkeyPatch,
    mode: str,
    client: tuple[str, int],
    credential: str,
    statuses: tuple[int, ...],
) -> None:
    """Each auth mode, caller address and credential gets the package's status on each route."""
    monkeypatch.setenv("SYNTH_CONTAINER_AUTH_MODE", mode)
    headers = CREDENTIALS[credential]

    async def use(raw: httpx.AsyncClient) -> tuple[int, ...]:
        got = []
        for method, path in ROUTES:
            body = _body("c") if path == "/rollout" else None
            got.append((await raw.request(method, path, headers=headers, json=body)).status_code)
        return tuple(got)

    assert _drive(container_app.create_app(), use, client) == statuses


def test_auth_error_bodies() -> None:
    """A missing token is `auth_missing`; an invalid one `auth_invalid`, with the reason."""

    async def use(raw: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        missing = await raw.get("/info")
        scoped = await raw.post(
            "/rollout", json=_body("c"), headers={AUTH: paseto.bearer(KEY, ["task_info"])}
        )
        return missing, scoped

    missing, scoped = _drive(container_app.create_app(), use)
    assert missing.status_code == 401
    assert missing.json() == {
        "detail": {
            "error": {
                "code": "auth_missing",
                "message": "Container token is required",
                "auth_scheme": "none",
                "required_header": "x-synth-container-authorization",
                "have_authorization": False,
                "have_container_auth": False,
                "auth_mode": "required",
                "relay_marked": False,
                "is_loopback": True,
            }
        }
    }
    assert scoped.status_code == 401
    assert scoped.json()["detail"]["error"] == {
        "code": "auth_invalid",
        "message": "Container token invalid or expired",
        "auth_scheme": "paseto",
        "required_scope": "rollout",
        "deny_reason": "container token missing required scope 'rollout'",
    }


def test_task_info_and_rollout_with_backend_tokens(mock_inference: MockInferenceServer) -> None:
    """With scoped tokens `/task_info` and `/rollout` answer, and the RL validator accepts."""
    cid = "gen-container-cid-1"

    async def use(raw: httpx.AsyncClient) -> tuple[Any, Any]:
        info = await raw.get("/task_info?seed=0", headers={AUTH: paseto.bearer(KEY, ["task_info"])})
        rollout = await raw.post(
            "/rollout",
            json=_body(cid, mock_inference.completions_url),
            headers={AUTH: paseto.bearer(KEY, ["rollout"])},
        )
        return info.json(), rollout.json()

    info, wire = _drive(container_app.create_app(), use, REMOTE)
    assert info["task_metadata"] == {"seed": 0, "operands": list(container_app.operands(0))}
    assert "reward_info" in wire
    assert "metrics" not in wire
    reward = wire["reward_info"]["outcome_reward"]
    assert wire["reward_info"]["outcome_objectives"] == {"reward": reward}
    assert RolloutResponse.model_validate(wire).trace_correlation_id == cid
    assert validate_rollout_response_for_rl(wire, warn_only=True) == []
    assert mock_inference.recorder.calls_for(cid), "the app called the model with the issued cid"


def test_blank_cid_is_refused() -> None:
    """A whitespace-only `trace_correlation_id` gets 422 from the request model's validator."""

    async def use(raw: httpx.AsyncClient) -> httpx.Response:
        headers = {AUTH: paseto.bearer(KEY, ["rollout"])}
        return await raw.post(
            "/rollout", json={**_body("c"), "trace_correlation_id": "  "}, headers=headers
        )

    response = _drive(container_app.create_app(), use)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "trace_correlation_id"]


@pytest.mark.parametrize(
    ("returned", "status", "reward_info"),
    [
        pytest.param({"metrics": {"outcome_reward": 0.5}}, 200, True, id="metrics-alias"),
        pytest.param({"reward_info": {"outcome_reward": 0.5}}, 200, True, id="reward_info"),
        pytest.param({}, 422, False, id="no-reward"),
        pytest.param(
            {"reward_info": {"outcome_reward": 1}, "success_status": "fine"},
            422,
            False,
            id="success-status-off-enum",
        ),
    ],
)
def test_executor_mapping_is_validated(
    returned: dict[str, Any], status: int, reward_info: bool
) -> None:
    """A mapping from the executor is validated: `metrics` is read as `reward_info`, else 422."""

    def rollout(request: RolloutRequest, _: Any) -> dict[str, Any]:
        return {"trace_correlation_id": request.trace_correlation_id, **returned}

    app = create_container(dataclasses.replace(container_app.build_config(), rollout=rollout))

    async def use(raw: httpx.AsyncClient) -> httpx.Response:
        headers = {AUTH: paseto.bearer(KEY, ["rollout"])}
        return await raw.post("/rollout", json=_body("c"), headers=headers)

    response = _drive(app, use)
    assert response.status_code == status
    if reward_info:
        assert response.json()["reward_info"]["outcome_reward"] == 0.5
    else:
        assert response.json()["detail"]["error"]["code"] == "invalid_rollout_response"


def test_rl_validator_requires_event_history_even_with_cid_url() -> None:
    """The Rust RL validator rejects a response without `trace.event_history`, `?cid=` or not."""
    issues = validate_rollout_response_for_rl(
        {"trace_correlation_id": "c", "inference_url": "http://h/v1/chat/completions?cid=c"},
        warn_only=True,
    )
    assert issues == [
        "trace.event_history is missing or empty. "
        "Return a v3/v4 trace or provide inference_url for hydration."
    ]


def test_openapi_document_is_a_500() -> None:
    """`/openapi.json` fails (500): pydantic cannot describe the request's ContextOverride type."""
    response = _drive(container_app.create_app(), lambda raw: raw.get("/openapi.json"))
    assert response.status_code == 500


def test_package_client_cannot_be_constructed() -> None:
    """The package's own `ContainerClient.__init__` touches its Rust client before creating it."""
    with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'env'"):
        ContainerClient(BASE, api_key="unused")
