"""The request bodies of `containers-2026-05`, as synth-containers 0.4.6's strict reference
adapter defines them (`synth_containers/http_models.py`, `event_log.py:25-38`).

The rollout request and its policy are `conformance.contract.generation_models`' (every model
forbids unknown fields: 422 `extra_forbidden`). The app accepts the package's informational
fields (echoed in the record's metadata where useful) and refuses what it cannot honour
(checkpoints, resume targets, actors, long-horizon terminators) with the same 422 naming the
field, never a silent no-op. Telemetry streams are not served either: `telemetry.enabled: true`
is refused the same way.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from conformance.contract.generation_models import (
    ContainersPolicySpec,
    ContainersRolloutRequest,
    InferenceApiFamily,
    SubmissionMode,
)

__all__ = [
    "DatasetRowsRequest",
    "PolicySpec",
    "RolloutRequest",
    "SubmissionMode",
    "Telemetry",
    "TerminateRequest",
]

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

UNSERVED: Final = frozenset(
    {
        "checkpoint",
        "checkpoint_id",
        "checkpoint_data_base64",
        "target_rollout_id",
        "long_horizon",
        "terminator",
        "actors",
        "actor_ids",
        "actor_overrides",
    }
)
"""Fields of the package's request this app cannot honour: sending one is a 422."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PolicySpec(ContainersPolicySpec):
    """`RolloutPolicySpecModel` (`http_models.py:64-88`); stricter: chat completions only, a
    positive `max_tokens`, and (as the package, which the shared model leaves out) no raw
    credential in `config`.
    """

    max_tokens: int | None = Field(default=None, ge=1)

    @field_validator("api_family")
    @classmethod
    def _chat_completions(cls, value: InferenceApiFamily) -> InferenceApiFamily:
        if value is not InferenceApiFamily.CHAT_COMPLETIONS:
            raise ValueError("this task calls the model with chat completions only")
        return value

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
    """Accepted only switched off (the rest unread): this app streams no live events."""

    model_config = ConfigDict(extra="allow")
    enabled: bool = False

    @field_validator("enabled")
    @classmethod
    def _off(cls, value: bool) -> bool:
        if value:
            raise ValueError("telemetry streams are not served by this container")
        return value


class RolloutRequest(ContainersRolloutRequest):
    """`RolloutRequestModel` (`http_models.py:121-158`); stricter: the policy above, telemetry
    off, and the `UNSERVED` fields refused as unknown ones are.
    """

    policy: PolicySpec | None = None
    # Not the package's telemetry model: only `enabled` is read, and it must be false.
    telemetry: Telemetry | None = None  # type: ignore[assignment]

    @field_validator(*sorted(UNSERVED), mode="before")
    @classmethod
    def _unserved(cls, value: Any) -> Any:
        raise PydanticCustomError("extra_forbidden", "Extra inputs are not permitted")


class TerminateRequest(_Strict):
    """`TerminateRequestModel`; the body itself may be left out."""

    reason: str | None = Field(default=None, max_length=500)


class DatasetRowsRequest(_Strict):
    """`POST /dataset/rows`: the rows of these seeds, in this order, from one split."""

    seeds: list[int] = Field(min_length=1)
    split: str | None = None


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
