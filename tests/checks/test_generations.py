"""Generation checks (GEN), and EP-4 on a container app: each fails a fault with this block."""

from __future__ import annotations

from conformance.outcomes import FailureDetail
from tests.checks._support import generation_failure


def test_gen_1_rollout_500() -> None:
    """GEN-1 fails a valid rollout answered 500 and shows the answer."""
    assert generation_failure("GEN-1", "localapi_rollout_500") == FailureDetail(
        summary="a valid rollout request was not served",
        sent=(
            "POST /rollout (a valid localapi request with X-API-Key, trace_correlation_id '<cid>')"
        ),
        expected="200 with a RolloutResponse object",
        got=(
            '500, body=\'{"detail": {"error": {"code": "rollout_failed", "message": "rollout '
            "failed\"}}}'"
        ),
        fix=(
            "Serve every valid rollout request with 200 and a RolloutResponse "
            "(trace_correlation_id, reward_info, trace)."
        ),
        spec="docs/contract.md#localapi-cid-echo",
    )


def test_gen_1_cid_only_in_trace_metadata() -> None:
    """GEN-1 fails a response whose top level lacks the issued cid."""
    assert generation_failure("GEN-1", "localapi_cid_only_in_trace_metadata") == FailureDetail(
        summary="the rollout response does not echo the issued cid",
        sent=(
            "POST /rollout (a valid localapi request with X-API-Key, trace_correlation_id '<cid>')"
        ),
        expected="trace_correlation_id '<cid>' at the top level of the response",
        got="trace_correlation_id null",
        fix=(
            "Copy request.trace_correlation_id into the response unchanged: the trainer "
            "links the rollout to its trace by it."
        ),
        spec="docs/contract.md#localapi-cid-echo",
    )


def test_gen_2_reward_info_missing() -> None:
    """GEN-2 fails a response without reward_info (nor metrics)."""
    assert generation_failure("GEN-2", "localapi_reward_info_missing") == FailureDetail(
        summary="the rollout response carries no finite outcome_reward",
        sent=(
            "POST /rollout (a valid localapi request with X-API-Key, trace_correlation_id '<cid>')"
        ),
        expected=(
            "reward_info.outcome_reward as a finite number (metrics.outcome_reward in "
            "synth-ai 0.4.12)"
        ),
        got="neither reward_info nor metrics",
        fix=(
            "Return reward_info={'outcome_reward': <float>} in every RolloutResponse, a real "
            "number (never NaN, Infinity or null): it is the rollout's score."
        ),
        spec="docs/contract.md#localapi-outcome-reward",
    )


def test_gen_2_reward_nan() -> None:
    """GEN-2 fails a NaN outcome_reward."""
    assert generation_failure("GEN-2", "localapi_reward_nan") == FailureDetail(
        summary="the rollout response carries no finite outcome_reward",
        sent=(
            "POST /rollout (a valid localapi request with X-API-Key, trace_correlation_id '<cid>')"
        ),
        expected=(
            "reward_info.outcome_reward as a finite number (metrics.outcome_reward in "
            "synth-ai 0.4.12)"
        ),
        got="reward_info.outcome_reward = NaN",
        fix=(
            "Return reward_info={'outcome_reward': <float>} in every RolloutResponse, a real "
            "number (never NaN, Infinity or null): it is the rollout's score."
        ),
        spec="docs/contract.md#localapi-outcome-reward",
    )


def test_gen_2_reward_served_as_null() -> None:
    """GEN-2 fails a container response whose outcome_reward is null, naming the token it sent."""
    assert generation_failure("GEN-2", "container_reward_served_as_null") == FailureDetail(
        summary="the rollout response carries no finite outcome_reward",
        sent=(
            "POST /rollout (a valid container request with X-Synth-Container-Authorization, "
            "trace_correlation_id '<cid>')"
        ),
        expected=(
            "reward_info.outcome_reward as a finite number (metrics.outcome_reward in "
            "synth-ai 0.4.12)"
        ),
        got="reward_info.outcome_reward = null",
        fix=(
            "Return reward_info={'outcome_reward': <float>} in every RolloutResponse, a real "
            "number (never NaN, Infinity or null): it is the rollout's score."
        ),
        spec="docs/contract.md#localapi-outcome-reward",
    )


