"""The contract's rules added in issue #11 (SEC-6, SEC-7, RO-11..14, CID-7..9, AUTH-10, 11),
and model-side checks that never pass without a recorded call: each failure block pinned.
"""

from __future__ import annotations

import dataclasses
import textwrap
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.checks.cid import url_difference
from conformance.checks.rollout import trace_problem
from conformance.checks.security import _call_leak, stack_trace_in
from conformance.inference import MockInferenceServer, RecordedCall
from conformance.outcomes import FailureDetail, Outcome, SkipKind
from conformance.redaction import Redactor
from conformance.registry import CheckSpec, catalogue, select_checks
from conformance.runner import CheckResult, RunOptions, Verdict, run_checks
from conformance.target import Target, app_target, asgi_target
from tests.checks._support import failure
from tests.faults import KEY
from tests.faults.apps import reference
from tests.faults.asgi import Exchange, FaultyApp
from tests.faults.contract_faults import UNPROVEN_FAULTS, rebuildable

MODEL_SIDE = ("CID-4", "CID-5", "CID-6", "PROP-2", "SEC-6")
"""Checks whose claim is about what reached the model: they need a recorded call."""


def _checks(*ids: str) -> list[CheckSpec]:
    return select_checks(catalogue(), ids)


def _results(target: Target, *ids: str, **options: Any) -> dict[str, CheckResult]:
    report = run_checks(target, _checks(*ids), RunOptions(strict=True, **options))
    return {r.check.id: r for r in report.results}


# --- SEC-6: key material sent to the model ---------------------------------------------

_SEC_6 = {
    "sent": "POST /rollout (valid requests); the recorder kept the model calls they made",
    "expected": "no part of the API key in any model call's URL, headers or body, in any spelling",
    "fix": "Never forward ENVIRONMENT_API_KEY to the model; the model gets only its own "
    "credential.",
    "spec": "docs/contract.md#key-in-model-calls",
}


@pytest.mark.parametrize(
    ("fault_name", "where"),
    [
        ("model_call_body_carries_the_key", "the body, at user"),
        ("model_call_header_carries_the_key", "the header x-caller"),
        ("model_call_query_carries_the_key", "the URL query parameter 'env_key'"),
    ],
    ids=["body", "custom-header", "url-query"],
)
def test_sec_6_key_sent_to_the_model(fault_name: str, where: str) -> None:
    """SEC-6 names the part of the model call that carries the key, wherever the mock can
    see it: the body, a header whose name does not look secret, the URL's query.
    """
    assert failure("SEC-6", fault_name) == FailureDetail(
        summary=f"a model call carries key material: the key appears verbatim in {where}",
        got=f"POST /r/<route>/v1/chat/completions: the key appears verbatim in {where} (not shown)",
        **_SEC_6,
    )


def test_sec_6_ignores_the_harness_own_ids() -> None:
    """Six characters of the key inside a cid or a route the harness made are chance, not a
    leak; the same characters anywhere else are a leak.
    """
    key = "0123456789abcdef0123456789abcdef"
    route, cid = "/r/3456789abcdef012", "trace_" + "89abcdef" * 4
    call = RecordedCall("POST", f"{route}/v1/chat/completions", (("cid", cid),), {}, {})
    finder = Redactor([key])
    assert _call_leak(finder, call) is None
    leaky = dataclasses.replace(call, body={"user": f"x{key[4:12]}"})
    found = _call_leak(finder, leaky)
    assert found is not None
    assert (found[0], found[1].describe()) == (
        "the body, at user",
        "a piece of the key appears verbatim",
    )


# --- SEC-7: stack traces --------------------------------------------------------------

_SEC_7 = {
    "expected": "an answer (any status) whose body shows no stack trace or source path",
    "fix": "Log tracebacks on the server; answer unexpected errors with the error envelope, "
    "and never run with debug=True.",
    "spec": "docs/contract.md#no-stack-traces",
}


