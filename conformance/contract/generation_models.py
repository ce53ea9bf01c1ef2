"""Pydantic models of the wire bodies of the later contract generations (docs/generations.md).

They mirror the packages field for field, so the canonical documents built from them
(`conformance.openapi`) and the fuzzer's judge of what must be refused agree with what those
packages accept, without making the packages dependencies:

* `localapi`: synth-ai 0.6.6 `synth_ai/sdk/localapi/_impl/contracts.py` (and
  `synth_ai/data/artifacts.py`, `coding_agent_context.py`, `enums.py`);
* `container`: synth-ai 0.9.11 `synth_ai/sdk/container/_impl/contracts.py`, `server.py:471`;
* `containers-2026-05`: synth-containers 0.4.6 `http_models.py` (the strict request),
  `sdk.py:50-87` (the record every server returns), `event_log.py:25`, `proxying.py`.

Lax coercion and ignored extra fields are pydantic's defaults, as in synth-ai; only the
containers request forbids unknown fields (`extra="forbid"`, as its package does).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from conformance.contract.models import RolloutEnvSpec
from conformance.contract.profiles import ROLLOUT_ID_PATTERN

__all__ = [
    "Artifact",
    "ContainerHealthResponse",
    "ContainerRewardInfo",
    "ContainerRolloutRequest",
    "ContainerRolloutResponse",
    "ContainersHealthResponse",
    "ContainersMetadata",
    "ContainersRolloutLookup",
    "ContainersRolloutRecord",
    "ContainersRolloutRequest",
    "ContainersRootResponse",
    "ContainersSubmission",
    "ContainersSubmittedRecord",
    "ContainersTaskInfo",
    "ContextOverride",
    "ContextOverrideStatus",
    "LocalApiRolloutRequest",
    "LocalApiRolloutResponse",
    "RewardInfo",
    "RolloutState",
    "SuccessStatus",
]

_NON_BLANK = r"\S"
"""A string with at least one non-whitespace character (0.9.11 strips the cid, then refuses "")."""


# --- localapi: synth-ai 0.6.6 ---------------------------------------------------------------


class OutputMode(StrEnum):
    """`synth_ai/data/enums.py` `OutputMode`."""

    TOOL_CALLS = "tool_calls"
    TEXT = "text"
    STRUCTURED = "structured"


class SuccessStatus(StrEnum):
    """`synth_ai/data/enums.py:152-169` (orthogonal to the reward)."""

    SUCCESS = "success"
    TIMEOUT = "timeout"
    NETWORK_ERROR = "network_error"
    APPLY_FAILED = "apply_failed"
    RUNTIME_ERROR = "runtime_error"
    FAILURE = "failure"


class StructuredOutputConfig(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    schema_: dict[str, Any] = Field(alias="schema")
    schema_name: str = "response"
    strict: bool = True


class LocalApiPolicySpec(BaseModel):
    policy_id: str | None = None
    policy_name: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    output_mode: OutputMode = OutputMode.TOOL_CALLS
    structured_config: StructuredOutputConfig | None = None


class LocalApiSafetyConfig(BaseModel):
    max_time_s: float = 3600.0


class ContextOverride(BaseModel):
    """`synth_ai/data/coding_agent_context.py` `ContextOverride` (files, script, env vars)."""

    file_artifacts: dict[str, str] = Field(default_factory=dict)
    preflight_script: str | None = None
    env_vars: dict[str, str] = Field(default_factory=dict)
    mutation_type: str | None = None
    created_at: datetime | None = None
    override_id: str | None = None


class LocalApiRolloutRequest(BaseModel):
    """`RolloutRequest` (contracts.py:103-139): the cid is the identity and is required."""

    trace_correlation_id: str
    env: RolloutEnvSpec
    policy: LocalApiPolicySpec
    on_done: str = "reset"
    safety: LocalApiSafetyConfig = Field(default_factory=LocalApiSafetyConfig)
    training_session_id: str | None = None
    synth_base_url: str | None = None
    context_overrides: list[ContextOverride] | None = None
    override_bundle_id: str | None = None


class RewardInfo(BaseModel):
    """`RolloutMetrics` (contracts.py:142-190): `outcome_reward` is the score."""

    outcome_reward: float
    event_rewards: list[float] | None = None
    outcome_objectives: dict[str, float] | None = None
    event_objectives: list[dict[str, float]] | None = None
    instance_objectives: list[dict[str, float]] | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class Artifact(BaseModel):
    """`synth_ai/data/artifacts.py:27`: an output of the rollout."""

    content: str | dict[str, Any]
    content_type: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    artifact_id: str | None = None
    trace_correlation_id: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None
    storage: dict[str, Any] | None = None
    created_at: str | None = None


class ApplicationStatus(StrEnum):
    APPLIED = "applied"
    PARTIAL = "partial"
    FAILED = "failed"
    SKIPPED = "skipped"


class ApplicationErrorType(StrEnum):
    VALIDATION = "validation"
    PATH_TRAVERSAL = "path_traversal"
    PERMISSION = "permission"
    SIZE_LIMIT = "size_limit"
    TIMEOUT = "timeout"
    RUNTIME = "runtime"
    NOT_FOUND = "not_found"


class OverrideApplicationError(BaseModel):
    error_type: ApplicationErrorType
    message: str
    target: str | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class ContextOverrideStatus(BaseModel):
    """How the app applied the request's context overrides, per target."""

    override_id: str | None = None
    overall_status: ApplicationStatus = ApplicationStatus.APPLIED
    errors: list[OverrideApplicationError] = Field(default_factory=list)
    file_artifacts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    preflight_script: dict[str, Any] | None = None
    env_vars: dict[str, dict[str, Any]] = Field(default_factory=dict)


