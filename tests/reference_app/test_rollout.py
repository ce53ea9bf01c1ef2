"""Rollouts of the reference app: cid everywhere, metrics, strict input, inference failures."""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from conformance.contract import RolloutResponse, cid_of
from conformance.inference import MockInferenceServer
from conformance.serving import ServerThread
from conformance.testing import TaskAppClient
from tests.conftest import rollout_body
from tests.synth_rules import validate_rollout_response_for_rl

CID = "trace_abc-123"


def _rollout(client: TaskAppClient, auth: dict[str, str], body: Any) -> Any:
    return client.post("/rollout", headers=auth, json=body)


def test_cid_in_every_location_of_a_multi_step_rollout(
    client: TaskAppClient, auth: dict[str, str], mock_inference: MockInferenceServer
) -> None:
    """The issued cid comes back in every location Appendix A lists, for every step."""
    body = _rollout(client, auth, rollout_body(mock_inference.url, CID)).json()
    steps = body["trajectories"][0]["steps"]
    assert len(steps) >= 2
    assert body["trace_correlation_id"] == CID
    assert body["pipeline_metadata"]["trace_correlation_id"] == CID
    assert body["pipeline_metadata"]["inference_url"].split("?")[1].startswith(f"cid={CID}")
    assert body["trajectories"][0]["inference_url"] == f"{mock_inference.url}?cid={CID}"
    assert all(cid_of(s["info"]["meta"]["inference_url"]) == CID for s in steps)
    assert all(s["info"]["messages"] for s in steps)


def test_response_passes_synth_ai_rules(
    client: TaskAppClient, auth: dict[str, str], mock_inference: MockInferenceServer
) -> None:
    """The response validates as RolloutResponse and passes validate_rollout_response_for_rl."""
    body = _rollout(client, auth, rollout_body(mock_inference.url, CID)).json()
    RolloutResponse.model_validate(body)
    assert validate_rollout_response_for_rl(body, warn_only=True) == []


def test_metrics_consistent_and_reward_in_range(
    client: TaskAppClient, auth: dict[str, str], mock_inference: MockInferenceServer
) -> None:
    """length, num_steps and mean_return agree with the trajectories; rewards lie in [0, 1]."""
    body = _rollout(client, auth, rollout_body(mock_inference.url, CID)).json()
    trajectory, metrics = body["trajectories"][0], body["metrics"]
    assert trajectory["length"] == len(trajectory["steps"]) == metrics["num_steps"]
    assert metrics["mean_return"] == sum(metrics["episode_returns"]) / len(
        metrics["episode_returns"]
    )
    assert metrics["episode_returns"] == [1.0]
    assert all(0.0 <= s["reward"] <= 1.0 for s in trajectory["steps"])


def test_wrong_answers_score_zero(client: TaskAppClient, auth: dict[str, str]) -> None:
    """A policy that submits a wrong answer gets reward 0."""
    with MockInferenceServer(accuracy=0.0) as wrong:
        body = _rollout(client, auth, rollout_body(wrong.url, CID)).json()
    assert body["metrics"]["episode_returns"] == [0.0]


def test_other_query_params_reach_the_model(
    client: TaskAppClient, auth: dict[str, str], mock_inference: MockInferenceServer
) -> None:
    """The inference URL is called with its cid and other query parameters intact."""
    body = rollout_body(mock_inference.url, "trace_q")
    body["policy"]["config"]["inference_url"] = (
        f"{mock_inference.url}/v1/chat/completions?team=a%2Fb&cid=trace_q"
    )
    response = _rollout(client, auth, body).json()
    calls = mock_inference.recorder.calls_for("trace_q")
    assert calls
    assert all(("team", "a/b") in c.query for c in calls)
    assert response["pipeline_metadata"]["inference_url"].endswith("?cid=trace_q&team=a%2Fb")


