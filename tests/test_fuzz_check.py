"""FUZZ-1, the opt-in Schemathesis phase of `check`: passes on the reference app, catches faults."""

from __future__ import annotations

from conformance.context import Settings
from conformance.outcomes import Outcome
from conformance.registry import catalogue, select_checks
from conformance.runner import RunOptions, run_checks
from conformance.target import asgi_target
from tests.faults import FAULTS, KEY
from tests.faults.apps import reference
from tests.test_fault_matrix import OPT_IN

FUZZ = RunOptions(settings=Settings(fuzz=True, fuzz_examples=8, fuzz_seed=3))


def _fuzz_result(app: object) -> object:
    report = run_checks(asgi_target(app, KEY, "fuzz"), select_checks(catalogue(), ["FUZZ-1"]), FUZZ)
    return report.results[0]


def test_reference_app_passes_fuzzing() -> None:
    """With --fuzz the reference app passes FUZZ-1."""
    assert _fuzz_result(reference()).outcome is Outcome.PASS  # type: ignore[attr-defined]


def test_fuzzing_catches_its_fault_with_seed_and_reproduction() -> None:
    """FUZZ-1 fails on a 500-on-huge-seed app and reports the seed and a curl reproduction."""
    fault = next(f for f in FAULTS if f.name == OPT_IN["FUZZ-1"])
    result = _fuzz_result(fault.app())
    assert result.outcome is Outcome.FAIL  # type: ignore[attr-defined]
    detail = result.detail  # type: ignore[attr-defined]
    assert "(seed 3)" in detail.sent
    assert "curl " in detail.sent
    assert "$ENVIRONMENT_API_KEY" in detail.sent
    assert KEY not in detail.sent + detail.got
    assert "not_a_server_error" in detail.got
    assert "def test_" in detail.got
