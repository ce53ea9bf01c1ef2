"""The reference app's bodies, as each generation's own package reads them.

Each test needs its generation's pinned package (`tests/generations/pins.py`) and skips without
it; the generation's tox env (`tox -e gen-localapi`, `gen-container`, `gen-containers`) runs
this module with the package installed and fails instead of skipping.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import httpx
import pytest

from conformance import paseto
from conformance.contract.profiles import (
    CONTAINER,
    CONTAINERS,
    LOCALAPI,
    PROFILES,
    TERMINAL_STATES,
    RolloutInputs,
)
from conformance.inference import MockInferenceServer
from reference_app import build_config, create_profile_app
from tests.conftest import TEST_KEY
from tests.generations.pins import require

BASE = "http://reference.test"
KEY = paseto.new_key()
OTHER_KEY = paseto.new_key()
T = TypeVar("T")


def _drive(app: Any, use: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run `use` with a client on `app`, in-process, on one event loop (async rollouts run)."""

    async def run() -> T:
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            return await use(client)

    return asyncio.run(run())


def _request(profile: str, url: str, **extra: Any) -> dict[str, Any]:
    cid = f"trace_{uuid.uuid4().hex}"
    inputs = RolloutInputs(cid=cid, inference_url=url, seed=5, split="train", **extra)
    return PROFILES[profile].rollout_request(inputs)


# --- localapi: synth-ai 0.6.6 ----------------------------------------------------------------


def test_localapi_package_client_drives_the_app(mock_inference: MockInferenceServer) -> None:
    """synth-ai 0.6.6's own client reads `/health`, `/task_info` and a rollout of the app, and
    its RL validator finds nothing missing.
    """
    require(LOCALAPI)
    from synth_ai.sdk.localapi._impl.client import LocalAPIClient
    from synth_ai.sdk.localapi._impl.contracts import RolloutRequest, RolloutResponse, TaskInfo
    from synth_ai.sdk.localapi._impl.server import InfoResponse
    from synth_ai.sdk.localapi._impl.validators import validate_rollout_response_for_rl

    app = create_profile_app(LOCALAPI, build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY}))
    request = RolloutRequest.model_validate(_request(LOCALAPI, mock_inference.url))

    async def use(raw: httpx.AsyncClient) -> tuple[Any, ...]:
        client = LocalAPIClient(BASE, api_key=TEST_KEY)
        client._client = raw  # the package's client, on our in-process transport
        health, info = await client.health(), await client.info()
        return health, info, await client.task_info([0]), await client.rollout(request)

    health, info, instance, response = _drive(app, use)
    assert health["healthy"] is True
    InfoResponse.model_validate(info)
    assert isinstance(instance, TaskInfo)
    assert isinstance(response, RolloutResponse)
    assert response.trace_correlation_id == request.trace_correlation_id
    assert validate_rollout_response_for_rl(response.model_dump(mode="json")) == []


# --- container: synth-ai 0.9.11 --------------------------------------------------------------


@pytest.fixture
def container_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """KEY trusted by the app and, for the package's verifier, by this process."""
    environ = {"SYNTH_CONTAINER_TRUSTED_PUBKEYS": paseto.public_key_b64(KEY)}
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SYNTH_CONTAINER_AUTH_ISSUER", raising=False)
    return environ


def test_container_response_validates_as_the_packages(
    mock_inference: MockInferenceServer, container_env: dict[str, str]
) -> None:
    """synth-ai 0.9.11 takes the harness's request and the app's `/info` and rollout answer as
    its own models, and its (Rust) RL validator finds nothing missing.
    """
    require(CONTAINER)
    from synth_ai.sdk.container._impl.contracts import RolloutRequest, RolloutResponse
    from synth_ai.sdk.container._impl.server import InfoResponse
    from synth_ai.sdk.container._impl.validators import validate_rollout_response_for_rl

    app = create_profile_app(CONTAINER, build_config(environ=container_env))
    body = _request(CONTAINER, mock_inference.url)
    RolloutRequest.model_validate(body)
    header = {"X-Synth-Container-Authorization": paseto.bearer(KEY, ["rollout", "task_info"])}

    async def use(client: httpx.AsyncClient) -> tuple[httpx.Response, httpx.Response]:
        info = await client.get("/info", headers=header)
        return info, await client.post("/rollout", json=body, headers=header)

    info, rollout = _drive(app, use)
    InfoResponse.model_validate(info.json())
    wire = rollout.json()
    assert RolloutResponse.model_validate(wire).trace_correlation_id == body["trace_correlation_id"]
    assert validate_rollout_response_for_rl(wire, warn_only=True) == []


