"""The `localapi` reference app: legacy routes and auth, synth-ai 0.6's rollout bodies."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.contract.profiles import LOCALAPI, PROFILES, SUCCESS_STATUSES, RolloutInputs
from conformance.inference import MockInferenceServer
from conformance.testing import TaskAppClient
from reference_app import build_config, create_app, create_profile_app
from tests.conftest import TEST_KEY
from tests.helpers import sync_client

AUTH = {"X-API-Key": TEST_KEY}


@pytest.fixture
def client() -> Iterator[TaskAppClient]:
    """The `localapi` reference app, configured with `TEST_KEY`."""
    config = build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY})
    with sync_client(create_profile_app(LOCALAPI, config)) as test_client:
        yield test_client


def request_body(url: str, cid: str, seed: int = 3) -> dict[str, Any]:
    """The harness's own `localapi` request (`ContractProfile.rollout_request`)."""
    return PROFILES[LOCALAPI].rollout_request(RolloutInputs(cid=cid, inference_url=url, seed=seed))


def test_rollout_answers_the_localapi_response(
    client: TaskAppClient, mock_inference: MockInferenceServer
) -> None:
    """A valid request gets synth-ai 0.6's eight keys, the cid echoed, a finite reward."""
    response = client.post(
        "/rollout", json=request_body(mock_inference.url, "trace_la1"), headers=AUTH
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == [
        "trace_correlation_id",
        "reward_info",
        "trace",
        "inference_url",
        "artifact",
        "success_status",
        "status_detail",
        "override_application_results",
    ]
    assert body["trace_correlation_id"] == "trace_la1"
    reward = body["reward_info"]["outcome_reward"]
    assert isinstance(reward, float)
    assert math.isfinite(reward)
    assert body["reward_info"]["outcome_objectives"] == {"reward": reward}
    assert body["success_status"] in SUCCESS_STATUSES


def test_rollout_satisfies_the_rl_hydration_rule(
    client: TaskAppClient, mock_inference: MockInferenceServer
) -> None:
    """The trace has a non-empty `event_history` and names the cid; the URL carries `?cid=`."""
    body = client.post(
        "/rollout", json=request_body(mock_inference.url, "trace_la2"), headers=AUTH
    ).json()
    assert body["trace"]["event_history"]
    assert body["trace"]["metadata"]["trace_correlation_id"] == "trace_la2"
    assert "?cid=trace_la2" in body["inference_url"]


def test_the_model_call_carries_the_cid(
    client: TaskAppClient, mock_inference: MockInferenceServer
) -> None:
    """Every model call the rollout makes carries the request's cid in `?cid=`, as legacy's."""
    route = "/r/la-cid-route"
    url = f"{mock_inference.url}{route}/v1/chat/completions"
    client.post("/rollout", json=request_body(url, "trace_la3"), headers=AUTH)
    calls = mock_inference.recorder.calls(prefix=f"{route}/")
    assert calls
    assert all(dict(call.query).get("cid") == "trace_la3" for call in calls)


def test_legacy_fields_beside_the_cid_are_ignored(
    client: TaskAppClient, mock_inference: MockInferenceServer
) -> None:
    """A 0.2 body's `run_id`, `ops`, `mode` and `record` pass silently beside a cid."""
    body = {
        **request_body(mock_inference.url, "trace_la4"),
        "run_id": "old-run",
        "ops": ["agent", "env"],
        "mode": "eval",
        "record": {"trajectories": True},
    }
    response = client.post("/rollout", json=body, headers=AUTH)
    assert response.status_code == 200
    assert "trajectories" not in response.json()


def test_a_body_without_cid_gets_fastapis_422(client: TaskAppClient) -> None:
    """`{}` is refused with FastAPI's own list, naming the missing fields (how detection reads
    the generation), and a 0.2 body without a cid names only `trace_correlation_id`.
    """
    response = client.post("/rollout", json={}, headers=AUTH)
    assert response.status_code == 422
    missing = {tuple(e["loc"]) for e in response.json()["detail"] if e["type"] == "missing"}
    assert missing == {("body", "trace_correlation_id"), ("body", "env"), ("body", "policy")}
    legacy = {"run_id": "r", "env": {}, "policy": {}, "ops": [], "mode": "rl"}
    detail = client.post("/rollout", json=legacy, headers=AUTH).json()["detail"]
    assert [e["loc"] for e in detail] == [["body", "trace_correlation_id"]]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"trace_correlation_id": "  "}, "trace_correlation_id"),
        ({"policy": {"config": {}, "output_mode": "text"}}, "output_mode"),
    ],
    ids=["blank-cid", "text-output-mode"],
)
def test_requests_it_cannot_serve_get_a_422_naming_the_field(
    client: TaskAppClient, change: dict[str, Any], field: str
) -> None:
    """A blank cid and a non-tool-call output mode are refused before any model call."""
    body = {**request_body("http://127.0.0.1:9", "trace_la5"), **change}
    response = client.post("/rollout", json=body, headers=AUTH)
    assert response.status_code == 422
    assert field in response.json()["detail"][0]["loc"]


def test_the_422_does_not_echo_the_input(client: TaskAppClient) -> None:
    """Validation errors name the field and the rule, never the value sent."""
    body = {**request_body("http://127.0.0.1:9", "trace_la6"), "env": "sk-secret-looking-value"}
    response = client.post("/rollout", json=body, headers=AUTH)
    assert response.status_code == 422
    assert "sk-secret-looking-value" not in response.text


@pytest.mark.parametrize("path", ["/", "/health", "/info", "/task_info", "/task_info?seed=4"])
def test_other_routes_answer_as_the_legacy_app(client: TaskAppClient, path: str) -> None:
    """Everything but `/rollout` is the legacy app's, but for `/info`'s rubrics, typed as
    synth-ai 0.5+ types them (a versioned `Rubric` whose criteria say if they are required).
    """
    legacy = create_app(build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY}))
    with sync_client(legacy) as legacy_client:
        expected = legacy_client.get(path, headers=AUTH).json()
    got = client.get(path, headers=AUTH)
    assert got.status_code == 200
    body = got.json()
    if path == "/info":
        rubric = body["rubrics"]["outcome"]
        assert (rubric["version"], rubric["aggregation"]) == ("1.0.0", "weighted_sum")
        assert [c["required"] for c in rubric["criteria"]] == [False]
        body["rubrics"], expected["rubrics"] = None, None
    assert body == expected


def test_protected_routes_want_the_key(client: TaskAppClient) -> None:
    """Without the key `/rollout` is refused 401 with the legacy envelope, before parsing."""
    response = client.post("/rollout", json={})
    assert response.status_code == 401
    assert response.json()["detail"]["error"]["code"] == "unauthorised"
