"""The reference app against hostile peers: a model answering too much or too slowly, too
many seeds, request values that try to forge log lines."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import json
import logging
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from conformance.serving import ServerThread
from conformance.testing import TaskAppClient
from reference_app import build_config, create_app
from reference_app.config import MAX_SEEDS_PER_REQUEST
from reference_app.logsafe import shown
from reference_app.rollout import ArithmeticRollout
from tests.conftest import TEST_KEY, rollout_body
from tests.helpers import sync_client

CID = "trace_limits-1"
CAP = 64 * 1024
_ANSWER = {"choices": [{"message": {"role": "assistant", "content": "42"}}]}


def _app_with_model(
    handler: Callable[[httpx.Request], httpx.Response], **rollout: Any
) -> TaskAppClient:
    """The reference app whose calls to the model go to `handler`, with a 64 KiB cap."""
    config = build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY})
    executor = ArithmeticRollout(
        transport=httpx.MockTransport(handler), max_inference_response_bytes=CAP, **rollout
    )
    return sync_client(create_app(dataclasses.replace(config, rollout=executor)))


def _rollout_error(client: TaskAppClient) -> tuple[int, str, str]:
    with client:
        response = client.post(
            "/rollout", headers={"X-API-Key": TEST_KEY}, json=rollout_body("http://model", CID)
        )
    error = response.json()["detail"]["error"]
    return response.status_code, error["code"], error["message"]


async def _endless() -> AsyncIterator[bytes]:
    while True:
        yield b" " * 65536
        await asyncio.sleep(0)


async def _chunks(body: bytes) -> AsyncIterator[bytes]:
    """`body` streamed in 16 KiB chunks, as the network delivers it (not read in advance)."""
    for start in range(0, len(body), 16384):
        yield body[start : start + 16384]


def _streamed(body: bytes, **headers: str) -> httpx.Response:
    return httpx.Response(200, content=_chunks(body), headers=headers)


@pytest.mark.parametrize(
    "answer",
    [
        lambda: _streamed(b" " * (CAP + 1) + json.dumps(_ANSWER).encode()),
        lambda: httpx.Response(200, content=_endless()),
        lambda: _streamed(gzip.compress(b" " * (50 * CAP)), **{"Content-Encoding": "gzip"}),
        lambda: _streamed(zlib.compress(b" " * (50 * CAP)), **{"Content-Encoding": "deflate"}),
        lambda: httpx.Response(200, content=b" " * (CAP + 1)),
    ],
    ids=["plain-over-cap", "endless", "gzip-bomb", "deflate-bomb", "already-read-by-transport"],
)
def test_oversized_model_answer_ends_the_rollout_with_502(
    answer: Callable[[], httpx.Response],
) -> None:
    """A model answer over the cap once decoded is a 502 `inference_response_too_large`."""
    client = _app_with_model(lambda _: answer())
    assert _rollout_error(client) == (
        502,
        "inference_response_too_large",
        f"the inference response exceeds {CAP} bytes once decoded (max_inference_response_bytes)",
    )


@pytest.mark.parametrize(
    ("encoding", "body"),
    [
        ("gzip", gzip.compress(json.dumps(_ANSWER).encode())),
        ("deflate", zlib.compress(json.dumps(_ANSWER).encode())),
        ("deflate", zlib.compress(json.dumps(_ANSWER).encode())[2:-4]),  # raw, no zlib header
        ("", b" " * (CAP - 200) + json.dumps(_ANSWER).encode()),
    ],
    ids=["gzip", "deflate", "raw-deflate", "plain-just-under-cap"],
)
def test_answers_within_the_cap_are_read(encoding: str, body: bytes) -> None:
    """A compressed or large-but-legal answer is decoded and the episode goes on (no 502)."""
    seen: list[str] = []

    def model(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["accept-encoding"])
        return _streamed(body, **{"Content-Encoding": encoding})

    with _app_with_model(model) as client:
        response = client.post(
            "/rollout", headers={"X-API-Key": TEST_KEY}, json=rollout_body("http://model", CID)
        )
    assert response.status_code == 200, response.text
    assert set(seen) == {"gzip, deflate"}


@pytest.mark.parametrize(
    ("headers", "content", "message"),
    [
        (
            {"Content-Encoding": "br"},
            b"\x1b",
            "the inference response has an unsupported Content-Encoding 'br'",
        ),
        ({"Content-Encoding": "gzip"}, b"not gzip", "the inference response could not be decoded"),
        ({}, b"[" * 50_000, "the inference response has no choices[0].message"),
    ],
    ids=["brotli", "broken-gzip", "nested-50k-deep"],
)
def test_undecodable_model_answer_is_502_bad_response(
    headers: dict[str, str], content: bytes, message: str
) -> None:
    """An encoding we cannot bound, a broken gzip or JSON too deep to parse: 502, not 500."""
    client = _app_with_model(lambda _: _streamed(content, **headers))
    assert _rollout_error(client) == (502, "inference_bad_response", message)


def test_dribbling_model_hits_the_total_call_timeout() -> None:
    """A model sending a byte at a time, each well within the read timeout, is cut off (504)."""

    async def dribble(_: Request) -> StreamingResponse:
        async def body() -> AsyncIterator[bytes]:
            while True:
                yield b" "
                await asyncio.sleep(0.05)

        return StreamingResponse(body(), media_type="application/json")

    slow = Starlette(routes=[Route("/{path:path}", dribble, methods=["POST"])])
    config = build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY}, inference_timeout_s=1.0)
    with ServerThread(slow) as model, sync_client(create_app(config)) as client:
        response = client.post(
            "/rollout", headers={"X-API-Key": TEST_KEY}, json=rollout_body(model.url, CID)
        )
    assert response.status_code == 504
    assert response.json()["detail"]["error"] == {
        "code": "inference_timeout",
        "message": "the inference URL did not answer in full within 1 s",
    }


@pytest.fixture
def app_client() -> Iterator[TaskAppClient]:
    """The reference app with `TEST_KEY`."""
    with sync_client(create_app(build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY}))) as c:
        yield c


def test_task_info_answers_up_to_the_seed_cap(app_client: TaskAppClient) -> None:
    """Exactly MAX_SEEDS_PER_REQUEST seeds (split over seed and seeds) give that many instances."""
    half = MAX_SEEDS_PER_REQUEST // 2
    params = [("seed", str(i)) for i in range(half)]
    params += [("seeds", str(i)) for i in range(MAX_SEEDS_PER_REQUEST - half)]
    response = app_client.get("/task_info", params=params, headers={"X-API-Key": TEST_KEY})
    assert response.status_code == 200
    assert len(response.json()) == MAX_SEEDS_PER_REQUEST == 100


@pytest.mark.parametrize("count", [MAX_SEEDS_PER_REQUEST + 1, 6000])
def test_task_info_over_the_seed_cap_is_422(app_client: TaskAppClient, count: int) -> None:
    """More seeds than the cap get 422 `too_many_seeds` in the error envelope, not megabytes."""
    params = [("seeds" if i % 2 else "seed", str(i)) for i in range(count)]
    response = app_client.get("/task_info", params=params, headers={"X-API-Key": TEST_KEY})
    assert response.status_code == 422
    assert response.json() == {
        "detail": {
            "error": {
                "code": "too_many_seeds",
                "message": f"at most 100 seeds per request, got {count}; ask in batches",
            }
        }
    }


FORGED = "run-1\n2025-01-01 INFO     forged line\r\x1b[2J\x1b[31mred\u2028\x00" + "x" * 500


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("run-1", "'run-1'"),
        ("a\nb\r\x1b[31mc\x00\x7f\x85\u2028\u202e", r"'a\nb\r\x1b[31mc\x00\x7f\x85\u2028\u202e'"),
        ("é中", "'é中'"),
        ("y" * 201, "'" + "y" * 200 + "'...(+1 chars)"),
        (ValueError("bad\nthing"), r"'bad\nthing'"),
    ],
    ids=["plain", "controls-and-ansi", "printable-unicode", "over-limit", "exception"],
)
def test_shown_escapes_and_cuts(value: object, expected: str) -> None:
    """Newlines, control and format characters, ANSI escapes are escaped; 200 chars at most."""
    assert shown(value) == expected


def test_forged_run_id_stays_one_escaped_log_line(
    app_client: TaskAppClient, caplog: pytest.LogCaptureFixture, mock_inference: Any
) -> None:
    """A run id holding newlines and escape codes is logged escaped, cut, on one line."""
    body = rollout_body(mock_inference.url, CID, run_id=FORGED)
    with caplog.at_level(logging.INFO, logger="reference_app"):
        response = app_client.post("/rollout", headers={"X-API-Key": TEST_KEY}, json=body)
    assert response.status_code == 200
    [line] = [r.getMessage() for r in caplog.records if r.name == "reference_app"]
    assert line == f"rollout {shown(FORGED)} finished with 2 step(s)"
    assert not any(c in line for c in "\n\r\x1b\x00\u2028")
    assert len(line) < 300


def test_unhandled_error_logs_request_text_escaped(caplog: pytest.LogCaptureFixture) -> None:
    """An unexpected exception quoting request data is logged with that data escaped."""

    async def explode(request: Any) -> Any:
        raise RuntimeError(f"no such run {request.run_id}")

    config = dataclasses.replace(
        build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY}), rollout=explode
    )
    body = rollout_body("http://model", CID, run_id=FORGED)
    with sync_client(create_app(config)) as client:
        response = client.post("/rollout", headers={"X-API-Key": TEST_KEY}, json=body)
    assert response.status_code == 500
    [record] = [r for r in caplog.records if r.levelname == "ERROR"]
    first, *frames = record.getMessage().split("\n")
    assert first == f"unhandled error on '/rollout': RuntimeError: {shown('no such run ' + FORGED)}"
    assert frames
    assert all(f.startswith("  ") for f in frames)  # our own traceback frames
    assert record.exc_info is None  # no unescaped exception text appended by logging
