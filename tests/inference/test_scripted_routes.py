"""Scripted routes: one rollout's model gets a latency, a replay or a fault, on the mock and
the relay alike.
"""

from __future__ import annotations

import json

import httpx
import pytest

from conformance.inference import InferenceRecorder, RecordedCall, create_mock_inference_app
from conformance.inference.relay import create_relay_app
from conformance.inference.script import (
    INVALID_ARGUMENTS,
    LARGE_CONTENT_BYTES,
    MALFORMED_BODY,
    MAX_LATENCY_MS,
    UNKNOWN_TOOL,
    ModelFault,
    Script,
    ScriptError,
    fault,
    latency,
    parse,
    replay_of,
)
from conformance.testing import TaskAppClient
from reference_app.task import TOOLS, generate_problem
from tests.helpers import sync_client

SUFFIX = "/chat/completions"
COMPLETIONS = "/v1/chat/completions"
TOKEN = "relay-token-0123456789abcdef"


def _body(seed: int = 5) -> dict[str, object]:
    prompt = generate_problem("train", seed).prompt
    return {"model": "m", "tools": TOOLS, "messages": [{"role": "user", "content": prompt}]}


def _post(client: TaskAppClient, path: str, body: object, **headers: str) -> httpx.Response:
    return client.post(path, json=body, headers=headers)


@pytest.mark.parametrize(
    ("path", "script"),
    [
        ("/v1/chat/completions", Script()),
        ("/r/abc/v1/chat/completions", Script(route="/r/abc")),
        ("/r/abc/chat/completions", Script(route="/r/abc")),
        ("/r/abc/latency/250/v1/chat/completions", Script(route="/r/abc", latency_s=0.25)),
        ("/r/abc/replay/def/v1/chat/completions", Script(route="/r/abc", replay_of="/r/def")),
        (
            "/r/abc/fault/http-500/v1/chat/completions",
            Script(route="/r/abc", fault=ModelFault.HTTP_500),
        ),
    ],
    ids=["plain", "route", "route-no-v1", "latency", "replay", "fault"],
)
def test_parses_the_script_of_a_route(path: str, script: Script) -> None:
    """The segment after `/r/<id>` names the script; anything else is a plain call."""
    assert parse(path, SUFFIX) == script


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/r/a/latency/soon/v1/chat/completions", "latency must be whole milliseconds"),
        (f"/r/a/latency/{MAX_LATENCY_MS + 1}/v1/chat/completions", "from 0 to 60000"),
        ("/r/a/replay/a%20b/v1/chat/completions", "replay needs the id of a route"),
        ("/r/a/fault/teapot/v1/chat/completions", "unknown fault 'teapot'; the faults are"),
    ],
)
def test_refuses_a_script_it_does_not_know(path: str, message: str) -> None:
    """A bad latency, replay id or fault kind is refused with what is valid."""
    with pytest.raises(ScriptError, match=message):
        parse(path, SUFFIX)


def test_builders_make_the_segments_the_parser_reads() -> None:
    """`latency`, `replay_of` and `fault` build what `parse` reads back."""
    path = f"/r/x{latency(0.3)}{COMPLETIONS}"
    assert parse(path, SUFFIX).latency_s == 0.3
    assert parse(f"/r/x{replay_of('/r/y')}{COMPLETIONS}", SUFFIX).replay_of == "/r/y"
    assert parse(f"/r/x{fault(ModelFault.UNKNOWN_TOOL)}{COMPLETIONS}", SUFFIX).fault is (
        ModelFault.UNKNOWN_TOOL
    )


def test_keeps_each_answer_with_its_call() -> None:
    """The scripted policy's answer is recorded with the call, and survives the wire form."""
    recorder = InferenceRecorder()
    with sync_client(create_mock_inference_app(recorder)) as client:
        answer = _post(client, f"/r/aa{COMPLETIONS}?cid=c", _body()).json()
    (call,) = recorder.calls()
    assert call.answer == answer["choices"][0]["message"]
    assert RecordedCall.from_dict(json.loads(json.dumps(call.as_dict()))).answer == call.answer


