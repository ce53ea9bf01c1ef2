"""Reward sanity (RWD): rewards stay inside the range the app declares.

RO-6 already wants every reward and return finite. An app may also declare the range its
rewards live in, `limits.reward_range: [min, max]` in `/info` (or in `/task_info`, whose
`limits` survive synth-ai's own `/info`, §1.4); trainers that normalise advantages and
dashboards that plot scores take it at its word. RWD-1 holds the app to it on every
rollout the behaviour checks played.
"""

from __future__ import annotations

from typing import Any

from conformance.checks._behaviour import declarations, succeeded
from conformance.checks._support import is_finite_number, steps
from conformance.checks.determinism import original_rollout
from conformance.context import CheckContext
from conformance.contract.behaviour import REWARD_RANGE_FIELD
from conformance.outcomes import CheckFailure, CheckSkipped, SkipKind
from conformance.registry import Severity, check


def reward_values(body: dict[str, Any]) -> list[tuple[str, Any]]:
    """(place, value) of every step reward, episode return and the mean return."""
    found = [
        (f"trajectories[{t}].steps[{s}].reward", step.get("reward"))
        for t, s, step in steps(body)
        if step.get("reward") is not None
    ]
    raw = body.get("metrics")
    metrics: dict[str, Any] = raw if isinstance(raw, dict) else {}
    returns = metrics.get("episode_returns")
    for i, value in enumerate(returns if isinstance(returns, list) else []):
        found.append((f"metrics.episode_returns[{i}]", value))
    found.append(("metrics.mean_return", metrics.get("mean_return")))
    return found


def declared_range(ctx: CheckContext) -> tuple[tuple[float, float], str]:
    """The declared range and where it was declared; SKIP (n/a) without one, FAIL when it
    cannot be used.
    """
    declared = declarations(ctx)
    if declared.reward_range_at is None:
        raise CheckSkipped(
            f"the app declares no limits.{REWARD_RANGE_FIELD} (in /info or /task_info)",
            kind=SkipKind.NOT_APPLICABLE,
        )
    if declared.reward_range is None:
        raise CheckFailure(
            sent="GET /info and GET /task_info?seed=0",
            expected=f"{declared.reward_range_at} = [min, max], two finite numbers, min <= max",
            got=f"{declared.reward_range_at}: {declared.reward_range_problem}",
            fix=f"Declare limits.{REWARD_RANGE_FIELD} as [min, max], e.g. [0.0, 1.0], or leave "
            "it out.",
            summary=f"the declared {REWARD_RANGE_FIELD} cannot be used",
        )
    return declared.reward_range, declared.reward_range_at


@check(
    "RWD-1",
    severity=Severity.MUST,
    spec="reward-range",
    tags=("behaviour", "rewards"),
    depends_on=("RO-1",),
)
def rewards_lie_in_declared_range(ctx: CheckContext) -> None:
    """Step rewards, episode returns and the mean return lie in the declared `limits.reward_range`."""  # noqa: E501 (the first docstring line is the check's catalogue title, pinned)
    (low, high), declared_at = declared_range(ctx)
    for rollout in (ctx.baseline_rollout(), original_rollout(ctx)[0]):
        for where, value in reward_values(succeeded(rollout) or {}):
            if is_finite_number(value) and not low <= value <= high:
                raise CheckFailure(
                    sent=f"POST /rollout with env.seed {rollout.body['env']['seed']}",
                    expected=f"every reward and return within [{low:g}, {high:g}], as "
                    f"{declared_at} declares",
                    got=f"{where} = {value!r}",
                    fix="Clip or scale rewards into the range you declare, or declare the range "
                    "your rewards really take (returns included).",
                    summary=f"{where} lies outside the declared {REWARD_RANGE_FIELD}",
                )
