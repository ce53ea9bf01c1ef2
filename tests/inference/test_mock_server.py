"""The recording mock inference server: OpenAI-shaped answers, recordings, redaction."""

from __future__ import annotations

import json

import httpx
import pytest

from conformance.inference import InferenceRecorder, MockInferenceServer, create_mock_inference_app
from conformance.inference.policy import next_message
from conformance.testing import TaskAppClient
from reference_app.task import TOOLS, generate_problem
from tests.helpers import sync_client


def _chat(client: TaskAppClient, path: str, body: object, **headers: str) -> httpx.Response:
    return client.post(path, json=body, headers=headers)


def test_records_path_query_cid_and_redacts_secrets() -> None:
    """Each call is recorded with its path, decoded query and cid; secret headers become ***."""
    recorder = InferenceRecorder()
    with sync_client(create_mock_inference_app(recorder)) as client:
        _chat(
            client,
            "/v1/chat/completions?cid=a%25b-c&x=1",
            {"messages": []},
            authorization="Bearer sk-secret",
            **{"x-api-key": "k"},
        )
    (call,) = recorder.calls()
    assert (call.path, call.cid, call.query) == (
        "/v1/chat/completions",
        "a%b-c",
        (("cid", "a%b-c"), ("x", "1")),
    )
    assert call.headers["authorization"] == "***"
    assert call.headers["x-api-key"] == "***"


def test_plays_the_reference_task_with_tool_calls() -> None:
    """The scripted policy calls calculate with the quoted expression, then submits the result."""
    problem = generate_problem("train", 3)
    messages = [{"role": "user", "content": problem.prompt}]
    first = next_message({"messages": messages, "tools": TOOLS}, "c", 1.0)
    call = first["tool_calls"][0]["function"]
    assert (call["name"], json.loads(call["arguments"])) == (
        "calculate",
        {"expression": problem.expression},
    )
    messages += [first, {"role": "tool", "content": str(problem.answer)}]
    second = next_message({"messages": messages, "tools": TOOLS}, "c", 1.0)["tool_calls"][0][
        "function"
    ]
    assert (second["name"], json.loads(second["arguments"])) == (
        "submit_answer",
        {"answer": problem.answer},
    )


def test_accuracy_is_deterministic_per_cid() -> None:
    """With accuracy 0.5 the same cid always gets the same verdict, and both verdicts occur."""
    body = {"messages": [{"role": "tool", "content": "10"}], "tools": TOOLS}

    def answer(cid: str) -> object:
        return json.loads(next_message(body, cid, 0.5)["tool_calls"][0]["function"]["arguments"])[
            "answer"
        ]

    verdicts = [answer(f"cid-{i}") == 10 for i in range(40)]
    assert verdicts == [answer(f"cid-{i}") == 10 for i in range(40)]
    assert True in verdicts
    assert False in verdicts


def test_unknown_task_gets_plain_text() -> None:
    """Without a recognisable tool task the mock answers plain assistant text."""
    message = next_message({"messages": [{"role": "user", "content": "hi"}]}, None, 1.0)
    assert message["role"] == "assistant"
    assert "tool_calls" not in message


@pytest.mark.parametrize("body", [None, {"no": "messages"}], ids=["not-json", "no-messages"])
def test_bad_requests_get_400_and_are_still_recorded(body: object) -> None:
    """A request without messages gets 400, and the recorder still keeps it as evidence."""
    recorder = InferenceRecorder()
    with sync_client(create_mock_inference_app(recorder)) as client:
        response = client.post(
            "/v1/chat/completions", content=b"{" if body is None else json.dumps(body)
        )
    assert response.status_code == 400
    assert len(recorder.calls()) == 1


def test_calls_endpoint_lists_recordings_over_loopback() -> None:
    """GET /_recorder/calls on the loopback server lists what it received."""
    with MockInferenceServer() as server:
        httpx.post(f"{server.completions_url}?cid=z", json={"messages": []}, timeout=10)
        listed = httpx.get(f"{server.url}/_recorder/calls", timeout=10).json()
    assert [c["cid"] for c in listed] == ["z"]
