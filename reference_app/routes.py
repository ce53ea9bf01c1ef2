"""What every generation's app shares: the FastAPI shell, bounded body reading, the error
envelope, and the `/info` + `/task_info` routes of the synth-ai generations.

`legacy-0.2`, `localapi` and `container` serve the same `/info` and `/task_info`; only who may
call them differs, so each app passes its own `Guard`.
"""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import Callable, MutableMapping
from typing import Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.contract import (
    HEALTH_PATH,
    INFO_PATH,
    ROOT_PATH,
    TASK_INFO_PATH,
    HealthAuth,
    HealthResponse,
    InfoResponse,
    InfoService,
    RootResponse,
    RubricSection,
    TaskInfo,
    error_envelope,
)
from conformance.contract.profiles import SCOPE_TASK_INFO
from reference_app.config import TaskAppConfig
from reference_app.errors import TaskAppError
from reference_app.logsafe import shown

logger = logging.getLogger("reference_app")

Guard = Callable[[Request, str], None]
"""Raises `TaskAppError` unless the request may use a route that needs `scope`."""
RubricShape = Literal["sections", "typed", "none"]
"""How `/info` shows the rubric: 0.2's named `sections`; `typed` as synth-ai 0.5-0.7 types
`InfoResponse.rubrics` (a `RubricBundle` of `synth_ai/data/rubrics.py` `Rubric`s: a required
`version`, criteria saying if they are `required`; 0.2's sections fail it); or `none`, for
synth-ai 0.9, whose `Rubric` is a Rust class no JSON rubric validates as."""

_SEED_PATTERN = re.compile(r"[0-9]{1,12}")
_JSON_CONTENT_TYPE = re.compile(r"application/(?:[\w.+-]+\+)?json", re.IGNORECASE)


