"""Apps that follow the spec but differ from the reference app are not accused of anything."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from conformance.exitcodes import ExitCode
from conformance.inference import MockInferenceServer
from conformance.outcomes import Outcome
from conformance.registry import Severity, catalogue
from conformance.reports import verdict
from conformance.runner import RunOptions, RunSession, run_checks
from conformance.target import IN_PROCESS_BASE_URL, Target, asgi_target
from tests.faults import KEY
from tests.faults.apps import reference
from tests.faults.asgi import Exchange, FaultyApp
from tests.faults.fuzz_faults import FUZZ_FAULTS


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
        if ex.path == "/task_info" and any(v.isdigit() and int(v) >= 100 for v in seeds):
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
    """Rollout checks skip with the reason, and the run exits 2 instead of claiming conformance."""
    target = _RemoteLooking(
        label="remote", base_url=IN_PROCESS_BASE_URL, api_key=KEY, app=reference()
    )
    report = run_checks(target, catalogue(), RunOptions())
    ro1 = next(r for r in report.results if r.check.id == "RO-1")
    assert ro1.outcome is Outcome.SKIP
    assert "pass --inference-url" in ro1.reason
    assert report.count(Outcome.FAIL) == 0
    assert report.exit_code() == ExitCode.USAGE
    assert "Verdict: incomplete" in verdict(report)


def test_remote_app_with_a_user_inference_url_never_passes_unrecorded_halves() -> None:
    """With --inference-url, checks that also need recordings SKIP saying so; the run is green."""
    target = _RemoteLooking(
        label="remote", base_url=IN_PROCESS_BASE_URL, api_key=KEY, app=reference()
    )
    with MockInferenceServer() as mock:  # reachable by the app, but its calls are not ours
        report = run_checks(target, catalogue(), RunOptions(inference_url=mock.url))
    outcomes = {r.check.id: r for r in report.results}
    assert {i for i, r in outcomes.items() if r.outcome is Outcome.SKIP} == {
        "CID-4",
        "CID-5",
        "CID-6",
        "PROP-2",
        "FUZZ-1",
    }
    assert "every response carried only its own cid" in outcomes["CID-5"].reason
    assert "what reached the model is unproven" in outcomes["CID-6"].reason
    assert report.exit_code() == ExitCode.OK


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
