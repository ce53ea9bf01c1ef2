"""Interop baseline for the `localapi` generation: what synth-ai 0.6.6 itself serves and accepts.

Each test drives the app of `localapi_app.py` (or the package's own template app) in-process,
the way the package's own `LocalAPIClient` does, and pins what the package returns. These are
the facts future `localapi` verdicts are checked against (docs/generations.md, "localapi").
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest

from conformance.inference import MockInferenceServer
from tests.generations.pins import require

require("localapi")

from synth_ai.sdk.localapi._impl.client import LocalAPIClient  # noqa: E402
from synth_ai.sdk.localapi._impl.contracts import (  # noqa: E402
    RolloutRequest,
    RolloutResponse,
    TaskInfo,
)
from synth_ai.sdk.localapi._impl.validators import validate_rollout_response_for_rl  # noqa: E402
from synth_ai.sdk.localapi.rollouts import RolloutResponseBuilder  # noqa: E402
from synth_ai.sdk.localapi.template import create_template_app  # noqa: E402

from tests.generations import localapi_app  # noqa: E402

KEY = "gen-localapi-fake-key-3c2b1a09f8e7d6"
BASE = "http://localapi.test"
T = TypeVar("T")


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's key in os.environ, where synth-ai's auth reads it on every request."""
    monkeypatch.setenv("ENVIRONMENT_API_KEY", KEY)
    for name in ("ENVIRONMENT_API_KEY_ALIASES", "DEV_ENVIRONMENT_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("dev_environment_api_key", raising=False)


def _drive(app: Any, use: Callable[[LocalAPIClient, httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run `use` with the package's own client and a raw client, both in-process on `app`."""

    async def run() -> T:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as raw:
            client = LocalAPIClient(BASE, api_key=KEY)
            client._client = raw  # the package's client, on our in-process transport
            return await use(client, raw)

    return asyncio.run(run())


def _request(cid: str, inference_url: str) -> RolloutRequest:
    return RolloutRequest(
        trace_correlation_id=cid,
        env={"seed": 3},
        policy={"policy_name": "gen", "config": {"inference_url": f"{inference_url}?cid={cid}"}},
    )


def test_health_is_the_legacy_shape_and_needs_the_key() -> None:
    """`/health` answers the legacy body (with a 6-character key prefix) to an authorised caller."""

    async def use(client: LocalAPIClient, raw: httpx.AsyncClient) -> Any:
        return await client.health(), await raw.get("/health")

    body, anonymous = _drive(localapi_app.create_app(), use)
    assert body == {"healthy": True, "auth": {"required": True, "expected_prefix": KEY[:6] + "..."}}
    assert anonymous.status_code == 400


def test_auth_rejection_is_400_and_echoes_key_prefixes() -> None:
    """A missing key gets 400 `unauthorised`, and the body carries the first 15 key characters."""

    async def use(_: LocalAPIClient, raw: httpx.AsyncClient) -> httpx.Response:
        return await raw.get("/task_info", headers={"X-API-Key": "wrong"})

    response = _drive(localapi_app.create_app(), use)
    assert response.status_code == 400
    error = response.json()["detail"]["error"]
    assert (error["code"], error["message"]) == ("unauthorised", "API key missing or invalid")
    assert error["allowed_first15"] == [KEY[:15]]
    assert error["got_first15"] == ["wrong"]


def test_task_info_serves_taskset_and_instances() -> None:
    """`/task_info` gives `{"taskset"}` without seeds, one TaskInfo for one seed, a list for two."""

    async def use(client: LocalAPIClient, raw: httpx.AsyncClient) -> Any:
        headers = {"X-API-Key": KEY}
        taskset = (await raw.get("/task_info", headers=headers)).json()
        two = (await raw.get("/task_info?seed=0&seed=1", headers=headers)).json()
        return taskset, await client.task_info([0]), two

    taskset, one, two = _drive(localapi_app.create_app(), use)
    assert taskset == {"taskset": localapi_app.TASKSET}
    assert isinstance(one, TaskInfo)
    assert one.task_metadata == {"seed": 0, "operands": list(localapi_app.operands(0))}
    assert [item["task_metadata"]["seed"] for item in two] == [0, 1]
    assert "environment" in two[0]  # optional since 0.4.12, still serialised (as null)


def test_rollout_round_trips_through_the_package_client(
    mock_inference: MockInferenceServer,
) -> None:
    """A rollout answers `reward_info`, not `metrics`, echoes the cid, passes the RL validator."""
    cid = "gen-localapi-cid-1"
    request = _request(cid, mock_inference.completions_url)

    async def use(client: LocalAPIClient, raw: httpx.AsyncClient) -> Any:
        typed = await client.rollout(request)
        body = request.model_dump(mode="json", by_alias=True)
        return typed, (await raw.post("/rollout", json=body, headers={"X-API-Key": KEY})).json()

    typed, wire = _drive(localapi_app.create_app(), use)
    assert isinstance(typed, RolloutResponse)
    assert typed.trace_correlation_id == cid
    assert set(wire) == {
        "trace_correlation_id",
        "reward_info",
        "trace",
        "inference_url",
        "artifact",
        "success_status",
        "status_detail",
        "override_application_results",
    }
    assert wire["reward_info"]["outcome_reward"] in (0.0, 1.0)
    assert wire["trace"]["metadata"] == {"trace_correlation_id": cid}
    assert validate_rollout_response_for_rl(wire, warn_only=True) == []
    assert mock_inference.recorder.calls_for(cid), "the app called the model with the issued cid"


def test_request_without_cid_is_refused_and_legacy_fields_are_ignored() -> None:
    """A 0.2 body (run_id, mode, ops, no cid) gets 422; those fields beside a cid are ignored."""
    legacy = {
        "run_id": "r",
        "mode": "rl",
        "ops": ["agent", "env"],
        "env": {"seed": 0},
        "policy": {"config": {}},
    }

    async def use(_: LocalAPIClient, raw: httpx.AsyncClient) -> Any:
        headers = {"X-API-Key": KEY}
        refused = await raw.post("/rollout", json=legacy, headers=headers)
        accepted = await raw.post(
            "/rollout", json={**legacy, "trace_correlation_id": "c"}, headers=headers
        )
        return refused, accepted

    refused, accepted = _drive(localapi_app.create_app(), use)
    assert refused.status_code == 422
    assert [e["loc"] for e in refused.json()["detail"]] == [["body", "trace_correlation_id"]]
    assert accepted.status_code == 200


def test_metrics_key_is_not_accepted_for_reward_info() -> None:
    """Since 0.5.0 the response model requires `reward_info`; a 0.4.12-style `metrics` fails it."""
    with pytest.raises(ValueError, match="reward_info"):
        RolloutResponse.model_validate(
            {"trace_correlation_id": "c", "metrics": {"outcome_reward": 1}}
        )


def test_rl_validator_requires_event_history_even_with_cid_url() -> None:
    """The RL validator rejects a response without `trace.event_history`, `?cid=` URL or not."""
    issues = validate_rollout_response_for_rl(
        {"trace_correlation_id": "c", "inference_url": "http://h/v1/chat/completions?cid=c"},
        warn_only=True,
    )
    assert issues == [
        "trace.event_history is missing or empty. "
        "Return a v3/v4 trace or provide inference_url for hydration."
    ]


def test_package_template_app_fails_its_own_rl_validator() -> None:
    """The package's own template serves no instances and a rollout its RL validator rejects."""

    async def use(_: LocalAPIClient, raw: httpx.AsyncClient) -> Any:
        headers = {"X-API-Key": KEY}
        instances = (await raw.get("/task_info?seed=0", headers=headers)).json()
        body = {"trace_correlation_id": "c", "env": {"seed": 0}, "policy": {"config": {}}}
        return instances, (await raw.post("/rollout", json=body, headers=headers)).json()

    instances, rollout = _drive(create_template_app(), use)
    assert instances == []
    assert rollout["trace"] == {"event_history": [], "metadata": {}}
    assert len(validate_rollout_response_for_rl(rollout, warn_only=True)) == 2


def test_package_response_builder_cannot_build_a_response() -> None:
    """`RolloutResponseBuilder.trace_only` still passes `metrics=`, which 0.5+ responses reject."""
    with pytest.raises(ValueError, match="reward_info"):
        RolloutResponseBuilder.trace_only(trace_correlation_id="c", reward=1.0, trace=None)
