"""Rollout checks (RO): each fails against one of its faults with this exact block."""

from __future__ import annotations

from conformance.outcomes import FailureDetail
from tests.checks._support import failure


def test_ro_1_rollout_500() -> None:
    """RO-1 fails a valid rollout answered with 500 and quotes the request."""
    assert failure("RO-1", "rollout_500") == FailureDetail(
        summary=("A valid rollout request gets 200 with a body that validates as RolloutResponse."),
        sent=(
            'POST /rollout (a valid rl request): {"run_id": "<run_id>", "env": {"env_name": '
            '"arithmetic", "seed": 0, "config": {"index": 0, "split": "train"}}, "policy": '
            '{"policy_name": "confor...'
        ),
        expected="200 with a RolloutResponse (run_id, trajectories, metrics)",
        got='500, body=\'{"detail": "boom"}\' (status)',
        fix=(
            "Return RolloutResponse.model_dump(); unvalidated dicts reach trainers unchecked (D12)."
        ),
        spec="docs/contract.md#rollout-response",
    )


def test_ro_2_wrong_run_id() -> None:
    """RO-2 fails a response whose run_id is not the request's."""
    assert failure("RO-2", "wrong_run_id") == FailureDetail(
        summary="The response's `run_id` is the request's.",
        sent="POST /rollout (a valid rl request)",
        expected="run_id '<run_id>'",
        got="run_id 'other'",
        fix="Copy request.run_id into the response.",
        spec="docs/contract.md#rollout-run-id",
    )


def test_ro_3_empty_trajectories() -> None:
    """RO-3 fails a response without trajectories."""
    assert failure("RO-3", "empty_trajectories") == FailureDetail(
        summary=(
            "The response has at least one trajectory, and every trajectory has at least one step."
        ),
        sent="POST /rollout (a valid rl request)",
        expected="a non-empty trajectories list of non-empty steps",
        got="no trajectories",
        fix="Return every episode played, with one step per policy decision.",
        spec="docs/contract.md#rollout-trajectories",
    )


def test_ro_4_length_off_by_one() -> None:
    """RO-4 names the trajectory whose length is not its step count."""
    assert failure("RO-4", "length_off_by_one") == FailureDetail(
        summary="Every trajectory's `length` equals its number of steps.",
        sent="POST /rollout (a valid rl request)",
        expected="length == len(steps) for every trajectory",
        got="trajectories[0]: length 3 with 2 steps",
        fix="Set length = len(steps) when you build the trajectory.",
        spec="docs/contract.md#rollout-trajectories",
    )


def test_ro_5_num_steps_off_by_one() -> None:
    """RO-5 fails a num_steps that is not the total step count."""
    assert failure("RO-5", "num_steps_off_by_one") == FailureDetail(
        summary=(
            "`metrics.num_steps` is the total step count and `mean_return` the mean of "
            "`episode_returns`."
        ),
        sent="POST /rollout (a valid rl request)",
        expected="num_steps == total steps and mean_return == mean(episode_returns)",
        got="num_steps 3 but the trajectories hold 2 steps",
        fix="Compute metrics from the trajectories you return, after the episode ends.",
        spec="docs/contract.md#rollout-metrics",
    )


def test_ro_6_infinite_step_reward() -> None:
    """RO-6 names the first non-finite reward."""
    assert failure("RO-6", "infinite_step_reward") == FailureDetail(
        summary=(
            "Step rewards, episode returns and the mean return are finite numbers (no NaN or "
            "Infinity)."
        ),
        sent="POST /rollout (a valid rl request)",
        expected="finite numbers",
        got="trajectories[0].steps[0].reward = inf",
        fix="Clamp or replace non-finite rewards before returning them.",
        spec="docs/contract.md#rollout-finite-rewards",
    )


def test_ro_7_eval_mode_rejected() -> None:
    """RO-7 fails an app that refuses eval mode."""
    assert failure("RO-7", "eval_mode_rejected") == FailureDetail(
        summary='A rollout with `mode: "eval"` gets 200 with a valid RolloutResponse.',
        sent="POST /rollout with mode 'eval'",
        expected="200 with a RolloutResponse",
        got=(
            '422, body=\'{"detail": {"error": {"code": "bad_mode", "message": "eval '
            "unsupported\"}}}'"
        ),
        fix="Accept both modes, rl and eval.",
        spec="docs/contract.md#rollout-modes",
    )


def test_ro_8_invalid_body_500() -> None:
    """RO-8 fails an invalid body answered with 500."""
    assert failure("RO-8", "invalid_body_500") == FailureDetail(
        summary="An invalid body or mode gets a 4xx, never 200 or 5xx.",
        sent="POST /rollout with a body without mode",
        expected="422 (or another 4xx)",
        got="500, body='\"Internal Server Error\"'",
        fix="Validate the body as RolloutRequest before running anything; answer 422.",
        spec="docs/contract.md#invalid-requests",
    )


def test_ro_9_validation_error_bare_list() -> None:
    """RO-9 fails FastAPI's bare 422 list."""
    assert failure("RO-9", "validation_error_bare_list") == FailureDetail(
        summary=(
            "The 4xx for an invalid rollout body uses the error envelope, not FastAPI's bare list."
        ),
        sent="POST /rollout with a body without mode",
        expected='{"detail": {"error": {"code": ..., "message": ...}}}',
        got=(
            '422, body=\'{"detail": [{"loc": ["body"], "msg": "mode: Field required (1 error(s) '
            'in total)", "type": "value_error"}]}\''
        ),
        fix="Handle RequestValidationError and answer with the error envelope.",
        spec="docs/contract.md#error-envelope",
    )


def test_ro_10_steps_without_messages() -> None:
    """RO-10 names the first step without info.messages."""
    assert failure("RO-10", "steps_without_messages") == FailureDetail(
        summary=("Every step's `info.messages` is a non-empty list (the prompt the policy saw)."),
        sent="POST /rollout (a valid rl request)",
        expected="info.messages: a non-empty list on every step",
        got="trajectories[0].steps[0].info.messages = null",
        fix="Put the chat messages sent to the policy into each step's info.messages.",
        spec="docs/contract.md#rollout-step-messages",
    )


def test_ro_11_trace_repr_datetimes() -> None:
    """RO-11 fails a trace whose created_at is a repr, not ISO-8601."""
    assert failure("RO-11", "trace_repr_datetimes") == FailureDetail(
        summary="the 'compact' trace is not what synth-ai eval stores",
        sent="POST /rollout with record.return_trace=true, trace_format='compact'",
        expected=(
            "trace: {session_id, created_at (ISO-8601), ...}; for full and structured the "
            "SessionTrace lists, every event and message shaped as §5.8"
        ),
        got='trace.created_at = "datetime.datetime(2025, 1, 1, 0, 0)" (not ISO-8601)',
        fix=(
            "Return SessionTrace.to_dict() (compact: its summary) with datetimes as isoformat(), "
            "not repr() (D10); content as {text, json_payload}."
        ),
        spec="docs/contract.md#rollout-trace",
    )