def test_sec_7_traceback_inside_the_error_envelope() -> None:
    """SEC-7 finds a traceback inside a JSON error body, escaped quotes and all."""
    assert failure("SEC-7", "traceback_in_error_bodies") == FailureDetail(
        summary="POST /rollout with a JSON array answers with a Python traceback",
        sent="POST /rollout with a JSON array",
        got=(
            '422, a Python traceback: ...t (1 error(s) in total)", "traceback": "Traceback (most '
            'recent call last):\\n  File \\"/srv/app/handlers.py\\", line 88, in rollout\\n    '
            'payload = body[\\"po...'
        ),
        **_SEC_7,
    )


def test_sec_7_debug_page_for_unknown_routes() -> None:
    """SEC-7 provokes a 404 and finds the framework's debug page."""
    assert failure("SEC-7", "not_found_debug_page") == FailureDetail(
        summary="GET /no/such/route answers with a Python traceback",
        sent="GET /no/such/route",
        got=(
            "404, a Python traceback: ...rlette Debugger</title><h1>404</h1><pre>Traceback (most "
            'recent call last):\n  File "/srv/app/handlers.py", line 88, in rollout\n    '
            'payload = body["policy"...'
        ),
        **_SEC_7,
    )


def test_sec_7_scans_the_answers_the_run_already_got() -> None:
    """SEC-7 also reads the bounded record of answers other checks received (here EP-4's)."""

    def info_debug(ex: Exchange) -> None:
        body = ex.json()
        if ex.path == "/info" and isinstance(body, dict):
            ex.set_json({**body, "debug": 'File "/srv/app/info.py", line 12, in info'})

    target = asgi_target(FaultyApp(reference(), after=info_debug), KEY, "info debug")
    report = run_checks(target, _checks("EP-4", "SEC-7"), RunOptions(concurrency=1))
    (sec_7,) = [r for r in report.results if r.check.id == "SEC-7"]
    assert sec_7.detail is not None
    assert sec_7.detail.summary == "GET /info answers with a Python stack frame"


def test_sec_7_spares_task_data() -> None:
    """A coding task's rollout may quote a traceback in what the episode saw: not a leak."""

    def quote_a_traceback(ex: Exchange) -> None:
        body = ex.json()
        if ex.path == "/rollout" and ex.status == 200:
            body["pipeline_metadata"]["tool_output"] = "Traceback (most recent call last):\n  ..."
            ex.set_json(body)

    target = asgi_target(FaultyApp(reference(), after=quote_a_traceback), KEY, "coding task")
    report = run_checks(target, _checks("RO-1", "SEC-7"), RunOptions(concurrency=1))
    assert [r.outcome for r in report.results] == [Outcome.PASS, Outcome.PASS]


@pytest.mark.parametrize(
    ("body", "found"),
    [
        ('{"detail": "Traceback (most recent call last):\\n  x"}', "a Python traceback"),
        ("at handler (/srv/app/index.js:12:34)", "a JavaScript stack frame"),
        ("panic: boom\n\ngoroutine 1 [running]:", "a Go panic"),
        ("/usr/lib/python3.11/json/decoder.py", "a server source path"),
        ("you have <code>DEBUG = True</code> in your settings", "a framework debug page"),
        ('{"detail": {"error": {"code": "invalid_json", "message": "not JSON"}}}', None),
    ],
    ids=["escaped-traceback", "js-frame", "go-panic", "python-lib-path", "django", "envelope"],
)
def test_stack_trace_patterns(body: str, found: str | None) -> None:
    """Tracebacks, frames and source paths of the common stacks are recognised; envelopes not."""
    hit = stack_trace_in(httpx.Response(500, text=body))
    assert (hit[0] if hit else None) == found


# --- RO-12: bodies that are not a JSON object -----------------------------------------

_RO_12 = {
    "expected": "a 4xx: 400 or 422, or 415 for a body that is not JSON",
    "fix": "Parse the body as a RolloutRequest object before anything else; answer every "
    "other body with a 4xx.",
    "spec": "docs/contract.md#invalid-requests",
}


