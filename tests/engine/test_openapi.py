"""The canonical OpenAPI documents: in sync with the models, complete, and loadable; each later
generation's accepts what its package writes and refuses what it refuses.
"""

from __future__ import annotations

import json

import jsonschema_rs
import pytest
import schemathesis
from click.testing import CliRunner
from schemathesis.core.result import Ok

from conformance.contract import MAX_SEED, RolloutRequest, RolloutResponse, TaskInfo
from conformance.contract.generation_models import (
    ContainerRolloutRequest,
    ContainersRolloutRequest,
    LocalApiRolloutRequest,
    RolloutState,
)
from conformance.contract.profiles import (
    CONTAINER,
    CONTAINERS,
    LEGACY,
    LOCALAPI,
    PROFILE_NAMES,
    PROFILES,
    ROLLOUT_STATES,
    RolloutInputs,
)
from conformance.fuzz import must_refuse
from conformance.openapi import (
    SNAPSHOT_PATH,
    documented_statuses,
    openapi_command,
    openapi_document,
    openapi_json,
    snapshot_path,
)
from tests.generations import examples

ROUTES = [
    ("/", "get"),
    ("/health", "get"),
    ("/info", "get"),
    ("/task_info", "get"),
    ("/rollout", "post"),
]


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_snapshot_matches_the_models(profile: str) -> None:
    """Each profile's shipped snapshot equals the document regenerated from its models.

    Refresh them with `python -m conformance.openapi --write` after changing the models.
    """
    assert snapshot_path(profile).read_text(encoding="utf-8") == openapi_json(profile)


def test_the_legacy_snapshot_keeps_its_name() -> None:
    """legacy-0.2's snapshot is conformance/openapi.json; the others are named by profile."""
    assert snapshot_path(LEGACY) == SNAPSHOT_PATH
    assert snapshot_path(CONTAINERS).name == "openapi-containers-2026-05.json"


def test_document_is_openapi_31_with_every_route() -> None:
    """The document is OpenAPI 3.1 and describes exactly the contract routes."""
    doc = openapi_document()
    assert doc["openapi"] == "3.1.0"
    assert sorted((p, m) for p, ops in doc["paths"].items() for m in ops) == sorted(ROUTES)


@pytest.mark.parametrize(
    "model", [RolloutRequest, RolloutResponse, TaskInfo], ids=lambda m: m.__name__
)
def test_required_fields_follow_the_models(model: type) -> None:
    """Each component requires exactly the fields its pydantic model requires."""
    component = openapi_document()["components"]["schemas"][model.__name__]
    required = [n for n, f in model.model_fields.items() if f.is_required()]  # type: ignore[attr-defined]
    assert sorted(component["required"]) == sorted(required)


def test_auth_scheme_and_public_root() -> None:
    """Protected routes need X-API-Key or a bearer token; GET / needs nothing."""
    doc = openapi_document()
    schemes = doc["components"]["securitySchemes"]
    assert schemes["ApiKeyHeader"] == {"type": "apiKey", "in": "header", "name": "X-API-Key"}
    assert schemes["BearerAuth"]["scheme"] == "bearer"
    assert doc["paths"]["/"]["get"]["security"] == []
    assert "security" not in doc["paths"]["/rollout"]["post"]


@pytest.mark.parametrize(("path", "method"), ROUTES[1:], ids=lambda v: str(v))
def test_protected_routes_document_auth_errors(path: str, method: str) -> None:
    """Every protected route documents 200, 400, 401, 403 and 503; each error is an
    ErrorResponse.
    """
    responses = openapi_document()["paths"][path][method]["responses"]
    assert {"200", "400", "401", "403", "503"} <= set(responses)
    for status, response in responses.items():
        if status != "200":
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorResponse"}


@pytest.mark.parametrize(
    "body",
    [
        {"detail": {"error": {"code": "c", "message": "m"}}},
        {"detail": [{"type": "missing", "loc": ["body", "mode"], "msg": "Field required"}]},
        {"error": "invalid_request", "message": "m"},
        "Bad Request",
    ],
    ids=["envelope", "fastapi-list", "own-body", "text"],
)
def test_any_error_body_conforms_and_the_envelope_is_recommended(body: object) -> None:
    """An error body is a SHOULD (RO-9, PROP-3): the envelope is listed first, any body conforms."""
    doc = openapi_document()
    error = doc["components"]["schemas"]["ErrorResponse"]
    assert error["anyOf"][0] == {"$ref": "#/components/schemas/ErrorEnvelope"}
    assert "SHOULD" in error["description"]
    validator = jsonschema_rs.Draft202012Validator(
        {"$ref": "#/components/schemas/ErrorResponse", "components": doc["components"]}
    )
    assert validator.is_valid(body)


