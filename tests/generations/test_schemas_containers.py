"""The `containers-2026-05` canonical document against synth-containers 0.4.6 itself: the
request is its strict `RolloutRequestModel` field for field, its enums and rollout-id pattern
are the package's, the fuzzer's judge refuses what every one of its servers refuses, and
fuzzing its apps finds nothing in a legal one and the README app's known crash.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from conformance.contract import generation_models as ours
from conformance.contract.profiles import CONTAINERS, ROLLOUT_ID_PATTERN, ROLLOUT_STATES
from conformance.fuzz import must_refuse, run_fuzz
from conformance.target import asgi_target
from tests.generations.pins import require

require("containers-2026-05")

from synth_containers import Container, event_log, http_models, proxying, wire  # noqa: E402
from synth_containers.sdk import RolloutSubmissionPayload  # noqa: E402

from tests.generations import containers_app, examples  # noqa: E402


def _shape(model: type[BaseModel]) -> tuple[list[str], list[str]]:
    """(every field, the required ones) of a pydantic model."""
    fields = model.model_fields
    return sorted(fields), sorted(n for n, f in fields.items() if f.is_required())


@pytest.mark.parametrize(
    ("mine", "theirs"),
    [
        (ours.ContainersRolloutRequest, http_models.RolloutRequestModel),
        (ours.ContainersPolicySpec, http_models.RolloutPolicySpecModel),
        (ours.RolloutActorSpec, http_models.RolloutActorSpecModel),
        (ours.RolloutTelemetry, http_models.RolloutTelemetryModel),
        (ours.RolloutTelemetryFrame, http_models.RolloutTelemetryFrameModel),
    ],
    ids=lambda m: m.__name__,
)
def test_our_request_is_the_packages_strict_model(
    mine: type[BaseModel], theirs: type[BaseModel]
) -> None:
    """The document's request has the strict model's fields, none required, unknowns forbidden."""
    assert _shape(mine) == _shape(theirs)
    assert mine.model_config.get("extra") == theirs.model_config.get("extra") == "forbid"


@pytest.mark.parametrize(
    ("mine", "theirs"),
    [
        (ours.SubmissionMode, wire.SubmissionMode),
        (ours.RolloutState, wire.RolloutState),
        (ours.InferenceApiFamily, proxying.InferenceApiFamily),
        (ours.PolicyDisableReasoning, proxying.PolicyDisableReasoning),
        (ours.ToolCallStyle, proxying.ToolCallStyle),
        (ours.ProxyMode, proxying.ProxyMode),
        (ours.CredentialMode, proxying.CredentialMode),
    ],
    ids=lambda m: m.__name__,
)
def test_enums_have_the_packages_values(mine: Any, theirs: Any) -> None:
    """Every enumeration of the document has the package's values."""
    assert sorted(m.value for m in mine) == sorted(m.value for m in theirs)


def test_rollout_ids_and_states_are_the_packages() -> None:
    """The rollout-id pattern and the lifecycle states are the package's own."""
    assert event_log._ROLLOUT_ID.pattern == ROLLOUT_ID_PATTERN
    assert tuple(wire.RolloutState) == ROLLOUT_STATES


def test_the_package_writes_the_example_body() -> None:
    """The body the document is tested with is the strict model as the adapter reads it."""
    request = http_models.RolloutRequestModel(
        rollout_id="smoke-1",
        seed=3,
        trace_correlation_id=examples.CID,
        submission_mode="sync",
        policy={
            "provider": "openai",
            "model": "gpt-4o-mini",
            "inference_url": examples.INFERENCE_URL,
        },
    )
    assert request.model_dump(mode="json", exclude_none=True) == examples.CONTAINERS_REQUEST


def _refused_by(model: type[BaseModel], body: Any) -> bool:
    try:
        model.model_validate(body)
    except ValidationError:
        return True
    return False


@pytest.mark.parametrize(
    "body",
    [
        examples.CONTAINERS_REQUEST,
        examples.CONTAINERS_README_REQUEST,
        {},
        {"rollout_id": ""},
        {"rollout_id": 7},
        {"rollout_id": "a b"},
        {"submission_mode": "later"},
        {"submission_mode": "async", "extra": True},
        [],
    ],
    ids=[
        "example",
        "readme",
        "empty",
        "empty-id",
        "int-id",
        "id-off-pattern",
        "bad-mode",
        "async-extra",
        "not-an-object",
    ],
)
def test_the_fuzzers_judge_refuses_what_every_server_refuses(body: Any) -> None:
    """A body MUST be refused exactly when neither server takes it: the SDK's submission model
    refuses it, and so does the adapter's strict model or the package's own submission-mode
    rule (`wire.validate_submission_mode_request`, which the adapter never calls: it 500s).
    What only one server refuses is open.
    """
    adapter = _refused_by(http_models.RolloutRequestModel, body) or (
        isinstance(body, dict) and wire.validate_submission_mode_request(body) is not None
    )
    both = _refused_by(RolloutSubmissionPayload, body) and adapter
    judged = must_refuse("POST", "/rollouts", "", json.dumps(body).encode(), CONTAINERS)
    assert (judged is not None) == both


def _legal_sdk_app() -> Any:
    """An SDK app that plays any request: the README's, reading its task fields with .get."""
    container = Container("legal-exact-match", default_submission_mode="sync")

    @container.rollout
    def rollout(payload: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat()
        reward = float(payload.get("answer") == payload.get("expected"))
        return {
            "rollout_id": payload["rollout_id"],
            "status": "completed",
            "success_status": "success",
            "created_at": now,
            "updated_at": now,
            "reward_info": {"outcome_reward": reward},
        }

    return container.fastapi()


@pytest.mark.parametrize(
    "factory",
    [containers_app.create_strict_app, _legal_sdk_app],
    ids=["reference-adapter", "legal-sdk-app"],
)
def test_fuzzing_a_legal_app_of_the_package_finds_nothing(factory: Any) -> None:
    """The package's reference adapter and a legal SDK app pass the canonical document."""
    report = run_fuzz(
        asgi_target(factory(), None, "synth-containers"), examples=10, seed=0, profile=CONTAINERS
    )
    assert (report.failures, report.skipped) == ([], [])
    assert report.statuses.get(200, 0) > 10


def test_fuzzing_finds_the_readme_apps_crash() -> None:
    """The README app reads `payload["answer"]` unchecked, and the SDK turns the KeyError into
    a plain-text 500 (sdk.py:701-706): a valid request without the task's fields crashes it.
    """
    app = containers_app.create_app()
    report = run_fuzz(
        asgi_target(app, None, "README app"),
        examples=5,
        seed=0,
        profile=CONTAINERS,
        operations=["POST /rollouts"],
    )
    found = {(f.check, f.operation, f.status) for f in report.failures}
    assert ("not_a_server_error", "POST /rollouts", 500) in found
