"""The canonical OpenAPI document: in sync with the models, complete, and loadable."""

from __future__ import annotations

import json

import pytest
import schemathesis
from click.testing import CliRunner
from schemathesis.core.result import Ok

from conformance.contract import RolloutRequest, RolloutResponse, TaskInfo
from conformance.openapi import (
    MAX_SEED,
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
def test_protected_routes_document_auth_errors_with_the_envelope(path: str, method: str) -> None:
    """Every protected route documents 200, 400, 401, 403 and 503; errors use the envelope."""
    responses = openapi_document()["paths"][path][method]["responses"]
    assert {"200", "400", "401", "403", "503"} <= set(responses)
    for status, response in responses.items():
        if status != "200":
            schema = response["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}


def test_rollout_documents_inference_failures_and_validation() -> None:
    """/rollout documents 422 for bad input and 502/504 for inference failures."""
    assert {413, 415, 422, 502, 504} <= set(documented_statuses("/rollout", "POST"))
    assert 422 in documented_statuses("/task_info", "GET")


def test_seed_range_is_documented() -> None:
    """Seeds are integers from 0 to MAX_SEED, in the body and in the query."""
    schemas = openapi_document()["components"]["schemas"]
    body_seed = schemas["RolloutEnvSpec"]["properties"]["seed"]["anyOf"][0]
    assert body_seed == {"type": "integer", "minimum": 0, "maximum": MAX_SEED}
    assert schemas["SeedList"]["items"] == body_seed


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