def test_gen_3_empty_event_history() -> None:
    """GEN-3 fails an empty trace.event_history, as synth-ai's RL validator does."""
    assert generation_failure("GEN-3", "localapi_empty_event_history") == FailureDetail(
        summary=(
            "synth-ai's RL validator would refuse the rollout (trace.event_history (or "
            "trace.session_trace.event_history) is missing or empty)"
        ),
        sent=(
            "POST /rollout (a valid localapi request with X-API-Key, trace_correlation_id '<cid>')"
        ),
        expected=(
            "the issued cid (top level, or trace.metadata.trace_correlation_id) and a "
            "non-empty trace.event_history"
        ),
        got=(
            "trace.event_history (or trace.session_trace.event_history) is missing or empty: "
            'trace = {"event_history": [], "metadata": {"trace_correlation_id": "<cid>"}}'
        ),
        fix=(
            "Return trace={'event_history': [...the rollout's events...], 'metadata': "
            "{'trace_correlation_id': cid}}: the RL trainer hydrates the rollout from it, "
            "and a ?cid= inference_url alone does not satisfy the validator."
        ),
        spec="docs/contract.md#localapi-rl-trace",
    )


def test_gen_3_no_trace_only_cid_url() -> None:
    """GEN-3 fails a response whose only correlation is a ?cid= inference URL."""
    assert generation_failure("GEN-3", "localapi_no_trace_only_cid_url") == FailureDetail(
        summary=(
            "synth-ai's RL validator would refuse the rollout (trace.event_history (or "
            "trace.session_trace.event_history) is missing or empty)"
        ),
        sent=(
            "POST /rollout (a valid localapi request with X-API-Key, trace_correlation_id '<cid>')"
        ),
        expected=(
            "the issued cid (top level, or trace.metadata.trace_correlation_id) and a "
            "non-empty trace.event_history"
        ),
        got=(
            "trace.event_history (or trace.session_trace.event_history) is missing or empty: "
            "trace = null"
        ),
        fix=(
            "Return trace={'event_history': [...the rollout's events...], 'metadata': "
            "{'trace_correlation_id': cid}}: the RL trainer hydrates the rollout from it, "
            "and a ?cid= inference_url alone does not satisfy the validator."
        ),
        spec="docs/contract.md#localapi-rl-trace",
    )


def test_gen_3_cid_of_another_rollout() -> None:
    """GEN-3 fails a trace correlated to another cid."""
    assert generation_failure("GEN-3", "localapi_cid_of_another_rollout") == FailureDetail(
        summary=(
            "synth-ai's RL validator would refuse the rollout (the trace is correlated to "
            "'<cid>', not the issued cid)"
        ),
        sent=(
            "POST /rollout (a valid localapi request with X-API-Key, trace_correlation_id '<cid>')"
        ),
        expected=(
            "the issued cid (top level, or trace.metadata.trace_correlation_id) and a "
            "non-empty trace.event_history"
        ),
        got=(
            "the trace is correlated to '<cid>', not the issued cid: trace = "
            '{"event_history": [{"type": "step", "obs": {"prompt_index": 0, "prompt": "A '
            "bakery bakes 16 trays of 17 muffins and sells 20 muffins. How many muffins are "
            "left?..."
        ),
        fix=(
            "Return trace={'event_history': [...the rollout's events...], 'metadata': "
            "{'trace_correlation_id': cid}}: the RL trainer hydrates the rollout from it, "
            "and a ?cid= inference_url alone does not satisfy the validator."
        ),
        spec="docs/contract.md#localapi-rl-trace",
    )


def test_gen_4_success_status_off_the_enum() -> None:
    """GEN-4 fails a success_status outside SuccessStatus."""
    assert generation_failure("GEN-4", "localapi_success_status_off_the_enum") == FailureDetail(
        summary='success_status "completed" is not a SuccessStatus',
        sent=(
            "POST /rollout (a valid localapi request with X-API-Key, trace_correlation_id '<cid>')"
        ),
        expected=(
            "success_status null or one of apply_failed, failure, network_error, "
            "runtime_error, success, timeout"
        ),
        got='success_status = "completed"',
        fix=(
            "Report the rollout's infrastructure outcome with a SuccessStatus value "
            "(success, timeout, network_error, apply_failed, runtime_error, failure), or "
            "null."
        ),
        spec="docs/contract.md#localapi-success-status",
    )


def test_ep_4_info_circular_strings() -> None:
    """EP-4 judges a container app's /info with its token, and says so."""
    assert generation_failure("EP-4", "container_info_circular_strings") == FailureDetail(
        summary=(
            "`GET /info` returns objects for service, dataset, inference and limits, never strings."
        ),
        sent="GET /info with X-Synth-Container-Authorization",
        expected="service.task, dataset, inference and limits as JSON objects",
        got=(
            '{"service": {"task": {"id": "arithmetic", "name": "Arithmetic word problems", '
            '"description": "Arithmetic word problems solved with a calculator tool.", '
            '"version... (dataset, inference, limits are strings)'
        ),
        fix=(
            "Build /info from model_dump(mode='json') dicts, not synth-ai's to_jsonable (it "
            "turns sections into '<circular ...>' strings)."
        ),
        spec="docs/contract.md#info",
    )
