"""The canonical OpenAPI document: in sync with the models, complete, and loadable."""

from __future__ import annotations

import json

import jsonschema_rs
import pytest
import schemathesis
from click.testing import CliRunner
from schemathesis.core.result import Ok

from conformance.contract import MAX_SEED, RolloutRequest, RolloutResponse, TaskInfo
from conformance.openapi import (
    SNAPSHOT_PATH,
    documented_statuses,
    openapi_command,
    openapi_document,
    openapi_json,
)

ROUTES = [
    ("/", "get"),
    ("/health", "get"),
    ("/info", "get"),
    ("/task_info", "get"),
    ("/rollout", "post"),
]


def test_snapshot_matches_the_models() -> None:
    """conformance/openapi.json equals the document regenerated from the contract models.

    Refresh it with `python -m conformance.openapi --write` after changing the models.
    """
    assert SNAPSHOT_PATH.read_text(encoding="utf-8") == openapi_json()


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
