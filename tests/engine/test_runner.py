"""The runner: bounded concurrency, and a global budget that holds and keeps the gate honest."""

from __future__ import annotations

import threading
import time

from conformance.context import CheckContext
from conformance.contract.profiles import ALL_PROFILES, CONTAINER, LEGACY
from conformance.exitcodes import ExitCode
from conformance.outcomes import Outcome, SkipKind
from conformance.registry import CheckSpec, Severity
from conformance.runner import CheckResult, RunOptions, dependency_skip, run_checks
from conformance.target import asgi_target
from tests.faults import KEY
from tests.faults.apps import reference


class _Probe:
    """Synthetic checks that sleep (or meet in pairs) and record how many ran at once."""

    def __init__(self, seconds: float, *, pairs: bool = False) -> None:
        self.seconds = seconds
        self.active = self.peak = self.ran = 0
        self._lock = threading.Lock()
        self._pair = threading.Barrier(2, timeout=30) if pairs else None

    def __call__(self, _: CheckContext) -> None:
        with self._lock:
            self.active += 1
            self.ran += 1
            self.peak = max(self.peak, self.active)
        if self._pair is not None:
            self._pair.wait()  # two run together, however loaded the machine (else: ERROR)
        time.sleep(self.seconds)
        with self._lock:
            self.active -= 1

    def specs(self, n: int) -> list[CheckSpec]:
        return [
            CheckSpec(f"T-{i}", f"probe_{i}", "A probe.", Severity.MUST, "§0", (), (), self)
            for i in range(n)
        ]


def test_no_more_checks_run_at_once_than_the_concurrency() -> None:
    """With --concurrency 2, at most two checks are in flight at any moment."""
    probe = _Probe(0.05, pairs=True)
    report = run_checks(
        asgi_target(reference(), KEY, "app"), probe.specs(6), RunOptions(concurrency=2)
    )
    assert [r.outcome for r in report.results] == [Outcome.PASS] * 6
    assert probe.peak == 2


def test_checks_not_started_within_the_budget_skip_and_the_gate_is_not_green() -> None:
    """Checks still queued when the budget runs out are unproven, naming --budget; exit 4."""
    probe = _Probe(0.8)  # 5 x 0.8 s one at a time cannot fit in 2 s, however fast the machine
    options = RunOptions(concurrency=1, budget_s=2.0)
    report = run_checks(asgi_target(reference(), KEY, "app"), probe.specs(5), options)
    skipped = [r for r in report.results if r.outcome is Outcome.SKIP]
    assert 1 <= probe.ran < 5
    assert len(skipped) == 5 - probe.ran
    assert all(
        "budget of 2s ran out before it started (raise --budget)" in r.reason for r in skipped
    )
    assert all(r.skip_kind is SkipKind.UNPROVEN for r in skipped)
    assert report.exit_code() == ExitCode.INCOMPLETE


def test_a_dependency_of_another_generation_is_no_precondition() -> None:
    """A check of several generations depending on each one's own gate runs where its other
    gates are not applicable, and is skipped after the applicable gate that did not pass.
    """

    def gate(check_id: str, profiles: tuple[str, ...], outcome: Outcome) -> CheckResult:
        spec = CheckSpec(check_id, "gate", "A gate.", Severity.MUST, "§0", (), (), _never, profiles)
        kind = SkipKind.NOT_APPLICABLE if outcome is Outcome.SKIP else None
        return CheckResult(spec, outcome, 0.0, skip_kind=kind)

    both = CheckSpec(
        "B-1", "both", "Both.", Severity.MUST, "§0", (), ("G-1", "G-2"), _never, ALL_PROFILES
    )
    done = {
        "G-1": gate("G-1", (LEGACY,), Outcome.SKIP),  # not applicable to container
        "G-2": gate("G-2", (CONTAINER,), Outcome.PASS),
    }
    assert dependency_skip(both, done, CONTAINER) is None
    assert dependency_skip(both, done) is not None  # without a profile: as before
    done["G-2"] = gate("G-2", (CONTAINER,), Outcome.FAIL)
    skipped = dependency_skip(both, done, CONTAINER)
    assert skipped is not None
    assert skipped.reason.startswith("depends on G-2")


def _never(ctx: CheckContext) -> None:
    raise AssertionError("a gate is never run here")
