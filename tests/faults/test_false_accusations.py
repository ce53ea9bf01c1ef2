"""Apps that follow the spec but differ from the reference app are not accused of anything."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from conformance.context import Settings
from conformance.contract import ENVIRONMENT_API_KEY_ENV
from conformance.exitcodes import ExitCode
from conformance.inference import MockInferenceServer
from conformance.outcomes import Outcome, SkipKind
from conformance.registry import Severity, catalogue
from conformance.reports import verdict
from conformance.runner import RunOptions, RunReport, RunSession, run_checks
from conformance.target import IN_PROCESS_BASE_URL, Target, asgi_target
from tests.faults import KEY
from tests.faults.apps import reference
from tests.faults.asgi import Exchange, FaultyApp
from tests.faults.fuzz_faults import FUZZ_FAULTS
from tests.faults.legal import LEGAL_APPS, Choices, create_legal_app


def _failed_musts(app: object) -> dict[str, str]:
    report = run_checks(asgi_target(app, KEY, "variant"), catalogue(), RunOptions())
    return {
        r.check.id: r.outcome.value
        for r in report.results
        if r.check.severity is Severity.MUST and r.outcome in (Outcome.FAIL, Outcome.ERROR)
    }


def test_422_for_a_missing_key_is_a_rejection() -> None:
    """A 422 (FastAPI's `Header(...)`) for a missing key rejects: only AUTH-8 (should) warns."""

    def missing_key_is_422(ex: Exchange) -> None:
        if ex.status == 401:
            ex.set_json({"detail": {"error": {"code": "missing", "message": "key"}}}, 422)

    app = FaultyApp(reference(), after=missing_key_is_422)
    report = run_checks(asgi_target(app, KEY, "422"), catalogue(), RunOptions())
    flagged = {r.check.id for r in report.results if r.outcome in (Outcome.FAIL, Outcome.WARN)}
    assert flagged == {"AUTH-8"}


def test_an_app_with_only_100_seeds_conforms() -> None:
    """Refusing seeds it does not serve (404 with the envelope) is the provider's right (§1.5)."""

    def only_100_seeds(ex: Exchange) -> None:
        seeds = [v for k, v in parse_qsl(ex.query) if k in ("seed", "seeds")]
        if ex.path == "/task_info" and any(v.isdigit() and len(v.lstrip("0")) > 2 for v in seeds):
            ex.set_json({"detail": {"error": {"code": "no_such_seed", "message": "x"}}}, 404)

    assert _failed_musts(FaultyApp(reference(), after=only_100_seeds)) == {}


def test_harness_hands_out_a_full_completions_url() -> None:
    """The inference URL sent works for apps that append a path and apps that use it verbatim."""
    with RunSession(asgi_target(reference(), KEY, "ref")) as session:
        url = session.ctx.rollout(seed=1).body["policy"]["config"]["inference_url"]
    parts = urlsplit(url)
    assert parts.path.endswith("/v1/chat/completions")
    assert parts.query.startswith("cid=trace_")


class _RemoteLooking(Target):
    """An in-process app the harness must treat as remote (its mock out of reach)."""

    @property
    def is_local(self) -> bool:
        return False


def test_remote_app_without_inference_url_is_incomplete_not_green() -> None:
    """Rollout checks skip with the reason, and the run exits 4 instead of claiming conformance."""
    target = _RemoteLooking(
        label="remote", base_url=IN_PROCESS_BASE_URL, api_key=KEY, app=reference()
    )
    report = run_checks(target, catalogue(), RunOptions())
    ro1 = next(r for r in report.results if r.check.id == "RO-1")
    assert ro1.outcome is Outcome.SKIP
    assert "pass --inference-url" in ro1.reason
    assert report.count(Outcome.FAIL) == 0
    assert report.exit_code() == ExitCode.INCOMPLETE
    assert "Verdict: incomplete" in verdict(report)


def test_remote_app_with_a_user_inference_url_never_passes_unrecorded_halves() -> None:
    """With --inference-url, checks that also need recordings are unproven (exit 4), and
    fuzzing, which would spend the user's model, is not selected.
    """
    target = _RemoteLooking(
        label="remote", base_url=IN_PROCESS_BASE_URL, api_key=KEY, app=reference()
    )
    with MockInferenceServer() as mock:  # reachable by the app, but its calls are not ours
        report = run_checks(target, catalogue(), RunOptions(inference_url=mock.url))
    outcomes = {r.check.id: r for r in report.results}
    unproven = {i for i, r in outcomes.items() if r.skip_kind is SkipKind.UNPROVEN}
    assert {"CID-4", "CID-5", "CID-6", "PROP-2"} <= unproven
    assert outcomes["FUZZ-1"].skip_kind is SkipKind.NOT_SELECTED
    assert "FUZZ-1" not in unproven
    assert report.exit_code() == ExitCode.INCOMPLETE
    assert "every response carried only its own cid" in outcomes["CID-5"].reason
    assert "what reached the model is unproven" in outcomes["CID-6"].reason


def test_a_lenient_remote_app_is_not_accused_of_crashing() -> None:
    """Without an inference URL, the 502 of a lenient app (it tried the stand-in inference
    port) is PROP-3's lenience, not a PROP-4 crash.
    """
    fault = next(f for f in FUZZ_FAULTS if f.name == "bool_seed_accepted_as_int")
    target = _RemoteLooking(
        label="remote", base_url=IN_PROCESS_BASE_URL, api_key=KEY, app=fault.app(KEY)
    )
    checks = [c for c in catalogue() if c.id in ("AUTH-1", "PROP-3", "PROP-4")]
    report = run_checks(target, checks, RunOptions(strict=True))
    outcomes = {r.check.id: r.outcome for r in report.results}
    assert (outcomes["PROP-3"], outcomes["PROP-4"]) == (Outcome.FAIL, Outcome.PASS)


def test_a_token_in_the_targets_own_inference_url_is_redacted() -> None:
    """An inference URL adopted from the target's /info is redacted like a user-given one."""
    with MockInferenceServer() as mock:
        advertised = f"{mock.url}/v1/chat/completions?api_key=sk-advertised-123456"

        def advertise(ex: Exchange) -> None:
            body = ex.json()
            if (
                ex.path in ("/info", "/task_info")
                and isinstance(body, dict)
                and "inference" in body
            ):
                body["inference"]["inference_url"] = advertised
                ex.set_json(body)
            if ex.path == "/rollout" and ex.status == 200:  # break CID-1: its block quotes the URL
                body = ex.json()
                body["pipeline_metadata"]["inference_url"] = advertised
                ex.set_json(body)

        app = FaultyApp(reference(), after=advertise)
        target = _RemoteLooking(label="remote", base_url=IN_PROCESS_BASE_URL, api_key=KEY, app=app)
        checks = [c for c in catalogue() if c.id in ("AUTH-1", "RO-1", "CID-1")]
        report = run_checks(target, checks, RunOptions())
    cid1 = next(r for r in report.results if r.check.id == "CID-1")
    assert cid1.outcome is Outcome.FAIL
    assert cid1.detail is not None
    assert "api_key=***" in cid1.detail.got
    assert "sk-advertised-123456" not in cid1.detail.got + report.inference


def _legal_run(choices: Choices, settings: Settings) -> RunReport:
    def build(environ: Mapping[str, str]) -> Any:  # AUTH-11 builds it again with no key
        return create_legal_app(choices, environ.get(ENVIRONMENT_API_KEY_ENV))

    target = asgi_target(build({ENVIRONMENT_API_KEY_ENV: KEY}), KEY, choices.name, rebuild=build)
    return run_checks(target, catalogue(), RunOptions(settings=settings))


@pytest.mark.parametrize("choices", LEGAL_APPS, ids=lambda c: c.name)
def test_legal_app_passes_every_must_check(choices: Choices) -> None:
    """An app built from scratch on FastAPI's defaults, or with other lenient choices the
    contract allows, conforms: no MUST check fails or goes unproven, and the default fuzzing
    (on in-process) finds nothing.
    """
    report = _legal_run(choices, Settings())
    failed = {
        r.check.id: r.detail.summary if r.detail else r.reason
        for r in report.results
        if r.check.severity is Severity.MUST and (r.outcome is Outcome.FAIL or r.unproven)
    }
    assert failed == {}
    fuzz = next(r for r in report.results if r.check.id == "FUZZ-1")
    assert fuzz.outcome is Outcome.PASS, fuzz.reason
    assert report.exit_code() == ExitCode.OK


@pytest.mark.slow
@pytest.mark.parametrize("choices", LEGAL_APPS, ids=lambda c: c.name)
def test_legal_app_passes_1000_fuzz_examples(choices: Choices) -> None:
    """`check --fuzz --fuzz-examples 1000` against a legal app: not one FAIL, every case run."""
    settings = Settings(fuzz=True, fuzz_examples=1000, fuzz_budget_s=1800.0)
    results = _legal_run(choices, settings).results
    assert [r.check.id for r in results if r.outcome in (Outcome.FAIL, Outcome.ERROR)] == []
    fuzz = next(r for r in results if r.check.id == "FUZZ-1")
    assert fuzz.outcome is Outcome.PASS, fuzz.reason


def _answers(app: Any, *requests: tuple[str, str, Any]) -> list[httpx.Response]:
    """Send `(method, url, json)` requests with the key to an in-process app, in order."""

    async def send() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://legal") as client:
            return [
                await client.request(m, url, json=body, headers={"X-API-Key": KEY})
                for m, url, body in requests
            ]

    return asyncio.run(send())


@pytest.mark.parametrize("choices", LEGAL_APPS, ids=lambda c: c.name)
def test_legal_app_differs_where_the_contract_allows(choices: Choices) -> None:
    """Each legal app really makes its choices: its own 4xx statuses and seed range."""
    invalid, not_int, negative, huge = _answers(
        create_legal_app(choices, "another-key-0123456789"),
        ("POST", "/rollout", {"run_id": "r"}),
        ("GET", "/task_info?seed=abc", None),
        ("GET", "/task_info?seed=-3", None),
        ("GET", f"/task_info?seed={10**30}", None),
    )
    assert invalid.status_code == not_int.status_code == choices.rejection_status
    served = 404 if choices.served_seeds else 200
    rejected, not_int, negative, huge = _answers(
        create_legal_app(choices, KEY),
        ("POST", "/rollout", {"run_id": "r"}),
        ("GET", "/task_info?seed=abc", None),
        ("GET", "/task_info?seed=-3", None),
        ("GET", f"/task_info?seed={10**30}", None),
    )
    assert (rejected.status_code, not_int.status_code) == (choices.validation_status,) * 2
    assert (negative.status_code, huge.status_code) == (served, served)
    (keyless,) = _answers(create_legal_app(choices, None), ("GET", "/health", None))
    assert keyless.status_code == 503
    assert keyless.json()["detail"]["error"]["code"] == "missing_environment_api_key"
