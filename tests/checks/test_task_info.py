"""`/task_info` checks (TI): each fails against one of its faults with this exact block."""

from __future__ import annotations

from conformance.outcomes import FailureDetail
from tests.checks._support import failure


def test_ti_1_taskset_renamed() -> None:
    """TI-1 fails a seedless answer that is not wrapped as `taskset`."""
    assert failure("TI-1", "task_info_without_taskset") == FailureDetail(
        summary='`GET /task_info` without seeds returns `{"taskset": {...}}`.',
        sent="GET /task_info (no seed)",
        expected='{"taskset": {...}} describing the task set',
        got=(
            '{"tasks": {"id": "arithmetic-v1", "name": "Arithmetic word problems", '
            '"description": "Arithmetic word problems solved with a calculator tool.", "splits": '
            '["trai...'
        ),
        fix=("Without seed parameters, return describe_taskset() wrapped as {'taskset': ...}."),
        spec="docs/contract.md#task-info-taskset",
    )


def test_ti_2_one_seed_returns_a_list() -> None:
    """TI-2 fails a single seed answered with a list."""
    assert failure("TI-2", "one_seed_returns_list") == FailureDetail(
        summary="`GET /task_info?seed=0` returns one object that validates as TaskInfo.",
        sent="GET /task_info?seed=0",
        expected="one TaskInfo object (task, environment, dataset, rubric, inference, limits)",
        got=(
            '[{"task": {"id": "arithmetic", "name": "Arithmetic word problems", "description": '
            '"Arithmetic word problems solved with a calculator tool.", "version": "1.0.0",... '
            "(a list, not one object)"
        ),
        fix="Return a single TaskInfo object for a single seed, with every required section.",
        spec="docs/contract.md#task-info-one-seed",
    )


def test_ti_3_seeds_out_of_order() -> None:
    """TI-3 fails several seeds answered out of request order."""
    assert failure("TI-3", "several_seeds_reversed") == FailureDetail(
        summary="Repeated `seed`/`seeds` parameters return a list of TaskInfo in request order.",
        sent="GET /task_info?seed=2&seed=0&seeds=1",
        expected=(
            "a list of 3 TaskInfo equal to the single answers for seeds 2, 0, 1, in that order"
        ),
        got=(
            '3 item(s): [{"task": {"id": "arithmetic", "name": "Arithmetic word problems", '
            '"description": "Arithmetic word problems solved with a calculator tool.", '
            '"version": "1.0.0",...'
        ),
        fix="Collect every seed, then every seeds value, keep order and duplicates, return a list.",
        spec="docs/contract.md#task-info-several-seeds",
    )


def test_ti_4_unseeded_instances() -> None:
    """TI-4 fails a seed that gives a different TaskInfo the second time."""
    assert failure("TI-4", "unseeded_instances") == FailureDetail(
        summary=(
            "The same seed asked twice gives an identical TaskInfo (instances are deterministic)."
        ),
        sent="GET /task_info?seed=3, twice",
        expected="two identical bodies",
        got=(
            '{"task": {"id": "arithmetic", "name": "Arithmetic word problems", "description": '
            '"Arithmetic word problems solved with a calculator tool.", "version": "1.0.0", ... '
            'then {"task": {"id": "arithmetic", "name": "Arithmetic word problems", '
            '"description": "Arithmetic word problems solved with a calculator tool.", '
            '"version": "1.0.0", ...'
        ),
        fix="Derive every instance field from the seed only (no clocks, counters or randomness).",
        spec="docs/contract.md#task-info-deterministic",
    )


def test_ti_5_seeds_stop_at_5() -> None:
    """TI-5 fails at the first seed below --min-seeds that is not served."""
    assert failure("TI-5", "seeds_stop_at_5") == FailureDetail(
        summary=("Seeds 0..N-1 (N = --min-seeds, default 10) each answer with a valid TaskInfo."),
        sent="GET /task_info?seed=5",
        expected="200 with a JSON body",
        got=(
            '404, body=\'{"detail": {"error": {"code": "unknown_seed", "message": "seed 5 is not '
            "served\"}}}'"
        ),
        fix=("Answer /task_info with 200 for an authenticated caller and every seed you serve."),
        spec="docs/contract.md#task-info-seed-range",
    )


def test_ti_6_non_integer_seed_accepted() -> None:
    """TI-6 fails a non-integer seed answered with 200."""
    assert failure("TI-6", "lenient_seed_parsing") == FailureDetail(
        summary="A non-integer seed (`abc`, `1.5`) gets a 4xx, never 200 or 5xx.",
        sent="GET /task_info?seed=abc",
        expected="422 (or another 4xx) with the error envelope",
        got=(
            '200, body=\'{"task":{"id":"arithmetic","name":"Arithmetic word '
            'problems","description":"Arithmetic word problems solved with a calculator '
            'tool.","version":"1.0.0","determin...\''
        ),
        fix="Parse seeds as integers and answer 422 when one is not.",
        spec="docs/contract.md#task-info-seed-parsing",
    )


def test_ti_7_instance_without_taskset() -> None:
    """TI-7 fails an instance without the extra `taskset` key."""
    assert failure("TI-7", "instances_without_taskset") == FailureDetail(
        summary=(
            "`/task_info?seed=0` also carries a `taskset` key, which synth-ai 0.2.24's checker "
            "demands."
        ),
        sent="GET /task_info?seed=0",
        expected="a TaskInfo with an extra top-level taskset key",
        got=(
            '{"task": {"id": "arithmetic", "name": "Arithmetic word problems", "description": '
            '"Arithmetic word problems solved with a calculator tool.", "version": "1.0.0", ...'
        ),
        fix=(
            "Add describe_taskset() as an extra 'taskset' key to every instance (TaskInfo allows "
            "extras)."
        ),
        spec="docs/contract.md#task-info-taskset-key",
    )
