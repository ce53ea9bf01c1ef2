"""CheckContext requests: connection retries only for idempotent methods, redacted errors."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
import respx

from conformance.context import CheckContext, Settings
from conformance.loop import LoopThread
from conformance.outcomes import HarnessError
from conformance.profile import TargetProfile
from conformance.redaction import Redactor
from conformance.target import url_target

BASE = "http://app.test"


@pytest.fixture
def ctx() -> Iterator[CheckContext]:
    """A context for a URL target whose transport respx intercepts."""
    target = url_target(BASE, "k-0123456789")
    loop = LoopThread()
    client = target.client()
    yield CheckContext(
        target,
        loop,
        client,
        profile=TargetProfile(),
        recorder=None,
        inference_url=None,
        settings=Settings(request_timeout_s=5),
        redactor=Redactor([target.api_key]),
    )
    loop.run(client.aclose())
    loop.close()


def test_a_get_is_retried_after_a_refused_connection(ctx: CheckContext) -> None:
    """GET survives two refused connections; every attempt is counted as a request."""
    with respx.mock:
        route = respx.get(f"{BASE}/health").mock(
            side_effect=[
                httpx.ConnectError("refused"),
                httpx.ConnectError("refused"),
                httpx.Response(200, json={"healthy": True}),
            ]
        )
        assert ctx.get("/health").status_code == 200
    assert route.call_count == 3
    assert ctx.requests_sent == 3


def test_a_get_gives_up_after_its_retries(ctx: CheckContext) -> None:
    """Three refused connections in a row end in one HarnessError naming the cause."""
    with respx.mock:
        route = respx.get(f"{BASE}/health").mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(HarnessError, match="cannot connect to the target: refused"):
            ctx.get("/health")
    assert route.call_count == 3


def test_a_post_is_never_retried(ctx: CheckContext) -> None:
    """POST /rollout is not idempotent: one refused connection is one HarnessError."""
    with respx.mock:
        route = respx.post(f"{BASE}/rollout").mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(HarnessError):
            ctx.post("/rollout", json_body={})
    assert route.call_count == 1


def test_a_read_timeout_is_not_retried(ctx: CheckContext) -> None:
    """A timeout is the app's slowness, not a connection fault: no retry, a clear message."""
    with respx.mock:
        route = respx.get(f"{BASE}/info").mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(HarnessError, match="GET /info timed out after 5s"):
            ctx.get("/info")
    assert route.call_count == 1


def test_a_post_is_sent_again_once_when_the_kept_connection_was_closed(
    ctx: CheckContext,
) -> None:
    """A POST whose kept-alive connection the server had closed (no answer at all) is sent
    once more on a fresh connection; a second such failure is an ERROR naming it.
    """
    with respx.mock:
        route = respx.post(f"{BASE}/rollout").mock(
            side_effect=[httpx.ReadError("connection reset"), httpx.Response(200, json={})]
        )
        assert ctx.post("/rollout", json_body={}).status_code == 200
        assert route.call_count == 2
        respx.post(f"{BASE}/again").mock(
            side_effect=httpx.RemoteProtocolError("Server disconnected without a response")
        )
        with pytest.raises(HarnessError, match="POST /again failed: RemoteProtocolError"):
            ctx.post("/again", json_body={})


def test_a_real_app_that_crashes_does_not_break_the_next_post() -> None:
    """After a 500 (uvicorn then closes the connection), the next POST still gets its answer."""
    from fastapi import FastAPI

    from conformance.serving import ServerThread

    app = FastAPI()

    @app.post("/boom")
    async def boom() -> None:
        raise RuntimeError("crash")

    @app.post("/ok")
    async def ok() -> dict[str, bool]:
        return {"ok": True}

    with ServerThread(app) as server:
        target = url_target(server.url, "k-0123456789")
        loop = LoopThread()
        client = target.client()
        ctx = CheckContext(
            target,
            loop,
            client,
            profile=TargetProfile(),
            recorder=None,
            inference_url=None,
            settings=Settings(request_timeout_s=5),
            redactor=Redactor([target.api_key]),
        )
        try:
            statuses = [ctx.post(path, json_body={}).status_code for path in ("/boom", "/ok") * 3]
        finally:
            loop.run(client.aclose())
            loop.close()
    assert statuses == [500, 200] * 3
