"""The recording mock inference server: OpenAI-compatible `POST .../chat/completions`.

One app serves both sides. The model side (any POST path ending in `/chat/completions`)
needs no credentials and records every call. The recordings API (`GET` and `DELETE`
`/_recorder/calls`, `?prefix=` for one rollout's route) is open on the harness's own
loopback mock and needs `Authorization: Bearer <token>` on the relay. Every error is a
JSON `{"error": {"message", "type", "code"}}`, as OpenAI's API answers.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from conformance.inference.policy import next_message
from conformance.inference.recorder import InferenceRecorder, call_from_url, stored_headers
from conformance.serving import ServerThread

CALLS_PATH = "/_recorder/calls"
COMPLETIONS_SUFFIX = "/chat/completions"
MAX_PREFIX_CHARS = 512
_HTTP_ERRORS = {404: "not_found", 405: "method_not_allowed"}


class ApiError(Exception):
    """A 4xx the app answers with the OpenAI-shaped error envelope."""

    def __init__(
        self, status: int, message: str, code: str, *, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        kind = {401: "authentication_error", 404: "not_found_error"}.get(
            self.status, "invalid_request_error"
        )
        envelope = {"error": {"message": self.message, "type": kind, "code": self.code}}
        return JSONResponse(envelope, self.status, headers=self.headers)


def _same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison that does not even reveal the token's length."""
    digest = [hashlib.sha256(s.encode()).digest() for s in (given, expected)]
    return hmac.compare_digest(*digest)


def _require_token(request: Request, token: str | None) -> None:
    if token is None:
        return
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    given = credentials.strip() if scheme.lower() == "bearer" else ""
    if given and _same_secret(given, token):
        return
    problem = "does not match the relay's token" if given else "is missing"
    raise ApiError(
        401,
        f"the recordings API needs Authorization: Bearer <token>, and the token {problem}; "
        "send the token the relay was started with (--token / TASKAPP_RECORDER_TOKEN)",
        "invalid_token" if given else "missing_token",
        headers={"WWW-Authenticate": 'Bearer realm="recordings"'},
    )


def _prefix(request: Request) -> str | None:
    """The `prefix` query parameter, validated: a path like `/r/0123456789abcdef/`."""
    unknown = sorted(set(request.query_params) - {"prefix"})
    if unknown:
        raise ApiError(
            400, f"unknown query parameter(s) {unknown}; the only one is prefix", "bad_query"
        )
    values = request.query_params.getlist("prefix")
    if not values:
        return None
    prefix = values[0]
    if (
        len(values) > 1
        or not prefix.startswith("/")
        or len(prefix) > MAX_PREFIX_CHARS
        or not prefix.isprintable()
        or any(c in prefix for c in "?#")
    ):
        raise ApiError(
            400,
            "prefix must be given once, as a path starting with '/' (a rollout's route, e.g. "
            f"/r/0123456789abcdef/), printable, without ? or #, at most {MAX_PREFIX_CHARS} "
            "characters",
            "bad_prefix",
        )
    return prefix


