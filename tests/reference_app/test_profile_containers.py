"""The `containers-2026-05` reference app: synth-containers 0.4.6's routes, lifecycle and replay."""

from __future__ import annotations

import itertools
import math
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.contract.containers import CONSUMER_REQUIREMENTS
from conformance.contract.profiles import (
    CONTAINERS,
    CONTAINERS_CONTRACT_VERSION,
    LEGAL_TRANSITIONS,
    PROFILES,
    ROLLOUT_STATES,
    TERMINAL_STATES,
    RolloutInputs,
)
from conformance.inference import MockInferenceServer
from conformance.testing import TaskAppClient
from reference_app import build_config, create_profile_app
from reference_app.errors import TaskAppError
from reference_app.profiles.lifecycle import Rollout, RolloutStore
from tests.helpers import sync_client


@pytest.fixture
def client() -> Iterator[TaskAppClient]:
    """The `containers-2026-05` reference app (it needs no key)."""
    with sync_client(create_profile_app(CONTAINERS, build_config(environ={}))) as test_client:
        yield test_client


def request_body(url: str, mode: str = "sync", seed: int = 2, script: str = "") -> dict[str, Any]:
    """The harness's own request, on a route of its own at the mock (`script` scripts it)."""
    route = f"{url}/r/{uuid.uuid4().hex[:16]}{script}/v1/chat/completions"
    cid = f"trace_{uuid.uuid4().hex}"
    inputs = RolloutInputs(cid=cid, inference_url=route, seed=seed, split="train")
    return {**PROFILES[CONTAINERS].rollout_request(inputs), "submission_mode": mode}


def wait_until_finished(client: TaskAppClient, rollout_id: str) -> list[str]:
    """Poll `GET /rollouts/{id}` until a terminal state; every status seen, in order."""
    seen: list[str] = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = client.get(f"/rollouts/{rollout_id}").json()["status"]
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in TERMINAL_STATES:
            return seen
        time.sleep(0.02)
    raise AssertionError(f"{rollout_id} never finished: {seen}")


def test_health_and_metadata_name_the_contract(client: TaskAppClient) -> None:
    """`/health` is the package's body; `/metadata` and `/info` agree on its version."""
    assert client.get("/health").json() == {
        "status": "ok",
        "contract_version": CONTAINERS_CONTRACT_VERSION,
    }
    metadata = client.get("/metadata").json()
    assert client.get("/info").json() == metadata
    assert metadata["capabilities"]["contract_version"] == CONTAINERS_CONTRACT_VERSION
    assert metadata["capabilities"]["protocol"] == "synth.container.contract.v1"
    assert metadata["capabilities"]["rollout_modes"] == ["blocking", "async"]
    root = client.get("/").json()
    assert (root["status"], root["runtime"]) == ("ok", metadata)


def test_every_hinted_route_is_served(
    client: TaskAppClient, mock_inference: MockInferenceServer
) -> None:
    """Each route `/metadata` hints answers its method with neither 404 nor 405."""
    body = request_body(mock_inference.url)
    client.post("/rollouts", json=body)
    hints = client.get("/metadata").json()["capabilities"]["route_hints"]
    posts = {"/rollouts": body, "/rollouts/{rollout_id}/terminate": {}}
    for paths in hints.values():
        for template in paths:
            path = template.replace("{rollout_id}", body["rollout_id"])
            if template in posts:
                response = client.post(path, json={**posts[template], "rollout_id": None})
            else:
                response = client.get(path)
            assert response.status_code not in (404, 405), template


def test_sync_rollout_answers_a_completed_record(
    client: TaskAppClient, mock_inference: MockInferenceServer
) -> None:
    """A sync rollout: 200, the request's id and cid, lifecycle strings, a finite reward."""
    body = request_body(mock_inference.url)
    response = client.post("/rollouts", json=body)
    assert response.status_code == 200
    record = response.json()
    assert record["rollout_id"] == body["rollout_id"]
    assert record["trace_correlation_id"] == body["trace_correlation_id"]
    for key in ("status", "success_status", "created_at", "updated_at"):
        assert isinstance(record[key], str)
        assert record[key]
    assert (record["status"], record["success_status"]) == ("completed", "success")
    reward = record["reward_info"]["outcome_reward"]
    assert isinstance(reward, float)
    assert math.isfinite(reward)
    assert record["trace"]["event_history"]
    assert client.get(f"/rollouts/{body['rollout_id']}").json() == record


def test_the_model_call_carries_the_cid(
    client: TaskAppClient, mock_inference: MockInferenceServer
) -> None:
    """The rollout calls `policy.inference_url` as given, `?cid=` included, with its model."""
    body = request_body(mock_inference.url)
    client.post("/rollouts", json=body)
    calls = mock_inference.recorder.calls_for(body["trace_correlation_id"])
    assert calls
    assert {c.body["model"] for c in calls} == {body["policy"]["model"]}


