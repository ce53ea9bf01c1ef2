"""The recording relay's HTTP surface: auth, bounds, redaction, prefixes and every 4xx."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from conformance.inference import (
    InferenceRecorder,
    RecordingLimits,
    RelayConfigError,
    RelaySettings,
    create_mock_inference_app,
    create_relay_app,
    relay_app_from_env,
)
from conformance.inference.recorder import RecordedCall
from conformance.inference.relay import deployment_app, is_loopback_host
from conformance.serving import ServerThread
from conformance.testing import TaskAppClient
from reference_app.task import TOOLS, generate_problem
from tests.helpers import sync_client

TOKEN = "3e5f7a9b1c2d4e6f80a1b2c3d4e5f607"
CALLS = "/_recorder/calls"
BEARER = {"Authorization": f"Bearer {TOKEN}"}
CHAT = {"messages": [{"role": "user", "content": "hi"}]}


def _relay(**settings: Any) -> TaskAppClient:
    return sync_client(create_relay_app(token=TOKEN, settings=RelaySettings(**settings)))


def _error(response: httpx.Response) -> dict[str, Any]:
    """The error object of an OpenAI-shaped error envelope (asserting the shape)."""
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"message", "type", "code"}
    return error  # type: ignore[no-any-return]


# --- the recordings API's auth ------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_token"),
        ({"Authorization": "Bearer 0f1e2d3c4b5a69788796a5b4c3d2e1f0"}, "invalid_token"),
        ({"Authorization": f"Bearer {TOKEN}x"}, "invalid_token"),
        ({"Authorization": f"Basic {TOKEN}"}, "missing_token"),
        ({"X-API-Key": TOKEN}, "missing_token"),
    ],
    ids=["no-token", "wrong-token", "token-plus-one", "basic-scheme", "x-api-key"],
)
@pytest.mark.parametrize("method", ["GET", "DELETE"])
def test_recordings_api_refuses_without_the_right_bearer_token(
    method: str, headers: dict[str, str], code: str
) -> None:
    """Without `Authorization: Bearer <token>` the recordings API answers a JSON 401."""
    with _relay() as client:
        client.post("/v1/chat/completions?cid=c1", json=CHAT)
        response = client.request(method, CALLS, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="recordings"'
    error = _error(response)
    assert (error["type"], error["code"]) == ("authentication_error", code)
    assert error["message"].startswith("the recordings API needs Authorization: Bearer <token>")
    assert TOKEN not in response.text


def test_recordings_api_answers_the_right_token() -> None:
    """With the token (any case of `Bearer`) the calls are listed, and DELETE forgets them."""
    with _relay() as client:
        client.post("/v1/chat/completions?cid=c1", json=CHAT)
        listed = client.get(CALLS, headers={"Authorization": f"bearer {TOKEN}"})
        deleted = client.delete(CALLS, headers=BEARER)
        after = client.get(CALLS, headers=BEARER)
    assert listed.status_code == 200
    assert [c["cid"] for c in listed.json()] == ["c1"]
    assert deleted.json() == {"deleted": 1}
    assert after.json() == []


def test_model_side_needs_no_token() -> None:
    """A task app calls the relay's completions without any credentials."""
    with _relay() as client:
        response = client.post("/r/0123456789abcdef/v1/chat/completions?cid=c", json=CHAT)
    assert response.status_code == 200
    assert response.json()["object"] == "chat.completion"