def test_ro_12_non_object_json_crashes() -> None:
    """RO-12 fails an app that answers a JSON array with a 500."""
    assert failure("RO-12", "non_object_json_body_500") == FailureDetail(
        summary="POST /rollout with a JSON array got 500, not a 4xx",
        sent="POST /rollout with a JSON array (application/json)",
        got="500, body='Internal Server Error'",
        **_RO_12,
    )


def test_ro_12_invalid_utf8_crashes() -> None:
    """RO-12 fails an app that decodes the body before parsing it."""
    assert failure("RO-12", "undecodable_body_500") == FailureDetail(
        summary="POST /rollout with invalid UTF-8 got 500, not a 4xx",
        sent="POST /rollout with invalid UTF-8 (application/json)",
        got="500, body='Internal Server Error'",
        **_RO_12,
    )


def test_ro_12_array_unwrapped() -> None:
    """RO-12 fails a 2xx too: an array holding a request is not a request."""
    assert failure("RO-12", "json_array_unwrapped") == FailureDetail(
        summary="POST /rollout with a JSON array holding a valid request got 200, not a 4xx",
        sent="POST /rollout with a JSON array holding a valid request (application/json)",
        got=(
            '200, body=\'{"run_id":"<run_id>","trajectories":[{"env_id":"arith:train:0",'
            '"policy_id":"conformance","steps":[{"obs":{"prompt_index":0,"prompt":"A bakery '
            "ba...'"
        ),
        **_RO_12,
    )


# --- RO-11, RO-13, RO-14: traces and metrics ------------------------------------------

_RO_11 = {
    "expected": "trace: {session_id, created_at (ISO-8601), ...}; for full and structured the "
    "SessionTrace lists, every event and message shaped as §5.8",
    "fix": "Return SessionTrace.to_dict() (compact: its summary) with datetimes as "
    "isoformat(), not repr() (D10); content as {text, json_payload}.",
    "spec": "docs/contract.md#rollout-trace",
}


def test_ro_11_trace_only_for_full() -> None:
    """RO-11 asks for a trace in every format synth-ai sends, not only `full`."""
    assert failure("RO-11", "trace_only_for_full") == FailureDetail(
        summary="the 'compact' trace is not what synth-ai eval stores",
        sent="POST /rollout with record.return_trace=true, trace_format='compact'",
        got="trace = null",
        **_RO_11,
    )


def test_ro_11_message_content_as_a_string() -> None:
    """RO-11 names the first message record whose content is not {text, json_payload}."""
    assert failure("RO-11", "trace_message_content_bare_string") == FailureDetail(
        summary="the 'full' trace is not what synth-ai eval stores",
        sent="POST /rollout with record.return_trace=true, trace_format='full'",
        got=(
            'trace.session_time_steps[0].markov_blanket_messages[0].content = "You solve '
            "arithmetic word problems. First call the `calculate` tool with the ar... (an object "
            "{text, json_payload})"
        ),
        **_RO_11,
    )


_EVENT = {"system_instance_id": "env", "time_record": {"event_time": 1.0}, "metadata": {}}


@pytest.mark.parametrize(
    ("trace_format", "trace", "problem"),
    [
        ("structured", {"session_trace": {"session_id": "s", "created_at": "2025-01-01"}}, "list"),
        ("compact", {"session_id": "s", "created_at": "2025-01-01T00:00:00Z"}, None),
        ("compact", {"session_id": "s", "created_at": 1735689600.0}, "not ISO-8601"),
        (
            "full",
            {
                "session_id": "s",
                "created_at": "2025-01-01T00:00:00+00:00",
                "session_time_steps": [],
                "event_history": [_EVENT],
                "markov_blanket_message_history": [],
            },
            "eval cannot type it",
        ),
        (
            "full",
            {
                "session_id": "s",
                "created_at": "2025-01-01T00:00:00+00:00",
                "session_time_steps": [],
                "event_history": [{**_EVENT, "reward": 0.0}],
                "markov_blanket_message_history": [],
            },
            None,
        ),
    ],
    ids=["wrapper-without-lists", "compact", "epoch-created-at", "untyped-event", "env-event"],
)
def test_trace_shapes(trace_format: str, trace: dict[str, Any], problem: str | None) -> None:
    """The wrapper is unwrapped, compact needs no lists, events need a key eval types them by."""
    found = trace_problem(trace_format, trace)
    assert (found is None) if problem is None else (problem in str(found))


