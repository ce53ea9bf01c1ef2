"""The request bodies of `containers-2026-05`, as synth-containers 0.4.6's strict reference
adapter defines them (`synth_containers/http_models.py`, `event_log.py:25-38`).

Every model forbids unknown fields (422 `extra_forbidden`). The rollout request keeps the
package's informational fields (accepted, echoed in the record's metadata where useful) and
leaves out what this app cannot honour (checkpoints, resume targets, actors, long-horizon
terminators): sending those is a 422 naming the field, never a silent no-op. Telemetry streams
are not served either: `telemetry.enabled: true` is refused the same way.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from conformance.contract.profiles import ROLLOUT_ID_PATTERN

_RAW_CREDENTIAL_KEYS = frozenset(
    {
        "access_token",
        "api_key",
        "apikey",
        "authorization",
        "bearer_token",
        "openai_api_key",
        "openrouter_api_key",
        "secret_key",
    }
)
"""`http_models.py:19-28`: a policy config must name no credential; the container resolves it."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SubmissionMode(StrEnum):
    SYNC = "sync"
    ASYNC = "async"


class PolicySpec(_Strict):
    """`RolloutPolicySpecModel` (`http_models.py:64-88`): provider and model are required."""

    provider: str
    model: str
    api_family: str = "chat_completions"
    base_url: str | None = None
    inference_url: str | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    disable_reasoning: str = "auto"
    tool_call_style: str = "none"
    proxy_mode: str = "allow_direct"
    credential_mode: str = "byok"
    config: dict[str, Any] = Field(default_factory=dict)

    @field_validator("api_family")
    @classmethod
    def _chat_completions(cls, value: str) -> str:
        if value not in ("chat_completions", "responses"):
            raise ValueError("api_family must be 'chat_completions' or 'responses'")
        if value != "chat_completions":
            raise ValueError("this task calls the model with chat completions only")
        return value

    @field_validator("disable_reasoning")
    @classmethod
    def _reasoning(cls, value: str) -> str:
        return _one_of(value, ("auto", "on", "off"), "disable_reasoning")

    @field_validator("tool_call_style")
    @classmethod
    def _tool_call_style(cls, value: str) -> str:
        styles = ("openai_chat", "openai_responses", "codex_session_native", "none")
        return _one_of(value, styles, "tool_call_style")

    @field_validator("proxy_mode")
    @classmethod
    def _proxy_mode(cls, value: str) -> str:
        return _one_of(value, ("allow_direct", "proxy_only", "assert_proxy"), "proxy_mode")

    @field_validator("credential_mode")
    @classmethod
    def _credential_mode(cls, value: str) -> str:
        return _one_of(value, ("byok", "proxy"), "credential_mode")

    @model_validator(mode="after")
    def _no_raw_credentials(self) -> PolicySpec:
        found = _credential_key(self.config)
        if found is not None:
            raise ValueError(
                f"policy.config must not carry the raw credential field {found[:40]!r}; "
                "set credential_mode and resolve credentials inside the container or proxy"
            )
        return self


class Telemetry(BaseModel):
    """Accepted only switched off: this app streams no live events."""

    model_config = ConfigDict(extra="allow")
    enabled: bool = False

    @field_validator("enabled")
    @classmethod
    def _off(cls, value: bool) -> bool:
        if value:
            raise ValueError("telemetry streams are not served by this container")
        return value


class RolloutRequest(_Strict):
    """`RolloutRequestModel` (`http_models.py:121-158`), less what this app cannot honour."""

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
    policy: PolicySpec | None = None
    policy_ref: dict[str, Any] = Field(default_factory=dict)
    policy_revision_id: str | None = None
    candidate: dict[str, Any] = Field(default_factory=dict)
    candidate_overlay: dict[str, Any] = Field(default_factory=dict)
    task: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    task_payload: dict[str, Any] = Field(default_factory=dict)
    taskset: dict[str, Any] = Field(default_factory=dict)
    telemetry: Telemetry | None = None


class TerminateRequest(_Strict):
    """`TerminateRequestModel`; the body itself may be left out."""

    reason: str | None = Field(default=None, max_length=500)


class DatasetRowsRequest(_Strict):
    """`POST /dataset/rows`: the rows of these seeds, in this order, from one split."""

    seeds: list[int] = Field(min_length=1)
    split: str | None = None


def _one_of(value: str, allowed: tuple[str, ...], name: str) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}")
    return value


def _credential_key(value: Any) -> str | None:
    """The first key anywhere inside `value` named like a raw credential."""
    if isinstance(value, dict):
        for key, child in value.items():
            normalized = str(key).strip().lower().replace("-", "_")
            if normalized in _RAW_CREDENTIAL_KEYS or normalized.endswith("_api_key"):
                return str(key)
            nested = _credential_key(child)
            if nested is not None:
                return nested
    if isinstance(value, list):
        for child in value:
            nested = _credential_key(child)
            if nested is not None:
                return nested
    return None
