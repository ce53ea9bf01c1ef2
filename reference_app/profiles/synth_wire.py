"""The rollout bodies of synth-ai's `localapi` (0.6.6) and `container` (0.9.11) generations.

The wire shapes are `conformance.contract.generation_models`' (field for field as the packages
have them; unknown fields ignored, as there). The app is stricter in two places, for a clear
422 instead of an unusable rollout: a blank `trace_correlation_id` (0.9.11 refuses it too,
0.6.6 does not) and an `output_mode` other than `tool_calls` (the arithmetic task is played
with tool calls). `StructuredOutputConfig` and `ContextOverride` are accepted as the package
accepts them and unused: the task has no structured output and no workspace.
"""

from __future__ import annotations

from pydantic import field_validator

from conformance.contract.generation_models import (
    Artifact,
    LocalApiPolicySpec,
    LocalApiRolloutRequest,
    OutputMode,
    RewardInfo,
)
from conformance.contract.generation_models import (
    ContainerRolloutRequest as ContainerWireRequest,
)
from conformance.contract.generation_models import (
    LocalApiRolloutResponse as SynthRolloutResponse,
)

__all__ = [
    "Artifact",
    "ContainerRolloutRequest",
    "PolicySpec",
    "RewardInfo",
    "SynthRolloutRequest",
    "SynthRolloutResponse",
]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("trace_correlation_id must not be blank")
    return value


class PolicySpec(LocalApiPolicySpec):
    """The package's policy; stricter: the task is played with tool calls only."""

    @field_validator("output_mode")
    @classmethod
    def _tool_calls_only(cls, value: OutputMode) -> OutputMode:
        if value is not OutputMode.TOOL_CALLS:
            raise ValueError("this task is played with tool calls: use output_mode 'tool_calls'")
        return value


class SynthRolloutRequest(LocalApiRolloutRequest):
    """`localapi`'s `RolloutRequest`; stricter: tool calls only, and a blank cid is refused."""

    policy: PolicySpec

    _cid = field_validator("trace_correlation_id")(_not_blank)


class ContainerRolloutRequest(ContainerWireRequest):
    """`container`'s `RolloutRequest`; stricter: tool calls only (the planner fields are
    accepted and unused: the task has no planner). A blank cid gets the app's own message.
    """

    trace_correlation_id: str
    policy: PolicySpec

    _cid = field_validator("trace_correlation_id")(_not_blank)
