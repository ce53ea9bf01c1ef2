"""The `localapi` canonical document against synth-ai 0.6.6 itself: our models have the
package's fields, the package writes the bodies the document is tested with, the fuzzer's
judge refuses what the package refuses, and fuzzing the package's own app finds nothing.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from conformance.contract import generation_models as ours
from conformance.contract.models import LocalApiTaskInfo
from conformance.contract.profiles import LOCALAPI
from conformance.fuzz import must_refuse, run_fuzz
from conformance.openapi import openapi_document
from conformance.target import asgi_target
from tests.generations.pins import require

require("localapi")

from synth_ai.data import enums  # noqa: E402
from synth_ai.data.artifacts import Artifact  # noqa: E402
from synth_ai.data.coding_agent_context import (  # noqa: E402
    ApplicationErrorType,
    ApplicationStatus,
    ContextOverride,
    ContextOverrideStatus,
    OverrideApplicationError,
)
from synth_ai.sdk.localapi._impl import contracts  # noqa: E402

from tests.generations import examples, localapi_app  # noqa: E402

KEY = "gen-localapi-fake-key-5e4d3c2b1a09f8"


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app authenticates with this key only (no dev fallbacks)."""
    monkeypatch.setenv("ENVIRONMENT_API_KEY", KEY)
    for name in ("ENVIRONMENT_API_KEY_ALIASES", "DEV_ENVIRONMENT_API_KEY"):
        monkeypatch.delenv(name, raising=False)


def _shape(model: type[BaseModel]) -> tuple[list[str], list[str]]:
    """(every field, the required ones) of a pydantic model, by wire name."""
    fields = {f.alias or name: f for name, f in model.model_fields.items()}
    return sorted(fields), sorted(n for n, f in fields.items() if f.is_required())


@pytest.mark.parametrize(
    ("mine", "theirs"),
    [
        (ours.LocalApiRolloutRequest, contracts.RolloutRequest),
        (ours.LocalApiPolicySpec, contracts.RolloutPolicySpec),
        (ours.LocalApiSafetyConfig, contracts.RolloutSafetyConfig),
        (ours.StructuredOutputConfig, contracts.StructuredOutputConfig),
        (ours.LocalApiRolloutResponse, contracts.RolloutResponse),
        (ours.RewardInfo, contracts.RolloutMetrics),
        (ours.Artifact, Artifact),
        (ours.ContextOverride, ContextOverride),
        (ours.ContextOverrideStatus, ContextOverrideStatus),
        (ours.OverrideApplicationError, OverrideApplicationError),
        (LocalApiTaskInfo, contracts.TaskInfo),
    ],
    ids=lambda m: m.__name__,
)
def test_our_models_have_the_packages_fields(
    mine: type[BaseModel], theirs: type[BaseModel]
) -> None:
    """Each model of the document has the package model's fields, the same ones required."""
    assert _shape(mine) == _shape(theirs)


@pytest.mark.parametrize(
    ("mine", "theirs"),
    [
        (ours.OutputMode, enums.OutputMode),
        (ours.SuccessStatus, enums.SuccessStatus),
        (ours.ApplicationStatus, ApplicationStatus),
        (ours.ApplicationErrorType, ApplicationErrorType),
    ],
    ids=lambda m: m.__name__,
)
def test_enums_have_the_packages_values(mine: Any, theirs: Any) -> None:
    """Every enumeration of the document has the package's values."""
    assert sorted(m.value for m in mine) == sorted(m.value for m in theirs)


def test_the_package_writes_the_example_bodies() -> None:
    """The bodies the document is tested with are what the package's models write."""
    request = contracts.RolloutRequest(
        trace_correlation_id=examples.CID,
        env=contracts.RolloutEnvSpec(env_name="math", seed=7, config={"split": "train"}),
        policy=contracts.RolloutPolicySpec(
            policy_name="p",
            config={"model": "gpt-4o-mini", "inference_url": examples.INFERENCE_URL},
        ),
    )
    response = contracts.RolloutResponse(
        trace_correlation_id=examples.CID,
        reward_info=contracts.RolloutMetrics(outcome_reward=1.0),
        trace={"event_history": [{"type": "lm_call"}]},
    )
    assert request.model_dump(mode="json") == examples.LOCALAPI_REQUEST
    assert response.model_dump(mode="json") == examples.LOCALAPI_RESPONSE


def test_the_packages_openapi_requires_what_ours_does() -> None:
    """The app's own /openapi.json and the canonical document require the same request fields."""
    theirs = localapi_app.create_app().openapi()["components"]["schemas"]["RolloutRequest"]
    mine = openapi_document(LOCALAPI)["components"]["schemas"]["LocalApiRolloutRequest"]
    assert sorted(theirs["required"]) == sorted(mine["required"])


@pytest.mark.parametrize(
    "body",
    [
        examples.LOCALAPI_REQUEST,
        {"env": {}, "policy": {}},
        {"trace_correlation_id": "", "env": {}, "policy": {}},
        {"trace_correlation_id": "c", "env": {"seed": "3"}, "policy": {}, "run_id": "r"},
        {"trace_correlation_id": "c", "env": {"seed": 1.5}, "policy": {}},
        {"trace_correlation_id": "c", "env": {}, "policy": {"output_mode": "json"}},
        {"trace_correlation_id": "c", "env": {}, "policy": {}, "safety": {"max_time_s": "x"}},
        {"trace_correlation_id": 7, "env": {}, "policy": {}},
    ],
    ids=[
        "example",
        "no-cid",
        "empty-cid",
        "lax-seed-extra-field",
        "float-seed",
        "bad-output-mode",
        "bad-max-time",
        "int-cid",
    ],
)
def test_the_fuzzers_judge_refuses_what_the_package_refuses(body: dict[str, Any]) -> None:
    """`must_refuse` says a body MUST be refused exactly when the package's model refuses it."""
    try:
        contracts.RolloutRequest.model_validate(body)
        refused = False
    except ValidationError:
        refused = True
    judged = must_refuse("POST", "/rollout", "", json.dumps(body).encode(), LOCALAPI)
    assert (judged is not None) == refused


def test_fuzzing_the_packages_app_finds_nothing() -> None:
    """The package's own app passes the canonical document: every phase ran, every rollout
    the document allows was answered with a valid RolloutResponse or a documented refusal.
    """
    target = asgi_target(localapi_app.create_app(), KEY, "synth-ai 0.6.6 LocalAPI")
    report = run_fuzz(target, examples=10, seed=0, profile=LOCALAPI)
    assert (report.failures, report.skipped) == ([], [])
    assert report.cases_by_phase["POST /rollout positive"] == 10
    assert report.statuses.get(200, 0) > 10
