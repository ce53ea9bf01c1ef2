"""The canonical OpenAPI 3.1 document of each contract generation, generated from the models.

`openapi_document(profile)` is the front door: the `legacy-0.2` document is built here from
`conformance.contract.models`; `localapi`, `container` and `containers-2026-05` by
`conformance.contract.openapi_generations` from the models of their packages. Each is the
contract, not a target's own `/openapi.json` (which may lie or be absent).
Fuzzing (`conformance.fuzz`) generates requests from it and validates responses against
it. Where the models are silent, the document decides and says so in `x-contract-notes`:

* a seed is any JSON integer (never a boolean, float or string); 0 to `MAX_SEED` is the
  conventional range, and an app may serve other integers or refuse them with a 4xx;
* counts in a rollout response (`length`, `num_steps`, `num_episodes`, `ops_executed`)
  and limits in `TaskInfo` are non-negative;
* an error answer is defined by its status: its body SHOULD be the envelope
  `{"detail": {"error": {"code", "message"}}}` (RO-9, PROP-3), and FastAPI's default
  `{"detail": [...]}` or any other body still conforms;
* `/rollout` may answer 502/504 when the policy's inference URL fails or times out, and
  both routes may answer 404 for a seed, split or environment the app does not serve.

What a conforming app MUST refuse is what synth-ai's own server (FastAPI and these
models, lax parsing) refuses: a seed that does not parse as an integer, and a `/rollout`
body `RolloutRequest` does not accept. The strict JSON types here are what a client
should send; the lax coercions (`"3"`, `true`, `1.0` for an integer) are left open.

The snapshots (`conformance/openapi.json` for `legacy-0.2`, `conformance/openapi-<profile>.json`
for the others) are kept in sync by `tests/engine/test_openapi.py`; refresh them all after
changing the models with:

    python -m conformance.openapi --write
"""

from __future__ import annotations

import copy
import functools
import importlib
import json
import sys
from pathlib import Path
from typing import Any, Final

import click
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from conformance.contract import (
    API_KEY_HEADER,
    HEALTH_PATH,
    INFO_PATH,
    MAX_SEED,
    ROLLOUT_PATH,
    ROOT_PATH,
    SEED_QUERY_PARAMS,
    TASK_INFO_PATH,
    ErrorEnvelope,
    HealthResponse,
    InfoResponse,
    RolloutRequest,
    RolloutResponse,
    RootResponse,
    TaskInfo,
    TasksetResponse,
)
from conformance.contract.openapi_generations import (
    error_schemas,
    generation_document,
    json_content,
    responses,
    schema_ref,
    seed_parameter,
)
from conformance.contract.profiles import LEGACY, PROFILE_NAMES, profile_named
from conformance.contract.spec import SPEC_DOCUMENT
from conformance.exitcodes import ExitCode

__all__ = [
    "CONTRACT_VERSION",
    "OPENAPI_VERSION",
    "SNAPSHOT_PATH",
    "documented_statuses",
    "openapi_command",
    "openapi_document",
    "openapi_json",
    "snapshot_path",
]

OPENAPI_VERSION: Final = "3.1.0"
CONTRACT_VERSION: Final = "1.0.0"
SNAPSHOT_PATH: Final = Path(__file__).with_name("openapi.json")
"""The legacy-0.2 snapshot (`snapshot_path(profile)` names each generation's)."""