def test_ro_13_num_episodes_left_at_default() -> None:
    """RO-13 fails a response whose num_episodes is missing (synth-ai reads 0)."""
    assert failure("RO-13", "num_episodes_left_at_default") == FailureDetail(
        summary="`metrics.num_episodes` equals the number of trajectories.",
        sent="POST /rollout (a valid rl request)",
        expected="metrics.num_episodes = 1, the number of trajectories",
        got="metrics.num_episodes is absent (read as 0)",
        fix="Set num_episodes = len(trajectories); synth-ai's model defaults it to 0.",
        spec="docs/contract.md#rollout-metrics",
    )


def test_ro_14_outcome_score_in_percent() -> None:
    """RO-14 warns about an outcome score outside [0, 1]."""
    assert failure("RO-14", "outcome_score_in_percent") == FailureDetail(
        summary="`metrics.outcome_score`, when present, lies in [0, 1] (synth-ai eval clamps it).",
        sent="POST /rollout (a valid rl request)",
        expected="metrics.outcome_score in [0, 1], or null",
        got="metrics.outcome_score = 100.0",
        fix="Report the outcome as a fraction in [0, 1] (e.g. correct / total), not a percentage "
        "or a raw count.",
        spec="docs/contract.md#rollout-outcome-score",
    )


# --- CID-7, CID-8, CID-9: the pipeline URL, and requests as synth-ai's tools send them --

_CID_7 = {
    "sent": "POST /rollout with inference URL 'http://127.0.0.1:<port>/r/<route>/v1/chat/"
    "completions?cid=<cid>&team=conformance&v=2'",
    "expected": "pipeline_metadata.inference_url: that URL (the cid may move first; a base URL "
    "may gain /v1/chat/completions)",
    "fix": "Return the inference URL you were given and called, with every parameter; add "
    "nothing, drop nothing (§4.1).",
    "spec": "docs/contract.md#cid-pipeline-url",
}


def test_cid_7_pipeline_url_without_path() -> None:
    """CID-7 fails a pipeline URL that kept `?cid=` but lost the path."""
    assert failure("CID-7", "pipeline_url_without_path") == FailureDetail(
        summary="pipeline_metadata.inference_url is not the URL the rollout was given (the path "
        "is '', not '/r/<route>/v1/chat/completions')",
        got="pipeline_metadata.inference_url = 'http://127.0.0.1:<port>?cid=<cid>&team="
        "conformance&v=2': the path is '', not '/r/<route>/v1/chat/completions'",
        **_CID_7,
    )


def test_cid_7_pipeline_url_adds_a_parameter() -> None:
    """CID-7 fails a pipeline URL with a parameter the request never had."""
    assert failure("CID-7", "pipeline_url_adds_a_parameter") == FailureDetail(
        summary="pipeline_metadata.inference_url is not the URL the rollout was given (added "
        "source=taskapp)",
        got="pipeline_metadata.inference_url = 'http://127.0.0.1:<port>/r/<route>/v1/chat/"
        "completions?cid=<cid>&team=conformance&v=2&source=taskapp': added source=taskapp",
        **_CID_7,
    )


@pytest.mark.parametrize(
    ("given", "returned", "difference"),
    [
        (
            "http://h:8/v1/chat/completions?a=1&cid=x",
            "http://h:8/v1/chat/completions?cid=x&a=1",
            None,
        ),
        ("http://h/v1?cid=x", "http://h:80/v1/chat/completions?cid=x", None),
        ("https://h/x/?cid=a%20b", "https://H/x/v1/chat/completions?cid=a+b", None),
        ("http://h/v1?cid=x", "https://h/v1?cid=x", "the scheme is 'https', not 'http'"),
        ("http://h:8/v1?cid=x", "http://h:9/v1?cid=x", "the port is 9, not 8"),
        ("http://h/v1?cid=x&a=1&a=2", "http://h/v1?cid=x&a=1", "dropped a=2"),
        ("http://h/v1?cid=x", None, "not a string but NoneType"),
    ],
    ids=[
        "cid-moved-first",
        "completions-added",
        "encoding-and-case",
        "scheme",
        "port",
        "dup",
        "null",
    ],
)
def test_url_equality(given: str, returned: str | None, difference: str | None) -> None:
    """Equal URLs may differ in parameter order, encoding, default ports and the completions
    suffix; nothing else.
    """
    assert url_difference(given, returned) == difference


