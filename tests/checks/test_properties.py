"""Property checks (PROP): each fails against one of its faults with this exact block."""

from __future__ import annotations

from conformance.outcomes import FailureDetail
from tests.checks._support import failure


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
