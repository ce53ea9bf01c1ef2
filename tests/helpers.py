"""A synchronous client for ASGI apps (starlette's TestClient is deprecated with httpx)."""

from __future__ import annotations

from typing import Any

import httpx

from conformance.loop import LoopThread


class SyncClient:
    """`client.get("/")` against an in-process ASGI app, on a private event loop."""

    def __init__(self, app: Any, base_url: str = "http://testserver") -> None:
        self._loop = LoopThread()
        self._client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run(self._client.request(method, url, **kwargs), timeout=60)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def close(self) -> None:
        self._loop.run(self._client.aclose())
        self._loop.close()

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