def test_serves_exactly_what_the_embedded_mock_serves() -> None:
    """The relay answers a reference-task conversation with the embedded mock's message."""
    problem = generate_problem("train", 5)
    body = {"model": "m", "tools": TOOLS, "messages": [{"role": "user", "content": problem.prompt}]}
    path = "/r/00000000000000aa/v1/chat/completions?cid=trace_same"
    with _relay() as relay, sync_client(create_mock_inference_app()) as mock:
        answers = [client.post(path, json=body).json() for client in (relay, mock)]
    for answer in answers:
        del answer["created"]
    assert answers[0] == answers[1]
    assert answers[0]["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "calculate"


# --- no token: loopback only ----------------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "relay.example.org", None])
def test_refuses_to_serve_recordings_off_loopback_without_a_token(host: str | None) -> None:
    """Without a token, only a loopback host may serve the recordings API."""
    with pytest.raises(RelayConfigError, match=r"^refusing to serve recordings .* without a token"):
        create_relay_app(token=None, host=host)


def test_recordings_are_open_without_a_token_on_loopback() -> None:
    """On 127.0.0.1 without a token the recordings API needs no credentials."""
    with sync_client(create_relay_app(token=None, host="127.0.0.1")) as client:
        client.post("/v1/chat/completions?cid=open", json=CHAT)
        listed = client.get(CALLS)
    assert [c["cid"] for c in listed.json()] == ["open"]


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.0.0.1", False),
        ("example.org", False),
    ],
)
def test_loopback_hosts(host: str, loopback: bool) -> None:
    """Only names and addresses no other machine can reach count as loopback."""
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    "token",
    ["short", "x" * 15, "with space 0123456789", "tökén-0123456789ab"],
    ids=["short", "15-chars", "space", "non-ascii"],
)
def test_refuses_a_weak_or_unsendable_token(token: str) -> None:
    """A token under 16 printable ASCII characters, or with spaces, is refused."""
    with pytest.raises(RelayConfigError, match="token"):
        create_relay_app(token=token, host="0.0.0.0")


def test_deployment_factory_requires_a_token() -> None:
    """`relay_app_from_env` (uvicorn --factory, Modal) refuses to start without the token."""
    with pytest.raises(RelayConfigError) as info:
        relay_app_from_env({})
    assert str(info.value) == (
        "refusing to serve recordings in a deployment without a token: pass --token or set "
        "TASKAPP_RECORDER_TOKEN (recordings are open only on a loopback host)"
    )


def test_deployment_factory_reads_the_bounds_from_the_environment() -> None:
    """TASKAPP_RECORDER_MAX_* set the relay's bounds."""
    app = relay_app_from_env(
        {
            "TASKAPP_RECORDER_TOKEN": TOKEN,
            "TASKAPP_RECORDER_MAX_CALLS": "7",
            "TASKAPP_RECORDER_MAX_BYTES": "5000",
            "TASKAPP_RECORDER_MAX_AGE": "60.5",
            "TASKAPP_RECORDER_MAX_BODY": "2000",
        }
    )
    assert app.state.recorder.limits == RecordingLimits(7, 5000, 60.5)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"TASKAPP_RECORDER_MAX_CALLS": "many"}, "TASKAPP_RECORDER_MAX_CALLS must be a number"),
        ({"TASKAPP_RECORDER_MAX_CALLS": "1.5"}, "TASKAPP_RECORDER_MAX_CALLS must be a whole"),
        ({"TASKAPP_RECORDER_MAX_AGE": "0"}, "TASKAPP_RECORDER_MAX_AGE must be positive"),
        ({"TASKAPP_RECORDER_MAX_BODY": "99999999999"}, "cannot exceed what the relay keeps"),
    ],
)
def test_deployment_factory_refuses_bad_bounds(env: dict[str, str], message: str) -> None:
    """A bound that is not a positive number, or a body larger than the store, is refused."""
    with pytest.raises(RelayConfigError, match=message):
        relay_app_from_env({"TASKAPP_RECORDER_TOKEN": TOKEN, **env})


# --- bounds ------------------------------------------------------------------------


def _call(path: str = "/v1/chat/completions", *, at: float = 0.0, body: Any = None) -> RecordedCall:
    return RecordedCall("POST", path, (), body, {}, received_at=at)


def test_count_bound_evicts_the_oldest_first() -> None:
    """With max_calls=3, a fourth call evicts the first."""
    with _relay(max_calls=3) as client:
        for i in range(4):
            client.post(f"/v1/chat/completions?cid=c{i}", json=CHAT)
        listed = client.get(CALLS, headers=BEARER).json()
    assert [c["cid"] for c in listed] == ["c1", "c2", "c3"]


def test_byte_bound_evicts_the_oldest_first() -> None:
    """The calls kept never total more than max_bytes of JSON; the newest survive."""
    with _relay(max_bytes=2000, max_body_bytes=1000) as client:
        for i in range(6):
            client.post(f"/v1/chat/completions?cid=c{i}", json={"messages": [], "pad": "x" * 400})
        listed = client.get(CALLS, headers=BEARER)
    cids = [c["cid"] for c in listed.json()]
    assert cids == [f"c{i}" for i in range(6 - len(cids), 6)]
    assert 1 <= len(cids) < 6
    assert sum(len(json.dumps(c)) for c in listed.json()) <= 2000


