"""Schemathesis fuzzing through `run_fuzz`: the reference app passes, broken variants fail."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from conformance import paseto
from conformance.contract.profiles import CONTAINER, CONTAINERS, LOCALAPI
from conformance.fuzz import (
    CHECKS,
    KEY_PLACEHOLDER,
    FuzzReport,
    default_budget_s,
    must_refuse,
    response_problems,
    run_fuzz,
)
from conformance.inference import MockInferenceServer
from conformance.serving import ServerThread
from conformance.target import Target, asgi_target, embedded_target, url_target
from reference_app import build_config, create_app
from tests.faults.asgi import Exchange, FaultyApp
from tests.faults.fuzz_faults import FUZZ_FAULTS, FuzzFault

KEY = "fuzz-key-0123456789abcdef"


def _reference() -> Any:
    return create_app(build_config(environ={"ENVIRONMENT_API_KEY": KEY}))


def _fuzz(app: Any, **kwargs: Any) -> FuzzReport:
    options: dict[str, Any] = {"examples": 15, "seed": 0, "budget_s": 60.0, **kwargs}
    return run_fuzz(asgi_target(app, KEY, "app"), **options)


def test_reference_app_passes() -> None:
    """A short positive and negative run over every operation finds nothing in the reference app."""
    report = _fuzz(_reference())
    assert report.failures == []
    assert report.cases >= 60
    assert {"POST /rollout positive", "POST /rollout negative", "GET /task_info negative"} <= set(
        report.cases_by_phase
    )
    assert report.cases_per_second > 0
    assert report.skipped == []


def _drop_metrics(ex: Exchange) -> None:
    if ex.path == "/rollout" and ex.status == 200:
        ex.set_json({k: v for k, v in ex.json().items() if k != "metrics"})


def _metrics_dropped() -> Any:
    """A rollout response without its required `metrics`: schema drift on POST /rollout."""
    return FaultyApp(_reference(), after=_drop_metrics)


def test_same_seed_same_cases_and_verdict() -> None:
    """One seed sends the same cases and finds the same failures; another seed differs."""
    fault = next(f for f in FUZZ_FAULTS if f.name == "huge_seed_500")
    ops = ["GET /task_info", "POST /rollout"]
    runs = [_fuzz(fault.app(KEY), seed=s, examples=20, operations=ops) for s in (7, 7, 8)]
    assert runs[0].fingerprint == runs[1].fingerprint != runs[2].fingerprint
    assert runs[0].cases == runs[1].cases
    assert not runs[0].passed
    assert [f.as_dict() for f in runs[0].failures] == [f.as_dict() for f in runs[1].failures]


EXPECTED = {
    "huge_seed_500": ("GET /task_info", "not_a_server_error"),
    "negative_seed_500": ("GET /task_info", "not_a_server_error"),
    "extra_rollout_field_500": ("POST /rollout", "not_a_server_error"),
    "field_dropped_for_some_seeds": ("GET /task_info", "response_schema_conformance"),
}


@pytest.mark.parametrize("fault", [f for f in FUZZ_FAULTS if f.fuzz_catches], ids=lambda f: f.name)
def test_broken_variant_is_caught(fault: FuzzFault) -> None:
    """Fuzzing catches a 500 on huge or negative seeds or extra fields, and a dropped field."""
    operation, check = EXPECTED[fault.name]
    report = _fuzz(fault.app(KEY), examples=40, operations=[operation])
    assert check in {f.check for f in report.failures}
    assert {f.check for f in report.failures} <= set(CHECKS)
    assert {f.operation for f in report.failures} == {operation}


def _default_mode(ex: Exchange) -> None:
    """Repair a rollout body's mode (missing, wrong case, any junk) to rl before the app sees it."""
    body = ex.request_json()
    if ex.path == "/rollout" and isinstance(body, dict) and body.get("mode") not in ("rl", "eval"):
        body["mode"] = "rl"
        ex.body = json.dumps(body).encode()
        ex.headers["content-length"] = str(len(ex.body))


