"""The JSON report: versioned, complete, and valid against the shipped JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

import conformance.reports as reports
from conformance.reports import SCHEMA_VERSION, json_schema, render_json, to_json
from conformance.runner import RunReport
from tests.reports.reports_factory import make_report


@pytest.fixture(scope="module")
def validator() -> Any:
    """A validator for the shipped report schema."""
    return jsonschema_rs.Draft202012Validator(json_schema())


def test_schema_file_is_a_valid_draft_2020_12_schema() -> None:
    """The shipped schema itself is well-formed JSON Schema."""
    assert jsonschema_rs.meta.is_valid(json_schema())


@pytest.mark.parametrize("which", ["report", "planted_report"])
def test_document_validates_against_schema(
    which: str, validator: Any, request: pytest.FixtureRequest
) -> None:
    """Every document the writer produces validates, whatever text the target sent."""
    document = json.loads(render_json(request.getfixturevalue(which)))
    errors = [str(e) for e in validator.iter_errors(document)]
    assert errors == []


def test_document_top_level_fields(report: RunReport) -> None:
    """The document carries the run metadata, totals, verdict and exit code."""
    doc = to_json(report)
    assert doc["schema_version"] == SCHEMA_VERSION == 2
    assert doc["tool"] == "taskapp-conformance"
    assert doc["tool_version"] == report.tool_version
    assert doc["target"] == "http://127.0.0.1:8123"
    assert (doc["duration_s"], doc["requests_sent"], doc["strict"]) == (2.314, 148, False)
    assert doc["totals"] == {
        "pass": 1,
        "fail": 1,
        "warn": 1,
        "skip": 1,
        "error": 1,
        "baselined": 1,
        "total": 6,
    }
    assert (doc["verdict"], doc["conforms"], doc["exit_code"]) == ("does_not_conform", False, 1)
    assert (doc["unproven"], doc["accepted_unproven"], doc["not_selected"]) == (["CID-1"], [], [])
    assert doc["stale_baseline"] == ["AUTH-9"]


def test_document_check_entries(report: RunReport) -> None:
    """Each check carries its metadata, outcome and failure detail."""
    checks = {c["id"]: c for c in to_json(report)["checks"]}
    assert list(checks) == [r.check.id for r in report.results]
    auth = checks["AUTH-1"]
    assert auth == {
        "id": "AUTH-1",
        "area": "AUTH",
        "name": "rejects_missing_api_key",
        "title": "Every protected route rejects a request that carries no API key.",
        "severity": "must",
        "spec": "docs/contract.md#auth-rejects",
        "tags": ["auth"],
        "depends_on": [],
        "outcome": "fail",
        "duration_s": 0.104,
        "reason": "",
        "skip_kind": None,
        "baselined": False,
        "detail": {
            "summary": "a protected route answered without a key",
            "sent": "GET /task_info without X-API-Key",
            "expected": "401 or 403 with the error envelope",
            "got": "200, body='{\"taskset\": ...}'",
            "fix": "Validate the key before the handler runs; answer 401 when it is absent.",
            "spec": "docs/contract.md#auth-rejects",
        },
    }
    assert checks["TI-2"]["baselined"] is True
    assert checks["RO-3"]["detail"] is None
    assert checks["RO-3"]["reason"] == "the target declares no 'eval' split"
    assert checks["RO-3"]["skip_kind"] == "not_applicable"


def test_schema_rejects_drift(report: RunReport, validator: Any) -> None:
    """The schema is strict: an unknown key or a detail-less failure does not validate."""
    doc = to_json(report)
    assert not validator.is_valid({**doc, "surprise": 1})
    doc["checks"][1]["detail"] = None
    assert not validator.is_valid(doc)


def test_rendered_json_is_utf8_text_with_final_newline() -> None:
    """`render_json` keeps non-ASCII text such as `§` as is and ends with a newline."""
    text = render_json(make_report(text=lambda s: f"{s} §2.2"))
    assert "§2.2" in text
    assert text.endswith("}\n")


def test_empty_run_is_valid(validator: Any) -> None:
    """A run with no checks still yields a valid document that conforms."""
    doc = to_json(make_report([]))
    assert validator.is_valid(doc)
    assert (doc["conforms"], doc["exit_code"], doc["totals"]["total"]) == (True, 0, 0)


def _schema_doc() -> str:
    return (Path(reports.__file__).parent / "JSON_SCHEMA.md").read_text("utf-8")


def test_documented_example_validates(validator: Any) -> None:
    """The example in JSON_SCHEMA.md is a valid document."""
    example = _schema_doc().split("```json\n", 1)[1].split("\n```", 1)[0]
    assert [str(e) for e in validator.iter_errors(json.loads(example))] == []


def test_every_schema_key_is_documented() -> None:
    """Every property the schema defines has a row in JSON_SCHEMA.md."""
    schema = json_schema()
    keys = set(schema["properties"]) | set(schema["properties"]["totals"]["properties"])
    for definition in schema["$defs"].values():
        keys |= set(definition["properties"])
    doc = _schema_doc()
    assert sorted(k for k in keys if f"`{k}`" not in doc) == []
