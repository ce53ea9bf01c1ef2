"""`create_app(config)`: the FastAPI task app, following spec Appendix A for every endpoint."""

from __future__ import annotations

import logging
import re
import traceback
from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from conformance.contract import (
    HEALTH_PATH,
    INFO_PATH,
    ROLLOUT_PATH,
    ROOT_PATH,
    TASK_INFO_PATH,
    HealthAuth,
    HealthResponse,
    InfoResponse,
    InfoService,
    RolloutRequest,
    RootResponse,
    error_envelope,
)
from conformance.contract.constants import ERROR_MISSING_KEY_CONFIG, ERROR_UNAUTHORISED
from reference_app.auth import Authenticator, AuthVerdict
from reference_app.config import TaskAppConfig, build_config
from reference_app.errors import TaskAppError
from reference_app.logsafe import shown

logger = logging.getLogger("reference_app")

_SEED_PATTERN = re.compile(r"[0-9]{1,12}")
_JSON_CONTENT_TYPE = re.compile(r"application/(?:[\w.+-]+\+)?json", re.IGNORECASE)


def create_app(config: TaskAppConfig | None = None) -> FastAPI:
    """Build the task app for `config` (default: the arithmetic reference task)."""
    cfg = config if config is not None else build_config()
    authenticator = Authenticator(cfg.environ)
    # No /docs, /redoc or /openapi.json: unauthenticated API surface is a leak (D23).
    app = FastAPI(
        title=cfg.name, description=cfg.description, docs_url=None, redoc_url=None, openapi_url=None
    )
    app.state.config = cfg  # what the app was built from, to build a variant of it

    def require_key(request: Request) -> None:
        verdict = authenticator.verdict(request.headers)
        if verdict is AuthVerdict.NOT_CONFIGURED:
            raise TaskAppError(
                503, ERROR_MISSING_KEY_CONFIG, "ENVIRONMENT_API_KEY is not configured"
            )
        if verdict is AuthVerdict.REJECTED:
            raise TaskAppError(401, ERROR_UNAUTHORISED, "API key missing or invalid")

    @app.api_route(ROOT_PATH, methods=["GET", "HEAD"])
    async def root() -> dict[str, Any]:
        return RootResponse(status="ok", service=cfg.app_id).model_dump()

    @app.get(HEALTH_PATH)
    async def health(request: Request) -> dict[str, Any]:
        require_key(request)
        # A constant, not a key prefix: /health must never reveal key material (D23).
        auth = HealthAuth(required=True, expected_prefix="***")
        return HealthResponse(healthy=True, auth=auth).model_dump()

    @app.get(INFO_PATH)
    async def info(request: Request) -> dict[str, Any]:
        require_key(request)
        base = cfg.base_task_info
        body = InfoResponse(
            service=InfoService(task=base.task, version=base.task.version),
            dataset=base.dataset,
            rubrics={"outcome": base.rubric.outcome, "events": base.rubric.events},
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
        require_key(request)
        if len(seed) + len(seeds) > cfg.max_seeds_per_request:
            raise TaskAppError(
                422,
                "too_many_seeds",
                f"at most {cfg.max_seeds_per_request} seeds per request, "
                f"got {len(seed) + len(seeds)}; ask in batches",
            )
        parsed = [_parse_seed(value, cfg.max_seed) for value in [*seed, *seeds]]
        if not parsed:
            return {"taskset": cfg.describe_taskset()}
        instances = [i.model_dump(mode="json") for i in cfg.provide_task_instances(parsed)]
        return instances[0] if len(parsed) == 1 else instances

    @app.post(ROLLOUT_PATH)
    async def rollout(rollout_request: Request) -> dict[str, Any]:
        require_key(rollout_request)
        body = await _read_json_body(rollout_request, cfg.max_body_bytes)
        try:
            parsed = RolloutRequest.model_validate_json(body, strict=True)
        except ValidationError as exc:
            raise _validation_error(exc) from None
        response = await cfg.rollout(parsed)
        logger.info(
            "rollout %s finished with %d step(s)", shown(parsed.run_id), response.metrics.num_steps
        )
        return response.model_dump(mode="json")

    @app.exception_handler(TaskAppError)
    async def on_task_app_error(_: Request, exc: TaskAppError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(error_envelope(exc.code, exc.message), exc.status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def on_http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return JSONResponse(error_envelope(code, str(exc.detail)), exc.status_code)

    app.add_middleware(_InternalErrorEnvelope)
    return app


def _parse_seed(value: str, max_seed: int) -> int:
    """A seed is a plain non-negative decimal integer; `1.0`, `true`, `-1`, `1,2` are refused."""
    if not _SEED_PATTERN.fullmatch(value) or int(value) > max_seed:
        raise TaskAppError(
            422, "invalid_seed", f"seed must be an integer from 0 to {max_seed}, got {value[:40]!r}"
        )
    return int(value)


async def _read_json_body(request: Request, limit: int) -> bytes:
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


def _validation_error(exc: ValidationError) -> TaskAppError:
    errors = exc.errors(include_url=False, include_input=False)
    if any(e["type"] == "json_invalid" for e in errors):
        return TaskAppError(400, "invalid_json", "the body is not valid JSON")
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"]) or "body"
    return TaskAppError(
        422, "invalid_request", f"{where}: {first['msg']} ({len(errors)} error(s) in total)"
    )


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
