"""A hostile or broken target cannot exhaust the harness: every read is bounded.

The target here is the reference app served on loopback with `/info` replaced by
something hostile; `/info` is read by the preflight and by EP-4, so what matters is how
EP-4 ends and that the run finishes with a verdict, never a crash.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import Callable
from typing import Any

import pytest

from conformance.context import Settings
from conformance.outcomes import Outcome
from conformance.registry import catalogue
from conformance.runner import RunOptions, run_checks
from conformance.serving import ServerThread
from conformance.target import url_target
from tests.faults import KEY
from tests.faults.apps import reference

CAP = 64 * 1024


def _replacing_info(send_body: Callable[[Any], Any]) -> Any:
    """The reference app, except that GET /info is answered by `send_body(send)`."""
    app = reference()

    async def hostile(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/info":
            await send_body(send)
            return
        await app(scope, receive, send)

    return hostile


def _body(data: bytes, *headers: tuple[bytes, bytes]) -> Callable[[Any], Any]:
    async def send_body(send: Any) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json"), *headers],
            }
        )
        await send({"type": "http.response.body", "body": data})

    return send_body


async def _endless(send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    chunk = b" " * 65536
    while True:  # the harness stops reading at the cap; the server stops when the client goes
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await asyncio.sleep(0)


def _ep4(send_body: Callable[[Any], Any]) -> Any:
    checks = [c for c in catalogue() if c.id in ("EP-1", "EP-4")]
    options = RunOptions(settings=Settings(max_response_bytes=CAP))
    with ServerThread(_replacing_info(send_body)) as server:
        report = run_checks(url_target(server.url, KEY), checks, options)
    return next(r for r in report.results if r.check.id == "EP-4")


@pytest.mark.parametrize(
    "send_body",
    [
        _body(b'{"service": "' + b"x" * (4 * CAP) + b'"}'),
        _body(gzip.compress(b" " * (200 * CAP)), (b"content-encoding", b"gzip")),
        _endless,
    ],
    ids=["large-body", "gzip-bomb", "endless-body"],
)
def test_an_oversized_answer_fails_the_check_that_asked(send_body: Callable[[Any], Any]) -> None:
    """A body over the cap, counted decoded, fails EP-4 saying so; it is never read whole."""
    result = _ep4(send_body)
    assert result.outcome is Outcome.FAIL
    assert result.detail is not None
    assert result.detail.summary == "GET /info answered with an oversized body"
    assert result.detail.expected == f"a response body of at most {CAP:,} bytes once decoded"
    assert "--max-response-bytes" in result.detail.fix


def test_json_nested_too_deeply_is_not_json_not_a_crash() -> None:
    """/info nested 3,000 levels deep fails EP-4 as a body that is not an object."""
    result = _ep4(_body(b"[" * 3000 + b"]" * 3000))
    assert result.outcome is Outcome.FAIL


def test_the_fuzzer_reads_no_more_than_the_cap_either() -> None:
    """Schemathesis's reads are bounded too: an oversized /info fails FUZZ-1 as
    `response_within_limit`, read only up to the cap.
    """
    checks = [c for c in catalogue() if c.id == "FUZZ-1"]
    settings = Settings(max_response_bytes=CAP, fuzz=True, fuzz_examples=2)
    send_body = _body(gzip.compress(b" " * (200 * CAP)), (b"content-encoding", b"gzip"))
    with ServerThread(_replacing_info(send_body)) as server:
        report = run_checks(url_target(server.url, KEY), checks, RunOptions(settings=settings))
    (result,) = report.results
    assert result.outcome is Outcome.FAIL, result.reason
    assert result.detail is not None
    assert "response_within_limit on GET /info" in result.detail.got
    assert f"a body of more than {CAP:,} bytes" in result.detail.got
