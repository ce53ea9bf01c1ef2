"""The rules behind the behaviour checks: declarations, what a replay compares, what a model
fault may end in, and where the checks run (mock, relay, no recorder).
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from conformance.checks.determinism import _stable, first_difference
from conformance.context import Settings
from conformance.contract.behaviour import Declarations, read_declarations
from conformance.inference import MockInferenceServer, create_relay_app
from conformance.outcomes import Outcome, SkipKind
from conformance.registry import catalogue
from conformance.runner import CheckResult, RunOptions, run_checks
from conformance.serving import ServerThread
from conformance.target import asgi_target
from reference_app import create_app
from tests.faults import KEY
from tests.faults.apps import reference
from tests.faults.asgi import Exchange, FaultyApp

BEHAVIOUR = ("DET", "RWD", "LOAD", "MF")
TOKEN = "behaviour-relay-token-0123456789"


def _run(app: Any, *ids: str, options: RunOptions | None = None) -> dict[str, CheckResult]:
    checks = [c for c in catalogue() if c.id in ids or c.area in ids]
    report = run_checks(asgi_target(app, KEY, "app"), checks, options or RunOptions())
    return {r.check.id: r for r in report.results}


# --- declarations ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("info", "instance", "expected"),
    [
        ({}, {}, Declarations()),
        (
            {"service": {"task": {"deterministic": False}}},
            {},
            Declarations(nondeterministic_at="/info service.task.deterministic"),
        ),
        (
            {},
            {"task": {"deterministic": False}},
            Declarations(nondeterministic_at="/task_info?seed=0 task.deterministic"),
        ),
        ({"service": {"task": {"deterministic": "no"}}}, {}, Declarations()),
        (
            {"limits": {"reward_range": [0, 1]}},
            {"limits": {"reward_range": [0, 5]}},
            Declarations(reward_range=(0.0, 1.0), reward_range_at="/info limits.reward_range"),
        ),
        (
            {"limits": "<circular type=dict>"},
            {"limits": {"reward_range": [-1, 1.5]}},
            Declarations(
                reward_range=(-1.0, 1.5), reward_range_at="/task_info?seed=0 limits.reward_range"
            ),
        ),
    ],
    ids=["none", "info-false", "instance-false", "not-false", "info-range", "instance-range"],
)
def test_reads_what_the_app_declares(info: Any, instance: Any, expected: Declarations) -> None:
    """`/info` is read first, `/task_info?seed=0` fills the gaps; only JSON false declares."""
    assert read_declarations(info, instance) == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("0..1", "'0..1' is not [min, max], two numbers"),
        ([0, 1, 2], "[0, 1, 2] is not [min, max], two numbers"),
        ([False, True], "[False, True] is not [min, max], two numbers"),
        ([0, float("inf")], "[0, inf] has a bound that is not finite"),
        ([1, 0], "[1, 0] has its minimum above its maximum"),
    ],
)
def test_a_malformed_range_says_why(value: Any, problem: str) -> None:
    """A range that is not two finite numbers, min <= max, is refused with the reason."""
    declared = read_declarations({"limits": {"reward_range": value}}, {})
    assert (declared.reward_range, declared.reward_range_problem) == (None, problem)


def test_rwd_1_fails_a_malformed_declaration() -> None:
    """RWD-1 fails an app whose declared range cannot be used."""

    def declare_backwards(ex: Exchange) -> None:
        body = ex.json()
        if ex.path == "/info" and ex.status == 200:
            body["limits"]["reward_range"] = [1, 0]
            ex.set_json(body)

    (result,) = _run(FaultyApp(reference(), after=declare_backwards), "RWD-1").values()
    assert result.detail is not None
    assert (result.outcome, result.detail.got) == (
        Outcome.FAIL,
        "/info limits.reward_range: [1, 0] has its minimum above its maximum",
    )


# --- what a replay compares ----------------------------------------------------------------


def test_first_difference_names_the_path_and_both_values() -> None:
    """The first differing leaf is named by its path; a shorter list by its length."""
    a = {"t": [{"r": 1.0, "d": True}], "m": [1, 2]}
    assert first_difference(a, a) is None
    assert first_difference(a, {"t": [{"r": 0.5, "d": True}], "m": [1, 2]}) == ("t[0].r", 1.0, 0.5)
    assert first_difference(a, {**a, "m": [1]}) == ("m (length)", 2, 1)
    assert first_difference({"x": 1}, {"x": 1.0}) is None  # the same number
    assert first_difference({"x": 1}, {"x": True}) == ("x", 1, True)


def test_volatile_values_are_left_out() -> None:
    """Keys named for time or ids, this run's own cid and route, uuids and timestamps go."""
    run_values = {"trace_abc": "<cid>", "0123456789abcdef": "<route>"}
    obs = {
        "created_at": "2025-01-01T00:00:00Z",
        "elapsedMs": 12,
        "session_id": "s-1",
        "episode": f"ep-{uuid.uuid4()}",
        "note": "cid trace_abc on /r/0123456789abcdef at 2025-01-02 03:04:05",
        "task_id": "arith-train-3",
    }
    assert _stable(obs, run_values) == {
        "episode": "ep-<uuid>",
        "note": "cid <cid> on /r/<route> at <time>",
        "task_id": "arith-train-3",
    }


