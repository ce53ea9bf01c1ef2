"""A synchronous client for ASGI apps (starlette's TestClient is deprecated with httpx)."""

from __future__ import annotations

from typing import Any

from conformance.target import asgi_target
from conformance.testing import TaskAppClient


def sync_client(app: Any) -> TaskAppClient:
    """`client.get("/")` against an in-process ASGI app, sending no key unless asked."""
    return TaskAppClient(asgi_target(app, None, "app under test"))
