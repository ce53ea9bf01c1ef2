"""What the fuzzer must know of each contract generation beyond its OpenAPI document.

The document says what to send and what may come back; this says how to authenticate, how a
reproduction names the credential without showing it, where a rollout's model goes, and which
request model is the judge of what the generation MUST refuse (the package's own parsing:
what it refuses must be refused, what it accepts is open).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel

from conformance.contract.constants import (
    API_KEY_HEADER,
    ENVIRONMENT_API_KEY_ENV,
    SEED_QUERY_PARAMS,
)
from conformance.contract.profiles import (
    CONTAINER,
    CONTAINER_AUTH_HEADER,
    CONTAINERS,
    LEGACY,
    LOCALAPI,
    PROFILES,
    profile_named,
)

__all__ = ["TOKEN_ENV", "TOKEN_HEADER", "Credential", "FuzzContract", "fuzz_contract"]

TOKEN_ENV: Final = "SYNTH_CONTAINER_TOKEN"
"""Where reproductions read the container token (a PASETO token, without `Bearer `)."""
TOKEN_HEADER: Final = "v4.public."
"""How every container token starts (PASETO v4.public): no secret."""


@dataclass(frozen=True)
class Credential:
    """The credential a generation's protected routes want, as reproductions spell it."""

    header: str
    placeholder: str
    """What a curl line shows instead of the value."""
    python: str
    """The Python expression a pytest reproduction computes the value with."""
    refused_check: str
    """The fuzz check that fails when every valid case is refused as unauthorised."""


API_KEY: Final = Credential(
    API_KEY_HEADER,
    f"${ENVIRONMENT_API_KEY_ENV}",
    f'os.environ["{ENVIRONMENT_API_KEY_ENV}"]',
    "api_key_accepted",
)
CONTAINER_TOKEN: Final = Credential(
    CONTAINER_AUTH_HEADER,
    f"Bearer ${TOKEN_ENV}",
    f'"Bearer " + os.environ["{TOKEN_ENV}"]',
    "token_accepted",
)


def _policy_config_url(body: dict[str, Any], url: str) -> None:
    policy = body.get("policy")
    config = policy.setdefault("config", {}) if isinstance(policy, dict) else None
    if isinstance(config, dict):
        config["inference_url"] = url


_POLICY: Final = {"provider": "openai", "model": "conformance-model"}
"""The policy a containers rollout gets when the drawn body has none (it is optional there):
without one an app has no model to call, and most apps refuse such a rollout."""


def _policy_url(body: dict[str, Any], url: str) -> None:
    policy = body.setdefault("policy", dict(_POLICY))
    if isinstance(policy, dict):
        policy["inference_url"] = url


@dataclass(frozen=True)
class FuzzContract:
    """One generation, as the fuzzer drives and judges it."""

    profile: str
    credential: Credential | None
    seed_params: tuple[str, ...]
    """The `/task_info` query parameters whose values MUST parse as integers."""
    request_model: Callable[[], type[BaseModel]]
    """The judge of what MUST be refused (imported on first use: pydantic loads lazily)."""
    point_at_inference: Callable[[dict[str, Any], str], None]
    """Put the model's URL where this generation's rollout request carries it."""

    @property
    def rollout_path(self) -> str:
        return PROFILES[self.profile].rollout_path


def _legacy_request() -> type[BaseModel]:
    from conformance.contract.models import RolloutRequest

    return RolloutRequest


def _localapi_request() -> type[BaseModel]:
    from conformance.contract.generation_models import LocalApiRolloutRequest

    return LocalApiRolloutRequest


def _container_request() -> type[BaseModel]:
    from conformance.contract.generation_models import ContainerRolloutRequest

    return ContainerRolloutRequest


def _containers_request() -> type[BaseModel]:
    from conformance.contract.generation_models import ContainersSubmission

    return ContainersSubmission


_CONTRACTS: Final = {
    c.profile: c
    for c in (
        FuzzContract(LEGACY, API_KEY, SEED_QUERY_PARAMS, _legacy_request, _policy_config_url),
        FuzzContract(LOCALAPI, API_KEY, SEED_QUERY_PARAMS, _localapi_request, _policy_config_url),
        FuzzContract(
            CONTAINER, CONTAINER_TOKEN, SEED_QUERY_PARAMS, _container_request, _policy_config_url
        ),
        # The SDK server ignores the /task_info query and accepts any object as a rollout
        # whose rollout_id and submission_mode parse (synth_containers/sdk.py:50-66, :597).
        FuzzContract(CONTAINERS, None, (), _containers_request, _policy_url),
    )
}


def fuzz_contract(profile: str) -> FuzzContract:
    """The fuzzer's view of generation `profile` (ValueError naming the valid ones)."""
    return _CONTRACTS[profile_named(profile).name]
