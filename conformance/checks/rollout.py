"""`POST /rollout` semantics: response model, run id, trajectories, metrics, modes, bad input
(§1.6, §3).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from conformance.checks._support import (
    has_error_envelope,
    is_finite_number,
    nested,
    steps,
    validation_problem,
)
from conformance.context import CheckContext, json_body
from conformance.contract import ROLLOUT_PATH, RolloutResponse
from conformance.outcomes import CheckFailure
from conformance.registry import Severity, check

_ROLLOUT = "POST /rollout (a valid rl request)"


def _body(ctx: CheckContext) -> dict[str, Any]:
    body: dict[str, Any] = ctx.baseline_rollout().json()
    return body


def _fail_rollout(ctx: CheckContext, expected: str, got: str, fix: str) -> CheckFailure:
    return CheckFailure(sent=_ROLLOUT, expected=expected, got=ctx.redactor.text(got), fix=fix)


@check("RO-1", severity=Severity.MUST, spec="§3.3", tags=("rollout",), depends_on=("AUTH-1",))
def valid_rollout_returns_rollout_response(ctx: CheckContext) -> None:
    """A valid rollout request gets 200 with a body that validates as RolloutResponse."""
    rollout = ctx.memo("baseline_rollout", lambda: ctx.rollout(seed=0))
    body = json_body(rollout.response)
    problem = (
        validation_problem(RolloutResponse, body)
        if rollout.response.status_code == 200
        else "status"
    )
    if problem is not None:
        raise CheckFailure(
            sent=f"{_ROLLOUT}: {ctx.short_json(rollout.body)}",
            expected="200 with a RolloutResponse (run_id, trajectories, metrics)",
            got=f"{ctx.describe(rollout.response)} ({problem})",
            fix=(
                "Return RolloutResponse.model_dump();"
                " unvalidated dicts reach trainers unchecked (D12)."
            ),
        )


@check("RO-2", severity=Severity.MUST, spec="§3.3", tags=("rollout",), depends_on=("RO-1",))
def echoes_run_id(ctx: CheckContext) -> None:
    """The response's `run_id` is the request's."""
    rollout = ctx.baseline_rollout()
    if rollout.json().get("run_id") != rollout.body["run_id"]:
        raise _fail_rollout(
            ctx,
            f"run_id {rollout.body['run_id']!r}",
            f"run_id {rollout.json().get('run_id')!r}",
            "Copy request.run_id into the response.",
        )


@check("RO-3", severity=Severity.MUST, spec="§4.1", tags=("rollout",), depends_on=("RO-1",))
def trajectories_not_empty(ctx: CheckContext) -> None:
    """The response has at least one trajectory, and every trajectory has at least one step."""
    trajectories = _body(ctx).get("trajectories") or []
    empty = [i for i, t in enumerate(trajectories) if not t.get("steps")]
    if not trajectories or empty:
        got = "no trajectories" if not trajectories else f"trajectory {empty[0]} has no steps"
        raise _fail_rollout(
            ctx,
            "a non-empty trajectories list of non-empty steps",
            got,
            "Return every episode played, with one step per policy decision.",
        )


def _model(body: Any) -> RolloutResponse | None:
    """The body as synth-ai's model reads it (its lax coercions included), or None."""
    try:
        return RolloutResponse.model_validate(body)
    except ValidationError:
        return None


def length_problem(body: dict[str, Any]) -> str | None:
    """`trajectories[i]: length N with M steps` for the first trajectory whose length is off."""
    response = _model(body)
    if response is None:
        return "the body is not a RolloutResponse"
    for i, trajectory in enumerate(response.trajectories):
        if trajectory.length != len(trajectory.steps):
            return (
                f"trajectories[{i}]: length {trajectory.length} with {len(trajectory.steps)} steps"
            )
    return None


def metrics_problem(body: dict[str, Any]) -> str | None:
    """What is inconsistent between `metrics` and the trajectories, or None."""
    response = _model(body)
    if response is None:
        return "the body is not a RolloutResponse"
    metrics = response.metrics
    total = sum(len(t.steps) for t in response.trajectories)
    returns = metrics.episode_returns
    mean = sum(returns) / len(returns) if returns else 0.0
    if metrics.num_steps != total:
        return f"num_steps {metrics.num_steps} but the trajectories hold {total} steps"
    if not math.isclose(metrics.mean_return, mean, abs_tol=1e-9):
        return f"mean_return {metrics.mean_return} but the mean of episode_returns is {mean:g}"
    return None


@check("RO-4", severity=Severity.MUST, spec="§3.3", tags=("rollout",), depends_on=("RO-1",))
def trajectory_length_matches_steps(ctx: CheckContext) -> None:
    """Every trajectory's `length` equals its number of steps."""
    problem = length_problem(_body(ctx))
    if problem is not None:
        raise _fail_rollout(
            ctx,
            "length == len(steps) for every trajectory",
            problem,
            "Set length = len(steps) when you build the trajectory.",
        )


@check(
    "RO-5", severity=Severity.MUST, spec="§3.3", tags=("rollout", "metrics"), depends_on=("RO-1",)
)
def metrics_consistent_with_trajectories(ctx: CheckContext) -> None:
    """`metrics.num_steps` is the total step count and `mean_return` the mean of `episode_returns`."""  # noqa: E501 (the first docstring line is the check's catalogue title, pinned)
    problem = metrics_problem(_body(ctx))
    if problem is not None:
        raise _fail_rollout(
            ctx,
            "num_steps == total steps and mean_return == mean(episode_returns)",
            problem,
            "Compute metrics from the trajectories you return, after the episode ends.",
        )