class LocalApiRolloutResponse(BaseModel):
    """`RolloutResponse` (contracts.py:193-276). 0.4.12 named `reward_info` `metrics`: the
    document accepts either name (`conformance.openapi`), the model the 0.5+ one.
    """

    trace_correlation_id: str
    reward_info: RewardInfo
    trace: dict[str, Any] | None = None
    inference_url: str | None = None
    artifact: list[Artifact] | None = None
    success_status: SuccessStatus | None = None
    status_detail: str | None = None
    override_application_results: list[ContextOverrideStatus] | None = None


# --- container: synth-ai 0.9.11 -------------------------------------------------------------


def _non_blank(value: str) -> str:
    """contracts.py:22-26: the cid is stripped and must not be empty."""
    if not value.strip():
        raise ValueError("trace_correlation_id must be a non-empty string.")
    return value


class ContainerSafetyConfig(BaseModel):
    max_time_s: int = 3600
    """An int since 0.9.x (contracts.py:110): the Rust response builder reads an i32."""


class ContainerRolloutRequest(BaseModel):
    """`RolloutRequest` (contracts.py:113-175): localapi's, a non-blank cid, planner fields."""

    trace_correlation_id: str = Field(pattern=_NON_BLANK)
    env: RolloutEnvSpec
    policy: LocalApiPolicySpec
    on_done: str = "reset"
    safety: ContainerSafetyConfig = Field(default_factory=ContainerSafetyConfig)
    training_session_id: str | None = None
    synth_base_url: str | None = None
    planner_mode: Literal["direct", "waypoint_planned"] | None = None
    paired_eval: dict[str, Any] | None = None
    waypoint_plan_request: dict[str, Any] | None = None
    context_overrides: list[ContextOverride] | None = None
    override_bundle_id: str | None = None

    _cid = field_validator("trace_correlation_id")(_non_blank)


class ContainerRewardInfo(RewardInfo):
    """`RolloutMetrics` (contracts.py:178-284): localapi's plus the long-horizon metrics."""

    horizon_bin_success: dict[str, float] | None = None
    eta: float | None = None
    reach: float | None = None
    pi_gap: float | None = None
    planner_used: bool | None = None
    planner_failure_code: str | None = None
    multi_agent: dict[str, Any] | None = None


