"""conformance.testing: the authors' client and assertion helpers."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from conformance.target import asgi_target
from conformance.testing import ConformanceAssertionError, TaskAppClient, assert_valid_sft_jsonl

VERBS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse(
        {"method": request.method, "key": request.headers.get("x-api-key")},
        headers={"x-extra": request.headers.get("x-extra", "")},
    )


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_reaches_the_app_with_the_key(verb: str) -> None:
    """Each httpx verb of TaskAppClient reaches an in-process app and sends X-API-Key."""
    app = Starlette(routes=[Route("/echo", _echo, methods=list(VERBS))])
    with TaskAppClient(asgi_target(app, "k-123456", "echo")) as client:
        response = getattr(client, verb.lower())("/echo")
    assert response.status_code == 200
    if verb != "HEAD":
        assert response.json() == {"method": verb, "key": "k-123456"}


def test_headers_are_sent_with_every_request() -> None:
    """Headers set on `client.headers` go with every later request, as in httpx."""
    app = Starlette(routes=[Route("/echo", _echo)])
    with TaskAppClient(asgi_target(app, "k-123456", "echo")) as client:
        client.headers["x-extra"] = "on"
        assert client.get("/echo").headers["x-extra"] == "on"
        assert client.headers["x-api-key"] == "k-123456"


def test_invalid_sft_jsonl_fails_with_line_path_and_fix(tmp_path: Path) -> None:
    """assert_valid_sft_jsonl names each bad line, the JSON path, the rule and the fix."""
    path = tmp_path / "bad.jsonl"
    path.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    with pytest.raises(ConformanceAssertionError) as raised:
        assert_valid_sft_jsonl(path)
    lines = str(raised.value).splitlines()
    assert lines[0] == f"{path}:1: messages: missing messages[] with at least 2 turns [SFT-3]"
    assert lines[2] == (
        "  Fix:      Include the prompt and the assistant reply; drop records with a single turn."
    )
    assert lines[-1] == f"{path}: INVALID, 2 errors in 1 record (1 line, 50 B, level strict)"