def test_a_2xx_for_a_forbidden_body_is_caught() -> None:
    """A rollout served although its mode is missing or invalid fails `invalid_input_rejected`."""
    app = FaultyApp(_reference(), before=_default_mode)
    report = _fuzz(app, examples=25, operations=["POST /rollout"])
    failure = next(f for f in report.failures if f.check == "invalid_input_rejected")
    assert failure.mode == "negative"
    assert failure.status == 200
    assert "RolloutRequest refuses the body (mode: " in failure.message
    assert "assert 400 <= response.status_code < 500" in failure.pytest_snippet


def _fastapi_error_list(ex: Exchange) -> None:
    if 400 <= ex.status < 500:
        ex.set_json({"detail": [{"type": "missing", "loc": ["body"], "msg": "Field required"}]})


def test_error_bodies_are_never_judged() -> None:
    """FastAPI's default 422 list instead of the envelope is a SHOULD (RO-9), not a fuzz failure."""
    report = _fuzz(FaultyApp(_reference(), after=_fastapi_error_list), examples=10)
    assert report.statuses.get(422, 0) > 0
    assert report.failures == []


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "reason"),
    [
        ("GET", "/task_info", "seed=abc", b"", "seed='abc' does not parse as an integer"),
        ("GET", "/task_info", "seed=1&seeds=1.5", b"", "seeds='1.5' does not parse as an integer"),
        ("GET", "/task_info", "seed=", b"", "seed='' does not parse as an integer"),
        ("GET", "/task_info", "seed=-1&seeds=" + "9" * 40, b"", None),
        ("GET", "/task_info", "seed=1.0&seed=+7&seed=%201", b"", None),
        ("GET", "/task_info", "other=abc", b"", None),
        ("POST", "/rollout", "", b'{"run_id": ', "the body does not parse as JSON"),
        ("POST", "/rollout", "", b"[]", "RolloutRequest refuses the body (the body: Input "),
        (
            "POST",
            "/rollout",
            "",
            b'{"run_id": "r", "env": {}, "policy": {}, "ops": []}',
            "RolloutRequest refuses the body (mode: Field required)",
        ),
        (
            "POST",
            "/rollout",
            "",
            b'{"run_id": "r", "env": {}, "policy": {}, "ops": [], "mode": "EVAL"}',
            "RolloutRequest refuses the body (mode: Input should be 'rl' or 'eval')",
        ),
        (
            "POST",
            "/rollout",
            "",
            b'{"run_id": 7, "env": {}, "policy": {}, "ops": [], "mode": "rl"}',
            "RolloutRequest refuses the body (run_id: Input should be a valid string)",
        ),
        (
            "POST",
            "/rollout",
            "",
            b'{"run_id": "r", "env": {"seed": "3"}, "policy": {}, "ops": [], "mode": "rl",'
            b' "extra": {"any": 1}}',
            None,
        ),
        (
            "POST",
            "/rollout",
            "",
            b'{"run_id": "r", "env": {"seed": -5}, "policy": {}, "ops": [], "mode": "eval"}',
            None,
        ),
        ("GET", "/health", "", b"", None),
    ],
    ids=[
        "seed-abc",
        "seeds-float",
        "seed-empty",
        "negative-and-huge-seeds-open",
        "lax-integers-open",
        "other-params-open",
        "rollout-not-json",
        "rollout-array",
        "rollout-no-mode",
        "rollout-mode-upper-case",
        "rollout-run-id-int",
        "rollout-lax-seed-and-extra-field-open",
        "rollout-negative-seed-open",
        "no-input",
    ],
)
def test_must_refuse_follows_synth_ais_own_parsing(
    method: str, path: str, query: str, body: bytes, reason: str | None
) -> None:
    """Only what synth-ai's FastAPI server refuses must be refused; what it accepts is open."""
    got = must_refuse(method, path, query, body)
    if reason is None:
        assert got is None
    else:
        assert got is not None
        assert got.startswith(reason)


def test_a_rejected_key_is_a_failure_not_a_green_run() -> None:
    """When every valid case is refused as unauthorised the fuzzer says so instead of passing."""
    report = run_fuzz(
        asgi_target(_reference(), "not-the-key", "app"), examples=5, seed=0, budget_s=60
    )
    refused = {f.operation for f in report.failures if f.check == "api_key_accepted"}
    assert refused == {"GET /health", "GET /info", "GET /task_info", "POST /rollout"}
    assert not report.passed


