"""The recording mock inference server: OpenAI-compatible `POST .../chat/completions`.

One app serves both sides. The model side (any POST path ending in `/chat/completions`)
needs no credentials and records every call. The recordings API (`GET` and `DELETE`
`/_recorder/calls`, `?prefix=` for one rollout's route) is open on the harness's own
loopback mock and needs `Authorization: Bearer <token>` on the relay. Every error is a
JSON `{"error": {"message", "type", "code"}}`, as OpenAI's API answers.

A rollout's route can script the model for that rollout alone (`script.py`): a latency on
every answer, a replay of another route's answers, or a misbehaving model. Every answer
the scripted policy gives is kept with its call, so a later route can replay it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import gzip
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
from conformance.inference.recorder import (
    InferenceRecorder,
    RecordedCall,
    call_from_url,
    stored_headers,
)
from conformance.inference.script import (
    MALFORMED_BODY,
    RETRY_AFTER_S,
    ModelFault,
    Script,
    ScriptError,
    large_message,
    openai_error,
    tool_call_fault,
)
from conformance.inference.script import parse as parse_script
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


_DISCONNECT_POLL_S = 0.05


async def _wait(request: Request, seconds: float) -> None:
    """Sleep `seconds`, or less once the caller has hung up: a call the app gave up on holds
    no server task (nor the server's shutdown) for the rest of its latency.
    """
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if await request.is_disconnected():
            return
        await asyncio.sleep(min(left, _DISCONNECT_POLL_S))


def _replayed(
    source: list[RecordedCall], earlier: list[RecordedCall], body: dict[str, Any]
) -> dict[str, Any] | None:
    """The answer a replay gives: the one the source route got for the same request (the
    k-th such request gets the k-th such answer), else the source's answer at this call's
    position, so calls that overlap or arrive in another order get the same answers.
    """
    given = [c for c in source if c.answer]
    same = [c.answer for c in given if c.body == body]
    repeats = sum(1 for c in earlier if c.body == body)
    if repeats < len(same):
        return same[repeats]  # type: ignore[no-any-return]
    return given[len(earlier)].answer if len(earlier) < len(given) else None


def _script(path: str) -> Script:
    """The script of `path`'s route; a 404 naming the valid ones for an unknown one."""
    try:
        return parse_script(path, COMPLETIONS_SUFFIX)
    except ScriptError as exc:
        raise ApiError(
            404,
            f"POST {path} asks for a script this server does not serve: {exc} (routes: "
            "/r/<id>/[latency/<ms>/|replay/<id>/|fault/<kind>/]v1/chat/completions)",
            "unknown_script",
        ) from None


def _completion(message: dict[str, Any], body: dict[str, Any], number: int) -> dict[str, Any]:
    """An OpenAI chat completion carrying `message` as its one choice."""
    return {
        "id": f"chatcmpl-{number}",
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


def _fault_response(
    kind: ModelFault, body: dict[str, Any], accept_encoding: str, number: int
) -> Response:
    """How a misbehaving model answers, as `kind` names it."""
    if kind is ModelFault.HTTP_500:
        error = openai_error("the model failed (scripted fault)", "server_error", "server_error")
        return Response(error, 500, media_type="application/json")
    if kind is ModelFault.RATE_LIMITED:
        error = openai_error(
            "rate limit reached (scripted fault)", "requests", "rate_limit_exceeded"
        )
        headers = {"Retry-After": str(RETRY_AFTER_S)}
        return Response(error, 429, headers=headers, media_type="application/json")
    if kind is ModelFault.MALFORMED_JSON:
        return Response(MALFORMED_BODY, 200, media_type="application/json")
    if kind is ModelFault.EMPTY_CHOICES:
        return JSONResponse({**_completion({}, body, number), "choices": []})
    if kind is ModelFault.LARGE_CONTENT:
        if "gzip" in accept_encoding.lower():
            headers = {"Content-Encoding": "gzip", "Vary": "Accept-Encoding"}
            return Response(_large_gzip(), 200, headers=headers, media_type="application/json")
        return JSONResponse(_completion(large_message(), body, 0))
    turn = sum(
        1
        for m in body.get("messages") or []
        if isinstance(m, dict) and m.get("role") == "assistant"
    )
    return JSONResponse(_completion(tool_call_fault(kind, body, turn), body, number))


@functools.cache
def _large_gzip() -> bytes:
    """The large-content completion, gzipped once (8 KiB on the wire, 8 MiB inflated)."""
    document = _completion(large_message(), {"model": "mock"}, 0) | {"created": 0}
    return gzip.compress(json.dumps(document).encode(), compresslevel=6, mtime=0)


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
    `/r/<id>/latency/<ms>/...`, `/r/<id>/replay/<id2>/...` and `/r/<id>/fault/<kind>/...`
    script one rollout's model (`conformance.inference.script`).
    `max_body_bytes` answers larger requests with 413 and records nothing of them.
    """
    rec = recorder if recorder is not None else InferenceRecorder()
    ids = itertools.count(1)

    async def completions(request: Request) -> Response:
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
        try:
            if not path.endswith(COMPLETIONS_SUFFIX):
                raise ApiError(
                    404,
                    f"POST {path} is not served: the model side answers POST "
                    f"<any path ending in {COMPLETIONS_SUFFIX}>",
                    "not_found",
                )
            if problem is not None:
                raise problem
            script = _script(path)
        except ApiError:
            rec.record(call)
            raise
        # No await between reading the route's earlier calls and recording this one: a
        # replay's n-th call gets the n-th answer even when calls overlap.
        response, answer = _answer(script, body, call, request.headers.get("accept-encoding", ""))
        rec.record(dataclasses.replace(call, answer=answer))
        if script.latency_s:
            await _wait(request, script.latency_s)
        return response

    def _answer(
        script: Script, body: dict[str, Any], call: RecordedCall, accept_encoding: str
    ) -> tuple[Response, dict[str, Any] | None]:
        """The response to `call` as its route's script asks, and the message to keep."""
        if script.fault is not None:
            return _fault_response(script.fault, body, accept_encoding, next(ids)), None
        message = None
        if script.replay_of is not None and script.route is not None:
            message = _replayed(
                rec.calls(prefix=f"{script.replay_of}/"), rec.calls(prefix=f"{script.route}/"), body
            )
        if message is None:  # a replay past the recorded answers plays on
            message = next_message(body, call.cid, accuracy)
        return JSONResponse(_completion(message, body, next(ids))), message

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
                "scripts": "/r/<id>/[latency/<ms>/|replay/<id>/|fault/<kind>/]v1/chat/completions",
                "faults": [kind.value for kind in ModelFault],
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
