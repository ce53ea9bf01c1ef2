"""The `container` canonical document against synth-ai 0.9.11 itself: our models have the
package's fields, the package writes the body the document is tested with, the fuzzer's judge
refuses what the package refuses, and fuzzing the package's own app, with a token it trusts,
finds nothing.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, ValidationError

from conformance import paseto
from conformance.contract import generation_models as ours
from conformance.contract.models import LocalApiTaskInfo
from conformance.contract.profiles import CONTAINER
from conformance.fuzz import must_refuse, response_problems, run_fuzz
from conformance.target import asgi_target
from tests.generations.pins import require

require("container")

from synth_ai.sdk.container._impl import contracts  # noqa: E402

from tests.generations import container_app, examples  # noqa: E402

KEY = paseto.new_key()


@pytest.fixture(autouse=True)
def _trust(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app trusts KEY's public half and requires a token, as a deployed container does."""
    monkeypatch.setenv("SYNTH_CONTAINER_TRUSTED_PUBKEYS", paseto.public_key_b64(KEY))
    monkeypatch.setenv("SYNTH_CONTAINER_AUTH_MODE", "required")


def _shape(model: type[BaseModel]) -> tuple[list[str], list[str]]:
    """(every field, the required ones) of a pydantic model, by wire name (input aliases too:
    the package reads `metrics` as `reward_info`, and so is `reward_info` here).
    """
    fields = {f.alias or name: f for name, f in model.model_fields.items()}
    return sorted(fields), sorted(n for n, f in fields.items() if f.is_required())


@pytest.mark.parametrize(
    ("mine", "theirs"),
    [
        (ours.ContainerRolloutRequest, contracts.RolloutRequest),
        (ours.LocalApiPolicySpec, contracts.RolloutPolicySpec),
        (ours.ContainerSafetyConfig, contracts.RolloutSafetyConfig),
        (ours.ContainerRolloutResponse, contracts.RolloutResponse),
        (ours.ContainerRewardInfo, contracts.RolloutMetrics),
        (LocalApiTaskInfo, contracts.TaskInfo),
    ],
    ids=lambda m: m.__name__,
)
def test_our_models_have_the_packages_fields(
    mine: type[BaseModel], theirs: type[BaseModel]
) -> None:
    """Each model of the document has the package model's fields, the same ones required."""
    assert _shape(mine) == _shape(theirs)


def test_the_package_writes_the_example_body() -> None:
    """The body the document is tested with is what the package's model writes."""
    request = contracts.RolloutRequest(
        trace_correlation_id=examples.CID,
        env=contracts.RolloutEnvSpec(seed=7),
        policy=contracts.RolloutPolicySpec(config={"inference_url": examples.INFERENCE_URL}),
        planner_mode="direct",
    )
    assert request.model_dump(mode="json") == examples.CONTAINER_REQUEST


@pytest.mark.parametrize(
    "body",
    [
        examples.CONTAINER_REQUEST,
        {"env": {}, "policy": {}},
        {"trace_correlation_id": " \t", "env": {}, "policy": {}},
        {"trace_correlation_id": "c", "env": {}, "policy": {}, "planner_mode": "auto"},
        {"trace_correlation_id": "c", "env": {}, "policy": {}, "safety": {"max_time_s": 1.5}},
        {"trace_correlation_id": "c", "env": {"seed": "3"}, "policy": {}, "run_id": "r"},
        {"trace_correlation_id": "c", "env": {}, "policy": {}, "paired_eval": []},
    ],
    ids=[
        "example",
        "no-cid",
        "blank-cid",
        "bad-planner-mode",
        "fractional-max-time",
        "lax-seed-extra-field",
        "bad-paired-eval",
    ],
)
def test_the_fuzzers_judge_refuses_what_the_package_refuses(body: dict[str, Any]) -> None:
    """`must_refuse` says a body MUST be refused exactly when the package's model refuses it."""
    try:
        contracts.RolloutRequest.model_validate(body)
        refused = False
    except ValidationError:
        refused = True
    judged = must_refuse("POST", "/rollout", "", json.dumps(body).encode(), CONTAINER)
    assert (judged is not None) == refused


def test_the_packages_health_is_the_documented_one() -> None:
    """`GET /health` without a token is the document's ContainerHealthResponse."""

    async def health() -> httpx.Response:
        transport = httpx.ASGITransport(app=container_app.create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://container.test") as c:
            return await c.get("/health")

    answer = asyncio.run(health())
    assert answer.status_code == 200
    assert response_problems("GET", "/health", 200, answer.json(), CONTAINER) == []


def test_fuzzing_the_packages_app_finds_nothing() -> None:
    """The package's own app, fuzzed with a token scoped for every route, passes the
    canonical document: no case refused as unauthorised, no failure.
    """
    token = paseto.bearer(KEY, ["rollout", "task_info"], ttl=timedelta(hours=1))
    target = asgi_target(container_app.create_app(), None, "synth-ai 0.9.11 Container")
    report = run_fuzz(
        target,
        examples=10,
        seed=0,
        profile=CONTAINER,
        auth_headers={"X-Synth-Container-Authorization": token},
    )
    assert (report.failures, report.skipped) == ([], [])
    assert report.statuses.get(401, 0) == 0
    assert report.statuses.get(200, 0) > 10