def test_replays_the_answer_each_request_got() -> None:
    """`/replay/<id>` answers a request as route <id> answered the same request, whatever
    the order; an unseen request gets the answer at its position; past them the policy plays.
    """
    recorder = InferenceRecorder()
    a, b, c = _body(5), _body(6), _body(7)
    with sync_client(create_mock_inference_app(recorder)) as client:
        given = {n: _post(client, f"/r/aa{COMPLETIONS}", x).json() for n, x in (("a", a), ("b", b))}
        swapped = [
            _post(client, f"/r/bb{replay_of('/r/aa')}{COMPLETIONS}", x).json() for x in (b, a)
        ]
        unseen = [
            _post(client, f"/r/cc{replay_of('/r/aa')}{COMPLETIONS}", x).json() for x in (a, c, c)
        ]
        fresh = _post(client, f"/r/dd{COMPLETIONS}", c).json()

    def message(completion: dict[str, object]) -> object:
        return completion["choices"][0]["message"]  # type: ignore[index]

    assert [message(r) for r in swapped] == [message(given["b"]), message(given["a"])]
    assert [message(r) for r in unseen[:2]] == [message(given["a"]), message(given["b"])]
    assert message(unseen[2]) == message(fresh)  # past the recorded answers: the policy


def test_every_fault_answers_as_documented() -> None:
    """Each fault kind gives its documented status, headers and body."""
    answers = {}
    with sync_client(create_mock_inference_app()) as client:
        for kind in ModelFault:
            answers[kind] = _post(
                client, f"/r/ff{fault(kind)}{COMPLETIONS}", _body(), **{"accept-encoding": "br"}
            )
    assert answers[ModelFault.HTTP_500].status_code == 500
    assert answers[ModelFault.HTTP_500].json()["error"]["code"] == "server_error"
    limited = answers[ModelFault.RATE_LIMITED]
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "1")
    assert answers[ModelFault.MALFORMED_JSON].content == MALFORMED_BODY
    assert answers[ModelFault.EMPTY_CHOICES].json()["choices"] == []
    (bad_args,) = answers[ModelFault.INVALID_TOOL_ARGUMENTS].json()["choices"]
    assert bad_args["message"]["tool_calls"][0]["function"] == {
        "name": "calculate",
        "arguments": INVALID_ARGUMENTS,
    }
    (unknown,) = answers[ModelFault.UNKNOWN_TOOL].json()["choices"]
    assert unknown["message"]["tool_calls"][0]["function"]["name"] == UNKNOWN_TOOL
    (large,) = answers[ModelFault.LARGE_CONTENT].json()["choices"]
    assert len(large["message"]["content"]) == LARGE_CONTENT_BYTES


def test_large_content_is_gzipped_for_a_caller_that_accepts_it() -> None:
    """The 8 MiB answer travels gzip-encoded when the caller accepts gzip (8 KiB on the wire)."""
    with sync_client(create_mock_inference_app()) as client:
        response = client.post(
            f"/r/gz{fault(ModelFault.LARGE_CONTENT)}{COMPLETIONS}",
            json=_body(),
            headers={"accept-encoding": "gzip"},
        )
    assert response.headers["content-encoding"] == "gzip"
    document = json.loads(response.content)  # the client inflated it
    assert len(document["choices"][0]["message"]["content"]) == LARGE_CONTENT_BYTES


def test_faulty_answers_are_recorded_without_an_answer() -> None:
    """A fault's call is recorded (the harness sees it reached the model) with no answer."""
    recorder = InferenceRecorder()
    with sync_client(create_mock_inference_app(recorder)) as client:
        _post(client, f"/r/ee{fault(ModelFault.HTTP_500)}{COMPLETIONS}?cid=c", _body())
    (call,) = recorder.calls(prefix="/r/ee/")
    assert (call.cid, call.answer) == ("c", None)


def test_an_unknown_script_is_a_404_naming_the_valid_ones() -> None:
    """A route asking for an unknown script gets a 404 envelope and is still recorded."""
    recorder = InferenceRecorder()
    with sync_client(create_mock_inference_app(recorder)) as client:
        response = _post(client, f"/r/dd/fault/teapot{COMPLETIONS}", _body())
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "unknown_script"
    assert "unknown fault 'teapot'; the faults are http-500, rate-limited" in error["message"]
    assert [c.path for c in recorder.calls()] == [f"/r/dd/fault/teapot{COMPLETIONS}"]


def test_the_relay_serves_the_same_scripts() -> None:
    """A deployed app calling the relay gets the same replay and faults as a local one."""
    relay = create_relay_app(token=TOKEN)
    with sync_client(relay) as client:
        given = _post(client, f"/r/aa{COMPLETIONS}", _body()).json()
        replayed = _post(client, f"/r/bb{replay_of('/r/aa')}{COMPLETIONS}", _body()).json()
        failed = _post(client, f"/r/cc{fault(ModelFault.RATE_LIMITED)}{COMPLETIONS}", _body())
        listed = client.get(
            "/_recorder/calls",
            params={"prefix": "/r/aa/"},
            headers={"authorization": f"Bearer {TOKEN}"},
        ).json()
    assert replayed["choices"] == given["choices"]
    assert failed.status_code == 429
    assert listed[0]["answer"] == given["choices"][0]["message"]