_REF: Final = "#/components/schemas/{model}"
_SECURITY: Final[list[dict[str, list[str]]]] = [{"ApiKeyHeader": []}, {"BearerAuth": []}]
_MODELS: Final[tuple[type[BaseModel], ...]] = (
    RolloutRequest,
    RolloutResponse,
    TaskInfo,
    TasksetResponse,
    RootResponse,
    HealthResponse,
    InfoResponse,
    ErrorEnvelope,
)
_NON_NEGATIVE: Final = {
    "RolloutTrajectory": ("length",),
    "RolloutMetrics": ("num_steps", "num_episodes"),
    "RolloutResponse": ("ops_executed",),
    "LimitsInfo": ("max_turns", "max_response_tokens", "timeout_seconds"),
}
_ERRORS: Final = {
    400: "Malformed or invalid request; synth-ai's own server also uses 400 for a bad key.",
    401: "No accepted API key was presented.",
    403: "The presented API key is not allowed here.",
    404: "A seed, split or environment the app does not serve (the provider decides, §1.5).",
    413: "The body exceeds the app's size limit.",
    415: "The body is not application/json.",
    422: "The request is well-formed JSON but violates the contract (bad seed, missing field).",
    502: "The policy's inference URL could not be reached or answered an error.",
    503: "No API key is configured on the server (ENVIRONMENT_API_KEY unset).",
    504: "The policy's inference URL timed out.",
}
_AUTH_ERRORS: Final = (400, 401, 403, 503)
_NOTES: Final = [
    "A seed is any integer. 0..MAX_SEED is the conventional range; an app may serve other "
    "integers (negative, huge) or refuse them with a stable 4xx.",
    "MUST be refused with a 4xx: a query seed that does not parse as an integer, and a "
    "/rollout body RolloutRequest does not accept (missing or mistyped fields, a mode "
    "other than rl or eval). synth-ai's lax coercions ('3', true, 1.0 as an integer) and "
    "extra fields are left open: accepted, or refused with a 4xx.",
    "An error is defined by its status. Its body SHOULD be the envelope "
    "{detail: {error: {code, message}}} (RO-9, PROP-3); FastAPI's default {detail: [...]} "
    "and other bodies still conform.",
    "Counts in rollout responses and limits in TaskInfo are non-negative integers.",
    "/rollout answers 502/504 when the policy's inference URL fails or times out.",
    "policy.config.inference_url (with ?cid=) and policy.config.trace_correlation_id are "
    "conventional keys of the free-form policy config; rl mode needs one of them.",
]


def _component_schemas() -> dict[str, Any]:
    _, top = models_json_schema([(m, "validation") for m in _MODELS], ref_template=_REF)
    schemas: dict[str, Any] = top["$defs"]
    seed = schemas["RolloutEnvSpec"]["properties"]["seed"]
    seed["description"] = f"The task instance: any integer (conventionally 0..{MAX_SEED}), or null."
    for model, fields in _NON_NEGATIVE.items():
        for name in fields:
            prop = schemas[model]["properties"][name]
            for option in prop.get("anyOf", [prop]):
                if option.get("type") == "integer":
                    option["minimum"] = 0
    schemas["SeedList"] = {"type": "array", "items": {"type": "integer"}}
    schemas.update(error_schemas(" (RO-9, PROP-3)"))
    return dict(sorted(schemas.items()))


def _responses(ok: dict[str, Any], ok_text: str, errors: tuple[int, ...]) -> dict[str, Any]:
    return responses(ok, ok_text, errors, _ERRORS)


def _paths() -> dict[str, Any]:
    task_info_ok = {
        "anyOf": [
            schema_ref("TaskInfo"),
            {"type": "array", "items": schema_ref("TaskInfo")},
            schema_ref("TasksetResponse"),
        ]
    }
    return {
        ROOT_PATH: {
            "get": {
                "operationId": "root",
                "summary": "Unauthenticated liveness and identity.",
                "security": [],
                "responses": _responses(schema_ref("RootResponse"), "The app is up.", ()),
            }
        },
        HEALTH_PATH: {
            "get": {
                "operationId": "health",
                "summary": "Authenticated health; never reveals key material.",
                "responses": _responses(schema_ref("HealthResponse"), "Healthy.", _AUTH_ERRORS),
            }
        },
        INFO_PATH: {
            "get": {
                "operationId": "info",
                "summary": "Service, dataset, rubrics, inference and limits.",
                "responses": _responses(
                    schema_ref("InfoResponse"), "The app's info.", _AUTH_ERRORS
                ),
            }
        },
        TASK_INFO_PATH: {
            "get": {
                "operationId": "task_info",
                "summary": "No seed: the taskset. One seed: a TaskInfo. Several: a list.",
                "description": "A seed value that does not parse as an integer MUST get a 4xx. "
                "Any integer may be served, or refused with a stable 4xx.",
                "parameters": [
                    seed_parameter(name, schema_ref("SeedList")) for name in SEED_QUERY_PARAMS
                ],
                "responses": _responses(
                    task_info_ok, "The taskset or the task instances.", (*_AUTH_ERRORS, 404, 422)
                ),
            }
        },
        ROLLOUT_PATH: {
            "post": {
                "operationId": "rollout",
                "summary": "Play one episode with the policy's inference URL.",
                "description": "A body RolloutRequest does not accept (not a JSON object, a "
                "missing or mistyped field, a mode other than rl or eval) MUST get a 4xx. "
                "Extra fields, any integer seed and synth-ai's lax coercions may be accepted.",
                "requestBody": {
                    "required": True,
                    "content": json_content(schema_ref("RolloutRequest")),
                },
                "responses": _responses(
                    schema_ref("RolloutResponse"),
                    "The finished rollout.",
                    (*_AUTH_ERRORS, 404, 413, 415, 422, 502, 504),
                ),
            }
        },
    }