def _with_volatile_observations(ex: Exchange) -> None:
    """Each observation gains a timestamp, a uuid and an elapsed time, as real envs do."""
    if ex.path == "/rollout" and ex.status == 200:
        body = ex.json()
        for trajectory in body["trajectories"]:
            for step in trajectory["steps"]:
                step["obs"].update(
                    started_at=time.time(), episode_uuid=str(uuid.uuid4()), elapsed_s=time.time()
                )
        ex.set_json(body)


def test_volatile_observations_replay() -> None:
    """Timestamps, uuids and elapsed times in observations are no replay difference."""
    app = FaultyApp(reference(), after=_with_volatile_observations)
    outcomes = {k: r.outcome for k, r in _run(app, "DET-1", "DET-2").items()}
    assert outcomes == {"DET-1": Outcome.PASS, "DET-2": Outcome.PASS}


# --- what a model fault may end in ---------------------------------------------------------


class _DefaultAction(httpx.AsyncBaseTransport):
    """An app that hides a failed model call: it submits 0 as if the model had."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with httpx.AsyncClient() as network:
            response = await network.send(request)
        if response.status_code < 400:
            return httpx.Response(200, content=response.content)
        call = {"id": "c", "type": "function", "function": {"name": "submit_answer"}}
        call["function"]["arguments"] = json.dumps({"answer": 0})  # type: ignore[index]
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        return httpx.Response(200, json={"choices": [{"message": message}]})


def test_mf_1_fails_a_normal_looking_episode_after_a_model_error() -> None:
    """A 200 that hides the model's 500 behind an ordinary episode fails MF-1."""
    built = reference().state.config
    rollout = dataclasses.replace(built.rollout, transport=_DefaultAction())
    app = create_app(dataclasses.replace(built, rollout=rollout))
    (result,) = _run(app, "MF-1").values()
    assert result.detail is not None
    assert (result.outcome, result.detail.summary) == (
        Outcome.WARN,
        "/rollout answered a normal-looking episode that hides the failure when the model "
        "answers 500",
    )


# --- where the checks run ------------------------------------------------------------------


def test_without_a_recorder_the_scripted_checks_are_unproven() -> None:
    """With a real model of the user's (--inference-url) nothing is scripted: SKIP, unproven."""
    with MockInferenceServer() as model:  # stands in for a real model: nothing is read back
        options = RunOptions(inference_url=model.url)
        results = _run(reference(), *BEHAVIOUR, options=options)
    skipped = {k for k, r in results.items() if r.skip_kind is SkipKind.UNPROVEN}
    assert skipped == {"DET-1", "DET-2", "LOAD-1", *(f"MF-{n}" for n in range(1, 9))}
    assert {k: r.outcome for k, r in results.items() if k not in skipped} == {
        "DET-3": Outcome.PASS,  # a plain rollout and /task_info: nothing scripted
        "DET-4": Outcome.SKIP,  # nothing declared, nothing to report
        "RWD-1": Outcome.PASS,
    }
    assert results["DET-4"].skip_kind is SkipKind.NOT_APPLICABLE


@pytest.fixture
def relay() -> Iterator[ServerThread]:
    """A recording relay with a token, on 127.0.0.1."""
    with ServerThread(create_relay_app(token=TOKEN)) as server:
        yield server


def test_the_behaviour_checks_pass_through_a_relay(relay: ServerThread) -> None:
    """A deployed app gets the same scripted model from the relay: every behaviour check passes."""
    options = RunOptions(recorder_url=relay.url, recorder_token=TOKEN)
    results = _run(reference(), *BEHAVIOUR, options=options)
    assert {k: r.outcome for k, r in results.items() if r.outcome is not Outcome.PASS} == {
        "DET-4": Outcome.SKIP  # not applicable: the app does not declare itself nondeterministic
    }


def test_load_sends_as_many_rollouts_as_asked() -> None:
    """`--load K` (Settings.load_rollouts) is the size of LOAD-1's batch."""
    checks = [c for c in catalogue() if c.id == "LOAD-1"]
    options = RunOptions(settings=Settings(load_rollouts=5))
    report = run_checks(asgi_target(reference(), KEY, "app"), checks, options)
    (table,) = report.latency_tables
    assert [(run.label, run.count) for run in table.runs] == [
        ("1 rollout alone", 1),
        ("5 rollouts at once", 5),
    ]
    assert table.extra["limit"] == 2.5