def test_the_reference_app_answers_valid_cases_with_200() -> None:
    """The key is injected: valid cases get 200, not 401."""
    report = _fuzz(_reference(), examples=5)
    assert report.statuses.get(200, 0) > 0
    assert report.statuses.get(401, 0) == 0


def test_a_rollout_reproduction_runs_its_own_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pytest snippet of a POST /rollout failure starts a mock model and reproduces it."""
    report = _fuzz(_metrics_dropped(), examples=5, operations=["POST /rollout"])
    failure = next(f for f in report.failures if f.check == "response_schema_conformance")
    assert failure.curl.startswith("taskapp-conformance mock-inference --port 8002 &")
    namespace: dict[str, Any] = {}
    exec(compile(failure.pytest_snippet, "<snippet>", "exec"), namespace)
    test = next(v for k, v in namespace.items() if k.startswith("test_fuzz_"))
    with ServerThread(_metrics_dropped()) as server:
        monkeypatch.setenv("TASKAPP_URL", server.url)
        monkeypatch.setenv("ENVIRONMENT_API_KEY", KEY)
        with pytest.raises(AssertionError):
            test()
    with ServerThread(_reference()) as server:  # and against a fixed app it passes
        monkeypatch.setenv("TASKAPP_URL", server.url)
        test()


def test_failures_carry_seed_and_reproductions_without_the_key() -> None:
    """Each failure names its seed and gives a curl command and a pytest snippet, never the key."""
    fault = next(f for f in FUZZ_FAULTS if f.name == "huge_seed_500")
    report = _fuzz(fault.app(KEY), seed=3, examples=40, operations=["GET /task_info"])
    failure = next(f for f in report.failures if f.check == "not_a_server_error")
    assert failure.seed == 3
    assert failure.status == 500
    assert failure.curl.startswith("curl ")
    assert KEY_PLACEHOLDER in failure.curl
    assert "assert response.status_code < 500" in failure.pytest_snippet
    compile(failure.pytest_snippet, "<snippet>", "exec")
    assert KEY not in json.dumps(report.as_dict())
    assert KEY not in failure.render()
    assert "seed 3" in failure.render()


def test_time_budget_stops_the_run() -> None:
    """A spent budget stops the run and says so."""
    report = _fuzz(_reference(), budget_s=0.0)
    assert report.budget_exhausted
    assert report.cases == 0
    assert "time budget" in report.summary()


class _RemoteTarget(Target):
    """A target the harness treats as remote although it listens on loopback."""

    @property
    def is_local(self) -> bool:
        return False


def test_remote_target_without_inference_url_skips_positive_rollouts() -> None:
    """Without a reachable inference URL, positive rollouts are skipped with the reason."""
    with ServerThread(_reference()) as server:
        target = _RemoteTarget(label="remote", base_url=server.url, api_key=KEY)
        report = run_fuzz(target, examples=5, seed=0, budget_s=30, operations=["POST /rollout"])
    assert "POST /rollout positive" not in report.cases_by_phase
    assert any("no inference URL" in reason for reason in report.skipped)
    assert report.passed


@pytest.mark.e2e
def test_url_target_over_uvicorn_passes() -> None:
    """The reference app on real uvicorn passes a short run driven over HTTP."""
    with ServerThread(_reference()) as server:
        report = run_fuzz(url_target(server.url, KEY), examples=8, seed=1, budget_s=60)
    assert report.passed
    assert report.cases > 20


def test_response_problems_names_the_violation() -> None:
    """`response_problems` judges 2xx bodies and statuses; any error body conforms."""
    envelope = {"detail": {"error": {"code": "c", "message": "m"}}}
    assert response_problems("POST", "/rollout", 422, envelope) == []
    assert response_problems("POST", "/rollout", 422, {"detail": []}) == []
    assert response_problems("GET", "/health", 200, {"healthy": True}) == [
        '/: "auth" is a required property'
    ]
    assert "not documented" in response_problems("GET", "/health", 418, {})[0]


@pytest.mark.slow
def test_reference_app_passes_2000_cases() -> None:
    """The reference app passes at least 2,000 positive and negative cases with zero failures."""
    report = _fuzz(_reference(), examples=500, budget_s=600.0)
    assert report.cases >= 2000
    assert not report.budget_exhausted
    assert report.failures == []


def test_reproductions_keep_a_users_inference_url_and_hide_url_passwords() -> None:
    """With --inference-url the replay keeps it (no stand-in mock); a URL password never shows."""
    with MockInferenceServer() as model, ServerThread(_metrics_dropped()) as server:
        target = url_target(server.url.replace("http://", "http://bob:pw@"), KEY)
        report = run_fuzz(
            target,
            examples=3,
            seed=0,
            budget_s=60,
            operations=["POST /rollout"],
            inference_url=model.url,
        )
    failure = next(f for f in report.failures if f.check == "response_schema_conformance")
    assert failure.curl.startswith("curl ")  # no stand-in mock to start
    assert model.url in failure.curl
    assert "http://bob:***@127.0.0.1" in failure.curl
    assert ":pw@" not in failure.curl + failure.pytest_snippet


@pytest.mark.parametrize(("examples", "seconds"), [(1, 120.0), (25, 120.0), (1000, 1000.0)])
def test_more_examples_raise_the_default_time_budget(examples: int, seconds: float) -> None:
    """Without --fuzz-budget the safety net is 120 s, or 1 s per example when that is more."""
    assert default_budget_s(examples) == seconds


def _rollouts_answer(status: int) -> Any:
    def answer(ex: Exchange) -> None:
        if ex.path == "/rollout" and ex.status == 200:
            ex.set_json({"detail": {"error": {"code": "model", "message": "no answer"}}}, status)

    return FaultyApp(_reference(), after=answer)


@pytest.mark.parametrize(("status", "accused"), [(504, False), (502, False), (500, True)])
def test_gateway_errors_on_rollout_are_no_crash(status: int, accused: bool) -> None:
    """502/504, documented for /rollout (the model failed, or safety.max_time_s ran out), are
    honest answers; a 500 is a crash.
    """
    report = _fuzz(_rollouts_answer(status), examples=5, operations=["POST /rollout"])
    assert ("not_a_server_error" in {f.check for f in report.failures}) is accused


# --- the later generations ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("profile", "path", "body", "reason"),
    [
        (LOCALAPI, "/rollout", {"env": {}, "policy": {}}, "LocalApiRolloutRequest refuses"),
        (LOCALAPI, "/rollout", {"trace_correlation_id": " ", "env": {}, "policy": {}}, None),
        (
            CONTAINER,
            "/rollout",
            {"trace_correlation_id": " ", "env": {}, "policy": {}},
            "Container",
        ),
        (
            CONTAINER,
            "/rollout",
            {"trace_correlation_id": "c", "env": {}, "policy": {}, "x": 1},
            None,
        ),
        (CONTAINERS, "/rollouts", {"rollout_id": "a b", "answer": "hi"}, None),
        (CONTAINERS, "/rollouts", {"submission_mode": "later"}, "ContainersSubmission refuses"),
        (CONTAINERS, "/rollout", {"submission_mode": "later"}, None),
    ],
    ids=[
        "localapi-no-cid",
        "localapi-blank-cid-open",
        "container-blank-cid",
        "container-extra-field-open",
        "containers-strict-only-refusals-open",
        "containers-bad-mode",
        "containers-not-its-rollout-path",
    ],
)
def test_must_refuse_follows_each_generations_own_parsing(
    profile: str, path: str, body: dict[str, Any], reason: str | None
) -> None:
    """What the generation's own server refuses must be refused; what any of its servers
    accepts is open.
    """
    got = must_refuse("POST", path, "", json.dumps(body).encode(), profile)
    assert got is None if reason is None else (got or "").startswith(reason)


def _token_target(trusted: str | None = None) -> tuple[Target, dict[str, str]]:
    """The container reference app and a token signed with its key (or with another)."""
    target = embedded_target(KEY, profile=CONTAINER)
    signing = trusted or target.container_signing_key
    assert signing is not None
    token = paseto.bearer(paseto.load_private_key(signing), ["rollout", "task_info"])
    return target, {"X-Synth-Container-Authorization": token}


def test_a_container_token_is_sent_and_never_shown() -> None:
    """Judged as container, the fuzzer sends the token; reports and reproductions never hold
    it (a `$SYNTH_CONTAINER_TOKEN` placeholder instead), and "public" stays readable.
    """
    target, headers = _token_target()
    app = FaultyApp(target.app, after=_drop_reward_info)
    broken = dataclasses.replace(target, app=app)
    report = run_fuzz(
        broken,
        examples=5,
        seed=0,
        profile=CONTAINER,
        auth_headers=headers,
        operations=["POST /rollout"],
    )
    assert report.statuses.get(401, 0) == 0
    (failure,) = report.failures
    token = headers["X-Synth-Container-Authorization"].split()[-1]
    text = json.dumps(report.as_dict())
    assert token not in text
    assert token.removeprefix("v4.public.")[:12] not in text
    assert '"X-Synth-Container-Authorization: Bearer $SYNTH_CONTAINER_TOKEN"' in failure.curl
    assert 'os.environ["SYNTH_CONTAINER_TOKEN"]' in failure.pytest_snippet


def _drop_reward_info(ex: Exchange) -> None:
    if ex.path == "/rollout" and ex.status == 200:
        ex.set_json({k: v for k, v in ex.json().items() if k != "reward_info"})


def test_an_untrusted_token_is_a_failure_not_a_green_run() -> None:
    """A container app that refuses the harness's token fails `token_accepted` on every
    protected operation, with the fix that names the signing key.
    """
    target, headers = _token_target(trusted=paseto.private_key_b64(paseto.new_key()))
    report = run_fuzz(target, examples=3, seed=0, profile=CONTAINER, auth_headers=headers)
    refused = {f.operation for f in report.failures if f.check == "token_accepted"}
    assert refused == {"GET /info", "GET /task_info", "POST /rollout"}
    assert "--container-signing-key" in report.failures[-1].fix


def test_containers_reproductions_carry_no_credential() -> None:
    """Judged as containers-2026-05 (no auth), no key is sent or shown."""
    target = embedded_target(KEY, profile=CONTAINERS)
    app = FaultyApp(target.app, after=_refusal_500)
    report = run_fuzz(
        dataclasses.replace(target, app=app),
        examples=3,
        seed=0,
        profile=CONTAINERS,
        operations=["POST /rollouts"],
    )
    failure = report.failures[0]
    assert "X-API-Key" not in failure.curl + failure.pytest_snippet
    assert failure.pytest_snippet.count("headers={'Content-Type': 'application/json'}") == 1


def _refusal_500(ex: Exchange) -> None:
    if ex.path == "/rollouts" and ex.status == 422:
        ex.status, ex.response_body = 500, b"boom"


def test_an_app_that_raises_is_its_500_not_a_harness_error() -> None:
    """An in-process app whose handler raises gets `not_a_server_error`, as it would behind
    a server; the fuzzer itself does not crash.
    """

    async def raising(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/rollouts":
            raise RuntimeError("boom")
        await embedded.app(scope, receive, send)

    embedded = embedded_target(KEY, profile=CONTAINERS)
    report = run_fuzz(
        dataclasses.replace(embedded, app=raising),
        examples=3,
        seed=0,
        profile=CONTAINERS,
        operations=["POST /rollouts"],
    )
    assert {f.check for f in report.failures} >= {"not_a_server_error"}


def test_nothing_to_break_is_no_unrun_phase() -> None:
    """A path's string parameter has no invalid value: its negative phase runs no case and is
    not reported as skipped (which would leave FUZZ-1 unproven).
    """
    report = run_fuzz(
        embedded_target(KEY, profile=CONTAINERS),
        examples=3,
        seed=0,
        profile=CONTAINERS,
        operations=["GET /rollouts/{rollout_id}"],
    )
    assert report.skipped == []
    assert report.cases_by_phase["GET /rollouts/{rollout_id} negative"] == 0
    assert report.passed