def new_app(cfg: TaskAppConfig) -> FastAPI:
    """A FastAPI app without /docs, /redoc or /openapi.json: public API surface is a leak (D23)."""
    app = FastAPI(
        title=cfg.name, description=cfg.description, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.config = cfg  # what the app was built from, to build a variant of it
    return app


def add_root(app: FastAPI, cfg: TaskAppConfig) -> None:
    """`GET /` and `HEAD /`: unauthenticated liveness and identity (synth-ai's shape)."""

    @app.api_route(ROOT_PATH, methods=["GET", "HEAD"])
    async def root() -> dict[str, Any]:
        return RootResponse(status="ok", service=cfg.app_id).model_dump()


def add_api_key_health(app: FastAPI, guard: Guard) -> None:
    """`GET /health` of the API-key generations: behind the key, and revealing none of it."""

    @app.get(HEALTH_PATH)
    async def health(request: Request) -> dict[str, Any]:
        guard(request, HEALTH_PATH)
        # A constant, not a key prefix: /health must never reveal key material (D23).
        auth = HealthAuth(required=True, expected_prefix="***")
        return HealthResponse(healthy=True, auth=auth).model_dump()


def add_task_routes(
    app: FastAPI, cfg: TaskAppConfig, guard: Guard, *, rubrics: RubricShape = "sections"
) -> None:
    """`GET /info` and `GET /task_info`, each behind `guard` with the `task_info` scope;
    `rubrics` says how `/info` shows the task's rubric (see `RubricShape`).
    """

    @app.get(INFO_PATH)
    async def info(request: Request) -> dict[str, Any]:
        guard(request, SCOPE_TASK_INFO)
        base = cfg.base_task_info
        sections = {"outcome": base.rubric.outcome, "events": base.rubric.events}
        shown: dict[str, Any] | None = None
        if rubrics == "sections":
            shown = dict(sections)
        elif rubrics == "typed":
            shown = {name: _typed(section, base) for name, section in sections.items()}
        body = InfoResponse(
            service=InfoService(task=base.task, version=base.task.version),
            dataset=base.dataset,
            rubrics=shown,
            inference=base.inference,
            limits=base.limits,
        )
        return body.model_dump(mode="json")

    @app.get(TASK_INFO_PATH)
    async def task_info(
        request: Request,
        seed: list[str] = Query(default=[]),  # noqa: B008 (FastAPI idiom)
        seeds: list[str] = Query(default=[]),  # noqa: B008 (FastAPI idiom)
    ) -> Any:
        guard(request, SCOPE_TASK_INFO)
        parsed = parse_seeds([*seed, *seeds], cfg)
        if not parsed:
            return {"taskset": cfg.describe_taskset()}
        instances = [i.model_dump(mode="json") for i in cfg.provide_task_instances(parsed)]
        return instances[0] if len(parsed) == 1 else instances


def _typed(section: RubricSection | None, base: TaskInfo) -> dict[str, Any] | None:
    """A rubric section as synth-ai 0.5+'s `Rubric`, versioned with the task."""
    if section is None:
        return None
    return {
        "version": base.task.version or "1",
        "goal_text": section.name,
        "criteria": [
            {
                "id": c.id,
                "description": c.description,
                "weight": c.weight if c.weight is not None else 1.0,
                "required": False,
            }
            for c in section.criteria
        ],
        "aggregation": "weighted_sum",
    }


def parse_seeds(values: list[str], cfg: TaskAppConfig) -> list[int]:
    """The seeds of a query, at most `cfg.max_seeds_per_request` of them (422 otherwise)."""
    if len(values) > cfg.max_seeds_per_request:
        raise TaskAppError(
            422,
            "too_many_seeds",
            f"at most {cfg.max_seeds_per_request} seeds per request, "
            f"got {len(values)}; ask in batches",
        )
    return [parse_seed(value, cfg.max_seed) for value in values]


def parse_seed(value: str, max_seed: int) -> int:
    """A seed is a plain non-negative decimal integer; `1.0`, `true`, `-1`, `1,2` are refused."""
    if not _SEED_PATTERN.fullmatch(value) or int(value) > max_seed:
        raise TaskAppError(
            422, "invalid_seed", f"seed must be an integer from 0 to {max_seed}, got {value[:40]!r}"
        )
    return int(value)


async def read_json_body(request: Request, limit: int) -> bytes:
    """The raw body of a JSON request, at most `limit` bytes (415 and 413 otherwise)."""
    content_type = request.headers.get("content-type", "")
    if not _JSON_CONTENT_TYPE.match(content_type):
        raise TaskAppError(415, "unsupported_media_type", "send the body as application/json")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TaskAppError(413, "payload_too_large", f"the body exceeds {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > limit:
            raise TaskAppError(413, "payload_too_large", f"the body exceeds {limit} bytes")
    return bytes(body)


def validation_error(exc: ValidationError) -> TaskAppError:
    """A pydantic error as the envelope: 400 for bad JSON, else 422 naming the first field."""
    errors = exc.errors(include_url=False, include_input=False)
    if any(e["type"] == "json_invalid" for e in errors):
        return TaskAppError(400, "invalid_json", "the body is not valid JSON")
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return TaskAppError(
        422, "invalid_request", f"{where}: {first['msg']} ({len(errors)} error(s) in total)"
    )


def fastapi_validation_body(exc: ValidationError) -> dict[str, Any]:
    """FastAPI's own 422 body for a request body that fails its model (`{"detail": [...]}`),
    as synth-ai's and synth-containers' apps answer it, without echoing the input.
    """
    errors = exc.errors(include_url=False, include_input=False, include_context=False)
    return {
        "detail": [{"type": e["type"], "loc": ["body", *e["loc"]], "msg": e["msg"]} for e in errors]
    }


def install_error_handling(app: FastAPI) -> None:
    """`TaskAppError` and HTTP errors as the envelope; an unexpected exception as a 500
    envelope, logged, never a traceback in the body.
    """

    @app.exception_handler(TaskAppError)
    async def on_task_app_error(_: Request, exc: TaskAppError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        body = error_envelope(exc.code, exc.message)
        body["detail"]["error"].update(exc.extra)
        return JSONResponse(body, exc.status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_envelope(code, str(exc.detail)), exc.status_code)

    app.add_middleware(_InternalErrorEnvelope)


class _InternalErrorEnvelope:
    """Turn an unexpected exception into a 500 with the envelope, never a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: MutableMapping[str, Any]) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            # The message may quote request data: escaped; the frames are our own code.
            logger.error(
                "unhandled error on %s: %s: %s\n%s",
                shown(scope.get("path", "")),
                type(exc).__name__,
                shown(exc),
                "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
            )
            if started:
                raise
            response = JSONResponse(error_envelope("internal_error", "internal error"), 500)
            await response(scope, receive, send)
