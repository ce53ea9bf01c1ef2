"""Endpoint shapes: `/`, `HEAD /`, `/health`, `/info` (spec §1.1, §1.4, §10.1 items 1, 5, 6)."""

from __future__ import annotations

from conformance.checks._support import (
    CREDENTIAL,
    credential_name,
    require_json,
    validation_problem,
)
from conformance.context import CheckContext, json_body
from conformance.contract import (
    HEALTH_PATH,
    INFO_PATH,
    ROOT_PATH,
    HealthResponse,
    InfoResponse,
    RootResponse,
)
from conformance.contract.profiles import API_KEY_PROFILES, SYNTH_AI_PROFILES
from conformance.outcomes import CheckFailure
from conformance.registry import Severity, check


@check(
    "EP-1",
    profiles=SYNTH_AI_PROFILES,
    severity=Severity.MUST,
    spec="root",
    tags=("endpoints", "quick"),
)
def root_answers_without_auth(ctx: CheckContext) -> None:
    """`GET /` answers 200 without a key, with non-empty `status` and `service`."""
    response = ctx.get(ROOT_PATH, auth=False)
    body = json_body(response)
    problem = validation_problem(RootResponse, body) if response.status_code == 200 else "status"
    if problem is not None:
        raise CheckFailure(
            sent=f"GET / without {credential_name(ctx)}",
            expected='200 with {"status": "ok", "service": "<app id>"}',
            got=ctx.describe(response),
            fix=(
                "Serve GET / without auth and return the status and the app id"
                " as non-empty strings."
            ),
            summary=f"GET / is not the unauthenticated liveness probe ({problem})",
        )


@check(
    "EP-2",
    profiles=SYNTH_AI_PROFILES,
    severity=Severity.MUST,
    spec="head-root",
    tags=("endpoints", "quick"),
)
def head_root_answers_200(ctx: CheckContext) -> None:
    """`HEAD /` answers 200 without a key, as load balancers and synth-ai probe it."""
    response = ctx.request("HEAD", ROOT_PATH, auth=False)
    if response.status_code != 200:
        raise CheckFailure(
            sent=f"HEAD / without {credential_name(ctx)}",
            expected="200",
            got=ctx.describe(response),
            fix=(
                "Register HEAD next to GET on /"
                " (FastAPI: @app.api_route('/', methods=['GET', 'HEAD']))."
            ),
        )


@check(
    "EP-3",
    profiles=API_KEY_PROFILES,
    severity=Severity.MUST,
    spec="health",
    tags=("endpoints",),
    depends_on=("AUTH-1",),
)
def health_has_contract_shape(ctx: CheckContext) -> None:
    """`GET /health` returns `{"healthy": bool, "auth": {"required", "expected_prefix"}}`."""
    body = require_json(
        ctx,
        ctx.get(HEALTH_PATH),
        "GET /health with X-API-Key",
        "Return 200 from /health for an authenticated caller.",
    )
    problem = validation_problem(HealthResponse, body, strict=True)  # a bool, not "yes"
    if problem is not None:
        raise CheckFailure(
            sent="GET /health with X-API-Key",
            expected='{"healthy": true, "auth": {"required": true, "expected_prefix": "..."}}',
            got=f"{ctx.short_json(body)} ({problem})",
            fix="Return healthy as a bool and an auth object with required and expected_prefix.",
        )


@check(
    "EP-4",
    profiles=SYNTH_AI_PROFILES,
    severity=Severity.MUST,
    spec="info",
    tags=("endpoints",),
    depends_on=CREDENTIAL,
)
def info_sections_are_objects(ctx: CheckContext) -> None:
    """`GET /info` returns objects for service, dataset, inference and limits, never strings."""
    sent = f"GET /info with {credential_name(ctx)}"
    body = require_json(
        ctx, ctx.get(INFO_PATH), sent, "Return 200 from /info for an authenticated caller."
    )
    sections = body if isinstance(body, dict) else {}  # a list is the validator's to report
    strings = [
        k for k in ("service", "dataset", "inference", "limits") if isinstance(sections.get(k), str)
    ]
    problem = (
        f"{', '.join(strings)} are strings" if strings else validation_problem(InfoResponse, body)
    )
    if problem is not None:
        raise CheckFailure(
            sent=sent,
            expected="service.task, dataset, inference and limits as JSON objects",
            got=f"{ctx.short_json(body)} ({problem})",
            fix="Build /info from model_dump(mode='json') dicts, not synth-ai's to_jsonable "
            "(it turns sections into '<circular ...>' strings).",
        )