def test_async_rollout_moves_only_along_legal_transitions(
    client: TaskAppClient, mock_inference: MockInferenceServer
) -> None:
    """An async submission answers 202 running, then ends completed, every step legal."""
    body = request_body(mock_inference.url, "async", script="/latency/50")
    response = client.post("/rollouts", json=body)
    assert response.status_code == 202
    assert response.json()["status"] in ("queued", "running")
    seen = [response.json()["status"], *wait_until_finished(client, body["rollout_id"])]
    assert all(s in ROLLOUT_STATES for s in seen)
    for before, after in itertools.pairwise(seen):
        assert before == after or after in LEGAL_TRANSITIONS[before], seen
    assert seen[-1] == "completed"


def test_a_failing_model_fails_the_async_rollout(
    client: TaskAppClient, mock_inference: MockInferenceServer
) -> None:
    """A model answering 500 ends the rollout `failed`, saying why, with no reward."""
    body = request_body(mock_inference.url, "async", script="/fault/http-500")
    client.post("/rollouts", json=body)
    assert wait_until_finished(client, body["rollout_id"])[-1] == "failed"
    record = client.get(f"/rollouts/{body['rollout_id']}").json()
    assert record["success_status"] == "failed"
    assert record["status_detail"].startswith("inference_error")
    assert record["reward_info"] is None


def test_terminating_a_completed_rollout_leaves_it_completed(
    client: TaskAppClient, mock_inference: MockInferenceServer
) -> None:
    """Terminate on a finished rollout changes nothing; its state then agrees with the answer."""
    body = request_body(mock_inference.url)
    client.post("/rollouts", json=body)
    answer = client.post(f"/rollouts/{body['rollout_id']}/terminate", json={"reason": "done"})
    assert answer.status_code == 200
    assert answer.json()["status"] == "completed"
    assert answer.json()["termination"]["applied"] is False
    state = client.get(f"/rollouts/{body['rollout_id']}/state").json()
    assert (state["status"], state["success_status"]) == ("completed", "success")


def test_terminating_a_running_rollout_cancels_it(
    client: TaskAppClient, mock_inference: MockInferenceServer
) -> None:
    """Terminate on a rollout in flight moves it to cancelled, for good."""
    body = request_body(mock_inference.url, "async", script="/latency/2000")
    client.post("/rollouts", json=body)
    answer = client.post(f"/rollouts/{body['rollout_id']}/terminate")
    assert (answer.json()["status"], answer.json()["success_status"]) == ("cancelled", "cancelled")
    time.sleep(0.1)
    assert client.get(f"/rollouts/{body['rollout_id']}").json()["status"] == "cancelled"


def test_same_id_same_body_is_replayed_other_body_conflicts(
    client: TaskAppClient, mock_inference: MockInferenceServer
) -> None:
    """A resent request replays the record (`replayed: true`); another body under the same
    id is a 409 `rollout_identity_conflict`, shaped as the package sends it.
    """
    body = request_body(mock_inference.url)
    first = client.post("/rollouts", json=body).json()
    again = client.post("/rollouts", json=body)
    assert again.status_code == 200
    assert again.json() == {**first, "replayed": True}
    other = client.post("/rollouts", json={**body, "seed": 5, "env": {"seed": 5}})
    assert other.status_code == 409
    assert other.json() == {
        "detail": {"error": "rollout_identity_conflict", "rollout_id": body["rollout_id"]}
    }


def test_dataset_rows_come_one_per_seed_in_order(client: TaskAppClient) -> None:
    """`/dataset` lists the splits; `/dataset/rows` answers one row per seed, in order."""
    dataset = client.get("/dataset").json()
    assert [s["name"] for s in dataset["splits"]] == ["train", "val", "test"]
    rows = client.post("/dataset/rows", json={"seeds": [9, 2, 9], "split": "val"}).json()["rows"]
    assert [(r["seed"], r["split"]) for r in rows] == [(9, "val"), (2, "val"), (9, "val")]
    assert rows[0] == rows[2]
    assert "answer" not in rows[0]