@check(
    "RO-6", severity=Severity.MUST, spec="§1.10", tags=("rollout", "metrics"), depends_on=("RO-1",)
)
def rewards_are_finite(ctx: CheckContext) -> None:
    """Step rewards, episode returns and the mean return are finite numbers (no NaN or Infinity)."""
    body = _body(ctx)
    values = [("metrics.mean_return", body["metrics"].get("mean_return"))]
    values += [
        (f"metrics.episode_returns[{i}]", r)
        for i, r in enumerate(body["metrics"].get("episode_returns") or [])
    ]
    values += [
        (f"trajectories[{t}].steps[{s}].reward", st["reward"])
        for t, s, st in steps(body)
        if st.get("reward") is not None
    ]
    bad = [(where, v) for where, v in values if not is_finite_number(v)]
    if bad:
        raise _fail_rollout(
            ctx,
            "finite numbers",
            f"{bad[0][0]} = {bad[0][1]!r}",
            "Clamp or replace non-finite rewards before returning them.",
        )


@check("RO-7", severity=Severity.MUST, spec="§3.1", tags=("rollout",), depends_on=("RO-1",))
def eval_mode_accepted(ctx: CheckContext) -> None:
    """A rollout with `mode: "eval"` gets 200 with a valid RolloutResponse."""
    rollout = ctx.rollout(seed=1, mode="eval")
    problem = validation_problem(RolloutResponse, json_body(rollout.response))
    if rollout.response.status_code != 200 or problem is not None:
        raise CheckFailure(
            sent="POST /rollout with mode 'eval'",
            expected="200 with a RolloutResponse",
            got=ctx.describe(rollout.response),
            fix="Accept both modes, rl and eval.",
        )


def _invalid_bodies(ctx: CheckContext) -> list[tuple[str, Any]]:
    valid = ctx.rollout_body()
    return [
        ("a body without mode", {k: v for k, v in valid.items() if k != "mode"}),
        ("mode 'EVAL' (upper case)", {**valid, "mode": "EVAL"}),
        ("run_id as an integer", {**valid, "run_id": 7}),
        ("malformed JSON", b'{"run_id": '),
    ]


@check("RO-8", severity=Severity.MUST, spec="§1.6", tags=("rollout", "input"), depends_on=("RO-1",))
def invalid_rollout_rejected_with_4xx(ctx: CheckContext) -> None:
    """An invalid body or mode gets a 4xx, never 200 or 5xx."""
    for what, body in _invalid_bodies(ctx):
        kwargs: dict[str, Any] = (
            {"content": body, "headers": {"content-type": "application/json"}}
            if isinstance(body, bytes)
            else {"json_body": body}
        )
        response = ctx.post(ROLLOUT_PATH, **kwargs)
        if not 400 <= response.status_code < 500:
            raise CheckFailure(
                sent=f"POST /rollout with {what}",
                expected="422 (or another 4xx)",
                got=ctx.describe(response),
                fix="Validate the body as RolloutRequest before running anything; answer 422.",
            )


@check(
    "RO-9", severity=Severity.SHOULD, spec="§1.2", tags=("rollout", "input"), depends_on=("RO-8",)
)
def invalid_rollout_error_uses_envelope(ctx: CheckContext) -> None:
    """The 4xx for an invalid rollout body uses the error envelope, not FastAPI's bare list."""
    what, body = _invalid_bodies(ctx)[0]
    response = ctx.post(ROLLOUT_PATH, json_body=body)
    if not has_error_envelope(response):
        raise CheckFailure(
            sent=f"POST /rollout with {what}",
            expected='{"detail": {"error": {"code": ..., "message": ...}}}',
            got=ctx.describe(response),
            fix="Handle RequestValidationError and answer with the error envelope.",
        )


@check(
    "RO-10",
    severity=Severity.SHOULD,
    spec="§4.5",
    tags=("rollout", "synth-ai-0.2.24"),
    depends_on=("RO-3",),
)
def steps_carry_messages(ctx: CheckContext) -> None:
    """Every step's `info.messages` is a non-empty list (the prompt the policy saw)."""
    for t, s, step in steps(_body(ctx)):
        messages = nested(step, "info", "messages")
        if not isinstance(messages, list) or not messages:
            raise _fail_rollout(
                ctx,
                "info.messages: a non-empty list on every step",
                f"trajectories[{t}].steps[{s}].info.messages = {ctx.short_json(messages)}",
                "Put the chat messages sent to the policy into each step's info.messages.",
            )


@check(
    "RO-11", severity=Severity.SHOULD, spec="§5.8", tags=("rollout", "trace"), depends_on=("RO-1",)
)
def return_trace_gives_iso_trace(ctx: CheckContext) -> None:
    """With `record.return_trace`, `trace` is an object with `session_id` and ISO-8601 `created_at`."""  # noqa: E501 (the first docstring line is the check's catalogue title, pinned)
    body = ctx.rollout_body()
    body["record"] = {**body.get("record", {}), "return_trace": True, "trace_format": "full"}
    response = ctx.post(ROLLOUT_PATH, json_body=body)
    trace = nested(json_body(response), "trace")
    trace = trace.get("session_trace", trace) if isinstance(trace, dict) else trace
    if (
        not isinstance(trace, dict)
        or not trace.get("session_id")
        or not _is_iso(trace.get("created_at"))
    ):
        raise CheckFailure(
            sent="POST /rollout with record.return_trace=true, trace_format='full'",
            expected="trace: {session_id, created_at (ISO-8601), ...}",
            got=f"trace = {ctx.short_json(trace)}",
            fix="Serialise the SessionTrace with datetime.isoformat(), not repr() (D10).",
        )


def _is_iso(value: Any) -> bool:
    try:
        datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return False
    return isinstance(value, str)