def test_cid_8_cid_in_the_url_ignored() -> None:
    """CID-8 fails an app that only reads the cid from policy.config."""
    assert failure("CID-8", "cid_in_url_ignored") == FailureDetail(
        summary="a rollout with its cid only in ?cid= failed",
        sent="POST /rollout with cid '<cid>' only in the inference URL's ?cid=",
        expected="200 with a RolloutResponse echoing that cid",
        got='422, body=\'{"detail":{"error":{"code":"missing_trace_correlation_id","message":'
        '"rl mode needs policy.config.trace_correlation_id or ?cid= in the inference URL"}}}\' '
        "(not 200)",
        fix="Read the cid as synth-ai does: policy.config.trace_correlation_id, then ?cid= (or "
        "trace_correlation_id, trace) in the inference URL; without one, mint a cid or go on "
        "without (§4.6).",
        spec="docs/contract.md#cid-sources",
    )


def test_cid_9_rollout_without_cid_refused() -> None:
    """CID-9 fails an app that demands a cid from synth-ai eval, which sends none."""
    assert failure("CID-9", "rollout_without_cid_refused") == FailureDetail(
        summary="a rollout with no cid, as synth-ai eval sends it, failed",
        sent="POST /rollout, mode 'eval', with no trace_correlation_id and no ?cid= (as "
        "synth-ai eval sends it)",
        expected="200 with a RolloutResponse (the app mints a cid or goes on without one)",
        got='422, body=\'{"detail": {"error": {"code": "missing_trace_correlation_id", '
        '"message": "policy.config.trace_correlation_id or ?cid= is required"}}}\' (not 200)',
        fix="Read the cid as synth-ai does: policy.config.trace_correlation_id, then ?cid= (or "
        "trace_correlation_id, trace) in the inference URL; without one, mint a cid or go on "
        "without (§4.6).",
        spec="docs/contract.md#cid-sources",
    )


# --- AUTH-10, AUTH-11 -----------------------------------------------------------------


def test_auth_10_comma_list_in_x_api_key() -> None:
    """AUTH-10 warns when the key inside an X-API-Key comma list is refused."""
    assert failure("AUTH-10", "x_api_key_list_not_split") == FailureDetail(
        summary="The key inside a comma list in `X-API-Key` is accepted, as synth-ai's server "
        "splits it.",
        sent="GET /health with X-API-Key: <other>, <key>",
        expected="200",
        got='401, body=\'{"detail":{"error":{"code":"unauthorised","message":"API key missing or '
        "invalid\"}}}'",
        fix="Split X-API-Key on commas, trim each part, and accept any listed key (§2.2).",
        spec="docs/contract.md#auth-key-list",
    )


_AUTH_11 = {
    "sent": "GET /health with a random key, to the app built with no ENVIRONMENT_API_KEY (nor "
    "an alias or a dev fallback)",
    "expected": '503 {"detail": {"error": {"code": "missing_environment_api_key", "message": '
    "...}}}",
    "fix": "With no key configured, answer every protected route 503 with the error envelope: "
    "never serve it open, never crash (§1.2).",
    "spec": "docs/contract.md#auth-no-key-configured",
}


@pytest.mark.parametrize(
    ("fault_name", "got"),
    [
        (
            "open_without_a_configured_key",
            '200, body=\'{"healthy":true,"auth":{"required":true,"expected_prefix":"***"}}\'',
        ),
        ("crashes_without_a_configured_key", "500, body='Internal Server Error'"),
        (
            "unconfigured_key_answered_401",
            '401, body=\'{"detail": {"error": {"code": "unauthorised", "message": "API key '
            "missing or invalid\"}}}'",
        ),
    ],
    ids=["open", "500", "401"],
)
def test_auth_11_without_a_configured_key(fault_name: str, got: str) -> None:
    """AUTH-11 fails an app that, built with no key, serves openly, crashes or answers 401."""
    status = got.split(",")[0]
    assert failure("AUTH-11", fault_name) == FailureDetail(
        summary=f"without a configured key, GET /health with a random key got {status}",
        got=got,
        **_AUTH_11,
    )


