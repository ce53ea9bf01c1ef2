"""The contract generations a target may speak ("profiles"), as data beside the catalogue.

synth-ai changed the task-app contract three times after 0.2 (docs/generations.md has the
facts, each with the source line it was read from). A profile says how the harness talks
to one generation: how it authenticates, where rollouts go, what a valid rollout request
looks like, and which chapter of the contract document states its rules. Each check
declares the profiles it applies to (`@check(..., profiles=...)`); a check that does not
apply to the run's profile is "not applicable" and never fails.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from conformance.contract.cid import url_with_cid_first
from conformance.contract.constants import ROLLOUT_PATH

LEGACY: Final = "legacy-0.2"
LOCALAPI: Final = "localapi"
CONTAINER: Final = "container"
CONTAINERS: Final = "containers-2026-05"
AUTO: Final = "auto"
"""`--profile auto` (the default): detect the profile from the target's own answers."""

# --- container (synth-ai 0.9.2 - 0.9.11): PASETO v4.public tokens --------------------------
CONTAINER_AUTH_HEADER: Final = "X-Synth-Container-Authorization"
CONTAINER_TRUSTED_KEYS_ENV: Final = "SYNTH_CONTAINER_TRUSTED_PUBKEYS"
CONTAINER_AUTH_MODE_ENV: Final = "SYNTH_CONTAINER_AUTH_MODE"
CONTAINER_ISSUER_ENV: Final = "SYNTH_CONTAINER_AUTH_ISSUER"
CONTAINER_AUDIENCE: Final = "synth-container"
CONTAINER_DEFAULT_ISSUER: Final = "synth-backend"
SCOPE_ROLLOUT: Final = "rollout"
SCOPE_TASK_INFO: Final = "task_info"
CONTAINER_OPEN_AUTH_MODES: Final = frozenset({"optional_local", "disabled"})
"""Auth modes in which a request without a token may be served (auth.py:24-32, 125-133)."""
AUTH_MISSING: Final = "auth_missing"
AUTH_INVALID: Final = "auth_invalid"
INVALID_ROLLOUT_RESPONSE: Final = "invalid_rollout_response"
VALIDATE_CANDIDATE_PATH: Final = "/validate-candidate"

# --- containers-2026-05 (synth-containers 0.4.x) ---------------------------------------------
CONTAINERS_CONTRACT_VERSION: Final = "2026-05-28"
CONTAINERS_PROTOCOL_PREFIX: Final = "synth.container."
METADATA_PATH: Final = "/metadata"
ROLLOUTS_PATH: Final = "/rollouts"
TASK_CATALOG_PATH: Final = "/task_catalog"
COMPATIBILITY_PATH: Final = "/compatibility"
DATASET_PATH: Final = "/dataset"
DATASET_ROWS_PATH: Final = "/dataset/rows"
ROLLOUT_STATES: Final = ("queued", "running", "paused", "completed", "failed", "cancelled")
TERMINAL_STATES: Final = frozenset({"completed", "failed", "cancelled"})
LEGAL_TRANSITIONS: Final = {
    "queued": frozenset({"running", "paused", "cancelled"}),
    "running": frozenset({"paused", "completed", "failed", "cancelled"}),
    "paused": frozenset({"running", "completed", "failed", "cancelled"}),
}
"""synth_containers/wire.py:9-37: every state may also stay as it is."""
ROLLOUT_ID_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"
ROLLOUT_IDENTITY_CONFLICT: Final = "rollout_identity_conflict"

# --- localapi and container responses -------------------------------------------------------
SUCCESS_STATUSES: Final = frozenset(
    {"success", "timeout", "network_error", "apply_failed", "runtime_error", "failure"}
)
"""synth-ai 0.6.6 `synth_ai/data/enums.py:152-169` (localapi and container). The pydantic
enum `generation_models.SuccessStatus` spells the same values (kept here too, without
pydantic, for the checks; `tests/contract/test_profiles.py` pins them equal)."""


class AuthScheme(StrEnum):
    """How a generation's protected routes know the caller."""

    API_KEY = "api-key"
    """`X-API-Key` (or `X-API-Keys`, `Authorization: Bearer`) equal to ENVIRONMENT_API_KEY."""
    CONTAINER_TOKEN = "container-token"
    """A PASETO v4.public token in `X-Synth-Container-Authorization`, scoped per route."""
    NONE = "none"
    """No credential: the package's tunnel strips auth headers before the app sees them."""


@dataclass(frozen=True)
class RolloutInputs:
    """What every generation's rollout request is built from."""

    cid: str
    inference_url: str
    seed: int = 0
    env_name: str | None = None
    split: str | None = None
    model: str | None = None
    mode: str = "rl"


