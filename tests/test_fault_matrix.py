"""The fault matrix: the reference app passes every check; each fault fails exactly its checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.context import Settings
from conformance.outcomes import Outcome
from conformance.registry import catalogue
from conformance.runner import RunOptions, run_checks
from conformance.target import asgi_target
from tests.faults import FAULTS, KEY, Fault
from tests.faults.contract_faults import rebuildable

FLAGGED = (Outcome.FAIL, Outcome.WARN)


def _flagged(
    make: Callable[[Any], Any], concurrency: int = 4, *, fuzz: bool = False
) -> dict[str, str]:
    options = RunOptions(strict=True, concurrency=concurrency, settings=Settings(fuzz=fuzz))
    report = run_checks(rebuildable(make, "fault"), catalogue(), options)
    assert not [r for r in report.results if r.outcome is Outcome.ERROR], report.results
    return {r.check.id: r.outcome.value for r in report.results if r.outcome in FLAGGED}


FUZZ = "FUZZ-1"
"""Fuzzing is on by default for in-process apps but slow: a fault run fuzzes only when the
fault declares FUZZ-1 among its breaks, and the reference app run fuzzes with the defaults.
"""


def test_reference_app_passes_every_check() -> None:
    """The unmodified reference app passes every check, fuzzing included (on by default)."""
    target = rebuildable(lambda app: app, "reference")  # AUTH-11 builds it again with no key
    report = run_checks(target, catalogue(), RunOptions(strict=True))
    assert {r.check.id: r.outcome for r in report.results if r.outcome is not Outcome.PASS} == {}


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_fails_exactly_its_checks(fault: Fault) -> None:
    """Each broken variant is flagged by exactly the checks it declares."""
    flagged = _flagged(fault.make, fault.concurrency, fuzz=FUZZ in fault.breaks)
    assert set(flagged) == fault.breaks


def test_every_check_has_a_fault() -> None:
    """No check is left without a broken variant that makes it fail."""
    covered = set().union(*(f.breaks for f in FAULTS))
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