TOKENS = {
    "scoped": paseto.bearer(KEY, ["rollout", "task_info"]),
    "scope-string": paseto.bearer(KEY, None, scope="task_info"),
    "bare-token": paseto.bearer(KEY, ["task_info", "rollout"])[len("Bearer ") :],
    "other-scope": paseto.bearer(KEY, ["something"]),
    "untrusted": paseto.bearer(OTHER_KEY, ["rollout", "task_info"]),
    "expired": paseto.bearer(KEY, ["rollout", "task_info"], ttl=-timedelta(minutes=1)),
    "not-yet-valid": paseto.bearer(KEY, ["task_info"], nbf="2999-01-01T00:00:00Z"),
    "wrong-audience": paseto.bearer(KEY, ["rollout", "task_info"], audience="elsewhere"),
    "wrong-issuer": paseto.bearer(KEY, ["rollout", "task_info"], issuer="someone"),
    "garbage": "Bearer v4.public.AAAA",
}


@pytest.mark.parametrize("name", TOKENS, ids=list(TOKENS))
@pytest.mark.parametrize("scope", ["task_info", "rollout"])
def test_container_app_agrees_with_the_packages_verifier(
    container_env: dict[str, str], name: str, scope: str
) -> None:
    """For every token, the app accepts exactly what synth-ai 0.9.11's own verifier accepts."""
    require(CONTAINER)
    import synth_ai_py

    header = TOKENS[name]
    try:
        synth_ai_py.container_verify_paseto_header(header, required_scope=scope)
        package_accepts = True
    except Exception:  # the binding raises its own error classes
        package_accepts = False
    app = create_profile_app(CONTAINER, build_config(environ=container_env))
    path = "/task_info" if scope == "task_info" else "/rollout"

    async def use(client: httpx.AsyncClient) -> httpx.Response:
        headers = {"X-Synth-Container-Authorization": header}
        if path == "/rollout":  # refused before the body is read, or a 422 for `{}`
            return await client.post(path, json={}, headers=headers)
        return await client.get(path, headers=headers)

    status = _drive(app, use).status_code
    assert (status != 401) is package_accepts, status


# --- containers-2026-05: synth-containers 0.4.6 ----------------------------------------------


def _surface(capabilities: dict[str, Any]) -> Any:
    """The package's `RuntimeCapabilitySurface` for the app's declared capabilities."""
    from synth_containers.capabilities import (
        RouteHints,
        RuntimeCapabilitySurface,
        TokenEmissionCapabilities,
    )

    fields = {f.name for f in dataclasses.fields(RuntimeCapabilitySurface)}
    given = {k: v for k, v in capabilities.items() if k in fields}
    given["route_hints"] = RouteHints(**given["route_hints"])
    given["token_emission"] = TokenEmissionCapabilities(**given["token_emission"])
    return RuntimeCapabilitySurface(**given)


def test_containers_package_client_drives_the_app(mock_inference: MockInferenceServer) -> None:
    """synth-containers 0.4.6's own HTTP client runs a sync and an async rollout on the app;
    the records pass the SDK's record model, every state change is one `wire.py` allows, the
    request is its strict model's, and `/compatibility` is what the package computes from the
    app's `/metadata`.
    """
    require(CONTAINERS)
    from synth_containers.compatibility import compatibility_matrix
    from synth_containers.http_client import HTTPContainerClient
    from synth_containers.http_models import RolloutRequestModel
    from synth_containers.metadata import CONTAINER_CONTRACT_PROTOCOL
    from synth_containers.ontology import CONTRACT_VERSION
    from synth_containers.sdk import CompletedRolloutPayload, RolloutStatePayload
    from synth_containers.wire import RolloutState, assert_valid_transition

    app = create_profile_app(CONTAINERS, build_config(environ={}))
    sync_body = _request(CONTAINERS, mock_inference.url)
    async_body = {**_request(CONTAINERS, mock_inference.url), "submission_mode": "async"}
    for body in (sync_body, async_body):
        RolloutRequestModel.model_validate(body)

    async def use(raw: httpx.AsyncClient) -> dict[str, Any]:
        client = HTTPContainerClient(base_url=BASE, client=raw)
        seen: dict[str, Any] = {
            "health": await client.health(),
            "metadata": await client.metadata(),
            "compatibility": await client.compatibility(),
            "sync": await client.rollout(sync_body),
            "async": [await client.rollouts(async_body)],
        }
        while seen["async"][-1]["status"] not in TERMINAL_STATES:
            await asyncio.sleep(0.02)
            seen["async"].append(await client.get_rollout(async_body["rollout_id"]))
        seen["state"] = await client._get(f"/rollouts/{async_body['rollout_id']}/state")
        return seen

    seen = _drive(app, use)
    assert seen["health"]["contract_version"] == CONTRACT_VERSION
    assert seen["metadata"]["capabilities"]["protocol"] == CONTAINER_CONTRACT_PROTOCOL
    assert seen["compatibility"] == compatibility_matrix(_surface(seen["metadata"]["capabilities"]))
    CompletedRolloutPayload.model_validate(seen["sync"]).record_for(sync_body["rollout_id"])
    assert seen["sync"]["status"] == "completed"
    RolloutStatePayload.model_validate(seen["state"])
    states = [RolloutState(record["status"]) for record in seen["async"]]
    for before, after in itertools.pairwise(states):
        assert_valid_transition(before, after)
    assert states[-1] is RolloutState.COMPLETED
