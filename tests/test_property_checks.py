"""PROP-1..4: the reference app passes; each generated-input fault fails exactly its checks."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from hypothesis import strategies as st

from conformance.checks import properties
from conformance.checks.properties import _falsify  # also registers PROP-1..4
from conformance.outcomes import Outcome
from conformance.registry import Severity, catalogue
from conformance.runner import RunOptions, RunReport, run_checks
from conformance.target import asgi_target
from reference_app import build_config, create_app
from tests.faults.fuzz_faults import FUZZ_FAULTS, FuzzFault

KEY = "prop-key-0123456789abcdef"
PROPS = ("PROP-1", "PROP-2", "PROP-3", "PROP-4")


def _run(app: Any) -> RunReport:
    wanted = {*PROPS, "TI-2", "RO-1", "AUTH-1"}
    checks = [c for c in catalogue() if c.id in wanted]
    return run_checks(asgi_target(app, KEY, "app"), checks, RunOptions(strict=True))


def _outcomes(report: RunReport) -> dict[str, Outcome]:
    return {r.check.id: r.outcome for r in report.results if r.check.id in PROPS}


def test_checks_are_registered_as_must() -> None:
    """PROP-1, 2 and 4 are MUST and PROP-3 SHOULD, each with a title and dependencies."""
    specs = {c.id: c for c in catalogue() if c.id in PROPS}
    assert sorted(specs) == list(PROPS)
    assert [specs[p].severity for p in PROPS] == [
        Severity.MUST,
        Severity.MUST,
        Severity.SHOULD,
        Severity.MUST,
    ]
    assert all(s.title and s.depends_on for s in specs.values())


def test_reference_app_passes_every_property() -> None:
    """The reference app passes all three property checks."""
    report = _run(create_app(build_config(environ={"ENVIRONMENT_API_KEY": KEY})))
    assert _outcomes(report) == dict.fromkeys(PROPS, Outcome.PASS)


@pytest.mark.parametrize("fault", FUZZ_FAULTS, ids=lambda f: f.name)
def test_fault_fails_exactly_its_properties(fault: FuzzFault) -> None:
    """Each broken variant fails exactly the property checks it declares, with a failure block."""
    report = _run(fault.app(KEY))
    failed = {i for i, o in _outcomes(report).items() if o is Outcome.FAIL}
    assert failed == fault.breaks & set(PROPS)
    for result in report.results:
        if result.check.id in failed:
            assert result.detail is not None
            assert result.detail.sent
            assert result.detail.fix
            assert KEY not in result.detail.sent + result.detail.got


def test_failures_are_reproducible() -> None:
    """The same fault gives the same falsifying example on every run (derandomized search)."""
    fault = next(f for f in FUZZ_FAULTS if f.name == "cid_with_percent_or_dash_mangled")
    sent = [
        next(r.detail.sent for r in _run(fault.app(KEY)).results if r.detail is not None)
        for _ in range(2)
    ]
    assert sent[0] == sent[1]
    assert "'100%-sure'" in sent[0]


def test_bool_seed_failure_names_the_field() -> None:
    """The lenient-parsing fault is reported with the broken field and what came back."""
    fault = next(f for f in FUZZ_FAULTS if f.name == "bool_seed_accepted_as_int")
    result = next(r for r in _run(fault.app(KEY)).results if r.check.id == "PROP-3")
    assert result.detail is not None
    assert "env.seed: bool_for_int" in result.detail.sent
    assert result.detail.got.startswith("200")


def test_searches_in_parallel_threads_never_overlap() -> None:
    """Two property searches started on two threads run one after the other, never together.

    CPython 3.11's AST constructor is not thread-safe, and Hypothesis parses source while
    it searches: overlapping searches failed CI with a spurious SystemError (PROP-2 ERROR).
    """
    active, overlaps = [0], [0]
    guard = threading.Lock()

    def problem_of(_: int) -> None:
        with guard:
            active[0] += 1
            overlaps[0] += active[0] > 1
        time.sleep(0.001)  # give the other thread every chance to enter
        with guard:
            active[0] -= 1

    threads = [
        threading.Thread(target=_falsify, args=(st.integers(), problem_of), daemon=True)
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    assert overlaps == [0]


@pytest.mark.parametrize("fault", FUZZ_FAULTS, ids=lambda f: f.name)
def test_drawn_inputs_alone_catch_every_fault(
    fault: FuzzFault, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the hand-picked explicit examples, the drawn inputs still catch every fault."""
    search = properties._falsify
    monkeypatch.setattr(
        properties, "_falsify", lambda *args, **kwargs: search(*args, **{**kwargs, "explicit": ()})
    )
    report = _run(fault.app(KEY))
    failed = {i for i, o in _outcomes(report).items() if o is Outcome.FAIL}
    assert failed == fault.breaks & set(PROPS)
