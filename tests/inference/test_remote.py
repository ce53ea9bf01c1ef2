"""`RemoteRecorder`: the relay's recordings read over HTTP, and every way that can fail."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest
import respx

from conformance.inference import RemoteRecorder, create_relay_app
from conformance.outcomes import HarnessError
from conformance.serving import ServerThread

TOKEN = "5c1e9a7f3b2d4e6f8a0b1c2d3e4f5a6b"
RELAY = "http://relay.test"
CALLS_URL = f"{RELAY}/_recorder/calls"
CHAT = {"messages": [{"role": "user", "content": "hi"}]}


@pytest.fixture
def relay() -> Iterator[ServerThread]:
    """A fresh relay with a token on 127.0.0.1."""
    with ServerThread(create_relay_app(token=TOKEN)) as server:
        yield server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_reads_calls_as_the_local_recorder_does(relay: ServerThread) -> None:
    """Calls come back as `RecordedCall`s: path, decoded query, cid, redacted headers."""
    httpx.post(
        f"{relay.url}/r/aaaa/v1/chat/completions?cid=a%25b&x=1",
        json=CHAT,
        headers={"X-API-Key": "app-key-123456"},
    )
    httpx.post(f"{relay.url}/r/bbbb/v1/chat/completions?cid=b", json=CHAT)
    with RemoteRecorder(relay.url, TOKEN) as recorder:
        recorder.check()
        (mine,) = recorder.calls(prefix="/r/aaaa/")
        everything = recorder.calls()
        assert [c.path for c in recorder.calls_for("b")] == ["/r/bbbb/v1/chat/completions"]
        assert recorder.cids() == {"a%b", "b"}
        assert recorder.clear(prefix="/r/aaaa/") == 1
        assert [c.cid for c in recorder.calls()] == ["b"]
    assert (mine.path, mine.cid, mine.query) == (
        "/r/aaaa/v1/chat/completions",
        "a%b",
        (("cid", "a%b"), ("x", "1")),
    )
    assert mine.headers["x-api-key"] == "***"
    assert mine.body == CHAT
    assert [c.cid for c in everything] == ["a%b", "b"]


def test_wrong_token_is_a_harness_error_without_the_token(relay: ServerThread) -> None:
    """A refused token says which relay refused it and how to fix it, never the token."""
    wrong = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    with RemoteRecorder(relay.url, wrong) as recorder, pytest.raises(HarnessError) as info:
        recorder.calls()
    assert str(info.value) == (
        f"the recording relay at {relay.url} refused the recorder token (401): pass the token "
        "the relay was started with (--recorder-token or TASKAPP_RECORDER_TOKEN)"
    )


def test_no_token_is_refused_too(relay: ServerThread) -> None:
    """Without a token a relay that has one answers 401, reported the same way."""
    with RemoteRecorder(relay.url, None) as recorder, pytest.raises(HarnessError, match="401"):
        recorder.check()


def test_unreachable_relay_is_a_harness_error() -> None:
    """A closed port is reported as unreachable, naming the relay."""
    url = f"http://127.0.0.1:{_free_port()}"
    with RemoteRecorder(url, TOKEN, timeout_s=5) as recorder, pytest.raises(HarnessError) as info:
        recorder.calls()
    assert str(info.value).startswith(f"the recording relay at {url} could not be reached: ")
    assert TOKEN not in str(info.value)


@respx.mock
def test_timeout_is_a_harness_error() -> None:
    """A relay that does not answer in time is reported as such."""
    respx.get(CALLS_URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with RemoteRecorder(RELAY, TOKEN) as recorder, pytest.raises(HarnessError) as info:
        recorder.calls()
    assert str(info.value) == f"the recording relay at {RELAY} did not answer in time"


@respx.mock
def test_sends_the_token_as_a_bearer_header_and_the_prefix_as_a_query() -> None:
    """Requests carry `Authorization: Bearer <token>` and `?prefix=`."""
    route = respx.get(CALLS_URL).mock(return_value=httpx.Response(200, json=[]))
    with RemoteRecorder(RELAY, TOKEN) as recorder:
        assert recorder.calls(prefix="/r/0123456789abcdef/") == []
    request = route.calls.last.request
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.url.params["prefix"] == "/r/0123456789abcdef/"


@pytest.mark.parametrize(
    "response",
    [
        httpx.Response(200, content=b"[" + b" " * 200 + b"]"),
        httpx.Response(200, content=iter([b"[", b" " * 200, b"]"])),
    ],
    ids=["content-length", "chunked"],
)
@respx.mock
def test_reads_no_more_than_the_response_bound(response: httpx.Response) -> None:
    """An answer over max_response_bytes is cut off, declared or streamed."""
    respx.get(CALLS_URL).mock(return_value=response)
    with (
        RemoteRecorder(RELAY, TOKEN, max_response_bytes=100) as recorder,
        pytest.raises(HarnessError) as info,
    ):
        recorder.calls()
    assert str(info.value) == (
        f"the recording relay at {RELAY} answered more than 100 bytes of recordings; "
        "lower the relay's --max-bytes or raise the client's max_response_bytes"
    )


@pytest.mark.parametrize(
    ("response", "problem"),
    [
        (httpx.Response(200, text="<html>"), "answered GET /_recorder/calls with a non-JSON body"),
        (httpx.Response(200, json={"calls": []}), "answered a dict where a list of calls belongs"),
        (
            httpx.Response(200, json=[{"method": "POST", "query": [], "headers": {}}]),
            "answered a call of the wrong shape (path: Field required)",
        ),
        (
            httpx.Response(404, text="Not Found"),
            "answered GET /_recorder/calls with 404, body='Not Found'; "
            "is this the base URL of a taskapp-conformance relay?",
        ),
    ],
    ids=["not-json", "not-a-list", "bad-call", "not-a-relay"],
)
@respx.mock
def test_unexpected_answers_are_harness_errors(response: httpx.Response, problem: str) -> None:
    """An answer that is not a list of recorded calls says what came back."""
    respx.get(CALLS_URL).mock(return_value=response)
    with RemoteRecorder(RELAY, TOKEN) as recorder, pytest.raises(HarnessError) as info:
        recorder.calls()
    assert str(info.value) == f"the recording relay at {RELAY} {problem}"


@respx.mock
def test_error_messages_never_carry_the_token() -> None:
    """A relay that echoes the token in an error body has it redacted in the message."""
    respx.get(CALLS_URL).mock(return_value=httpx.Response(500, text=f"bad token {TOKEN}"))
    with RemoteRecorder(RELAY, TOKEN) as recorder, pytest.raises(HarnessError) as info:
        recorder.calls()
    assert TOKEN not in str(info.value)
    assert "bad token ***" in str(info.value)


@respx.mock
def test_url_password_is_hidden_in_messages() -> None:
    """A password in the relay URL never reaches a message."""
    respx.get("http://relay.test/_recorder/calls").mock(side_effect=httpx.ReadTimeout("slow"))
    recorder = RemoteRecorder("http://user:hunter2-secret@relay.test/", TOKEN)
    with recorder, pytest.raises(HarnessError) as info:
        recorder.calls()
    assert "hunter2" not in str(info.value)
    assert recorder.label == "http://user:***@relay.test"


@pytest.mark.parametrize(
    "url", ["relay.test", "ftp://relay.test", "http://", "http://relay.test/?token=x"]
)
def test_refuses_a_url_that_is_not_a_relay_base_url(url: str) -> None:
    """Only an http(s) base URL without a query is accepted."""
    with pytest.raises(ValueError, match="the recorder URL must be the relay's http"):
        RemoteRecorder(url, TOKEN)
