"""The machine-readable report: a versioned JSON document, described in JSON_SCHEMA.md.

`report.schema.json` next to this module is the JSON Schema (draft 2020-12) every document
validates against. Adding an optional key keeps `schema_version`; removing or renaming a key,
or changing a type or meaning, bumps it.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from conformance.reports._common import TOOL_NAME, totals
from conformance.reports.latency import to_json as latency_json
from conformance.runner import CheckResult, RunReport

SCHEMA_VERSION = 2
SCHEMA_FILE = "report.schema.json"


def to_json(report: RunReport) -> dict[str, Any]:
    """The report as a JSON-ready dict (schema version 2)."""
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": TOOL_NAME,
        "tool_version": report.tool_version,
        "target": report.target,
        "started_at": report.started_at,
        "duration_s": round(report.duration_s, 3),
        "requests_sent": report.requests_sent,
        "strict": report.strict,
        "inference": report.inference,
        "profile": {
            "name": report.contract.profile,
            "evidence": list(report.contract.evidence),
            "warning": report.contract.warning,
        },
        "totals": {**totals(report).by_outcome(), "total": len(report.results)},
        "verdict": report.verdict.value,
        "interrupted": report.interrupted,
        "conforms": report.conforms,
        "exit_code": int(report.exit_code()),
        "unproven": [r.check.id for r in report.unproven],
        "accepted_unproven": [r.check.id for r in report.accepted_unproven],
        "not_selected": [r.check.id for r in report.not_selected],
        "stale_baseline": list(report.stale_baseline),
        "checks": [_check(r) for r in report.results],
        "latency": latency_json(report.latency_tables),
    }
    return document


def render_json(report: RunReport) -> str:
    """`to_json` serialised: UTF-8 text, two-space indent, keys in schema order, final newline."""
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"


def json_schema() -> dict[str, Any]:
    """The JSON Schema that every `to_json` document validates against."""
    text = resources.files("conformance.reports").joinpath(SCHEMA_FILE).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def _check(result: CheckResult) -> dict[str, Any]:
    check = result.check
    detail = result.detail
    return {
        "id": check.id,
        "area": check.area,
        "name": check.name,
        "title": check.title,
        "severity": check.severity.value,
        "spec": check.spec_ref,
        "tags": list(check.tags),
        "depends_on": list(check.depends_on),
        "outcome": result.outcome.value,
        "duration_s": round(result.duration_s, 3),
        "reason": result.reason,
        "skip_kind": None if result.skip_kind is None else result.skip_kind.value,
        "baselined": result.baselined,
        "detail": None
        if detail is None
        else {
            "summary": detail.summary,
            "sent": detail.sent,
            "expected": detail.expected,
            "got": detail.got,
            "fix": detail.fix,
            "spec": detail.spec,
        },
    }
