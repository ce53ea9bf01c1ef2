"""The rollout response of synth-ai 0.4.12+ (`localapi`, `container`): cid, reward, RL trace.

synth-ai 0.4.12 dropped 0.2's trajectories: a RolloutResponse is the cid echoed at the top
level, one `outcome_reward`, an optional `success_status` and the trace the RL trainer
hydrates from (docs/generations.md, `localapi` and `container`). Each check reads the run's
shared baseline rollout; GEN-2 to GEN-4 judge whatever 200 came back, so one broken field
never hides another.
"""

from __future__ import annotations

from typing import Any

from conformance.checks._support import (
    CREDENTIAL,
    credential_name,
    is_finite_number,
    nested,
)
from conformance.context import CheckContext, Rollout, json_body
from conformance.contract.profiles import CONTAINER, LOCALAPI, SUCCESS_STATUSES
from conformance.outcomes import CheckFailure
from conformance.registry import Severity, check

PROFILES = (LOCALAPI, CONTAINER)


def _sent(ctx: CheckContext, rollout: Rollout) -> str:
    return (
        f"POST {ctx.contract.rollout_path} (a valid {ctx.contract.name} request with "
        f"{credential_name(ctx)}, trace_correlation_id {rollout.cid!r})"
    )


def _served(ctx: CheckContext) -> tuple[Rollout, dict[str, Any]]:
    """The baseline rollout and its body; SKIP (unproven) when it was not a 200 object."""
    rollout = ctx.baseline_rollout()
    return rollout, rollout.json()


@check(
    "GEN-1",
    profiles=PROFILES,
    severity=Severity.MUST,
    spec="localapi-cid-echo",
    tags=("rollout", "cid", "quick"),
    depends_on=CREDENTIAL,
)
def rollout_echoes_cid_at_top_level(ctx: CheckContext) -> None:
    """A valid rollout answers 200 with the issued cid as its top-level `trace_correlation_id`."""
    rollout = ctx.baseline_attempt()
    body = json_body(rollout.response)
    if rollout.response.status_code != 200 or not isinstance(body, dict):
        raise CheckFailure(
            sent=_sent(ctx, rollout),
            expected="200 with a RolloutResponse object",
            got=ctx.describe(rollout.response),
            fix="Serve every valid rollout request with 200 and a RolloutResponse "
            "(trace_correlation_id, reward_info, trace).",
            summary="a valid rollout request was not served",
        )
    echoed = body.get("trace_correlation_id")
    if echoed != rollout.cid:
        raise CheckFailure(
            sent=_sent(ctx, rollout),
            expected=f"trace_correlation_id {rollout.cid!r} at the top level of the response",
            got=f"trace_correlation_id {ctx.short_json(echoed)}",
            fix="Copy request.trace_correlation_id into the response unchanged: the trainer "
            "links the rollout to its trace by it.",
            summary="the rollout response does not echo the issued cid",
        )


@check(
    "GEN-2",
    profiles=PROFILES,
    severity=Severity.MUST,
    spec="localapi-outcome-reward",
    tags=("rollout", "rewards"),
    depends_on=CREDENTIAL,
)
def outcome_reward_is_a_finite_number(ctx: CheckContext) -> None:
    """`reward_info.outcome_reward` (0.4.12: `metrics.outcome_reward`) is a finite number."""
    rollout, body = _served(ctx)
    field = "reward_info" if "reward_info" in body or "metrics" not in body else "metrics"
    value = nested(body, field, "outcome_reward")
    if not is_finite_number(value):
        got = (
            f"{field}.outcome_reward = {ctx.short_json(value)}"
            if field in body
            else "neither reward_info nor metrics"
        )
        raise CheckFailure(
            sent=_sent(ctx, rollout),
            expected="reward_info.outcome_reward as a finite number (metrics.outcome_reward in "
            "synth-ai 0.4.12)",
            got=got,
            fix="Return reward_info={'outcome_reward': <float>} in every RolloutResponse, a "
            "real number (never NaN, Infinity or null): it is the rollout's score.",
            summary="the rollout response carries no finite outcome_reward",
        )


def _hydration_problem(body: dict[str, Any], cid: str) -> str | None:
    """Why synth-ai's RL validator (plus the cid's identity) refuses `body`, or None."""
    trace = body.get("trace")
    history = nested(trace, "event_history")
    if not history and isinstance(nested(trace, "session_trace"), dict):
        history = nested(trace, "session_trace", "event_history")
    found = body.get("trace_correlation_id") or nested(trace, "metadata", "trace_correlation_id")
    if not found:
        return "no trace_correlation_id at the top level or in trace.metadata"
    if found != cid:
        return f"the trace is correlated to {found!r}, not the issued cid"
    if not isinstance(history, list) or not history:
        return "trace.event_history (or trace.session_trace.event_history) is missing or empty"
    return None


@check(
    "GEN-3",
    profiles=PROFILES,
    severity=Severity.MUST,
    spec="localapi-rl-trace",
    tags=("rollout", "cid", "trace"),
    depends_on=CREDENTIAL,
)
def rl_validator_accepts_the_trace(ctx: CheckContext) -> None:
    """The response passes synth-ai's RL validator: a cid and a non-empty `trace.event_history`."""
    rollout, body = _served(ctx)
    problem = _hydration_problem(body, rollout.cid)
    if problem is not None:
        raise CheckFailure(
            sent=_sent(ctx, rollout),
            expected="the issued cid (top level, or trace.metadata.trace_correlation_id) and a "
            "non-empty trace.event_history",
            got=f"{problem}: trace = {ctx.short_json(body.get('trace'))}",
            fix="Return trace={'event_history': [...the rollout's events...], 'metadata': "
            "{'trace_correlation_id': cid}}: the RL trainer hydrates the rollout from it, and "
            "a ?cid= inference_url alone does not satisfy the validator.",
            summary=f"synth-ai's RL validator would refuse the rollout ({problem})",
        )


@check(
    "GEN-4",
    profiles=PROFILES,
    severity=Severity.MUST,
    spec="localapi-success-status",
    tags=("rollout",),
    depends_on=CREDENTIAL,
)
def success_status_is_a_known_value(ctx: CheckContext) -> None:
    """`success_status`, when not null, is one of synth-ai's `SuccessStatus` values."""
    rollout, body = _served(ctx)
    status = body.get("success_status")
    if status is not None and status not in SUCCESS_STATUSES:
        raise CheckFailure(
            sent=_sent(ctx, rollout),
            expected=f"success_status null or one of {', '.join(sorted(SUCCESS_STATUSES))}",
            got=f"success_status = {ctx.short_json(status)}",
            fix="Report the rollout's infrastructure outcome with a SuccessStatus value "
            "(success, timeout, network_error, apply_failed, runtime_error, failure), or null.",
            summary=f"success_status {ctx.short_json(status)} is not a SuccessStatus",
        )
