"""The newer generations' fault matrix and legal variants: the conforming apps pass their
profile's catalogue, each fault fails exactly its checks, and lenient choices fail nothing.
"""

from __future__ import annotations

from typing import Any

import pytest

from conformance.context import Settings
from conformance.contract.profiles import CONTAINER, CONTAINERS, LOCALAPI
from conformance.outcomes import Outcome, SkipKind
from conformance.registry import catalogue
from conformance.runner import RunOptions, RunReport, run_checks
from conformance.target import Target
from tests.faults.asgi import Exchange
from tests.faults.generation_apps import AuthRules
from tests.faults.generation_faults import (
    GENERATION_FAULTS,
    GenerationFault,
    container_target,
    containers_target,
    localapi_target,
)

FLAGGED = (Outcome.FAIL, Outcome.WARN)


def _run(target: Target, profile: str, settings: Settings | None = None) -> RunReport:
    settings = settings or Settings(fuzz=False)
    options = RunOptions(strict=True, settings=settings, contract_profile=profile)
    return run_checks(target, catalogue(), options)


def _verdicts(report: RunReport) -> dict[str, str]:
    """Every check that did not pass, apart from other generations' rules and fuzzing (off
    here: FUZZ-1 has its own generation faults): id -> outcome.
    """
    return {
        r.check.id: r.outcome.value if r.skip_kind is None else f"skip ({r.skip_kind.value})"
        for r in report.results
        if r.outcome is not Outcome.PASS
        and report.contract.profile in r.check.profiles
        and r.skip_kind is not SkipKind.NOT_SELECTED
    }


@pytest.mark.parametrize(
    ("profile", "target"),
    [
        pytest.param(LOCALAPI, localapi_target, id=LOCALAPI),
        pytest.param(CONTAINER, container_target, id=CONTAINER),
        pytest.param(CONTAINERS, containers_target, id=CONTAINERS),
    ],
)
def test_conforming_app_passes_its_generation(profile: str, target: Any) -> None:
    """The conforming app of each generation passes every check of it (strict)."""
    assert _verdicts(_run(target(), profile)) == {}


@pytest.mark.parametrize("fault", GENERATION_FAULTS, ids=lambda f: f.name)
def test_generation_fault_fails_exactly_its_checks(fault: GenerationFault) -> None:
    """Each broken variant is flagged by exactly the checks it declares, and nothing errs."""
    report = run_checks(fault.target(), catalogue(), fault.options())
    assert [r.check.id for r in report.results if r.outcome is Outcome.ERROR] == []
    assert {r.check.id for r in report.results if r.outcome in FLAGGED} == fault.breaks


def test_generation_fault_names_are_unique() -> None:
    """Fault names are unique across both matrices, so test ids are stable."""
    from tests.faults import FAULTS

    names = [f.name for f in FAULTS] + [f.name for f in GENERATION_FAULTS]
    assert len(set(names)) == len(names)


def _localapi_body(edit: Any) -> Any:
    from tests.faults.asgi import FaultyApp

    def hook(ex: Exchange) -> None:
        body = ex.json()
        if ex.path == "/rollout" and ex.status == 200 and isinstance(body, dict):
            ex.set_json(edit(body))

    return lambda app: FaultyApp(app, after=hook)


def _metrics_name(body: Any) -> Any:
    return {**{k: v for k, v in body.items() if k != "reward_info"}, "metrics": body["reward_info"]}


def _session_trace(body: Any) -> Any:
    return {**body, "trace": {"session_trace": body["trace"]}}


@pytest.mark.parametrize(
    ("profile", "target"),
    [
        pytest.param(
            LOCALAPI, lambda: localapi_target(_localapi_body(_metrics_name)), id="0.4.12-metrics"
        ),
        pytest.param(
            LOCALAPI,
            lambda: localapi_target(_localapi_body(lambda b: {**b, "success_status": None})),
            id="success-status-null",
        ),
        pytest.param(
            LOCALAPI, lambda: localapi_target(_localapi_body(_session_trace)), id="session-trace"
        ),
        pytest.param(
            CONTAINER,
            lambda: container_target(_localapi_body(_metrics_name)),
            id="container-metrics-alias",
        ),
        pytest.param(
            CONTAINER,
            lambda: container_target(rules=AuthRules(mode="optional_local")),
            id="optional-local",
        ),
        pytest.param(CONTAINERS, lambda: containers_target(async_status=202), id="async-202"),
        pytest.param(CONTAINERS, lambda: containers_target(protocol=None), id="no-protocol-0.4.1"),
        pytest.param(
            CONTAINERS, lambda: containers_target(finished_terminate="conflict"), id="terminate-409"
        ),
        pytest.param(CONTAINERS, lambda: containers_target(keep_sync=False), id="sync-not-kept"),
    ],
)
def test_legal_variant_passes(profile: str, target: Any) -> None:
    """Choices the generation allows (0.4.12's `metrics`, `container`'s alias, a null
    success_status, a session_trace, optional_local, 202, no protocol before 0.4.3, 409 on
    terminate, sync records not kept) fail nothing.
    """
    assert _verdicts(_run(target(), profile)) == {}


@pytest.mark.parametrize(
    ("knobs", "not_applicable"),
    [
        pytest.param({"async_mode": False}, {"CS-5"}, id="no-async"),
        pytest.param({"dataset": False}, {"CS-8"}, id="no-dataset"),
        pytest.param({"compatibility": False}, {"CS-10"}, id="no-compatibility"),
        pytest.param(
            {"async_mode": False, "keep_sync": False}, {"CS-5", "CS-6"}, id="nothing-kept"
        ),
    ],
)
def test_a_route_not_offered_makes_its_check_not_applicable(
    knobs: dict[str, Any], not_applicable: set[str]
) -> None:
    """Async not advertised, /dataset or /compatibility not served: their checks are n/a,
    never failed, and nothing else is flagged.
    """
    verdicts = _verdicts(_run(containers_target(**knobs), CONTAINERS))
    assert verdicts == dict.fromkeys(not_applicable, "skip (not_applicable)")


def test_cid_only_in_trace_metadata_satisfies_the_rl_validator() -> None:
    """A cid only in trace.metadata is what GEN-3 (synth-ai's RL validator) accepts; only
    GEN-1's top-level echo fails.
    """
    fault = next(f for f in GENERATION_FAULTS if f.name == "localapi_cid_only_in_trace_metadata")
    report = run_checks(fault.target(), catalogue(), fault.options())
    outcomes = {r.check.id: r.outcome for r in report.results if r.check.id.startswith("GEN")}
    assert outcomes == {
        "GEN-1": Outcome.FAIL,
        "GEN-2": Outcome.PASS,
        "GEN-3": Outcome.PASS,
        "GEN-4": Outcome.PASS,
    }


def test_container_checks_without_a_signing_key_are_unproven() -> None:
    """Without the signing key the app trusts, every token check SKIPs unproven, saying how
    to give it; CTR-1 (no token needed) still runs.
    """
    target = container_target()
    target.container_signing_key = None
    report = _run(target, CONTAINER)
    skipped = {
        r.check.id: r.reason
        for r in report.results
        if r.check.id.startswith("CTR") and r.skip_kind is SkipKind.UNPROVEN
    }
    assert set(skipped) == {"CTR-2", "CTR-3", "CTR-4", "CTR-5"}
    assert "--container-signing-key" in skipped["CTR-2"]
    assert {r.check.id: r.outcome for r in report.results}["CTR-1"] is Outcome.PASS