def test_rollout_documents_inference_failures_and_validation() -> None:
    """/rollout documents 4xx for bad input or unserved seeds, and 502/504 for inference."""
    assert {400, 404, 413, 415, 422, 502, 504} <= set(documented_statuses("/rollout", "POST"))
    assert {400, 404, 422} <= set(documented_statuses("/task_info", "GET"))


def test_seeds_are_any_integer() -> None:
    """A seed is any integer in the body and in the query: negative and huge ones are open."""
    schemas = openapi_document()["components"]["schemas"]
    body_seed = schemas["RolloutEnvSpec"]["properties"]["seed"]
    assert body_seed["anyOf"] == [{"type": "integer"}, {"type": "null"}]
    assert str(MAX_SEED) in body_seed["description"]
    assert schemas["SeedList"]["items"] == {"type": "integer"}


def test_what_must_be_refused_is_written_down() -> None:
    """The notes and the two input operations say what MUST get a 4xx and what is open."""
    doc = openapi_document()
    notes = " ".join(doc["x-contract-notes"])
    assert "MUST be refused with a 4xx: a query seed that does not parse as an integer" in notes
    assert "extra fields are left open" in notes
    assert "MUST get a 4xx" in doc["paths"]["/task_info"]["get"]["description"]
    assert "MUST get a 4xx" in doc["paths"]["/rollout"]["post"]["description"]


def test_schemathesis_loads_every_operation() -> None:
    """Schemathesis accepts the document and finds all five operations."""
    schema = schemathesis.openapi.from_dict(openapi_document(), config=schemathesis.Config())
    labels = sorted(r.ok().label for r in schema.get_all_operations() if isinstance(r, Ok))
    assert labels == ["GET /", "GET /health", "GET /info", "GET /task_info", "POST /rollout"]


def test_document_is_a_fresh_copy() -> None:
    """Mutating one returned document does not change the next."""
    openapi_document()["paths"].clear()
    assert openapi_document()["paths"]


def test_command_prints_the_document_as_json() -> None:
    """`taskapp-conformance openapi` prints the snapshot's JSON and exits 0."""
    result = CliRunner().invoke(openapi_command, [])
    assert result.exit_code == 0
    assert json.loads(result.output) == openapi_document()


def test_command_prints_yaml() -> None:
    """`--format yaml` prints the same document as YAML."""
    yaml = pytest.importorskip("yaml")
    result = CliRunner().invoke(openapi_command, ["--format", "yaml"])
    assert result.exit_code == 0
    assert yaml.safe_load(result.output) == openapi_document()


