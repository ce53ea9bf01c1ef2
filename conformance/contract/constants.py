"""Endpoint paths, header names and environment variable names of the task-app contract."""

from __future__ import annotations

from typing import Final

# Endpoints (spec §1.1, `TaskAppEndpoints`).
ROOT_PATH: Final = "/"
HEALTH_PATH: Final = "/health"
INFO_PATH: Final = "/info"
TASK_INFO_PATH: Final = "/task_info"
ROLLOUT_PATH: Final = "/rollout"
DEBUG_ENV_PATH: Final = "/debug/env"
PROTECTED_GET_PATHS: Final = (HEALTH_PATH, INFO_PATH, TASK_INFO_PATH)
PROTECTED_PATHS: Final = (*PROTECTED_GET_PATHS, ROLLOUT_PATH)

# Auth headers (spec §2.2).
API_KEY_HEADER: Final = "X-API-Key"
API_KEYS_HEADER: Final = "X-API-Keys"
AUTHORIZATION_HEADER: Final = "Authorization"

# Environment variables (spec §2.1, §5.1).
ENVIRONMENT_API_KEY_ENV: Final = "ENVIRONMENT_API_KEY"
ENVIRONMENT_API_KEY_ALIASES_ENV: Final = "ENVIRONMENT_API_KEY_ALIASES"
DEV_ENVIRONMENT_API_KEY_ENVS: Final = ("dev_environment_api_key", "DEV_ENVIRONMENT_API_KEY")

# Correlation id (spec §4.6): request-side query parameter names, in lookup order.
CID_QUERY_PARAMS: Final = ("cid", "trace_correlation_id", "trace")
CID_QUERY_PARAM: Final = "cid"

# Error codes used in the error envelope (spec §1.2 and Appendix A).
ERROR_MISSING_KEY_CONFIG: Final = "missing_environment_api_key"
ERROR_UNAUTHORISED: Final = "unauthorised"