def test_age_bound_forgets_old_calls() -> None:
    """A call older than max_age_s is gone from the next read."""
    now = [1000.0]
    recorder = InferenceRecorder(RecordingLimits(max_age_s=60), clock=lambda: now[0])
    recorder.record(_call("/old", at=1000.0))
    recorder.record(_call("/new", at=1050.0))
    now[0] = 1061.0
    assert [c.path for c in recorder.calls()] == ["/new"]
    assert recorder.evicted == 1


def test_age_bound_applies_to_the_relay_app() -> None:
    """The relay keeps a call no longer than its max age (a zero-age store is always empty)."""
    recorder = InferenceRecorder(RecordingLimits(max_age_s=1e-9), clock=lambda: 1e12)
    app = create_mock_inference_app(recorder, token=TOKEN)
    with sync_client(app) as client:
        assert client.post("/v1/chat/completions?cid=c", json=CHAT).status_code == 200
        assert client.get(CALLS, headers=BEARER).json() == []


def test_a_single_call_larger_than_the_store_is_dropped_alone() -> None:
    """A call that alone exceeds max_bytes is not kept, and evicts none of the others."""
    recorder = InferenceRecorder(RecordingLimits(max_bytes=300))
    recorder.record(_call("/small"))
    recorder.record(_call("/big", body="x" * 400))
    assert [c.path for c in recorder.calls()] == ["/small"]
    assert recorder.evicted == 1


def test_oversized_body_gets_413_json_and_is_not_recorded() -> None:
    """A body over max_body_bytes is refused with a JSON 413 and leaves no recording."""
    with _relay(max_body_bytes=100) as client:
        response = client.post("/v1/chat/completions?cid=big", json={"messages": ["x" * 200]})
        listed = client.get(CALLS, headers=BEARER).json()
    assert response.status_code == 413
    assert _error(response) == {
        "message": "the request body is over this server's limit of 100 bytes (--max-body-bytes)",
        "type": "invalid_request_error",
        "code": "request_too_large",
    }
    assert listed == []


def test_oversized_chunked_body_gets_413_over_loopback() -> None:
    """A body without Content-Length is cut off at the limit too."""
    app = create_relay_app(token=TOKEN, settings=RelaySettings(max_body_bytes=100))
    with ServerThread(app) as server:
        response = httpx.post(
            f"{server.url}/v1/chat/completions",
            content=iter([b'{"messages": [', b'"' + b"x" * 300 + b'"', b"]}"]),
            timeout=10,
        )
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert _error(response)["code"] == "request_too_large"


# --- what is stored ---------------------------------------------------------------------


def test_secret_headers_are_redacted_before_they_are_stored() -> None:
    """Authorization, X-API-Key(s), Cookie and every key- or token-like header become ***."""
    secrets = {
        "Authorization": "Bearer sk-live-1",
        "X-API-Key": "k-2",
        "X-API-Keys": "k-3,k-4",
        "Cookie": "session=s-5",
        "Proxy-Authorization": "Basic p-6",
        "api-key": "azure-7",
        "X-Goog-Api-Key": "g-8",
        "X-Auth-Token": "t-9",
    }
    with _relay() as client:
        client.post("/v1/chat/completions", json=CHAT, headers={**secrets, "X-Trace": "kept"})
        (call,) = client.get(CALLS, headers=BEARER).json()
    stored = {k.lower(): v for k, v in call["headers"].items()}
    assert {stored[name.lower()] for name in secrets} == {"***"}
    assert stored["x-trace"] == "kept"
    assert not any(value in json.dumps(call) for value in secrets.values())


def test_prefix_returns_only_that_rollouts_calls() -> None:
    """`?prefix=/r/<route>/` lists, and deletes, only the calls under that route."""
    with _relay() as client:
        for route, cid in [("/r/aaaa", "a1"), ("/r/bbbb", "b1"), ("/r/aaaa", "a2"), ("", "x")]:
            client.post(f"{route}/v1/chat/completions?cid={cid}", json=CHAT)
        mine = client.get(CALLS, params={"prefix": "/r/aaaa/"}, headers=BEARER).json()
        deleted = client.delete(CALLS, params={"prefix": "/r/aaaa/"}, headers=BEARER).json()
        rest = client.get(CALLS, headers=BEARER).json()
    assert [c["cid"] for c in mine] == ["a1", "a2"]
    assert deleted == {"deleted": 2}
    assert [c["cid"] for c in rest] == ["b1", "x"]