class ContainerRolloutResponse(BaseModel):
    """`RolloutResponse` (contracts.py:287-373): on the wire always `reward_info`."""

    trace_correlation_id: str = Field(pattern=_NON_BLANK)
    reward_info: ContainerRewardInfo
    trace: dict[str, Any] | None = None
    inference_url: str | None = None
    artifact: list[Artifact] | None = None
    success_status: SuccessStatus | None = None
    status_detail: str | None = None
    override_application_results: list[ContextOverrideStatus] | None = None


class ContainerHealthAuth(BaseModel):
    required: bool
    mode: str
    """SYNTH_CONTAINER_AUTH_MODE as set (`required`, `optional_local`, `disabled`, or anything)."""
    required_header: Literal["x-synth-container-authorization"]


class ContainerHealthResponse(BaseModel):
    """`GET /health` (server.py:471-482): public, names the token header."""

    healthy: bool
    auth: ContainerHealthAuth


# --- containers-2026-05: synth-containers 0.4.6 ---------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class SubmissionMode(StrEnum):
    """`wire.py` `SubmissionMode`: what both servers run (the SDK answers 422 to anything else)."""

    SYNC = "sync"
    ASYNC = "async"


class InferenceApiFamily(StrEnum):
    CHAT_COMPLETIONS = "chat_completions"
    RESPONSES = "responses"


class PolicyDisableReasoning(StrEnum):
    AUTO = "auto"
    ON = "on"
    OFF = "off"


class ToolCallStyle(StrEnum):
    OPENAI_CHAT = "openai_chat"
    OPENAI_RESPONSES = "openai_responses"
    CODEX_SESSION_NATIVE = "codex_session_native"
    NONE = "none"


class ProxyMode(StrEnum):
    ALLOW_DIRECT = "allow_direct"
    PROXY_ONLY = "proxy_only"
    ASSERT_PROXY = "assert_proxy"


class CredentialMode(StrEnum):
    BYOK = "byok"
    PROXY = "proxy"


class ContainersPolicySpec(_Strict):
    """`RolloutPolicySpecModel` (http_models.py:64-88). The package also refuses a config
    naming a credential (`api_key`, `authorization`, `*_api_key`, ...) anywhere inside.
    """

    provider: str
    model: str
    api_family: InferenceApiFamily = InferenceApiFamily.CHAT_COMPLETIONS
    base_url: str | None = None
    inference_url: str | None = None
    max_tokens: int | None = None
    disable_reasoning: PolicyDisableReasoning = PolicyDisableReasoning.AUTO
    tool_call_style: ToolCallStyle = ToolCallStyle.NONE
    proxy_mode: ProxyMode = ProxyMode.ALLOW_DIRECT
    credential_mode: CredentialMode = CredentialMode.BYOK
    config: dict[str, Any] = Field(default_factory=dict)


class RolloutActorSpec(_Strict):
    actor_id: str
    role: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)


class RolloutTelemetryFrame(_Strict):
    enabled: bool = False
    format: str = "png"
    every_n_steps: int = Field(default=1, ge=1, le=10_000)


class RolloutTelemetry(_Strict):
    """http_models.py:97-118; an enabled stream refuses the `auto` transport."""

    enabled: bool = False
    transport: Literal["poll", "sse", "websocket", "auto"] = "sse"
    detail: str = "standard"
    poll_interval_ms: int = Field(default=500, ge=100, le=30_000)
    events: list[str] = Field(default_factory=list)
    frame: RolloutTelemetryFrame = Field(default_factory=RolloutTelemetryFrame)
    retention: str = "run"