@pytest.mark.parametrize(
    "body",
    [{"seeds": []}, {"seeds": [-1]}, {"seeds": [True]}, {"seeds": [1], "split": "dev"}, {}],
    ids=["no-seeds", "negative", "bool", "unknown-split", "empty"],
)
def test_bad_dataset_requests_get_a_422(client: TaskAppClient, body: dict[str, Any]) -> None:
    """Seeds that are not integers in range, an unknown split, nothing at all: 422."""
    assert client.post("/dataset/rows", json=body).status_code == 422


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"bogus": 1}, "bogus"),
        ({"rollout_id": "-starts-with-dash"}, "rollout_id"),
        ({"submission_mode": "later"}, "submission_mode"),
        ({"policy": {"provider": "openai"}}, "model"),
        ({"policy": {"provider": "o", "model": "m", "config": {"api_key": "x"}}}, "policy"),
        ({"checkpoint_id": "c1"}, "checkpoint_id"),
        ({"telemetry": {"enabled": True}}, "telemetry"),
    ],
    ids=[
        "unknown-field",
        "bad-rollout-id",
        "bad-mode",
        "policy-without-model",
        "raw-credential",
        "checkpoints",
        "telemetry",
    ],
)
def test_the_request_model_is_strict(
    client: TaskAppClient, change: dict[str, Any], field: str
) -> None:
    """Unknown fields, bad ids and modes, an untyped policy, credentials in the policy, and
    what the app cannot honour: FastAPI's 422 naming the field, not echoing the input.
    """
    response = client.post("/rollouts", json={**request_body("http://127.0.0.1:9"), **change})
    assert response.status_code == 422
    assert any(field in e["loc"] for e in response.json()["detail"])
    assert '"x"' not in response.text


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"seed": 1, "env": {"seed": 2}}, "seed_conflict"),
        ({"seed": -1, "env": {}}, "invalid_seed"),
        ({"env": {"split": "dev"}}, "unknown_split"),
        ({"policy": None}, "missing_policy"),
        ({"policy": {"provider": "o", "model": "m"}}, "missing_inference_url"),
    ],
    ids=["seed-conflict", "negative-seed", "unknown-split", "no-policy", "no-url"],
)
def test_bad_rollouts_are_refused_before_they_start(
    client: TaskAppClient, change: dict[str, Any], code: str
) -> None:
    """Inputs the task cannot play are a 422 at submission, async too, and leave no record."""
    body = {**request_body("http://127.0.0.1:9", "async"), **change}
    response = client.post("/rollouts", json=body)
    assert response.status_code == 422
    assert response.json()["detail"]["error"]["code"] == code
    assert client.get(f"/rollouts/{body['rollout_id']}").status_code == 404


def test_compatibility_reports_follow_the_metadata(client: TaskAppClient) -> None:
    """The map has every target; `?target=` is its entry; an unknown target is a 400; only
    the targets the declared capabilities meet are supported.
    """
    reports = client.get("/compatibility").json()
    assert list(reports) == list(CONSUMER_REQUIREMENTS)
    for target, report in reports.items():
        assert client.get("/compatibility", params={"target": target}).json() == report
    assert client.get("/compatibility", params={"target": "nope"}).status_code == 400
    assert [t for t, r in reports.items() if r["supported"]] == ["miprov2"]
    assert reports["pipeline_rl"]["missing_protocols"] == ["resettable", "steppable"]


def test_task_info_describes_the_task_and_one_instance(client: TaskAppClient) -> None:
    """`/task_info` has the task and dataset; `?seed=N` adds that instance, one at a time."""
    body = client.get("/task_info").json()
    assert body["task"]["task_id"] == "arithmetic"
    assert body["task_metadata"] == {}
    instance = client.get("/task_info", params={"seed": 4}).json()
    assert instance["task_metadata"]["task_id"] == "arith-train-4"
    assert client.get("/task_info?seed=1&seed=2").status_code == 422
    assert client.get("/task_info?seed=x").status_code == 422


def test_unknown_rollouts_are_404(client: TaskAppClient) -> None:
    """Reading or terminating an id never submitted is a 404 with the envelope."""
    for response in (
        client.get("/rollouts/none-such"),
        client.get("/rollouts/none-such/state"),
        client.post("/rollouts/none-such/terminate"),
    ):
        assert response.status_code == 404
        assert response.json()["detail"]["error"]["code"] == "unknown_rollout"


def test_no_cors_and_no_auth(client: TaskAppClient) -> None:
    """No credential is asked for, and no CORS header invites another origin."""
    response = client.get("/metadata", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers


def _kept(rollout_id: str, status: str) -> Rollout:
    """A rollout record in `status`, as the store keeps it."""
    rollout = Rollout(rollout_id, rollout_id, {"rollout_id": rollout_id}, "sync", 0, "train")
    rollout.status = status
    return rollout


def test_the_store_forgets_the_oldest_finished_rollouts_first() -> None:
    """Beyond its capacity the store drops the oldest finished record; when every kept rollout
    is still running, a new one is refused with a 503 rather than growing without bound.
    """
    store = RolloutStore(capacity=2)
    store.add(_kept("a", "running"))
    store.add(_kept("b", "completed"))
    store.add(_kept("c", "failed"))
    assert store.get("a") is not None
    assert store.get("b") is None
    assert store.get("c") is not None
    full = RolloutStore(capacity=1)
    full.add(_kept("x", "running"))
    with pytest.raises(TaskAppError) as refused:
        full.add(_kept("y", "queued"))
    assert (refused.value.status, refused.value.code) == (503, "too_many_rollouts")
