"""The fault matrix: the reference app passes every check; each fault fails exactly its checks."""

from __future__ import annotations

import pytest

from conformance.outcomes import Outcome
from conformance.registry import catalogue
from conformance.runner import RunOptions, run_checks
from conformance.target import asgi_target
from reference_app import build_config, create_app
from tests.faults import FAULTS, KEY, Fault

FLAGGED = (Outcome.FAIL, Outcome.WARN)


def _flagged(app: object, concurrency: int = 4) -> dict[str, str]:
    options = RunOptions(strict=True, concurrency=concurrency)
    report = run_checks(asgi_target(app, KEY, "fault"), catalogue(), options)
    assert not [r for r in report.results if r.outcome is Outcome.ERROR], report.results
    return {r.check.id: r.outcome.value for r in report.results if r.outcome in FLAGGED}


OPT_IN = {"FUZZ-1": "huge_seed_500"}
"""Opt-in checks (skipped by default) and the fault that tests/test_fuzz_check.py proves they
catch.
"""


def test_reference_app_passes_every_check() -> None:
    """The unmodified reference app passes every check; only opt-in checks skip, saying why."""
    app = create_app(build_config(environ={"ENVIRONMENT_API_KEY": KEY}))
    report = run_checks(asgi_target(app, KEY, "reference"), catalogue(), RunOptions(strict=True))
    assert {
        r.check.id: r.outcome for r in report.results if r.outcome is not Outcome.PASS
    } == dict.fromkeys(OPT_IN, Outcome.SKIP)


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_fails_exactly_its_checks(fault: Fault) -> None:
    """Each broken variant is flagged by exactly the checks it declares."""
    assert set(_flagged(fault.app(), fault.concurrency)) == fault.breaks


def test_every_check_has_a_fault() -> None:
    """No check is left without a broken variant that makes it fail."""
    covered = set().union(*(f.breaks for f in FAULTS), OPT_IN)
    assert {c.id for c in catalogue()} - covered == set()


def test_fault_names_are_unique() -> None:
    """Fault names are unique, so test ids are stable."""
    assert len({f.name for f in FAULTS}) == len(FAULTS)


@pytest.mark.parametrize(
    ("name", "sent", "got"),
    [
        (
            "root_header_names_the_key",
            "GET / with no key",
            "200; a piece of the key appears verbatim in the header x-served-for (not shown)",
        ),
        (
            "rollout_metadata_echoes_the_key",
            "POST /rollout with the key",
            "the key appears verbatim in the body, at pipeline_metadata.debug_api_key",
        ),
        (
            "rejection_leaks_allowed_first15",
            "GET /health with no key",
            "401; a piece of the key appears verbatim in the body, at allowed_first15[0]",
        ),
    ],
)
def test_key_leak_block_names_the_request_and_the_place(name: str, sent: str, got: str) -> None:
    """SEC-1 names the leaking request and where the piece is, without quoting it."""
    fault = next(f for f in FAULTS if f.name == name)
    checks = [c for c in catalogue() if c.id == "SEC-1"]
    report = run_checks(asgi_target(fault.app(), KEY, "fault"), checks, RunOptions())
    detail = report.results[0].detail
    assert detail is not None
    assert detail.sent == sent
    assert got in detail.got
    assert KEY[:6] not in detail.got
