"""The canonical OpenAPI documents of the later contract generations (`localapi`, `container`,
`containers-2026-05`), built from `conformance.contract.generation_models`.

Each says what the package defining that generation serves (docs/generations.md has every fact
with its source line), and, like the legacy document, decides where the package is silent:
error bodies are defined by their status (the envelope is a SHOULD), a seed is any integer,
and the gateway statuses 502/504 are honest answers of a rollout whose model failed.
`conformance.openapi` is the front door (`openapi_document(profile)`, the snapshots, the CLI).
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from conformance.contract.constants import (
    HEALTH_PATH,
    INFO_PATH,
    MAX_SEED,
    ROLLOUT_PATH,
    ROOT_PATH,
    SEED_QUERY_PARAMS,
    TASK_INFO_PATH,
)
from conformance.contract.generation_models import (
    ContainerHealthResponse,
    ContainerRolloutRequest,
    ContainerRolloutResponse,
    ContainersHealthResponse,
    ContainersMetadata,
    ContainersRolloutLookup,
    ContainersRolloutRecord,
    ContainersRolloutRequest,
    ContainersRootResponse,
    ContainersSubmittedRecord,
    ContainersTaskInfo,
    LocalApiRolloutRequest,
    LocalApiRolloutResponse,
)
from conformance.contract.models import (
    ErrorEnvelope,
    HealthResponse,
    InfoResponse,
    LocalApiTaskInfo,
    RootResponse,
    TasksetResponse,
)
from conformance.contract.profiles import (
    CONTAINER,
    CONTAINER_AUTH_HEADER,
    CONTAINERS,
    CONTAINERS_PROTOCOL_PREFIX,
    LOCALAPI,
    METADATA_PATH,
    PROFILES,
    ROLLOUTS_PATH,
)

__all__ = [
    "GENERATION_PROFILES",
    "error_schemas",
    "generation_document",
    "json_content",
    "responses",
    "schema_ref",
    "seed_parameter",
]

GENERATION_PROFILES: Final = (LOCALAPI, CONTAINER, CONTAINERS)
"""The profiles this module documents (the legacy one is `conformance.openapi`'s own)."""

_REF: Final = "#/components/schemas/{model}"
_ERROR_REF: Final = {"$ref": "#/components/schemas/ErrorResponse"}
_ERRORS: Final = {
    400: "Malformed or invalid request (synth-ai's API-key generations also answer 400 "
    "`unauthorised` to a missing or wrong key).",
    401: "No accepted credential was presented.",
    403: "The presented credential is not allowed here.",
    404: "Not served here: a seed, split or environment the app does not serve, an unknown "
    "rollout, or a route whose callback the app did not register.",
    409: "The rollout_id is already used by a different request (`rollout_identity_conflict`).",
    413: "The body exceeds the app's size limit.",
    415: "The body is not application/json.",
    422: "The request is well-formed JSON but violates the contract (a missing or mistyped field).",
    502: "The policy's inference URL could not be reached or answered an error.",
    503: "No API key is configured on the server (ENVIRONMENT_API_KEY unset).",
    504: "The policy's inference URL timed out.",
}
_API_KEY_ERRORS: Final = (400, 401, 403, 503)
_API_KEY_SECURITY: Final[list[dict[str, list[str]]]] = [{"ApiKeyHeader": []}, {"BearerAuth": []}]
_API_KEY_SCHEMES: Final = {
    "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "BearerAuth": {"type": "http", "scheme": "bearer"},
}
_TOKEN_SCHEMES: Final = {
    "ContainerToken": {
        "type": "apiKey",
        "in": "header",
        "name": CONTAINER_AUTH_HEADER,
        "description": "`Bearer <token>` (`Bearer ` optional): a PASETO v4.public token signed "
        "by a key in SYNTH_CONTAINER_TRUSTED_PUBKEYS, aud `synth-container`, iss "
        "`synth-backend` (or SYNTH_CONTAINER_AUTH_ISSUER), exp/nbf/iat checked, scopes "
        "`task_info` for /info and /task_info, `rollout` for /rollout.",
    }
}
_COMMON_NOTES: Final = [
    "An error is defined by its status. Its body SHOULD be the envelope "
    "{detail: {error: {code, message}}}; FastAPI's default {detail: [...]} and other bodies "
    "still conform.",
    "/rollout answers 502/504 when the policy's inference URL fails or times out.",
]
_SYNTH_AI_NOTES: Final = [
    "A seed is any integer; an app may serve it or refuse it with a stable 4xx. A seed query "
    "value that does not parse as an integer MUST get a 4xx.",
    "MUST be refused with a 4xx: a /rollout body RolloutRequest does not accept (no "
    "trace_correlation_id, no env or policy, a mistyped field). synth-ai's lax coercions and "
    "extra fields (a 0.2 body's run_id, mode, ops) are ignored by the package: accepted, or "
    "refused with a 4xx.",
    "policy.config.inference_url (with ?cid=) is where the model is; the cid is the request's "
    "trace_correlation_id, echoed at the top level of the response.",
]


def schema_ref(model: str) -> dict[str, Any]:
    """A `$ref` to the component schema `model`."""
    return {"$ref": _REF.format(model=model)}


def json_content(schema: dict[str, Any]) -> dict[str, Any]:
    """An `application/json` content map of `schema`."""
    return {"application/json": {"schema": schema}}


def responses(
    ok: dict[str, Any],
    ok_text: str,
    errors: tuple[int, ...],
    descriptions: dict[int, str],
    *,
    accepted: bool = False,
) -> dict[str, Any]:
    """An operation's responses: `ok` (also as 202 when `accepted`), then each error status
    described by `descriptions`, answered with the `ErrorResponse` schema.
    """
    answers: dict[str, Any] = {"200": {"description": ok_text, "content": json_content(ok)}}
    if accepted:
        answers["202"] = {"description": "Accepted (async).", "content": json_content(ok)}
    for status in sorted(set(errors)):
        answers[str(status)] = {
            "description": descriptions[status],
            "content": json_content(dict(_ERROR_REF)),
        }
    return answers


def error_schemas(envelope_rules: str = "") -> dict[str, Any]:
    """`ValidationErrorList` and `ErrorResponse`, the error bodies every document allows;
    `envelope_rules` names the requirements behind the envelope (" (RO-9, PROP-3)").
    """
    return {
        "ValidationErrorList": {
            "title": "ValidationErrorList",
            "description": "FastAPI's default validation error body, {detail: [...]}.",
            "type": "object",
            "required": ["detail"],
            "properties": {"detail": {"type": "array", "items": {"type": "object"}}},
        },
        "ErrorResponse": {
            "title": "ErrorResponse",
            "description": "An error answer: the status is the contract. The body SHOULD be the "
            f"ErrorEnvelope{envelope_rules}; FastAPI's default list or any other body conforms.",
            "anyOf": [
                schema_ref("ErrorEnvelope"),
                schema_ref("ValidationErrorList"),
                {"description": "Any other body."},
            ],
        },
    }


def _responses(
    ok: dict[str, Any], ok_text: str, errors: tuple[int, ...], *, accepted: bool = False
) -> dict[str, Any]:
    return responses(ok, ok_text, errors, _ERRORS, accepted=accepted)


def _schemas(models: tuple[type[BaseModel], ...]) -> dict[str, Any]:
    every: tuple[type[BaseModel], ...] = (*models, ErrorEnvelope)
    _, top = models_json_schema([(m, "validation") for m in every], ref_template=_REF)
    schemas: dict[str, Any] = top["$defs"]
    schemas.update(error_schemas())
    return schemas


def seed_parameter(name: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """The repeatable integer query parameter `name`; `schema` (an integer array by default)."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "style": "form",
        "explode": True,
        "description": "Repeatable; each value an integer (conventionally 0 to "
        f"{MAX_SEED}). A value that does not parse as an integer MUST get a 4xx.",
        "schema": schema or {"type": "array", "items": {"type": "integer"}},
    }


def _get(op_id: str, summary: str, ok: dict[str, Any], errors: tuple[int, ...]) -> dict[str, Any]:
    return {
        "get": {
            "operationId": op_id,
            "summary": summary,
            "responses": _responses(ok, summary, errors),
        }
    }


def _public(path_item: dict[str, Any]) -> dict[str, Any]:
    for operation in path_item.values():
        operation["security"] = []
    return path_item


# --- localapi and container (synth-ai 0.4.12 - 0.9.11) ----------------------------------------


def _synth_ai_paths(
    health: str, request: str, response: str, auth_errors: tuple[int, ...]
) -> dict[str, Any]:
    task_info_ok = {
        "anyOf": [
            schema_ref("LocalApiTaskInfo"),
            {"type": "array", "items": schema_ref("LocalApiTaskInfo")},
            schema_ref("TasksetResponse"),
        ]
    }
    health_item = _get("health", "Health.", schema_ref(health), auth_errors)
    task_info = _get(
        "task_info",
        "No seed: the taskset. One seed: a TaskInfo. Several: a list.",
        task_info_ok,
        (*auth_errors, 400, 404, 422),
    )
    task_info["get"]["parameters"] = [seed_parameter(name) for name in SEED_QUERY_PARAMS]
    return {
        ROOT_PATH: _public(_get("root", "Liveness and identity.", schema_ref("RootResponse"), ())),
        HEALTH_PATH: health_item,
        INFO_PATH: _get(
            "info",
            "Service, dataset, rubrics, inference, limits.",
            schema_ref("InfoResponse"),
            auth_errors,
        ),
        TASK_INFO_PATH: task_info,
        ROLLOUT_PATH: {
            "post": {
                "operationId": "rollout",
                "summary": "Play one episode with the policy's inference URL.",
                "description": "A body RolloutRequest does not accept MUST get a 4xx. Extra "
                "fields and synth-ai's lax coercions may be accepted.",
                "requestBody": {"required": True, "content": json_content(schema_ref(request))},
                "responses": _responses(
                    schema_ref(response),
                    "The finished rollout.",
                    (*auth_errors, 400, 404, 413, 415, 422, 502, 504),
                ),
            }
        },
    }


def _with_metrics_alias(schemas: dict[str, Any], response: str, reward: str) -> None:
    """0.4.12 called `reward_info` `metrics` (docs/generations.md): either name conforms."""
    schema = schemas[response]
    schema["required"] = [n for n in schema["required"] if n != "reward_info"]
    schema["properties"]["metrics"] = {
        **schema_ref(reward),
        "description": "synth-ai 0.4.12's name for reward_info.",
    }
    schema["anyOf"] = [{"required": ["reward_info"]}, {"required": ["metrics"]}]


def _localapi() -> dict[str, Any]:
    schemas = _schemas(
        (
            LocalApiRolloutRequest,
            LocalApiRolloutResponse,
            LocalApiTaskInfo,
            TasksetResponse,
            RootResponse,
            HealthResponse,
            InfoResponse,
        )
    )
    _with_metrics_alias(schemas, "LocalApiRolloutResponse", "RewardInfo")
    paths = _synth_ai_paths(
        "HealthResponse", "LocalApiRolloutRequest", "LocalApiRolloutResponse", _API_KEY_ERRORS
    )
    return {
        "x-contract-notes": [*_SYNTH_AI_NOTES, *_COMMON_NOTES],
        "security": _API_KEY_SECURITY,
        "paths": paths,
        "components": {"securitySchemes": dict(_API_KEY_SCHEMES), "schemas": schemas},
    }


def _container() -> dict[str, Any]:
    schemas = _schemas(
        (
            ContainerRolloutRequest,
            ContainerRolloutResponse,
            LocalApiTaskInfo,
            TasksetResponse,
            RootResponse,
            ContainerHealthResponse,
            InfoResponse,
        )
    )
    paths = _synth_ai_paths(
        "ContainerHealthResponse", "ContainerRolloutRequest", "ContainerRolloutResponse", (401,)
    )
    _public(paths[HEALTH_PATH])
    paths[ROLLOUT_PATH]["post"]["description"] += (
        " 422 `invalid_rollout_response` when the app's own rollout result does not satisfy "
        "RolloutResponse (server.py:526-542)."
    )
    notes = [
        *_SYNTH_AI_NOTES,
        "The trace_correlation_id must not be blank (0.9.11 strips it and refuses an empty one).",
        "GET / and GET /health are public; every other route needs the token, and refuses a "
        "missing, malformed, untrusted, expired, not-yet-valid, wrong-audience, wrong-issuer or "
        "wrongly scoped one with 401. X-API-Key is not read.",
        *_COMMON_NOTES,
    ]
    return {
        "x-contract-notes": notes,
        "security": [{"ContainerToken": []}],
        "paths": paths,
        "components": {"securitySchemes": dict(_TOKEN_SCHEMES), "schemas": schemas},
    }


# --- containers-2026-05 (synth-containers 0.4.x) ---------------------------------------------


def _rollout_id_parameter() -> dict[str, Any]:
    return {
        "name": "rollout_id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "minLength": 1},
    }


def _containers() -> dict[str, Any]:
    schemas = _schemas(
        (
            ContainersRolloutRequest,
            ContainersSubmittedRecord,
            ContainersRolloutRecord,
            ContainersRolloutLookup,
            ContainersRootResponse,
            ContainersHealthResponse,
            ContainersMetadata,
            ContainersTaskInfo,
        )
    )
    metadata = _get(
        "metadata",
        "Runtime identity and capabilities (protocol, contract version, rollout modes).",
        schema_ref("ContainersMetadata"),
        (),
    )
    lookup = _get(
        "rollout", "A submitted rollout's record.", schema_ref("ContainersRolloutLookup"), (404,)
    )
    state = _get(
        "rollout_state",
        "A submitted rollout's state.",
        schema_ref("ContainersRolloutRecord"),
        (404,),
    )
    for item in (lookup, state):
        item["get"]["parameters"] = [_rollout_id_parameter()]
    info = _get(
        "info", "The alias of GET /metadata (the same body).", schema_ref("ContainersMetadata"), ()
    )
    paths = {
        ROOT_PATH: _get(
            "root",
            "Status, contract version, runtime and task.",
            schema_ref("ContainersRootResponse"),
            (),
        ),
        HEALTH_PATH: _get(
            "health", "Status and contract version.", schema_ref("ContainersHealthResponse"), ()
        ),
        METADATA_PATH: metadata,
        INFO_PATH: info,
        TASK_INFO_PATH: _get(
            "task_info", "The task descriptor.", schema_ref("ContainersTaskInfo"), ()
        ),
        ROLLOUTS_PATH: {
            "post": {
                "operationId": "submit_rollout",
                "summary": "Submit a rollout: sync (the finished record) or async (a queued or "
                "running record to poll).",
                "description": "The request is the strict RolloutRequestModel "
                "(http_models.py:121-158): unknown fields, a rollout_id off its pattern or a "
                "policy without provider and model are refused by the package's reference "
                "adapter and accepted by its Container SDK, so they are open here. MUST be "
                "refused with a 4xx: a body that is not a JSON object, a rollout_id that is not "
                "a non-empty string, a submission_mode other than sync or async. The same "
                "rollout_id with a different body may get 409 rollout_identity_conflict.",
                "requestBody": {
                    "required": True,
                    "content": json_content(schema_ref("ContainersRolloutRequest")),
                },
                "responses": _responses(
                    schema_ref("ContainersSubmittedRecord"),
                    "The rollout's record.",
                    (400, 404, 409, 413, 415, 422, 502, 504),
                    accepted=True,
                ),
            }
        },
        f"{ROLLOUTS_PATH}/{{rollout_id}}": lookup,
        f"{ROLLOUTS_PATH}/{{rollout_id}}/state": state,
    }
    notes = [
        "No credential: the package's servers authenticate nothing and its tunnel strips "
        "authorization headers before the app sees them.",
        f"capabilities.protocol starts with {CONTAINERS_PROTOCOL_PREFIX!r} (0.4.3+); "
        "capabilities.contract_version equals /health's.",
        "A record's status, success_status, created_at and updated_at are non-empty strings; "
        "a submitted record's status is a lifecycle state (queued, running, paused, completed, "
        "failed, cancelled).",
        *_COMMON_NOTES[:1],
        "POST /rollouts answers 502/504 when the policy's inference URL fails or times out.",
    ]
    return {"x-contract-notes": notes, "paths": paths, "components": {"schemas": schemas}}


_BUILDERS: Final = {LOCALAPI: _localapi, CONTAINER: _container, CONTAINERS: _containers}
_SOURCES: Final = {
    LOCALAPI: "synth-ai 0.6.6 synth_ai/sdk/localapi/_impl/contracts.py and server.py",
    CONTAINER: "synth-ai 0.9.11 synth_ai/sdk/container/_impl/contracts.py, server.py, auth.py",
    CONTAINERS: "synth-containers 0.4.6 synth_containers/http_models.py, sdk.py, http_adapter.py",
}


def generation_document(
    profile: str, *, openapi_version: str, version: str, spec: str
) -> dict[str, Any]:
    """The canonical document of generation `profile` (one of `GENERATION_PROFILES`)."""
    contract = PROFILES[profile]
    body = _BUILDERS[profile]()
    schemas = body["components"]["schemas"]
    body["components"]["schemas"] = dict(sorted(schemas.items()))
    return {
        "openapi": openapi_version,
        "info": {
            "title": f"{contract.title} contract (canonical)",
            "version": version,
            "description": f"The task-app HTTP contract of {contract.releases} (profile "
            f"`{profile}`), as checked by taskapp-conformance; read from {_SOURCES[profile]}. "
            f"See {spec}#{contract.chapter}.",
        },
        **body,
    }
