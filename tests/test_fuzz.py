"""Schemathesis fuzzing through `run_fuzz`: the reference app passes, broken variants fail."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.fuzz import CHECKS, KEY_PLACEHOLDER, FuzzReport, response_problems, run_fuzz
from conformance.serving import ServerThread
from conformance.target import Target, asgi_target, url_target
from reference_app import build_config, create_app
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


def test_same_seed_same_cases_and_verdict() -> None:
    """One seed sends the same cases and reaches the same verdict; another seed differs."""
    runs = [_fuzz(_reference(), seed=s, operations=["GET /task_info"]) for s in (7, 7, 8)]
    assert runs[0].fingerprint == runs[1].fingerprint != runs[2].fingerprint
    assert runs[0].cases == runs[1].cases
    assert runs[0].passed == runs[1].passed


@pytest.mark.parametrize("fault", [f for f in FUZZ_FAULTS if f.fuzz_catches], ids=lambda f: f.name)
def test_broken_variant_is_caught(fault: FuzzFault) -> None:
    """Fuzzing /task_info catches a 500 on huge seeds and a field dropped for some seeds."""
    report = _fuzz(fault.app(KEY), examples=40, operations=["GET /task_info"])
    assert not report.passed
    assert {f.check for f in report.failures} <= set(CHECKS)


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
    """`response_problems` explains a body that breaks the document and accepts a good one."""
    envelope = {"detail": {"error": {"code": "c", "message": "m"}}}
    assert response_problems("POST", "/rollout", 422, envelope) == []
    assert response_problems("POST", "/rollout", 422, {"detail": []}) != []
    assert "not documented" in response_problems("GET", "/health", 418, {})[0]


@pytest.mark.slow
def test_reference_app_passes_2000_cases() -> None:
    """The reference app passes at least 2,000 positive and negative cases with zero failures."""
    report = _fuzz(_reference(), examples=500, budget_s=600.0)
    assert report.cases >= 2000
    assert not report.budget_exhausted
    assert report.failures == []
