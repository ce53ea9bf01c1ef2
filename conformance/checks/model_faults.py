"""Robustness to a misbehaving model (MF): the rollout still ends, well-formed, in time.

A model errors, rate-limits, stalls or answers garbage now and then. Each MF check scripts
one such model for one rollout (`/r/<id>/fault/<kind>/`, or a latency past the deadline for
a stall) and sends that rollout with `safety.max_time_s` = 1 s, its time budget (§3.2).
The app must answer within the budget plus 4 s of grace with either

* a valid RolloutResponse; when the model gave nothing usable (an error, a stall, garbage)
  it marks the failure: `aborted: true`, a step `truncated: true`, or a step's `info.error`;
* or a 4xx, 502, 503 or 504 with the error envelope.

Never a hang, never a 500: a crash loses the episode, and synth-ai's client retries a 5xx
(D30). The checks are SHOULD: the model's failure is not the app's, and synth-ai's own
server answers an executor's exception with a bare 500 (§1.2).
"""

from __future__ import annotations

from typing import Any

from conformance.checks._behaviour import load_window, require_scripted_model, succeeded
from conformance.checks._support import has_error_envelope, no_calls_recorded, steps
from conformance.context import CheckContext, RequestTimedOut, Rollout
from conformance.inference.script import (
    LARGE_CONTENT_BYTES,
    RETRY_AFTER_S,
    UNKNOWN_TOOL,
    ModelFault,
    fault,
    latency,
)
from conformance.outcomes import CheckFailure, CheckSkipped
from conformance.registry import Severity, check

TIME_BUDGET_S = 1.0
"""`safety.max_time_s` of every MF rollout."""
GRACE_S = 4.0
DEADLINE_S = TIME_BUDGET_S + GRACE_S
"""How long the harness waits for the answer."""
STALL_S = DEADLINE_S + 1.0
"""How long the stalled model of MF-3 keeps every call waiting."""
_SEED = 1
_TAGS = ("behaviour", "model-faults", "recorder")
_ERROR_STATUSES = (502, 503, 504)
_EXPECTED = (
    f"within {DEADLINE_S:g}s: a RolloutResponse{{marks}}, or a 4xx/502/503/504 with the error "
    "envelope"
)
_MARKS = " marking the failure (aborted, a step truncated, or a step's info.error)"
_FIX = (
    "Catch every failure of the model call (status, timeout, undecodable or empty answer) and "
    "end the rollout cleanly: mark the step or episode (truncated/aborted, info.error), or "
    "answer 502/503/504 with the error envelope. Bound every model call and the whole rollout "
    "by safety.max_time_s."
)
_FIX_TOOLS = (
    "Treat a tool call the model got wrong as the policy's mistake, not the app's: parse "
    "arguments defensively and answer an unknown tool with an error observation (or end the "
    "episode, marked), never an exception."
)
_FIX_LARGE = (
    "Read the model's answer with a size bound (a few MiB, counted decoded) and end the rollout "
    "with a 502 past it, or keep a truncated copy of the content."
)


def _with_budget(body: dict[str, Any]) -> None:
    body.setdefault("safety", {})["max_time_s"] = TIME_BUDGET_S


def _marks_failure(body: dict[str, Any]) -> bool:
    if body.get("aborted") is True:
        return True
    return any(step.get("truncated") is True or nested_error(step) for _, _, step in steps(body))


def nested_error(step: dict[str, Any]) -> bool:
    info = step.get("info")
    return isinstance(info, dict) and bool(info.get("error"))


def survives(
    ctx: CheckContext, script: str, model: str, *, unusable: bool, fix: str = _FIX
) -> None:
    """Send one rollout whose model misbehaves as `script` says; fail unless it ends well.

    `unusable`: the model gave nothing the episode can go on with, so a 200 must say so.
    """
    require_scripted_model(ctx)
    sent = f"POST /rollout with safety.max_time_s = {TIME_BUDGET_S:g}, the model {model}"
    expected = _EXPECTED.format(marks=_MARKS if unusable else "")
    rollout = _sent_in_time(ctx, script)
    if rollout is None:
        raise CheckFailure(
            sent=sent,
            expected=expected,
            got=f"no answer within {DEADLINE_S:g}s",
            fix=fix,
            summary=f"/rollout hung when the model {model}",
        )
    if not ctx.recorded_calls(rollout):
        raise CheckSkipped(f"the model's fault never applied: {no_calls_recorded(rollout)}")
    problem = _problem(rollout, unusable=unusable)
    if problem is not None:
        raise CheckFailure(
            sent=sent,
            expected=expected,
            got=f"{ctx.describe(rollout.response)} ({problem})",
            fix=fix,
            summary=f"/rollout {problem.split(':')[0]} when the model {model}",
        )


