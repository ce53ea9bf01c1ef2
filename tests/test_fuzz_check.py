"""FUZZ-1, the Schemathesis phase of `check`: when it runs, what it fails on, what it spares."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.context import Settings
from conformance.inference import MockInferenceServer
from conformance.outcomes import Outcome, SkipKind
from conformance.registry import catalogue, select_checks
from conformance.runner import CheckResult, RunOptions, run_checks
from conformance.target import IN_PROCESS_BASE_URL, Target, asgi_target
from tests.faults import KEY
from tests.faults.apps import reference
from tests.faults.fuzz_faults import FUZZ_FAULTS

FAST = Settings(fuzz=True, fuzz_examples=8, fuzz_seed=3)


def _fuzz_result(app: object, settings: Settings = FAST, **options: Any) -> CheckResult:
    checks = select_checks(catalogue(), ["FUZZ-1"])
    run = RunOptions(settings=settings, **options)
    return run_checks(asgi_target(app, KEY, "fuzz"), checks, run).results[0]


class _Remote(Target):
    """An in-process app the harness must treat as remote (its mock out of reach)."""

    @property
    def is_local(self) -> bool:
        return False


def test_reference_app_passes_fuzzing() -> None:
    """With fuzzing on the reference app passes FUZZ-1."""
    assert _fuzz_result(reference()).outcome is Outcome.PASS


def test_fuzzing_runs_by_default_for_an_in_process_app() -> None:
    """With no fuzz setting (auto), an in-process target records its model calls: FUZZ-1 runs."""
    result = _fuzz_result(reference(), Settings(fuzz=None, fuzz_examples=3))
    assert result.outcome is Outcome.PASS


def test_no_fuzz_is_not_selected() -> None:
    """`--no-fuzz` makes FUZZ-1 a not-selected skip that names the flag, never unproven."""
    result = _fuzz_result(reference(), Settings(fuzz=False))
    assert (result.outcome, result.skip_kind) == (Outcome.SKIP, SkipKind.NOT_SELECTED)
    assert result.reason == "fuzzing is off (--no-fuzz, pytest: --taskapp-no-fuzz)"


def test_remote_app_with_a_real_model_is_opt_in() -> None:
    """Against a remote app with the user's model, auto does not fuzz and says how to opt in."""
    target = _Remote(label="remote", base_url=IN_PROCESS_BASE_URL, api_key=KEY, app=reference())
    checks = select_checks(catalogue(), ["FUZZ-1"])
    with MockInferenceServer() as model:
        options = RunOptions(settings=Settings(fuzz=None), inference_url=model.url)
        result = run_checks(target, checks, options).results[0]
    assert (result.outcome, result.skip_kind) == (Outcome.SKIP, SkipKind.NOT_SELECTED)
    assert "may cost money; turn it on with --fuzz (pytest: --taskapp-fuzz)" in result.reason


def test_a_spent_time_budget_is_unproven_not_green() -> None:
    """When the time budget stops the run before its cases, FUZZ-1 is an unproven skip."""
    result = _fuzz_result(reference(), Settings(fuzz=True, fuzz_budget_s=0.0))
    assert (result.outcome, result.skip_kind) == (Outcome.SKIP, SkipKind.UNPROVEN)
    assert "time budget ran out" in result.reason


@pytest.mark.parametrize("fault", [f for f in FUZZ_FAULTS if f.fuzz_catches], ids=lambda f: f.name)
def test_fuzzing_catches_crashes_and_drift(fault: Any) -> None:
    """With the default examples, FUZZ-1 fails every variant that 500s on odd seeds or bodies
    or drops a field.
    """
    result = _fuzz_result(fault.app(KEY), Settings(fuzz=True))
    assert result.outcome is Outcome.FAIL


def test_a_failure_carries_seed_and_reproduction_without_the_key() -> None:
    """FUZZ-1's failure block names the seed and gives a curl reproduction, never the key."""
    fault = next(f for f in FUZZ_FAULTS if f.name == "huge_seed_500")
    result = _fuzz_result(fault.app(KEY))
    assert result.outcome is Outcome.FAIL
    detail = result.detail
    assert detail is not None
    assert "(seed 3)" in detail.sent
    assert "curl " in detail.sent
    assert "$ENVIRONMENT_API_KEY" in detail.sent
    assert KEY not in detail.sent + detail.got
    assert "not_a_server_error" in detail.got
    assert "def test_" in detail.got
    assert detail.expected == (
        "no 5xx, only documented statuses, 2xx bodies that match the canonical schema, "
        "and a 4xx for input the contract forbids"
    )
