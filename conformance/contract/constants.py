"""The task-app contract's constants, defined once: endpoint paths, seed bounds, header
names, environment variable names, correlation-id parameters and error codes.

The harness (checks, strategies, the OpenAPI builder, fuzzing) and the reference app import
them from here; nothing else spells them. Where the contract is written down (the document
and its anchors) is `conformance.contract.spec`.
"""

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
# FastAPI's default documentation routes, which SEC-5 wants kept from unauthenticated callers.
DOCS_PATHS: Final = ("/openapi.json", "/docs")

# Seeds (spec §1.5, §3.4): the `/task_info` query parameters, and the conventional range
# 0..MAX_SEED, which the reference app serves whole. The contract leaves other integers
# open: an app may serve them or refuse them with a 4xx.
SEED_PARAM: Final = "seed"
SEEDS_PARAM: Final = "seeds"
SEED_QUERY_PARAMS: Final = (SEED_PARAM, SEEDS_PARAM)
MIN_SEED: Final = 0
MAX_SEED: Final = 2**31 - 1

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