def test_eval_mode_and_trace_with_iso_timestamps(
    client: TaskAppClient, auth: dict[str, str], mock_inference: MockInferenceServer
) -> None:
    """mode eval works and return_trace gives a full SessionTrace with ISO-8601 datetimes."""
    body = rollout_body(
        mock_inference.url, CID, mode="eval", record={"return_trace": True, "trace_format": "full"}
    )
    trace = _rollout(client, auth, body).json()["trace"]
    datetime.fromisoformat(trace["created_at"])
    step = trace["session_time_steps"][0]
    datetime.fromisoformat(step["timestamp"])
    assert {m["message_type"] for m in trace["markov_blanket_message_history"]} <= {
        "system",
        "user",
        "assistant",
        "tool_use",
        "tool_result",
    }
    assert all(
        set(m["content"]) == {"text", "json_payload"}
        for m in trace["markov_blanket_message_history"]
    )


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"env": {"seed": True}}, 422, "invalid_request"),
        ({"env": {"seed": 1.0}}, 422, "invalid_request"),
        ({"env": {"seed": "1"}}, 422, "invalid_request"),
        ({"env": {"seed": -1}}, 422, "invalid_seed"),
        ({"env": {"seed": 2**40}}, 422, "invalid_seed"),
        ({"env": {"seed": 10**30}}, 422, "invalid_seed"),
        ({"env": {"seed": 1, "config": {"split": "holdout"}}}, 422, "unknown_split"),
        ({"mode": "EVAL"}, 422, "invalid_request"),
        ({"mode": None}, 422, "invalid_request"),
        ({"run_id": 5}, 422, "invalid_request"),
        ({"ops": [{"a": 1}, "env"]}, 422, "invalid_request"),
        ({"record": {"trace_format": "xml"}}, 422, "invalid_request"),
    ],
    ids=[
        "seed-bool",
        "seed-float",
        "seed-string",
        "seed-negative",
        "seed-too-big",
        "seed-huge",
        "unknown-split",
        "mode-upper",
        "mode-null",
        "run-id-int",
        "ops-mixed",
        "trace-format",
    ],
)
def test_strict_input_gets_4xx_envelope(
    client: TaskAppClient,
    auth: dict[str, str],
    mock_inference: MockInferenceServer,
    change: dict[str, Any],
    status: int,
    code: str,
) -> None:
    """Invalid rollout bodies get 4xx with the error envelope, never 5xx."""
    response = _rollout(client, auth, rollout_body(mock_inference.url, CID, **change))
    assert response.status_code == status
    assert response.json()["detail"]["error"]["code"] == code


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"),
    [
        (b'{"run_id": ', "application/json", 400, "invalid_json"),
        (b"[]", "application/json", 422, "invalid_request"),
        (b'{"run_id": "r"}', "text/plain", 415, "unsupported_media_type"),
        (b"x" * 1_000_001, "application/json", 413, "payload_too_large"),
    ],
    ids=["malformed-json", "not-an-object", "wrong-content-type", "oversize"],
)
def test_malformed_bodies_get_4xx_envelope(
    client: TaskAppClient,
    auth: dict[str, str],
    content: bytes,
    content_type: str,
    status: int,
    code: str,
) -> None:
    """Malformed JSON, wrong content type and oversize bodies are refused with the envelope."""
    response = client.post(
        "/rollout", headers={**auth, "content-type": content_type}, content=content
    )
    assert (response.status_code, response.json()["detail"]["error"]["code"]) == (status, code)


def test_rl_without_cid_is_refused(
    client: TaskAppClient, auth: dict[str, str], mock_inference: MockInferenceServer
) -> None:
    """An rl rollout with no correlation id anywhere is refused with 422."""
    body = rollout_body(mock_inference.url, CID)
    body["policy"]["config"]["inference_url"] = mock_inference.url
    response = _rollout(client, auth, body)
    assert response.json()["detail"]["error"]["code"] == "missing_trace_correlation_id"


def test_unreachable_inference_url_is_502(client: TaskAppClient, auth: dict[str, str]) -> None:
    """An unreachable inference URL gives 502 with the envelope, not a silent zero reward."""
    response = _rollout(client, auth, rollout_body("http://127.0.0.1:9", CID))
    assert (response.status_code, response.json()["detail"]["error"]["code"]) == (
        502,
        "inference_unreachable",
    )


@pytest.mark.parametrize(
    "url",
    ["http://[::1?cid=x", "http://127.0.0.1:99999/v1?cid=x", "ftp://host/v1?cid=x", "/v1?cid=x"],
    ids=["broken-ipv6", "port-out-of-range", "not-http", "relative"],
)
def test_malformed_inference_url_is_422(
    client: TaskAppClient, auth: dict[str, str], url: str
) -> None:
    """An inference URL that is not an absolute http(s) URL is refused with 422, never 500."""
    body = rollout_body("http://unused", CID)
    body["policy"]["config"]["inference_url"] = url
    response = _rollout(client, auth, body)
    assert (response.status_code, response.json()["detail"]["error"]["code"]) == (
        422,
        "invalid_inference_url",
    )


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (PlainTextResponse("down", 500), "inference_error"),
        (PlainTextResponse("not json"), "inference_bad_response"),
    ],
    ids=["status-500", "not-json"],
)
def test_failing_inference_url_is_502(
    client: TaskAppClient, auth: dict[str, str], answer: PlainTextResponse, code: str
) -> None:
    """An inference URL that fails or answers garbage gives 502 with a specific code."""

    async def endpoint(_: Request) -> PlainTextResponse:
        return answer

    broken = Starlette(routes=[Route("/{path:path}", endpoint, methods=["POST"])])
    with ServerThread(broken) as server:
        response = _rollout(client, auth, rollout_body(server.url, CID))
    assert (response.status_code, response.json()["detail"]["error"]["code"]) == (502, code)


def test_nan_is_never_emitted(
    client: TaskAppClient, auth: dict[str, str], mock_inference: MockInferenceServer
) -> None:
    """Every number in a response is finite JSON (no NaN/Infinity tokens)."""
    text = _rollout(client, auth, rollout_body(mock_inference.url, CID)).text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-finite constant {c}"))
    assert not math.isnan(json.loads(text)["metrics"]["mean_return"])


def test_a_failing_capture_listener_does_not_fail_the_rollout(
    mock_inference: MockInferenceServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A broken capture is an ERROR line naming the rollout and a `capture_errors` entry."""
    from reference_app import build_config, create_app
    from tests.conftest import TEST_KEY
    from tests.helpers import sync_client

    async def broken(_: object) -> None:
        raise OSError("disk full")

    app = create_app(build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY}, listeners=[broken]))
    with sync_client(app) as client:
        response = client.post(
            "/rollout", headers={"X-API-Key": TEST_KEY}, json=rollout_body(mock_inference.url, CID)
        )
    assert response.status_code == 200
    assert response.json()["pipeline_metadata"]["capture_errors"] == [
        {
            "capture": "function",
            "error": "OSError",
            "message": "this rollout was not stored; the task app's log has the details",
        }
    ]
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert record.getMessage() == (
        "rollout 'run-1': capture function FAILED, this rollout is not stored there: "
        "OSError: 'disk full'"
    )