class ContainersRolloutRequest(_Strict):
    """`RolloutRequestModel` (http_models.py:121-158): every field optional, none other allowed."""

    rollout_id: str | None = Field(default=None, pattern=ROLLOUT_ID_PATTERN)
    seed: int | None = None
    trace_correlation_id: str | None = None
    trial_id: str | None = None
    submission_mode: SubmissionMode | None = None
    run_id: str | None = None
    mode: str | None = None
    task_id: str | None = None
    task_instance_id: str | None = None
    task_metadata: dict[str, Any] = Field(default_factory=dict)
    env: dict[str, Any] = Field(default_factory=dict)
    policy: ContainersPolicySpec | None = None
    policy_ref: dict[str, Any] = Field(default_factory=dict)
    policy_revision_id: str | None = None
    candidate: dict[str, Any] = Field(default_factory=dict)
    candidate_overlay: dict[str, Any] = Field(default_factory=dict)
    task: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    checkpoint: dict[str, Any] | str | None = None
    checkpoint_id: str | None = None
    checkpoint_data_base64: str | None = None
    target_rollout_id: str | None = None
    long_horizon: dict[str, Any] = Field(default_factory=dict)
    terminator: dict[str, Any] = Field(default_factory=dict)
    task_payload: dict[str, Any] = Field(default_factory=dict)
    taskset: dict[str, Any] = Field(default_factory=dict)
    actors: list[RolloutActorSpec] = Field(default_factory=list)
    actor_ids: list[str] = Field(default_factory=list)
    actor_overrides: dict[str, Any] = Field(default_factory=dict)
    telemetry: RolloutTelemetry | None = None


class ContainersSubmission(_Open):
    """What every containers server accepts (the `Container` SDK's `RolloutSubmissionPayload`,
    sdk.py:50-66): any object whose `rollout_id`, when sent, is a non-empty string and whose
    `submission_mode` is sync or async. The fuzzer's judge of what MUST be refused.
    """

    rollout_id: str | None = Field(default=None, min_length=1)
    submission_mode: SubmissionMode | None = None


class ContainersHealthResponse(BaseModel):
    """`GET /health` (sdk.py:671, http_adapter.py:485): public."""

    status: Literal["ok"]
    contract_version: str = Field(min_length=1)


class ContainersRootResponse(_Open):
    """`GET /` (sdk.py:662, http_adapter.py:472)."""

    status: str = Field(min_length=1)
    contract_version: str = Field(min_length=1)
    runtime: dict[str, Any]
    task_info: dict[str, Any]


class ContainersCapabilities(_Open):
    """`capabilities` (metadata.py:148-218): `protocol` since 0.4.3."""

    contract_version: str = Field(min_length=1)
    protocol: str | None = Field(default=None, pattern=r"^synth\.container\.")
    rollout_modes: list[str] | None = None
    route_hints: dict[str, Any] | None = None


class ContainersMetadata(_Open):
    """`GET /metadata` and its alias `GET /info`."""

    capabilities: ContainersCapabilities


class ContainersRewardInfo(_Open):
    """The record's optional `reward_info` (sdk.py:196-246 `RolloutResult.to_dict`); null
    until the rollout has a score (an async record still running).
    """

    outcome_reward: float | None


class ContainersRolloutRecord(_Open):
    """A rollout record (sdk.py:69-87): the SDK checks these five, the rest is the app's."""

    rollout_id: str = Field(min_length=1)
    status: str = Field(min_length=1)
    success_status: str = Field(min_length=1)
    created_at: str = Field(min_length=1)
    updated_at: str = Field(min_length=1)
    reward_info: ContainersRewardInfo | None = None


class RolloutState(StrEnum):
    """wire.py:9-17 (`conformance.contract.profiles.ROLLOUT_STATES`, pinned equal by a test)."""

    QUEUED = "queued"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ContainersSubmittedRecord(ContainersRolloutRecord):
    """A record answering `POST /rollouts`: a state of the lifecycle. Later reads may say
    more (the reference adapter's `prepared`, the SDK's `terminated`).
    """

    status: RolloutState


class ContainersRolloutLookup(_Open):
    """`GET /rollouts/{rollout_id}`: the record, or the reference adapter's view of a prepared
    rollout (`status: "prepared"`, no timestamps; http_adapter.py:776-802).
    """

    rollout_id: str = Field(min_length=1)
    status: str = Field(min_length=1)


class ContainersTaskInfo(_Open):
    """`GET /task_info`: the app's object (the SDK's default names the task)."""
