"""My app's own tests, written with the taskapp-conformance fixtures."""

from __future__ import annotations

import json
from pathlib import Path

from conformance import assert_conforming_rollout, assert_valid_sft_jsonl


def test_health_needs_the_key(taskapp_client) -> None:
    """/health answers my key and refuses a request without one."""
    assert taskapp_client.get("/health").status_code == 200
    assert taskapp_client.get("/health", headers={"X-API-Key": "wrong"}).status_code == 401


def test_rollout_conforms_and_reaches_the_model(
    taskapp_client, rollout_request, inference_recorder
) -> None:
    """A rollout returns a conforming response and its cid reaches the model."""
    body = rollout_request(seed=11)
    response = taskapp_client.post("/rollout", json=body)
    assert_conforming_rollout(response, cid=body.cid, run_id=body["run_id"])
    assert {call.cid for call in inference_recorder.recorder.calls()} == {body.cid}


def test_my_sft_export_is_valid(tmp_path: Path, taskapp_client, rollout_request) -> None:
    """The conversation of a rollout, exported as SFT JSONL, passes the strict validator."""
    steps = taskapp_client.post("/rollout", json=rollout_request()).json()["trajectories"][0][
        "steps"
    ]
    messages = steps[-1]["info"]["messages"]
    path = tmp_path / "export.jsonl"
    path.write_text(json.dumps({"messages": messages}) + "\n")
    assert_valid_sft_jsonl(path)
