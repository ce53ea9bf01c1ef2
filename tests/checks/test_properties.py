"""Property checks (PROP-1..4): the reference app passes; each generated-input fault fails
exactly its checks, and each check fails against one of its faults with this exact block.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

import pytest
from hypothesis import strategies as st

from conformance.checks import properties
from conformance.checks.properties import _falsify  # also registers PROP-1..4
from conformance.contract.profiles import CONTAINER, CONTAINERS, LEGACY, LOCALAPI
from conformance.outcomes import FailureDetail, Outcome, SkipKind
from conformance.registry import Severity, catalogue
from conformance.runner import RunOptions, RunReport, run_checks
from conformance.target import asgi_target
from tests.checks._support import failure, normalise
from tests.faults import KEY
from tests.faults.apps import reference
from tests.faults.asgi import Exchange, FaultyApp
from tests.faults.fuzz_faults import FUZZ_FAULTS, FuzzFault
from tests.faults.generation_fuzz_faults import GENERATION_PROPERTY_FAULTS, wrapped_target

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
    """The reference app passes all four property checks."""
    report = _run(reference())
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


def test_prop_1_unseeded_instances() -> None:
    """PROP-1 reports the falsifying seed of an unstable `/task_info`."""
    assert failure("PROP-1", "unseeded_instances") == FailureDetail(
        summary="/task_info is unstable or invalid for seed 2147483647",
        sent="GET /task_info?seed=2147483647 twice (the falsifying seed)",
        expected="the same TaskInfo both times (or a stable 4xx for a seed not served)",
        got=(
            'a different body the second time: 200, body=\'{"task": {"id": "arithmetic", "name": '
            '"Arithmetic word problems", "description": "Arithmetic word problems solved with a '
            'calculator tool.", "version": "1.0.0", ...\''
        ),
        fix="Derive every instance purely from its seed and return all required sections.",
        spec="docs/contract.md#task-info-deterministic",
    )


def test_prop_1_field_dropped_for_some_seeds() -> None:
    """PROP-1 reports the falsifying seed of an invalid TaskInfo and the missing field."""
    assert failure("PROP-1", "field_dropped_for_some_seeds") == FailureDetail(
        summary="/task_info is unstable or invalid for seed 2147483647",
        sent="GET /task_info?seed=2147483647 twice (the falsifying seed)",
        expected="the same TaskInfo both times (or a stable 4xx for a seed not served)",
        got=(
            'not a TaskInfo (environment: Field required): {"task": {"id": "arithmetic", "name": '
            '"Arithmetic word problems", "description": "Arithmetic word problems solved with a '
            'calculator tool.", "version": "1.0.0", ...'
        ),
        fix="Derive every instance purely from its seed and return all required sections.",
        spec="docs/contract.md#task-info-deterministic",
    )


def test_prop_2_cid_mangled() -> None:
    """PROP-2 reports the drawn cid that came back rewritten."""
    assert failure("PROP-2", "cid_with_percent_or_dash_mangled") == FailureDetail(
        summary="the cid '100%-sure' did not round-trip exactly",
        sent=(
            "POST /rollout with cid '100%-sure' and inference URL parameters [('api-version', "
            "'2024-06-01')]"
        ),
        expected="200; the same cid in the response and at the model; every parameter kept",
        got="trace_correlation_id = '100_sure'",
        fix=("Decode the cid once, never rewrite it, and rebuild URLs with every parameter."),
        spec="docs/contract.md#cid-round-trip",
    )


def test_prop_2_parameters_dropped() -> None:
    """PROP-2 reports the drawn URL parameter the model's URL lost."""
    assert failure("PROP-2", "other_query_params_dropped") == FailureDetail(
        summary="the cid '100%-sure' did not round-trip exactly",
        sent=(
            "POST /rollout with cid '100%-sure' and inference URL parameters [('api-version', "
            "'2024-06-01')]"
        ),
        expected="200; the same cid in the response and at the model; every parameter kept",
        got="the model's URL lost the parameter(s) [('api-version', '2024-06-01')]",
        fix=("Decode the cid once, never rewrite it, and rebuild URLs with every parameter."),
        spec="docs/contract.md#cid-round-trip",
    )


