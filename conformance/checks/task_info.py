"""`/task_info`: taskset, one instance, several instances, determinism, seed parsing (§1.5)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from conformance.checks._support import CREDENTIAL, require_json, validation_problem
from conformance.context import CheckContext
from conformance.contract import SEED_PARAM, SEEDS_PARAM, TASK_INFO_PATH, TaskInfo
from conformance.contract.models import LocalApiTaskInfo
from conformance.contract.profiles import LEGACY, SYNTH_AI_PROFILES
from conformance.outcomes import CheckFailure
from conformance.registry import Severity, check

_FIX_200 = "Answer /task_info with 200 for an authenticated caller and every seed you serve."


def _task_info_model(ctx: CheckContext) -> type[BaseModel]:
    """0.2's TaskInfo, or 0.5+'s (optional `environment`, no `rubric`) for later generations."""
    return TaskInfo if ctx.profile.contract == LEGACY else LocalApiTaskInfo


def _required(model: type[BaseModel]) -> list[str]:
    return [name for name, field in model.model_fields.items() if field.is_required()]


def _instance(ctx: CheckContext, seed: int) -> Any:
    response = ctx.get(TASK_INFO_PATH, params={SEED_PARAM: seed})
    return require_json(ctx, response, f"GET /task_info?seed={seed}", _FIX_200)


@check(
    "TI-1",
    profiles=SYNTH_AI_PROFILES,
    severity=Severity.MUST,
    spec="task-info-taskset",
    tags=("task_info",),
    depends_on=CREDENTIAL,
)
def task_info_without_seed_returns_taskset(ctx: CheckContext) -> None:
    """`GET /task_info` without seeds returns `{"taskset": {...}}`."""
    body = require_json(ctx, ctx.get(TASK_INFO_PATH), "GET /task_info", _FIX_200)
    if not isinstance(body, dict) or not isinstance(body.get("taskset"), dict):
        raise CheckFailure(
            sent="GET /task_info (no seed)",
            expected='{"taskset": {...}} describing the task set',
            got=ctx.short_json(body),
            fix="Without seed parameters, return describe_taskset() wrapped as {'taskset': ...}.",
        )


@check(
    "TI-2",
    profiles=SYNTH_AI_PROFILES,
    severity=Severity.MUST,
    spec="task-info-one-seed",
    tags=("task_info",),
    depends_on=CREDENTIAL,
)
def one_seed_returns_one_task_info(ctx: CheckContext) -> None:
    """`GET /task_info?seed=0` returns one object that validates as TaskInfo."""
    body = _instance(ctx, 0)
    model = _task_info_model(ctx)
    problem = (
        "a list, not one object" if isinstance(body, list) else validation_problem(model, body)
    )
    if problem is not None:
        raise CheckFailure(
            sent="GET /task_info?seed=0",
            expected=f"one TaskInfo object ({', '.join(_required(model))})",
            got=f"{ctx.short_json(body)} ({problem})",
            fix="Return a single TaskInfo object for a single seed, with every required section.",
        )


@check(
    "TI-3",
    profiles=SYNTH_AI_PROFILES,
    severity=Severity.MUST,
    spec="task-info-several-seeds",
    tags=("task_info",),
    depends_on=("TI-2",),
)
def several_seeds_return_list_in_order(ctx: CheckContext) -> None:
    """Repeated `seed`/`seeds` parameters return a list of TaskInfo in request order."""
    sent = "GET /task_info?seed=2&seed=0&seeds=1"
    response = ctx.get(TASK_INFO_PATH, params=[(SEED_PARAM, 2), (SEED_PARAM, 0), (SEEDS_PARAM, 1)])
    body = require_json(ctx, response, sent, _FIX_200)
    expected = [_instance(ctx, seed) for seed in (2, 0, 1)]
    if body != expected:
        got = f"{len(body)} item(s)" if isinstance(body, list) else "not a list"
        raise CheckFailure(
            sent=sent,
            expected=(
                "a list of 3 TaskInfo equal to the single answers for seeds 2, 0, 1, in that order"
            ),
            got=f"{got}: {ctx.short_json(body)}",
            fix=(
                "Collect every seed, then every seeds value, keep order and duplicates,"
                " return a list."
            ),
        )


@check(
    "TI-4",
    profiles=SYNTH_AI_PROFILES,
    severity=Severity.MUST,
    spec="task-info-deterministic",
    tags=("task_info",),
    depends_on=("TI-2",),
)
def same_seed_gives_identical_task_info(ctx: CheckContext) -> None:
    """The same seed asked twice gives an identical TaskInfo (instances are deterministic)."""
    first, second = _instance(ctx, 3), _instance(ctx, 3)
    if first != second:
        raise CheckFailure(
            sent="GET /task_info?seed=3, twice",
            expected="two identical bodies",
            got=f"{ctx.short_json(first)} then {ctx.short_json(second)}",
            fix=(
                "Derive every instance field from the seed only"
                " (no clocks, counters or randomness)."
            ),
        )


@check(
    "TI-5",
    profiles=SYNTH_AI_PROFILES,
    severity=Severity.MUST,
    spec="task-info-seed-range",
    tags=("task_info",),
    depends_on=("TI-2",),
)
def consecutive_seeds_answer(ctx: CheckContext) -> None:
    """Seeds 0..N-1 (N = --min-seeds, default 10) each answer with a valid TaskInfo."""
    for seed in range(ctx.settings.min_seeds):
        problem = validation_problem(_task_info_model(ctx), _instance(ctx, seed))
        if problem is not None:
            raise CheckFailure(
                sent=f"GET /task_info?seed={seed}",
                expected=f"a valid TaskInfo for every seed from 0 to {ctx.settings.min_seeds - 1}",
                got=f"seed {seed}: {problem}",
                fix="Serve contiguous seeds from 0; synth-ai's validator needs at least 10.",
            )


@check(
    "TI-6",
    profiles=SYNTH_AI_PROFILES,
    severity=Severity.MUST,
    spec="task-info-seed-parsing",
    tags=("task_info", "input"),
    depends_on=CREDENTIAL,
)
def non_integer_seed_rejected(ctx: CheckContext) -> None:
    """A non-integer seed (`abc`, `1.5`) gets a 4xx, never 200 or 5xx."""
    for value in ("abc", "1.5"):
        response = ctx.get(TASK_INFO_PATH, params={SEED_PARAM: value})
        if not 400 <= response.status_code < 500:
            raise CheckFailure(
                sent=f"GET /task_info?seed={value}",
                expected="422 (or another 4xx) with the error envelope",
                got=ctx.describe(response),
                fix="Parse seeds as integers and answer 422 when one is not.",
            )


@check(
    "TI-7",
    severity=Severity.SHOULD,
    spec="task-info-taskset-key",
    tags=("task_info", "synth-ai-0.2.24"),
    depends_on=("TI-2",),
)
def seed_instance_includes_taskset(ctx: CheckContext) -> None:
    """`/task_info?seed=0` also carries a `taskset` key, which synth-ai 0.2.24's checker demands."""
    body = _instance(ctx, 0)
    if not isinstance(body, dict) or "taskset" not in body:
        raise CheckFailure(
            sent="GET /task_info?seed=0",
            expected="a TaskInfo with an extra top-level taskset key",
            got=ctx.short_json(body),
            fix=(
                "Add describe_taskset() as an extra 'taskset' key to every instance"
                " (TaskInfo allows extras)."
            ),
        )
