"""Wire bodies as each generation's own package writes them, as plain data.

The canonical documents are checked against these everywhere (`tests/engine/test_openapi.py`);
each generation's `test_schemas_<profile>.py`, run where its package is installed, proves the
package still produces exactly these bodies from its own models.
"""

from __future__ import annotations

from typing import Any

CID = "trace_abc"
INFERENCE_URL = "http://127.0.0.1:8002/v1?cid=trace_abc"

LOCALAPI_REQUEST: dict[str, Any] = {
    "trace_correlation_id": CID,
    "env": {"env_id": None, "env_name": "math", "config": {"split": "train"}, "seed": 7},
    "policy": {
        "policy_id": None,
        "policy_name": "p",
        "config": {"model": "gpt-4o-mini", "inference_url": INFERENCE_URL},
        "output_mode": "tool_calls",
        "structured_config": None,
    },
    "on_done": "reset",
    "safety": {"max_time_s": 3600.0},
    "training_session_id": None,
    "synth_base_url": None,
    "context_overrides": None,
    "override_bundle_id": None,
}
"""synth-ai 0.6.6 `RolloutRequest(trace_correlation_id, env=RolloutEnvSpec(env_name, seed,
config), policy=RolloutPolicySpec(policy_name, config)).model_dump(mode="json")`."""

LOCALAPI_RESPONSE: dict[str, Any] = {
    "trace_correlation_id": CID,
    "reward_info": {
        "outcome_reward": 1.0,
        "event_rewards": None,
        "outcome_objectives": None,
        "event_objectives": None,
        "instance_objectives": None,
        "details": {},
    },
    "trace": {"event_history": [{"type": "lm_call"}]},
    "inference_url": None,
    "artifact": None,
    "success_status": None,
    "status_detail": None,
    "override_application_results": None,
}
"""synth-ai 0.6.6 `RolloutResponse(trace_correlation_id, reward_info=RolloutMetrics(
outcome_reward=1.0), trace).model_dump(mode="json")`."""

CONTAINER_REQUEST: dict[str, Any] = {
    "trace_correlation_id": CID,
    "env": {"env_id": None, "env_name": None, "config": {}, "seed": 7},
    "policy": {
        "policy_id": None,
        "policy_name": None,
        "config": {"inference_url": INFERENCE_URL},
        "output_mode": "tool_calls",
        "structured_config": None,
    },
    "on_done": "reset",
    "safety": {"max_time_s": 3600},
    "training_session_id": None,
    "synth_base_url": None,
    "planner_mode": "direct",
    "paired_eval": None,
    "waypoint_plan_request": None,
    "context_overrides": None,
    "override_bundle_id": None,
}
"""synth-ai 0.9.11 `RolloutRequest(trace_correlation_id, env=RolloutEnvSpec(seed=7),
policy=RolloutPolicySpec(config), planner_mode="direct").model_dump(mode="json")`."""

CONTAINERS_REQUEST: dict[str, Any] = {
    "rollout_id": "smoke-1",
    "seed": 3,
    "trace_correlation_id": CID,
    "submission_mode": "sync",
    "task_metadata": {},
    "env": {},
    "policy": {
        "provider": "openai",
        "model": "gpt-4o-mini",
        "api_family": "chat_completions",
        "inference_url": INFERENCE_URL,
        "disable_reasoning": "auto",
        "tool_call_style": "none",
        "proxy_mode": "allow_direct",
        "credential_mode": "byok",
        "config": {},
    },
    "policy_ref": {},
    "candidate": {},
    "candidate_overlay": {},
    "task": {},
    "metadata": {},
    "long_horizon": {},
    "terminator": {},
    "task_payload": {},
    "taskset": {},
    "actors": [],
    "actor_ids": [],
    "actor_overrides": {},
}
"""synth-containers 0.4.6 `RolloutRequestModel(rollout_id, seed, trace_correlation_id,
submission_mode, policy).model_dump(mode="json", exclude_none=True)`, as its reference adapter
reads a request (http_adapter.py:541)."""

CONTAINERS_README_REQUEST: dict[str, Any] = {
    "rollout_id": "smoke-1",
    "answer": "hello",
    "expected": "hello",
}
"""The package README's request: the SDK takes it, the strict adapter refuses its task fields."""

CONTAINERS_README_RECORD: dict[str, Any] = {
    "rollout_id": "smoke-1",
    "status": "completed",
    "success_status": "success",
    "created_at": "2026-05-28T00:00:00+00:00",
    "updated_at": "2026-05-28T00:00:00+00:00",
    "summary": {"reward": 1.0},
}
"""The package README's completed record (its timestamps fixed)."""