def test_prop_3_lenient_seed_parsing() -> None:
    """PROP-3 reports the invalid seed that was answered 200."""
    assert failure("PROP-3", "lenient_seed_parsing") == FailureDetail(
        summary="an invalid request (seed: invalid_seed) was not refused with 4xx",
        sent='GET /task_info?seed=... with seed: invalid_seed ("-1")',
        expected='4xx with {"detail": {"error": {"code", "message"}}}',
        got=(
            '200, body=\'{"task":{"id":"arithmetic","name":"Arithmetic word '
            'problems","description":"Arithmetic word problems solved with a calculator '
            'tool.","version":"1.0.0","determin...\''
        ),
        fix="Parse strictly (no bools for ints, no coercion), range-check seeds, answer 4xx.",
        spec="docs/contract.md#invalid-requests",
    )


def test_prop_3_bool_seed_accepted() -> None:
    """PROP-3 reports the boolean seed a rollout accepted."""
    assert failure("PROP-3", "bool_seed_accepted_as_int") == FailureDetail(
        summary="an invalid request (env.seed: bool_for_int) was not refused with 4xx",
        sent=(
            'POST /rollout with env.seed: bool_for_int ({"run_id": "<run_id>", "env": '
            '{"env_name": "arithmetic", "seed": true, "config": {"index": 0, "split": "train"}}, '
            '"policy": {"policy_name": "con...)'
        ),
        expected='4xx with {"detail": {"error": {"code", "message"}}}',
        got=(
            "200, "
            'body=\'{"run_id":"<run_id>","trajectories":[{"env_id":"arith:train:1","policy_i'
            'd":"conformance","steps":[{"obs":{"prompt_index":1,"prompt":"9 '
            "hikers sh...'"
        ),
        fix=("Parse strictly (no bools for ints, no coercion), range-check seeds, answer 4xx."),
        spec="docs/contract.md#invalid-requests",
    )


def test_prop_4_huge_seed_500() -> None:
    """PROP-4 reports the huge seed that crashed the app."""
    assert failure("PROP-4", "huge_seed_500") == FailureDetail(
        summary="an invalid request (seed: invalid_seed) crashed the app with a 5xx",
        sent='GET /task_info?seed=... with seed: invalid_seed ("100000000000000000000")',
        expected="a 4xx (or, for input the app tolerates, a 2xx), never a 5xx",
        got="500, body='Internal Server Error'",
        fix="Validate the request before using it; turn every bad value into a 4xx.",
        spec="docs/contract.md#invalid-requests",
    )


def test_prop_4_invalid_body_500() -> None:
    """PROP-4 reports the invalid rollout body that crashed the app."""
    assert failure("PROP-4", "invalid_body_500") == FailureDetail(
        summary="an invalid request (env.seed: out_of_range) crashed the app with a 5xx",
        sent=(
            'POST /rollout with env.seed: out_of_range ({"run_id": "<run_id>", "env": '
            '{"env_name": "arithmetic", "seed": 2147483648, "config": {"index": 0, "split": '
            '"train"}}, "policy": {"policy_name"...)'
        ),
        expected="a 4xx (or, for input the app tolerates, a 2xx), never a 5xx",
        got="500, body='\"Internal Server Error\"'",
        fix="Validate the request before using it; turn every bad value into a 4xx.",
        spec="docs/contract.md#invalid-requests",
    )


# --- the later generations ------------------------------------------------------------------


def _generation_block(name: str) -> FailureDetail:
    """The normalised failure block of a later generation's property fault, judged as it."""
    fault = next(f for f in GENERATION_PROPERTY_FAULTS if f.name == name)
    spec = [c for c in catalogue() if c.id == fault.check]
    options = RunOptions(strict=True, contract_profile=fault.profile)
    (result,) = run_checks(fault.target(), spec, options).results
    assert result.outcome is Outcome.FAIL
    assert result.detail is not None
    fields = dataclasses.asdict(result.detail)
    return FailureDetail(**{k: normalise(v) for k, v in fields.items()})


def test_properties_apply_where_they_honestly_can() -> None:
    """PROP-1/2 are rules of the synth-ai generations, PROP-4 of all, PROP-3 of legacy-0.2."""
    profiles = {c.id: c.profiles for c in catalogue() if c.id in PROPS}
    synth_ai = (LEGACY, LOCALAPI, CONTAINER)
    assert profiles == {
        "PROP-1": synth_ai,
        "PROP-2": synth_ai,
        "PROP-3": (LEGACY,),
        "PROP-4": (LEGACY, LOCALAPI, CONTAINER, CONTAINERS),
    }


