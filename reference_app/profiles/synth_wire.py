"""The rollout bodies of synth-ai's `localapi` (0.6.6) and `container` (0.9.11) generations.

Field for field as `synth_ai/sdk/localapi/_impl/contracts.py:70-276` (0.6.6) has them;
`container`'s request (0.9.11 `synth_ai/sdk/container/_impl/contracts.py:113-175`) adds
optional planner fields and makes the time budget an integer. Unknown fields are ignored, as
there. Two choices are stricter than the package, for a clear 422 instead of an unusable
rollout: a blank `trace_correlation_id` (0.9.11 refuses it too, 0.6.6 does not) and an
`output_mode` other than `tool_calls` (the arithmetic task is played with tool calls).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from conformance.contract import RolloutEnvSpec


class OutputMode(StrEnum):
    TOOL_CALLS = "tool_calls"
    TEXT = "text"
    STRUCTURED = "structured"


class StructuredOutputConfig(BaseModel):
    """contracts.py:22-45; accepted as the package accepts it, though only tool calls play."""

    model_config = ConfigDict(populate_by_name=True)
    schema_: dict[str, Any] = Field(alias="schema")
    schema_name: str = "response"
    strict: bool = True


class PolicySpec(BaseModel):
    policy_id: str | None = None
    policy_name: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    output_mode: OutputMode = OutputMode.TOOL_CALLS
    structured_config: StructuredOutputConfig | None = None

    @field_validator("output_mode")
    @classmethod
    def _tool_calls_only(cls, value: OutputMode) -> OutputMode:
        if value is not OutputMode.TOOL_CALLS:
            raise ValueError("this task is played with tool calls: use output_mode 'tool_calls'")
        return value


class ContextOverride(BaseModel):
    """`synth_ai/data/coding_agent_context.py:71`: files, a script, env vars for the agent.
    The arithmetic task has no workspace to apply them to: they are accepted and unused.
    """

    file_artifacts: dict[str, str] = Field(default_factory=dict)
    preflight_script: str | None = None
    env_vars: dict[str, str] = Field(default_factory=dict)
    mutation_type: str | None = None
    created_at: datetime | None = None
    override_id: str | None = None


class SafetyConfig(BaseModel):
    max_time_s: float = 3600.0


class ContainerSafetyConfig(BaseModel):
    max_time_s: int = 3600
    """An int since synth-ai 0.9 (container contracts.py:110)."""


class _SynthRequest(BaseModel):
    trace_correlation_id: str
    env: RolloutEnvSpec
    policy: PolicySpec
    on_done: str = "reset"
    training_session_id: str | None = None
    synth_base_url: str | None = None
    context_overrides: list[ContextOverride] | None = None
    override_bundle_id: str | None = None

    @field_validator("trace_correlation_id")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("trace_correlation_id must not be blank")
        return value


class SynthRolloutRequest(_SynthRequest):
    """`localapi`'s `RolloutRequest`: the cid is the identity; `run_id`, `ops`, `mode` are gone."""

    safety: SafetyConfig = Field(default_factory=SafetyConfig)


class ContainerRolloutRequest(_SynthRequest):
    """`container`'s `RolloutRequest` (contracts.py:113-175): the planner fields (accepted,
    unused: the task has no planner) and an integer time budget.
    """

    safety: ContainerSafetyConfig = Field(default_factory=ContainerSafetyConfig)
    planner_mode: Literal["direct", "waypoint_planned"] | None = None
    paired_eval: dict[str, Any] | None = None
    waypoint_plan_request: dict[str, Any] | None = None


class RewardInfo(BaseModel):
    """`RolloutMetrics`: `outcome_reward` is the score; the rest is optional."""

    outcome_reward: float
    event_rewards: list[float] | None = None
    outcome_objectives: dict[str, float] | None = None
    event_objectives: list[dict[str, float]] | None = None
    instance_objectives: list[dict[str, float]] | None = None
    details: dict[str, Any] = Field(default_factory=dict)


class Artifact(BaseModel):
    """`synth_ai/data/artifacts.py:27`: an output of the rollout, linked by the cid."""

    content: str | dict[str, Any]
    content_type: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    trace_correlation_id: str | None = None


class SynthRolloutResponse(BaseModel):
    """`RolloutResponse`: every key is on the wire, nulls included, as the package sends it."""

    trace_correlation_id: str
    reward_info: RewardInfo
    trace: dict[str, Any] | None = None
    inference_url: str | None = None
    artifact: list[Artifact] | None = None
    success_status: str | None = None
    status_detail: str | None = None
    override_application_results: list[dict[str, Any]] | None = None