def _sent_in_time(ctx: CheckContext, script: str) -> Rollout | None:
    """The rollout, or None when it missed the deadline with no LOAD-1 batch to blame."""
    window = load_window(ctx)
    for _ in range(2):
        mark = window.mark()
        try:
            return ctx.rollout(seed=_SEED, script=script, edit=_with_budget, timeout_s=DEADLINE_S)
        except RequestTimedOut:
            if not window.overlapped(mark):
                return None
            window.wait_until_idle(ctx.settings.request_timeout_s)
    return None


def _problem(rollout: Rollout, *, unusable: bool) -> str | None:
    status = rollout.response.status_code
    if status == 200:
        body = succeeded(rollout)
        if body is None:
            return "answered 200 without a valid RolloutResponse"
        if unusable and not _marks_failure(body):
            return "answered a normal-looking episode that hides the failure"
        return None
    if 400 <= status < 500 or status in _ERROR_STATUSES:
        return None if has_error_envelope(rollout.response) else "answered without the envelope"
    if status == 500:
        return "crashed: a 500 loses the episode, and synth-ai's client sends it again"
    return f"answered {status}, neither a 4xx nor 502/503/504"


@check("MF-1", severity=Severity.SHOULD, spec="model-faults", tags=_TAGS, depends_on=("RO-1",))
def model_500_is_survived(ctx: CheckContext) -> None:
    """A model answering 500 gets a marked rollout or a 4xx/502/503/504 envelope, in time."""
    survives(ctx, fault(ModelFault.HTTP_500), "answers 500", unusable=True)


@check("MF-2", severity=Severity.SHOULD, spec="model-faults", tags=_TAGS, depends_on=("RO-1",))
def rate_limit_is_survived(ctx: CheckContext) -> None:
    """A model answering 429 with `Retry-After` gets a marked rollout or an error envelope, in time."""  # noqa: E501 (the first docstring line is the check's catalogue title, pinned)
    model = f"answers 429 with Retry-After: {RETRY_AFTER_S}"
    survives(ctx, fault(ModelFault.RATE_LIMITED), model, unusable=True)


@check(
    "MF-3",
    severity=Severity.SHOULD,
    spec="model-faults",
    tags=(*_TAGS, "slow"),
    depends_on=("RO-1",),
)
def stalled_model_is_bounded(ctx: CheckContext) -> None:
    """A stalled model gets an answer within `safety.max_time_s` plus 4 s, never a hang."""
    model = f"stalls {STALL_S:g}s on every call"
    survives(ctx, latency(STALL_S), model, unusable=True)


@check("MF-4", severity=Severity.SHOULD, spec="model-faults", tags=_TAGS, depends_on=("RO-1",))
def malformed_answer_is_survived(ctx: CheckContext) -> None:
    """A model's 200 whose body is not JSON gets a marked rollout or an error envelope."""
    model = "answers 200 with a body that is not JSON"
    survives(ctx, fault(ModelFault.MALFORMED_JSON), model, unusable=True)


@check("MF-5", severity=Severity.SHOULD, spec="model-faults", tags=_TAGS, depends_on=("RO-1",))
def empty_choices_are_survived(ctx: CheckContext) -> None:
    """A model answer with an empty `choices` list gets a marked rollout or an error envelope."""
    model = "answers a completion with no choices"
    survives(ctx, fault(ModelFault.EMPTY_CHOICES), model, unusable=True)


@check("MF-6", severity=Severity.SHOULD, spec="model-faults", tags=_TAGS, depends_on=("RO-1",))
def invalid_tool_arguments_are_survived(ctx: CheckContext) -> None:
    """A tool call whose `arguments` are not JSON gets a valid rollout or an error envelope."""
    model = "calls a tool with arguments that are not JSON"
    survives(ctx, fault(ModelFault.INVALID_TOOL_ARGUMENTS), model, unusable=False, fix=_FIX_TOOLS)


@check("MF-7", severity=Severity.SHOULD, spec="model-faults", tags=_TAGS, depends_on=("RO-1",))
def unknown_tool_call_is_survived(ctx: CheckContext) -> None:
    """A call of a tool the app never offered gets a valid rollout or an error envelope."""
    model = f"calls {UNKNOWN_TOOL!r}, a tool it was never offered"
    survives(ctx, fault(ModelFault.UNKNOWN_TOOL), model, unusable=False, fix=_FIX_TOOLS)


@check("MF-8", severity=Severity.SHOULD, spec="model-faults", tags=_TAGS, depends_on=("RO-1",))
def huge_answer_is_survived(ctx: CheckContext) -> None:
    """An 8 MiB model answer gets a bounded valid rollout or an error envelope, in time."""
    model = f"answers {LARGE_CONTENT_BYTES // 2**20} MiB of content"
    survives(ctx, fault(ModelFault.LARGE_CONTENT), model, unusable=False, fix=_FIX_LARGE)
