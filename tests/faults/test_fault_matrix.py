"""The fault matrix: the reference app passes every check; each fault fails exactly its checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from conformance.context import Settings
from conformance.contract.profiles import LEGACY
from conformance.outcomes import Outcome, SkipKind
from conformance.registry import catalogue
from conformance.runner import RunOptions, run_checks
from tests.faults import FAULTS, Fault
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
    """The unmodified reference app passes every check of its generation, fuzzing included
    (on by default); the other generations' checks, and DET-4 (it declares nothing
    nondeterministic), are not applicable.
    """
    target = rebuildable(lambda app: app, "reference")  # AUTH-11 builds it again with no key
    report = run_checks(target, catalogue(), RunOptions(strict=True))
    shown = {r.check.id: r.outcome for r in report.results if r.outcome is not Outcome.PASS}
    applicable = {r.check.id for r in report.results if r.skip_kind is not SkipKind.NOT_APPLICABLE}
    assert {i: o for i, o in shown.items() if i in applicable} == {}
    assert set(shown) - applicable <= {c.id for c in catalogue() if not c.applies_to(LEGACY)} | {
        "DET-4"
    }


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_fails_exactly_its_checks(fault: Fault) -> None:
    """Each broken variant is flagged by exactly the checks it declares."""
    flagged = _flagged(fault.make, fault.concurrency, fuzz=FUZZ in fault.breaks)
    assert set(flagged) == fault.breaks


def test_every_check_has_a_fault() -> None:
    """No check is left without a broken variant that makes it fail: a fault of the reference
    app, or of a newer generation's app (`generation_faults`, judged as its own profile).
    """
    from tests.faults.generation_faults import GENERATION_FAULTS

    covered = set().union(*(f.breaks for f in FAULTS), *(f.breaks for f in GENERATION_FAULTS))
    assert {c.id for c in catalogue()} - covered == set()


def test_fault_names_are_unique() -> None:
    """Fault names are unique, so test ids are stable."""
    assert len({f.name for f in FAULTS}) == len(FAULTS)
