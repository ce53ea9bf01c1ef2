"""The task-app wire contract: models and constants shared by the harness and the reference app.

The constants and cid helpers load with the package; the pydantic models on first use
(PEP 562), so modules that need only a route or the spec's name (the registry, and
through it every CLI command's start) do not pay for pydantic.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from conformance.contract.cid import (
    base_url_with_cid,
    chat_completions_url,
    cid_of,
    extract_cid,
    query_params,
    url_with_cid_first,
)
from conformance.contract.constants import (
    API_KEY_HEADER,
    API_KEYS_HEADER,
    AUTHORIZATION_HEADER,
    CID_QUERY_PARAM,
    CID_QUERY_PARAMS,
    DEBUG_ENV_PATH,
    DOCS_PATHS,
    ENVIRONMENT_API_KEY_ENV,
    HEALTH_PATH,
    INFO_PATH,
    MAX_SEED,
    MIN_SEED,
    PROTECTED_GET_PATHS,
    PROTECTED_PATHS,
    ROLLOUT_PATH,
    ROOT_PATH,
    SEED_PARAM,
    SEED_QUERY_PARAMS,
    SEEDS_PARAM,
    TASK_INFO_PATH,
)

__all__ = [
    "API_KEYS_HEADER",
    "API_KEY_HEADER",
    "AUTHORIZATION_HEADER",
    "CID_QUERY_PARAM",
    "CID_QUERY_PARAMS",
    "DEBUG_ENV_PATH",
    "DOCS_PATHS",
    "ENVIRONMENT_API_KEY_ENV",
    "HEALTH_PATH",
    "INFO_PATH",
    "MAX_SEED",
    "MIN_SEED",
    "PROTECTED_GET_PATHS",
    "PROTECTED_PATHS",
    "ROLLOUT_PATH",
    "ROOT_PATH",
    "SEEDS_PARAM",
    "SEED_PARAM",
    "SEED_QUERY_PARAMS",
    "TASK_INFO_PATH",
    "DatasetInfo",
    "ErrorBody",
    "ErrorDetail",
    "ErrorEnvelope",
    "HealthAuth",
    "HealthResponse",
    "InferenceInfo",
    "InfoResponse",
    "InfoService",
    "LimitsInfo",
    "RolloutEnvSpec",
    "RolloutMetrics",
    "RolloutMode",
    "RolloutPolicySpec",
    "RolloutRecordConfig",
    "RolloutRequest",
    "RolloutResponse",
    "RolloutSafetyConfig",
    "RolloutStep",
    "RolloutTrajectory",
    "RootResponse",
    "RubricCriterion",
    "RubricInfo",
    "RubricSection",
    "TaskDescriptor",
    "TaskInfo",
    "TasksetResponse",
    "base_url_with_cid",
    "chat_completions_url",
    "cid_of",
    "error_envelope",
    "extract_cid",
    "query_params",
    "url_with_cid_first",
]


def __getattr__(name: str) -> Any:
    """A model of `__all__`, imported on first use (the constants and cid helpers are here)."""
    if name not in __all__:
        raise AttributeError(f"module 'conformance.contract' has no attribute {name!r}")
    value = getattr(importlib.import_module("conformance.contract.models"), name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


if TYPE_CHECKING:
    from conformance.contract.models import (
        DatasetInfo,
        ErrorBody,
        ErrorDetail,
        ErrorEnvelope,
        HealthAuth,
        HealthResponse,
        InferenceInfo,
        InfoResponse,
        InfoService,
        LimitsInfo,
        RolloutEnvSpec,
        RolloutMetrics,
        RolloutMode,
        RolloutPolicySpec,
        RolloutRecordConfig,
        RolloutRequest,
        RolloutResponse,
        RolloutSafetyConfig,
        RolloutStep,
        RolloutTrajectory,
        RootResponse,
        RubricCriterion,
        RubricInfo,
        RubricSection,
        TaskDescriptor,
        TaskInfo,
        TasksetResponse,
        error_envelope,
    )