# --- every bad request gets a clear 4xx --------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "content", "status", "code", "message"),
    [
        ("GET", "/v1/chat/completions", None, 405, "method_not_allowed", "GET /v1/chat/"),
        ("PUT", CALLS, None, 405, "method_not_allowed", f"PUT {CALLS} is not served"),
        ("POST", CALLS, b"{}", 405, "method_not_allowed", f"POST {CALLS} is not allowed"),
        ("POST", "/v1/embeddings", b"{}", 404, "not_found", "POST /v1/embeddings is not served"),
        ("POST", "/v1/chat/completions", b"", 400, "empty_body", "the body is empty"),
        ("POST", "/v1/chat/completions", b"{", 400, "invalid_json", "the body is not JSON: "),
        ("POST", "/v1/chat/completions", b"\xff\xfe{", 400, "invalid_json", "not UTF-8"),
        ("POST", "/v1/chat/completions", b'{"messages": NaN}', 400, "invalid_json", "NaN"),
        ("POST", "/v1/chat/completions", b"[1]", 400, "not_an_object", "not list"),
        ("POST", "/v1/chat/completions", b'{"m": 1}', 400, "missing_messages", "messages is"),
        ("POST", "/v1/chat/completions", b'{"messages": 1}', 400, "missing_messages", "a list"),
        ("GET", f"{CALLS}?prefix=r/x", None, 400, "bad_prefix", "prefix must be given once"),
        ("GET", f"{CALLS}?prefix=/a&prefix=/b", None, 400, "bad_prefix", "prefix must"),
        ("GET", f"{CALLS}?prefix=/a%3Fb", None, 400, "bad_prefix", "without ? or #"),
        ("GET", f"{CALLS}?prefix=/a%0A", None, 400, "bad_prefix", "printable"),
        ("GET", f"{CALLS}?prefix=/{'a' * 512}", None, 400, "bad_prefix", "512 characters"),
        ("DELETE", f"{CALLS}?since=1", None, 400, "bad_query", "unknown query parameter(s)"),
    ],
    ids=[
        "get-completions",
        "put-calls",
        "post-calls",
        "other-post-path",
        "empty-body",
        "bad-json",
        "not-utf8",
        "nan",
        "not-an-object",
        "no-messages",
        "messages-not-a-list",
        "relative-prefix",
        "two-prefixes",
        "prefix-with-query",
        "prefix-with-newline",
        "prefix-too-long",
        "unknown-parameter",
    ],
)
def test_bad_requests_get_a_clear_json_4xx(
    method: str, path: str, content: bytes | None, status: int, code: str, message: str
) -> None:
    """Wrong method, bad JSON, missing messages, a bad prefix: a 4xx naming the problem."""
    with _relay() as client:
        response = client.request(method, path, content=content, headers=BEARER)
    assert response.status_code == status
    error = _error(response)
    assert error["code"] == code
    assert message in error["message"]


def test_method_not_allowed_says_what_is_allowed() -> None:
    """A 405 carries the Allow header."""
    with _relay() as client:
        response = client.post(CALLS, json={})
    assert response.headers["allow"] == "GET, DELETE, HEAD"


def test_root_describes_the_service_without_secrets() -> None:
    """`GET /` names the service and its two sides, and never shows the token."""
    with _relay() as client:
        response = client.get("/")
    assert response.json()["service"] == "taskapp-conformance recording relay"
    assert response.json()["recordings_auth"] == "bearer token"
    assert TOKEN not in response.text


def test_deployment_factory_reports_a_bad_configuration_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`deployment_app` (uvicorn --factory, Modal) prints one line and exits 2 without a token."""
    monkeypatch.delenv("TASKAPP_RECORDER_TOKEN", raising=False)
    with pytest.raises(SystemExit) as info:
        deployment_app()
    assert info.value.code == 2
    assert capsys.readouterr().err == (
        "Error: refusing to serve recordings in a deployment without a token: pass --token or "
        "set TASKAPP_RECORDER_TOKEN (recordings are open only on a loopback host)\n"
    )