async def _read_body(request: Request, limit: int | None) -> bytes:
    """The request body, refused with 413 as soon as it is over `limit` bytes."""
    if limit is None:
        return await request.body()
    too_large = ApiError(
        413,
        f"the request body is over this server's limit of {limit} bytes (--max-body-bytes)",
        "request_too_large",
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _not_json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _parse(raw: bytes) -> tuple[Any, ApiError | None]:
    """The JSON body (None when it is not JSON) and the 400 it deserves, if any."""
    if not raw.strip():
        return None, ApiError(400, "the body is empty: send a JSON object", "empty_body")
    try:
        body = json.loads(raw, parse_constant=_not_json_constant)
    except UnicodeDecodeError:
        return None, ApiError(400, "the body is not UTF-8 encoded JSON", "invalid_json")
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        return None, ApiError(400, f"the body is not JSON: {exc.msg} ({where})", "invalid_json")
    except ValueError as exc:  # NaN or Infinity
        return None, ApiError(400, f"the body is not JSON: {exc}", "invalid_json")
    if not isinstance(body, dict):
        kind = type(body).__name__
        return body, ApiError(400, f"the body must be a JSON object, not {kind}", "not_an_object")
    if not isinstance(body.get("messages"), list):
        return body, ApiError(
            400, "messages is required: a list of chat message objects", "missing_messages"
        )
    return body, None


def create_mock_inference_app(
    recorder: InferenceRecorder | None = None,
    *,
    accuracy: float = 1.0,
    token: str | None = None,
    max_body_bytes: int | None = None,
    service: str = "taskapp-conformance recording mock inference server",
) -> Starlette:
    """An ASGI app answering chat completions with the scripted policy and recording each call.

    Any POST path ending in `/chat/completions` is served (`/v1/chat/completions`,
    `/r/<route>/v1/chat/completions`, ...); `GET /_recorder/calls` lists the recordings
    and `DELETE /_recorder/calls` forgets them, both needing `token` when one is given.
    `max_body_bytes` answers larger requests with 413 and records nothing of them.
    """
    rec = recorder if recorder is not None else InferenceRecorder()
    ids = itertools.count(1)

    async def completions(request: Request) -> JSONResponse:
        path = request.url.path
        if path == CALLS_PATH:
            allow = {"Allow": "GET, DELETE, HEAD"}
            raise ApiError(405, f"POST {path} is not allowed", "method_not_allowed", headers=allow)
        raw = await _read_body(request, max_body_bytes)
        body, problem = _parse(raw)
        call = call_from_url(
            request.method,
            path,
            request.url.query,
            body,
            stored_headers(request.headers.items()),
        )
        rec.record(call)
        if not path.endswith(COMPLETIONS_SUFFIX):
            raise ApiError(
                404,
                f"POST {path} is not served: the model side answers POST "
                f"<any path ending in {COMPLETIONS_SUFFIX}>",
                "not_found",
            )
        if problem is not None:
            raise problem
        message = next_message(body, call.cid, accuracy)
        return JSONResponse(
            {
                "id": f"chatcmpl-{next(ids)}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": str(body.get("model") or "mock"),
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": "tool_calls" if message.get("tool_calls") else "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            }
        )

    async def calls(request: Request) -> JSONResponse:
        _require_token(request, token)
        prefix = _prefix(request)
        if request.method == "DELETE":
            return JSONResponse({"deleted": rec.clear(prefix)})
        return JSONResponse([c.as_dict() for c in rec.calls(prefix)])

    async def root(_: Request) -> JSONResponse:
        return JSONResponse(
            {
                "status": "ok",
                "service": service,
                "chat_completions": f"POST <any path ending in {COMPLETIONS_SUFFIX}>",
                "recordings": f"GET or DELETE {CALLS_PATH}?prefix=/r/<route>/",
                "recordings_auth": "bearer token" if token is not None else "none",
            }
        )

    async def api_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return exc.response()

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = (
            f"{request.method} {request.url.path} is not served: the model side answers "
            f"POST <any path ending in {COMPLETIONS_SUFFIX}>, the recordings API "
            f"GET or DELETE {CALLS_PATH}"
        )
        code = _HTTP_ERRORS.get(exc.status_code, "bad_request")
        return ApiError(exc.status_code, message, code, headers=dict(exc.headers or {})).response()

    app = Starlette(
        routes=[
            Route("/", root, methods=["GET"]),
            Route(CALLS_PATH, calls, methods=["GET", "DELETE"]),
            Route("/{path:path}", completions, methods=["POST"]),
        ],
        exception_handlers={ApiError: api_error, HTTPException: http_error},
    )
    app.state.recorder = rec
    return app


class MockInferenceServer(ServerThread):
    """The mock on real uvicorn on 127.0.0.1; `.recorder` holds what it received."""

    def __init__(self, *, accuracy: float = 1.0, host: str = "127.0.0.1", port: int = 0) -> None:
        self.recorder = InferenceRecorder()
        super().__init__(create_mock_inference_app(self.recorder, accuracy=accuracy), host, port)

    @property
    def completions_url(self) -> str:
        return f"{self.url}/v1/chat/completions"
