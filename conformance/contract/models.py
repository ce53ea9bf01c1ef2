"""Pydantic v2 models of the task-app wire contract (spec §1-§3).

They mirror synth-ai's `synth_ai/task/contracts.py` field for field, so a payload
that validates here validates there. `extra="allow"` only where the spec has it
(TaskInfo and its nested models, §3.4); elsewhere unknown keys are ignored, as in
synth-ai. Lax coercion is pydantic's default; the reference app parses requests
with `strict=True` on top of these same models.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class _ExtraAllowModel(BaseModel):
    model_config = ConfigDict(extra="allow")


class RolloutMode(StrEnum):
    """Rollout mode (§3.1). Lower-case only."""

    RL = "rl"
    EVAL = "eval"


# --- RolloutRequest (§3.2) -------------------------------------------------------


class RolloutEnvSpec(BaseModel):
    env_id: str | None = None
    env_name: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    seed: int | None = None


class RolloutPolicySpec(BaseModel):
    policy_id: str | None = None
    policy_name: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)


class RolloutRecordConfig(BaseModel):
    trajectories: bool = True
    logprobs: bool = False
    value: bool = False
    return_trace: bool = False
    trace_format: Literal["compact", "full", "structured"] = "compact"


class RolloutSafetyConfig(BaseModel):
    max_ops: int = 100000
    max_time_s: float = 3600.0


class RolloutRequest(BaseModel):
    run_id: str
    env: RolloutEnvSpec
    policy: RolloutPolicySpec
    ops: list[dict[str, Any]] | list[str]
    record: RolloutRecordConfig = Field(default_factory=RolloutRecordConfig)
    on_done: str = "reset"
    safety: RolloutSafetyConfig = Field(default_factory=RolloutSafetyConfig)
    training_session_id: str | None = None
    synth_base_url: str | None = None
    mode: RolloutMode


# --- RolloutResponse (§3.3) ------------------------------------------------------


class RolloutStep(BaseModel):
    obs: dict[str, Any]
    tool_calls: list[dict[str, Any]]
    reward: float | None = None
    done: bool = False
    truncated: bool | None = None
    info: dict[str, Any] | None = None


class RolloutTrajectory(BaseModel):
    env_id: str
    policy_id: str
    steps: list[RolloutStep]
    final: dict[str, Any] | None = None
    length: int
    inference_url: str
    decision_samples: list[dict[str, Any]] | None = None


class RolloutMetrics(BaseModel):
    episode_returns: list[float]
    mean_return: float
    num_steps: int
    num_episodes: int = 0
    outcome_score: float | None = None
    events_score: float | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class RolloutResponse(BaseModel):
    run_id: str
    trajectories: list[RolloutTrajectory]
    branches: dict[str, list[str]] = Field(default_factory=dict)
    metrics: RolloutMetrics
    aborted: bool = False
    ops_executed: int = 0
    trace_correlation_id: str | None = None
    trace: dict[str, Any] | None = None
    pipeline_metadata: dict[str, Any] = Field(default_factory=dict)


# --- TaskInfo (§3.4), all extra="allow" ------------------------------------------


class TaskDescriptor(_ExtraAllowModel):
    id: str
    name: str
    description: str | None = None
    version: str | None = None


class DatasetInfo(_ExtraAllowModel):
    id: str | None = None
    name: str | None = None
    version: str | None = None
    splits: list[str] | None = None
    default_split: str | None = None
    description: str | None = None


class RubricCriterion(_ExtraAllowModel):
    id: str
    description: str
    weight: float | None = None


class RubricSection(_ExtraAllowModel):
    name: str
    criteria: list[RubricCriterion] = Field(default_factory=list)


class RubricInfo(_ExtraAllowModel):
    outcome: RubricSection | None = None
    events: RubricSection | None = None


class InferenceInfo(_ExtraAllowModel):
    model: str | None = None
    inference_url: str | None = None


class LimitsInfo(_ExtraAllowModel):
    max_turns: int | None = None
    max_response_tokens: int | None = None
    timeout_seconds: int | None = None


class TaskInfo(_ExtraAllowModel):
    task: TaskDescriptor
    environment: str
    dataset: DatasetInfo
    rubric: RubricInfo
    inference: InferenceInfo
    limits: LimitsInfo
    task_metadata: dict[str, Any] = Field(default_factory=dict)


class LocalApiTaskInfo(_ExtraAllowModel):
    """TaskInfo of synth-ai 0.5+ (`localapi`, `container`): `environment` is optional and
    `rubric` left the model (0.6.6 `synth_ai/sdk/localapi/_impl/contracts.py:320`, 0.9.11
    `synth_ai/sdk/container/_impl/contracts.py:451`).
    """

    task: TaskDescriptor
    dataset: DatasetInfo
    inference: InferenceInfo
    limits: LimitsInfo
    environment: str | None = None
    task_metadata: dict[str, Any] = Field(default_factory=dict)


# --- Other endpoint bodies (§1.1, §1.4, §1.5) -------------------------------------


class RootResponse(BaseModel):
    """`GET /`: unauthenticated liveness and identity."""

    status: str = Field(min_length=1)
    service: str = Field(min_length=1)


class HealthAuth(BaseModel):
    required: bool
    expected_prefix: str


class HealthResponse(BaseModel):
    """`GET /health` (§10.1 item 5)."""

    healthy: bool
    auth: HealthAuth


class InfoService(BaseModel):
    task: TaskDescriptor
    version: str | None = None


class InfoResponse(BaseModel):
    """`GET /info` (§1.4): every section is an object, never a `"<circular ...>"` string."""

    service: InfoService
    dataset: DatasetInfo
    rubrics: dict[str, Any] | None = None
    inference: InferenceInfo
    limits: LimitsInfo


class TasksetResponse(BaseModel):
    """`GET /task_info` without seeds (§1.5)."""

    taskset: dict[str, Any]


# --- Error envelope (§1.2) --------------------------------------------------------


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorDetail(BaseModel):
    error: ErrorBody


class ErrorEnvelope(BaseModel):
    """`{"detail": {"error": {"code", "message"}}}`, the body of every error."""

    detail: ErrorDetail


def error_envelope(code: str, message: str) -> dict[str, Any]:
    """Build the error envelope as a plain JSON-able dict."""
    return ErrorEnvelope(
        detail=ErrorDetail(error=ErrorBody(code=code, message=message))
    ).model_dump()
