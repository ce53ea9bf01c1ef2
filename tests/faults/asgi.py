"""A tiny ASGI wrapper that rewrites requests and responses of the reference app to break it."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass
class Exchange:
    """One request as the app received it and the response it gave, both mutable."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int = 0
    response_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    response_body: bytes = b""
    notes: dict[str, Any] = field(default_factory=dict)
    """What a `before` hook leaves for the `after` hook of the same exchange."""

    def request_json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def set_request_json(self, value: Any) -> None:
        """Replace the request body (the app then reads `value`)."""
        self.body = json.dumps(value).encode()
        self.headers["content-length"] = str(len(self.body))

    def json(self) -> Any:
        try:
            return json.loads(self.response_body)
        except ValueError:
            return None

    def set_json(self, value: Any, status: int | None = None) -> None:
        self.response_body = json.dumps(value).encode()
        self.status = status if status is not None else self.status
        self.response_headers = [
            (k, v) for k, v in self.response_headers if k.lower() != b"content-type"
        ]
        self.response_headers.append((b"content-type", b"application/json"))


RequestHook = Callable[[Exchange], object]
"""Edits the request in place; may be async (a returned coroutine is awaited)."""
ResponseHook = Callable[[Exchange], object]
"""Edits the response in place; may be async (a returned coroutine is awaited)."""


class FaultyApp:
    """Wraps an ASGI app: `before` edits the request, `after` edits the response, `routes` add
    endpoints.
    """

    def __init__(
        self,
        app: Any,
        *,
        before: RequestHook | None = None,
        after: ResponseHook | None = None,
        routes: dict[tuple[str, str], tuple[int, Any]] | None = None,
    ) -> None:
        self.app, self.before, self.after, self.routes = app, before, after, routes or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        ex = Exchange(
            scope["method"],
            scope["path"],
            scope.get("query_string", b"").decode(),
            {k.decode().lower(): v.decode() for k, v in scope["headers"]},
            body,
        )
        if self.before is not None:
            pending = self.before(ex)
            if asyncio.iscoroutine(pending):
                await pending
        if (ex.method, ex.path) in self.routes:
            status, payload = self.routes[(ex.method, ex.path)]
            ex.set_json(payload, status)
        else:
            await self._call_app(scope, ex)
        if self.after is not None:
            result = self.after(ex)
            if asyncio.iscoroutine(result):
                await result
        headers = [(k, v) for k, v in ex.response_headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(len(ex.response_body)).encode()))
        await send({"type": "http.response.start", "status": ex.status, "headers": headers})
        await send({"type": "http.response.body", "body": ex.response_body})

    async def _call_app(self, scope: Scope, ex: Exchange) -> None:
        headers = [(k.encode(), v.encode()) for k, v in ex.headers.items()]
        inner = {**scope, "path": ex.path, "query_string": ex.query.encode(), "headers": headers}
        sent = False

        async def receive() -> Message:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": ex.body, "more_body": False}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.start":
                ex.status = message["status"]
                ex.response_headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                ex.response_body += message.get("body", b"")

        await self.app(inner, receive, send)