def snapshot_path(profile: str = LEGACY) -> Path:
    """Where the shipped copy of `profile`'s document lives."""
    if profile == LEGACY:
        return SNAPSHOT_PATH
    return SNAPSHOT_PATH.with_name(f"openapi-{profile_named(profile).name}.json")


def openapi_document(profile: str = LEGACY) -> dict[str, Any]:
    """The canonical OpenAPI 3.1 document of generation `profile` (a fresh dict each call);
    ValueError naming the profiles for an unknown one.
    """
    return copy.deepcopy(_document(profile_named(profile).name))


@functools.cache
def _document(profile: str) -> dict[str, Any]:
    if profile != LEGACY:
        return generation_document(
            profile, openapi_version=OPENAPI_VERSION, version=CONTRACT_VERSION, spec=SPEC_DOCUMENT
        )
    return copy.deepcopy(
        {
            "openapi": OPENAPI_VERSION,
            "info": {
                "title": "synth-ai task app contract (canonical)",
                "version": CONTRACT_VERSION,
                "description": "The task-app HTTP contract of synth-ai 0.2.14-0.2.24, as "
                f"checked by taskapp-conformance; see {SPEC_DOCUMENT}.",
            },
            "x-contract-notes": _NOTES,
            "security": _SECURITY,
            "paths": _paths(),
            "components": {
                "securitySchemes": {
                    "ApiKeyHeader": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER},
                    "BearerAuth": {"type": "http", "scheme": "bearer"},
                },
                "schemas": _component_schemas(),
            },
        }
    )


def openapi_json(profile: str = LEGACY) -> str:
    """The document as stable, pretty-printed JSON (the snapshot's exact text)."""
    return json.dumps(openapi_document(profile), indent=2, sort_keys=True) + "\n"


def documented_statuses(path: str, method: str, profile: str = LEGACY) -> list[int]:
    """The status codes `profile`'s canonical document allows for `method path`."""
    operation = _document(profile_named(profile).name)["paths"][path][method.lower()]
    return sorted(int(status) for status in operation["responses"])


def _yaml_text(profile: str) -> str:
    try:
        yaml = importlib.import_module("yaml")  # PyYAML ships no type stubs
    except ImportError:
        click.echo("--format yaml needs PyYAML (pip install pyyaml); use --format json", err=True)
        sys.exit(ExitCode.USAGE)
    return str(yaml.safe_dump(openapi_document(profile), sort_keys=False, allow_unicode=True))


@click.command("openapi")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "yaml"]),
    default="json",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--profile",
    type=click.Choice(PROFILE_NAMES),
    default=LEGACY,
    show_default=True,
    help="The contract generation whose document to print.",
)
def openapi_command(fmt: str, profile: str) -> None:
    """Print the canonical OpenAPI 3.1 document of a contract generation."""
    click.echo(openapi_json(profile) if fmt == "json" else _yaml_text(profile), nl=False)


def _main(argv: list[str]) -> int:
    """`python -m conformance.openapi [--write]`: print the legacy document or refresh every
    profile's snapshot.
    """
    if argv == ["--write"]:
        for profile in PROFILE_NAMES:
            snapshot_path(profile).write_text(openapi_json(profile), encoding="utf-8")
            print(f"wrote {snapshot_path(profile)}")
        return ExitCode.OK
    if argv:
        print("usage: python -m conformance.openapi [--write]", file=sys.stderr)
        return ExitCode.USAGE
    sys.stdout.write(openapi_json())
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