def test_auth_11_is_not_applicable_to_an_app_object() -> None:
    """An app object cannot be rebuilt without a key: AUTH-11 is n/a and never blocks a run."""
    result = _results(asgi_target(reference(), KEY, "object"), "AUTH-11")["AUTH-11"]
    assert (result.outcome, result.skip_kind) == (Outcome.SKIP, SkipKind.NOT_APPLICABLE)
    assert "an app object, not a factory" in result.reason


def test_auth_11_factory_in_a_subprocess(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An `--app` factory is called again in a subprocess without the key: the reference
    answers 503; a factory that refuses to start fails closed; one keyed elsewhere is n/a.
    """
    (tmp_path / "keyless_apps.py").write_text(
        textwrap.dedent(
            """
            import os
            from reference_app import build_config, create_app
            from tests.faults.apps import reference as keyed_elsewhere

            def refuses():
                os.environ["ENVIRONMENT_API_KEY"]  # KeyError without a key
                return create_app(build_config())
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("ENVIRONMENT_API_KEY", KEY)
    outcomes = {
        spec: _results(app_target(spec, KEY), "AUTH-11")["AUTH-11"]
        for spec in (
            "reference_app:create_app",
            "keyless_apps:refuses",
            "keyless_apps:keyed_elsewhere",
        )
    }
    assert {s: (r.outcome, r.skip_kind) for s, r in outcomes.items()} == {
        "reference_app:create_app": (Outcome.PASS, None),
        "keyless_apps:refuses": (Outcome.PASS, None),
        "keyless_apps:keyed_elsewhere": (Outcome.SKIP, SkipKind.NOT_APPLICABLE),
    }
    assert "takes its key from elsewhere" in outcomes["keyless_apps:keyed_elsewhere"].reason


# --- no pass without evidence ---------------------------------------------------------


def test_model_called_elsewhere_never_passes() -> None:
    """An app that calls another model URL for every rollout fails CID-4 on the evidence
    (calls with the issued cid, off the rollout's own route); the other model-side checks
    have no call of their rollout to judge and SKIP as unproven, never PASS.
    """
    (fault,) = UNPROVEN_FAULTS
    report = run_checks(rebuildable(fault.make, fault.name), _checks(*MODEL_SIDE), RunOptions())
    outcomes = {r.check.id: (r.outcome, r.skip_kind) for r in report.results}
    assert outcomes.pop("CID-4") == (Outcome.FAIL, None)
    assert outcomes == dict.fromkeys(fault.breaks - {"CID-4"}, (Outcome.SKIP, SkipKind.UNPROVEN))
    cid4 = next(r for r in report.results if r.check.id == "CID-4")
    assert cid4.detail is not None
    assert cid4.detail.summary == "the app called the model at a URL it was not given"
    assert cid4.detail.got.endswith("at '/v1/chat/completions' instead")
    assert all("no model call" in r.reason for r in report.results if r.check.id != "CID-4")
    assert report.verdict is Verdict.NOT_CONFORMING


def test_without_a_recorder_model_side_checks_are_unproven() -> None:
    """With an inference URL of the user's own, nothing records the calls: every model-side
    check SKIPs as unproven and says how to get the evidence.
    """
    with MockInferenceServer() as model:
        results = _results(
            asgi_target(reference(), KEY, "user model"), *MODEL_SIDE, inference_url=model.url
        )
    assert {i: (r.outcome, r.skip_kind) for i, r in results.items()} == dict.fromkeys(
        MODEL_SIDE, (Outcome.SKIP, SkipKind.UNPROVEN)
    )
    assert all("--recorder" in r.reason for r in results.values())
