"""The declarative task-app config, in the spirit of synth-ai's `TaskAppConfig` (spec §1.9).

To build your own app, copy this file and `task.py`/`rollout.py`, change
`build_config()`, and pass the result to `reference_app.app.create_app`.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from conformance.contract import (
    DatasetInfo,
    InferenceInfo,
    LimitsInfo,
    RolloutRequest,
    RolloutResponse,
    RubricCriterion,
    RubricInfo,
    RubricSection,
    TaskDescriptor,
    TaskInfo,
)
from conformance.contract.constants import MAX_SEED, MIN_SEED
from reference_app import task
from reference_app.capture import listeners_from_env
from reference_app.inference import DEFAULT_MAX_INFERENCE_RESPONSE_BYTES
from reference_app.rollout import (
    DEFAULT_MAX_TURNS,
    DEFAULT_MODEL,
    ArithmeticRollout,
    RolloutListener,
)

TASKSET_DESCRIPTION = "Arithmetic word problems solved with a calculator tool."
MAX_SEEDS_PER_REQUEST = 100
"""Seeds one `/task_info` request may ask for (~1.2 KB each): bounds the answer to ~120 KB."""


@dataclass(frozen=True)
class TaskAppConfig:
    """Everything `create_app` needs; no module-level state anywhere."""

    app_id: str
    name: str
    description: str
    base_task_info: TaskInfo
    describe_taskset: Callable[[], Mapping[str, Any]]
    provide_task_instances: Callable[[Sequence[int]], Iterable[TaskInfo]]
    rollout: Callable[[RolloutRequest], Awaitable[RolloutResponse]]
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ)
    """Where API keys are read from, on every request (never written to)."""
    max_seed: int = MAX_SEED
    max_body_bytes: int = 1_000_000
    max_seeds_per_request: int = MAX_SEEDS_PER_REQUEST
    """`/task_info` answers 422 `too_many_seeds` above this many `seed`/`seeds` values."""
    check_rollout: Callable[[RolloutRequest], None] | None = None
    """Refuses (`TaskAppError`, 4xx) a request `rollout` would refuse, without playing it;
    asynchronous submissions (`containers-2026-05`) ask it before they answer. None: every
    request is accepted, and a bad one fails later in its record."""


def _base_task_info() -> TaskInfo:
    return TaskInfo(
        task=TaskDescriptor(
            id="arithmetic",
            name="Arithmetic word problems",
            description=TASKSET_DESCRIPTION,
            version="1.0.0",
            # Declared for the behaviour checks (conformance.contract.behaviour): an episode
            # is a function of its seed and the model's answers, each reward 0 or 1.
            deterministic=True,
        ),
        environment="arithmetic",
        dataset=DatasetInfo(
            id="arithmetic-v1",
            name="Arithmetic word problems",
            version="1.0.0",
            splits=list(task.SPLITS),
            default_split=task.DEFAULT_SPLIT,
            description="Generated offline and deterministically from (split, seed).",
        ),
        rubric=RubricInfo(
            outcome=RubricSection(
                name="correctness",
                criteria=[
                    RubricCriterion(
                        id="correct_answer",
                        description="The submitted answer equals the problem's answer.",
                        weight=1.0,
                    )
                ],
            )
        ),
        inference=InferenceInfo(model=DEFAULT_MODEL),
        limits=LimitsInfo(
            max_turns=DEFAULT_MAX_TURNS,
            max_response_tokens=512,
            timeout_seconds=60,
            reward_range=[0.0, 1.0],
        ),
    )


def _describe_taskset() -> dict[str, Any]:
    return {
        "id": "arithmetic-v1",
        "name": "Arithmetic word problems",
        "description": TASKSET_DESCRIPTION,
        "splits": list(task.SPLITS),
        "default_split": task.DEFAULT_SPLIT,
        "cardinality": dict(task.SPLIT_CARDINALITY),
        "seed_range": {"min": MIN_SEED, "max": MAX_SEED},
        "tools": [t["function"]["name"] for t in task.TOOLS],
    }


def _instance(base: TaskInfo, seed: int) -> TaskInfo:
    problem = task.generate_problem(task.DEFAULT_SPLIT, seed)
    info = base.model_copy(deep=True)
    info.task_metadata = {
        "seed": seed,
        "split": problem.split,
        "task_id": problem.task_id,
        "prompt": problem.prompt,
    }
    # The 0.2.24 `task-app check` wants `taskset` inside every instance (Appendix A).
    setattr(info, "taskset", _describe_taskset())  # noqa: B010 (extra="allow" field)
    return info


def build_config(
    *,
    environ: Mapping[str, str] | None = None,
    listeners: Sequence[RolloutListener] = (),
    inference_timeout_s: float = 30.0,
    max_inference_response_bytes: int = DEFAULT_MAX_INFERENCE_RESPONSE_BYTES,
) -> TaskAppConfig:
    """The reference app's config. `environ` defaults to the live `os.environ`.

    `inference_timeout_s` bounds each call to the model, its answer included;
    `max_inference_response_bytes` bounds that answer once decoded (both end the rollout
    with a 504/502 in the error envelope). Raises
    :class:`~reference_app.errors.CaptureConfigError` when the environment asks for a
    trace DB or SFT output directory that cannot be used.
    """
    env = os.environ if environ is None else environ
    base = _base_task_info()
    executor = ArithmeticRollout(
        default_inference_url=env.get("TASKAPP_INFERENCE_URL") or None,
        inference_timeout_s=inference_timeout_s,
        max_inference_response_bytes=max_inference_response_bytes,
        listeners=(*listeners, *listeners_from_env(env)),
    )
    return TaskAppConfig(
        app_id="arithmetic",
        name="Arithmetic reference task app",
        description=TASKSET_DESCRIPTION,
        base_task_info=base,
        describe_taskset=_describe_taskset,
        provide_task_instances=lambda seeds: [_instance(base, s) for s in seeds],
        rollout=executor,
        environ=env,
        check_rollout=executor.check,
    )