def test_command_rejects_unknown_format() -> None:
    """An unknown format is a usage error (exit 2) with one line, not a traceback."""
    result = CliRunner().invoke(openapi_command, ["--format", "xml"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


# --- the later generations ------------------------------------------------------------------

GENERATION_ROUTES = {
    LOCALAPI: ROUTES,
    CONTAINER: ROUTES,
    CONTAINERS: [
        ("/", "get"),
        ("/health", "get"),
        ("/metadata", "get"),
        ("/info", "get"),
        ("/task_info", "get"),
        ("/rollouts", "post"),
        ("/rollouts/{rollout_id}", "get"),
        ("/rollouts/{rollout_id}/state", "get"),
    ],
}
REQUEST_SCHEMA = {
    LOCALAPI: "LocalApiRolloutRequest",
    CONTAINER: "ContainerRolloutRequest",
    CONTAINERS: "ContainersRolloutRequest",
}


def _validator(profile: str, schema: str) -> jsonschema_rs.Validator:
    doc = openapi_document(profile)
    ref = {"$ref": f"#/components/schemas/{schema}", "components": doc["components"]}
    return jsonschema_rs.Draft202012Validator(ref)


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_document_is_valid_openapi_31(profile: str) -> None:
    """Each profile's document validates against the OpenAPI 3.1 schema and loads in full."""
    doc = openapi_document(profile)
    assert doc["openapi"] == "3.1.0"
    schema = schemathesis.openapi.from_dict(doc, config=schemathesis.Config())
    schema.validate()
    assert all(isinstance(r, Ok) for r in schema.get_all_operations())


@pytest.mark.parametrize("profile", GENERATION_ROUTES)
def test_each_generation_documents_its_own_routes(profile: str) -> None:
    """localapi and container keep the 0.2 routes; containers-2026-05 has its own."""
    doc = openapi_document(profile)
    routes = sorted((p, m) for p, ops in doc["paths"].items() for m in ops)
    assert routes == sorted(GENERATION_ROUTES[profile])
    assert PROFILES[profile].rollout_path in doc["paths"]


def test_an_unknown_profile_is_refused_by_name() -> None:
    """An unknown profile is a ValueError naming the valid ones, not a KeyError."""
    with pytest.raises(ValueError, match=r"valid: legacy-0\.2, localapi, container"):
        openapi_document("nope")


@pytest.mark.parametrize("profile", REQUEST_SCHEMA)
def test_request_schema_accepts_the_profiles_request_builder(profile: str) -> None:
    """The body the harness sends for a generation is valid in that generation's document."""
    inputs = RolloutInputs(cid="trace_1", inference_url="http://127.0.0.1:9/v1", seed=3)
    body = PROFILES[profile].rollout_request(inputs)
    assert list(_validator(profile, REQUEST_SCHEMA[profile]).iter_errors(body)) == []
    assert (
        must_refuse("POST", PROFILES[profile].rollout_path, "", json.dumps(body).encode(), profile)
        is None
    )


@pytest.mark.parametrize(
    ("profile", "body"),
    [
        (LOCALAPI, examples.LOCALAPI_REQUEST),
        (CONTAINER, examples.CONTAINER_REQUEST),
        (CONTAINERS, examples.CONTAINERS_REQUEST),
    ],
    ids=[LOCALAPI, CONTAINER, CONTAINERS],
)
def test_request_schema_accepts_the_packages_own_bodies(
    profile: str, body: dict[str, object]
) -> None:
    """What each package's own request model writes is valid in its generation's document."""
    assert list(_validator(profile, REQUEST_SCHEMA[profile]).iter_errors(body)) == []


@pytest.mark.parametrize("profile", REQUEST_SCHEMA)
def test_request_schema_refuses_a_legacy_body(profile: str) -> None:
    """A 0.2 body (run_id, ops, mode, no cid) is no request of any later generation, and the
    fuzzer's judge says it MUST be refused.
    """
    inputs = RolloutInputs(cid="trace_1", inference_url="http://127.0.0.1:9/v1")
    legacy = PROFILES[LEGACY].rollout_request(inputs)
    if profile != CONTAINERS:
        legacy.pop("trace_correlation_id", None)
    assert not _validator(profile, REQUEST_SCHEMA[profile]).is_valid(legacy)
    path = PROFILES[profile].rollout_path
    if profile != CONTAINERS:  # containers: the SDK accepts any object, so it stays open
        assert must_refuse("POST", path, "", json.dumps(legacy).encode(), profile) is not None


def test_localapi_and_container_require_the_cid() -> None:
    """The cid is required in both; only container refuses a blank one (0.9.11 strips it)."""
    body = dict(examples.LOCALAPI_REQUEST, trace_correlation_id="  ")
    assert _validator(LOCALAPI, "LocalApiRolloutRequest").is_valid(body)
    assert not _validator(CONTAINER, "ContainerRolloutRequest").is_valid(body)
    for profile in (LOCALAPI, CONTAINER):
        required = openapi_document(profile)["components"]["schemas"][REQUEST_SCHEMA[profile]]
        assert sorted(required["required"]) == ["env", "policy", "trace_correlation_id"]


def test_containers_request_is_strict_but_only_the_common_refusals_are_required() -> None:
    """The README's task fields are refused by the strict schema, yet stay open (the SDK takes
    them); a bad submission_mode or an empty rollout_id MUST be refused by every server.
    """
    readme = examples.CONTAINERS_README_REQUEST
    assert not _validator(CONTAINERS, "ContainersRolloutRequest").is_valid(readme)
    assert must_refuse("POST", "/rollouts", "", json.dumps(readme).encode(), CONTAINERS) is None
    refused: list[object] = [
        {"submission_mode": "later"},
        {"rollout_id": ""},
        {"rollout_id": 7},
        [],
    ]
    for bad in refused:
        assert must_refuse("POST", "/rollouts", "", json.dumps(bad).encode(), CONTAINERS)


def test_response_schemas_accept_the_packages_own_answers() -> None:
    """The package's RolloutResponse and the README's record are valid answers."""
    assert _validator(LOCALAPI, "LocalApiRolloutResponse").is_valid(examples.LOCALAPI_RESPONSE)
    assert _validator(CONTAINER, "ContainerRolloutResponse").is_valid(examples.LOCALAPI_RESPONSE)
    record = examples.CONTAINERS_README_RECORD
    assert _validator(CONTAINERS, "ContainersSubmittedRecord").is_valid(record)
    assert not _validator(CONTAINERS, "ContainersSubmittedRecord").is_valid(
        {**record, "status": "terminated"}
    )


def test_localapi_accepts_the_0412_metrics_name_and_container_does_not() -> None:
    """0.4.12 called reward_info `metrics` (localapi accepts either); container's wire says
    reward_info, and an answer with neither is refused by both.
    """
    old = dict(examples.LOCALAPI_RESPONSE)
    old["metrics"] = old.pop("reward_info")
    assert _validator(LOCALAPI, "LocalApiRolloutResponse").is_valid(old)
    assert not _validator(CONTAINER, "ContainerRolloutResponse").is_valid(old)
    neither = {k: v for k, v in old.items() if k != "metrics"}
    assert not _validator(LOCALAPI, "LocalApiRolloutResponse").is_valid(neither)


def test_each_generation_documents_its_credential() -> None:
    """localapi: the API key (400/503 included); container: the token header, public /health,
    401 only; containers: no credential at all.
    """
    localapi, container, containers = (
        openapi_document(p) for p in (LOCALAPI, CONTAINER, CONTAINERS)
    )
    assert {400, 401, 403, 503} <= set(documented_statuses("/rollout", "POST", LOCALAPI))
    scheme = container["components"]["securitySchemes"]["ContainerToken"]
    assert (scheme["in"], scheme["name"]) == ("header", "X-Synth-Container-Authorization")
    assert container["paths"]["/health"]["get"]["security"] == []
    assert 401 in documented_statuses("/info", "GET", CONTAINER)
    assert not {403, 503} & set(documented_statuses("/info", "GET", CONTAINER))
    assert "security" not in containers
    assert "securitySchemes" not in containers["components"]
    assert localapi["security"] == [{"ApiKeyHeader": []}, {"BearerAuth": []}]


def test_containers_submission_documents_async_and_conflicts() -> None:
    """POST /rollouts may answer 202 (async) and 409 (a reused rollout_id, another body)."""
    assert {200, 202, 409, 422} <= set(documented_statuses("/rollouts", "POST", CONTAINERS))


def test_rollout_states_are_one_list() -> None:
    """The document's lifecycle states are the profile constants' ROLLOUT_STATES."""
    assert tuple(RolloutState) == ROLLOUT_STATES


@pytest.mark.parametrize(
    "model", [LocalApiRolloutRequest, ContainerRolloutRequest, ContainersRolloutRequest]
)
def test_generation_request_components_follow_their_models(model: type) -> None:
    """Each generation's request component requires exactly what its model requires."""
    profile = {"LocalApi": LOCALAPI, "Containers": CONTAINERS, "Container": CONTAINER}[
        model.__name__.removesuffix("RolloutRequest")
    ]
    component = openapi_document(profile)["components"]["schemas"][model.__name__]
    required = [n for n, f in model.model_fields.items() if f.is_required()]  # type: ignore[attr-defined]
    assert sorted(component.get("required", [])) == sorted(required)


def test_command_prints_a_profiles_document() -> None:
    """`taskapp-conformance openapi --profile container` prints that generation's document."""
    result = CliRunner().invoke(openapi_command, ["--profile", CONTAINER])
    assert result.exit_code == 0
    assert json.loads(result.output) == openapi_document(CONTAINER)


def test_command_rejects_unknown_profile() -> None:
    """An unknown --profile is a usage error (exit 2) naming the choices, not a traceback."""
    result = CliRunner().invoke(openapi_command, ["--profile", "0.3"])
    assert result.exit_code == 2
    assert "localapi" in result.output
    assert "Traceback" not in result.output