@pytest.mark.parametrize("profile", [LOCALAPI, CONTAINER, CONTAINERS])
def test_each_generations_reference_app_passes_its_properties(profile: str) -> None:
    """The reference app of each later generation passes every property check of it."""
    checks = [c for c in catalogue() if c.id in PROPS and c.applies_to(profile)]
    target = wrapped_target(profile, lambda app: app, profile)
    report = run_checks(target, checks, RunOptions(strict=True, contract_profile=profile))
    assert {r.check.id: r.outcome for r in report.results} == dict.fromkeys(
        (c.id for c in checks), Outcome.PASS
    )


def test_prop_1_localapi_instances_unstable() -> None:
    """Judged as localapi, a TaskInfo that changes between two asks (every odd seed's) fails
    PROP-1 at the largest conventional seed it always tries.
    """
    assert _generation_block("localapi_instances_unstable") == FailureDetail(
        summary="/task_info is unstable or invalid for seed 2147483647",
        sent="GET /task_info?seed=2147483647 twice (the falsifying seed)",
        expected="the same TaskInfo both times (or a stable 4xx for a seed not served)",
        got='a different body the second time: 200, body=\'{"task": {"id": "arithmetic", '
        '"name": "Arithmetic word problems", "description": "Arithmetic word problems solved '
        'with a calculator tool.", "version": "1.0.0", ...\'',
        fix="Derive every instance purely from its seed and return all required sections.",
        spec="docs/contract.md#task-info-deterministic",
    )


def test_prop_2_container_cid_lower_cased() -> None:
    """Judged as container (its token sent), a lower-cased cid echo fails PROP-2."""
    assert _generation_block("container_cid_lower_cased") == FailureDetail(
        summary="the cid 'A' did not round-trip exactly",
        sent="POST /rollout with cid 'A' and inference URL parameters []",
        expected="200; the same cid in the response and at the model; every parameter kept",
        got="trace_correlation_id = 'a'",
        fix="Decode the cid once, never rewrite it, and rebuild URLs with every parameter.",
        spec="docs/contract.md#cid-round-trip",
    )


def test_prop_4_localapi_missing_cid_500() -> None:
    """Judged as localapi, a crash on a rollout without its cid fails PROP-4."""
    assert _generation_block("localapi_missing_cid_500") == FailureDetail(
        summary="an invalid request (trace_correlation_id: missing) crashed the app with a 5xx",
        sent='POST /rollout with trace_correlation_id: missing ({"env": {"env_name": '
        '"arithmetic", "seed": 0, "config": {"index": 0, "split": "train"}}, "policy": '
        '{"policy_name": "conformance", "config": {"inference_url": "h...)',
        expected="a 4xx (or, for input the app tolerates, a 2xx), never a 5xx",
        got="500, body='Internal Server Error'",
        fix="Validate the request before using it; turn every bad value into a 4xx.",
        spec="docs/contract.md#invalid-requests",
    )


def test_prop_4_containers_unknown_mode_500() -> None:
    """Judged as containers-2026-05, a crash on a submission_mode other than sync/async (what
    synth-containers' own reference adapter does) fails PROP-4 on POST /rollouts.
    """
    assert _generation_block("containers_unknown_mode_500") == FailureDetail(
        summary="an invalid request (submission_mode: not_in_enum) crashed the app with a 5xx",
        sent='POST /rollouts with submission_mode: not_in_enum ({"rollout_id": "<run_id>", '
        '"trace_correlation_id": "<cid>", "seed": 0, "submission_mode": "later", "env": '
        '{"see...)',
        expected="a 4xx (or, for input the app tolerates, a 2xx), never a 5xx",
        got="500, body='Internal Server Error'",
        fix="Validate the request before using it; turn every bad value into a 4xx.",
        spec="docs/contract.md#invalid-requests",
    )


def test_a_crash_a_valid_rollout_shares_is_not_the_inputs() -> None:
    """When every rollout 5xxs, valid or not, PROP-4 is unproven (GEN-1 reports the crash)."""

    def crash_every_rollout(ex: Exchange) -> None:
        if ex.path == "/rollout":
            ex.status, ex.response_body = 500, b"boom"

    target = wrapped_target(LOCALAPI, lambda app: FaultyApp(app, after=crash_every_rollout), "x")
    spec = [c for c in catalogue() if c.id == "PROP-4"]
    (result,) = run_checks(target, spec, RunOptions(contract_profile=LOCALAPI)).results
    assert (result.outcome, result.skip_kind) == (Outcome.SKIP, SkipKind.UNPROVEN)
    assert "and so does a valid rollout: the crash is not the input's" in result.reason