@dataclass(frozen=True)
class ContractProfile:
    """One contract generation, as the harness talks to it."""

    name: str
    title: str
    releases: str
    """The package releases that serve it (verified in docs/generations.md)."""
    chapter: str
    """The anchor of its chapter in the contract document."""
    auth: AuthScheme
    rollout_path: str

    def rollout_request(self, inputs: RolloutInputs) -> dict[str, Any]:
        """A valid rollout request of this generation, carrying the cid in its URL."""
        return _BUILDERS[self.name](inputs)


def _legacy_request(i: RolloutInputs) -> dict[str, Any]:
    env_config: dict[str, Any] = {"index": i.seed}
    if i.split is not None:
        env_config["split"] = i.split
    policy_config: dict[str, Any] = {
        "inference_url": url_with_cid_first(i.inference_url, i.cid),
        "trace_correlation_id": i.cid,
    }
    if i.model is not None:
        policy_config["model"] = i.model
    return {
        "run_id": f"conformance-{uuid.uuid4().hex[:12]}",
        "env": {"env_name": i.env_name, "seed": i.seed, "config": env_config},
        "policy": {"policy_name": "conformance", "config": policy_config},
        "ops": ["agent", "env"],
        "record": {"trajectories": True},
        "mode": i.mode,
    }


def _localapi_request(i: RolloutInputs) -> dict[str, Any]:
    """synth-ai 0.6.6 `RolloutRequest`: the cid is required; run_id, ops, mode are gone."""
    env_config: dict[str, Any] = {"index": i.seed}
    if i.split is not None:
        env_config["split"] = i.split
    policy_config: dict[str, Any] = {"inference_url": url_with_cid_first(i.inference_url, i.cid)}
    if i.model is not None:
        policy_config["model"] = i.model
    return {
        "trace_correlation_id": i.cid,
        "env": {"env_name": i.env_name, "seed": i.seed, "config": env_config},
        "policy": {"policy_name": "conformance", "config": policy_config},
    }


def _containers_request(i: RolloutInputs) -> dict[str, Any]:
    """synth-containers 0.4.6 `RolloutRequestModel` (strict: only its own fields)."""
    return {
        "rollout_id": f"conformance-{uuid.uuid4().hex[:12]}",
        "trace_correlation_id": i.cid,
        "seed": i.seed,
        "submission_mode": "sync",
        "env": {"seed": i.seed, **({"split": i.split} if i.split is not None else {})},
        "policy": {
            "provider": "openai",
            "model": i.model or "conformance-model",
            "inference_url": url_with_cid_first(i.inference_url, i.cid),
        },
    }


_BUILDERS = {
    LEGACY: _legacy_request,
    LOCALAPI: _localapi_request,
    CONTAINER: _localapi_request,  # container's request is localapi's (plus optional fields)
    CONTAINERS: _containers_request,
}

PROFILES: Final[dict[str, ContractProfile]] = {
    p.name: p
    for p in (
        ContractProfile(
            LEGACY,
            "synth-ai task apps (0.2)",
            "synth-ai 0.2.14 - 0.4.1",
            "profile-legacy-0-2",
            AuthScheme.API_KEY,
            ROLLOUT_PATH,
        ),
        ContractProfile(
            LOCALAPI,
            "synth-ai LocalAPI",
            "synth-ai 0.4.12 - 0.7.0",
            "profile-localapi",
            AuthScheme.API_KEY,
            ROLLOUT_PATH,
        ),
        ContractProfile(
            CONTAINER,
            "synth-ai Container",
            "synth-ai 0.9.2 - 0.9.11",
            "profile-container",
            AuthScheme.CONTAINER_TOKEN,
            ROLLOUT_PATH,
        ),
        ContractProfile(
            CONTAINERS,
            "synth-containers (contract 2026-05-28)",
            "synth-containers 0.4.1 - 0.4.6",
            "profile-containers-2026-05",
            AuthScheme.NONE,
            ROLLOUTS_PATH,
        ),
    )
}
"""Every profile by name, oldest generation first."""
PROFILE_NAMES: Final = tuple(PROFILES)
ALL_PROFILES: Final = PROFILE_NAMES
API_KEY_PROFILES: Final = (LEGACY, LOCALAPI)
"""The generations that authenticate with ENVIRONMENT_API_KEY."""
SYNTH_AI_PROFILES: Final = (LEGACY, LOCALAPI, CONTAINER)
"""The generations served by synth-ai's own task-app server (`create_task_app`,
`create_local_api`, `create_container`): the same `/`, `HEAD /`, `/info`, `/task_info` and
`POST /rollout`, whatever the credential."""


def profile_named(name: str) -> ContractProfile:
    """The profile `name`; ValueError naming the valid ones otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown profile {name!r}; valid: {', '.join(PROFILE_NAMES)} or {AUTO}"
        ) from None
