"""The fuzzing check (FUZZ-1): when it runs, what it fails on, what it spares, and its
exact failure block.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from conformance.context import Settings
from conformance.inference import MockInferenceServer
from conformance.outcomes import FailureDetail, Outcome, SkipKind
from conformance.registry import catalogue, select_checks
from conformance.runner import CheckResult, RunOptions, run_checks
from conformance.target import IN_PROCESS_BASE_URL, Target, asgi_target
from tests.checks._support import failure
from tests.faults import KEY
from tests.faults.apps import reference
from tests.faults.fuzz_faults import FUZZ_FAULTS

FAST = Settings(fuzz=True, fuzz_examples=8, fuzz_seed=3)


def _fuzz_result(app: object, settings: Settings = FAST, **options: Any) -> CheckResult:
    checks = select_checks(catalogue(), ["FUZZ-1"])
    run = RunOptions(settings=settings, **options)
    return run_checks(asgi_target(app, KEY, "fuzz"), checks, run).results[0]


class _Remote(Target):
    """An in-process app the harness must treat as remote (its mock out of reach)."""

    @property
    def is_local(self) -> bool:
        return False


def test_reference_app_passes_fuzzing() -> None:
    """With fuzzing on the reference app passes FUZZ-1."""
    assert _fuzz_result(reference()).outcome is Outcome.PASS


def test_fuzzing_runs_by_default_for_an_in_process_app() -> None:
    """With no fuzz setting (auto), an in-process target records its model calls: FUZZ-1 runs."""
    result = _fuzz_result(reference(), Settings(fuzz=None, fuzz_examples=3))
    assert result.outcome is Outcome.PASS


def test_no_fuzz_is_not_selected() -> None:
    """`--no-fuzz` makes FUZZ-1 a not-selected skip that names the flag, never unproven."""
    result = _fuzz_result(reference(), Settings(fuzz=False))
    assert (result.outcome, result.skip_kind) == (Outcome.SKIP, SkipKind.NOT_SELECTED)
    assert result.reason == "fuzzing is off (--no-fuzz, pytest: --taskapp-no-fuzz)"


def test_remote_app_with_a_real_model_is_opt_in() -> None:
    """Against a remote app with the user's model, auto does not fuzz and says how to opt in."""
    target = _Remote(label="remote", base_url=IN_PROCESS_BASE_URL, api_key=KEY, app=reference())
    checks = select_checks(catalogue(), ["FUZZ-1"])
    with MockInferenceServer() as model:
        options = RunOptions(settings=Settings(fuzz=None), inference_url=model.url)
        result = run_checks(target, checks, options).results[0]
    assert (result.outcome, result.skip_kind) == (Outcome.SKIP, SkipKind.NOT_SELECTED)
    assert "may cost money; turn it on with --fuzz (pytest: --taskapp-fuzz)" in result.reason


def test_a_spent_time_budget_is_unproven_not_green() -> None:
    """When the time budget stops the run before its cases, FUZZ-1 is an unproven skip."""
    result = _fuzz_result(reference(), Settings(fuzz=True, fuzz_budget_s=0.0))
    assert (result.outcome, result.skip_kind) == (Outcome.SKIP, SkipKind.UNPROVEN)
    assert "time budget ran out" in result.reason


@pytest.mark.parametrize("fault", [f for f in FUZZ_FAULTS if f.fuzz_catches], ids=lambda f: f.name)
def test_fuzzing_catches_crashes_and_drift(fault: Any) -> None:
    """With the default examples, FUZZ-1 fails every variant that 500s on odd seeds or bodies
    or drops a field.
    """
    result = _fuzz_result(fault.app(KEY), Settings(fuzz=True))
    assert result.outcome is Outcome.FAIL


def test_a_failure_names_the_configured_seed_and_never_the_key() -> None:
    """FUZZ-1 fuzzes with the configured seed and names it, never the key (rest pinned below)."""
    fault = next(f for f in FUZZ_FAULTS if f.name == "huge_seed_500")
    result = _fuzz_result(fault.app(KEY))
    assert result.outcome is Outcome.FAIL
    detail = result.detail
    assert detail is not None
    assert "(seed 3)" in detail.sent
    assert KEY not in detail.sent + detail.got


_GENERATED = (
    (re.compile(r"in [\d.]+s \(\d+/s\)"), "in <t>s (<rate>/s)"),
    (re.compile(r"/task_info\?[^\"' ]*"), "/task_info?<generated>"),
)
"""The run's timing and the generated query, which Hypothesis picks."""

_CURL = 'curl -sS -X GET "$TASKAPP_URL/task_info?<generated>" -H "X-API-Key: $ENVIRONMENT_API_KEY"'
_PYTEST_SNIPPET = [
    "  Pytest:",
    "    import os",
    "    ",
    "    import httpx",
    "    ",
    "    ",
]
_REQUEST = [
    "        response = httpx.request(",
    "            'GET',",
    "            os.environ.get(\"TASKAPP_URL\", 'http://127.0.0.1:<port>')"
    " + '/task_info?<generated>',",
    '            headers={"X-API-Key": os.environ["ENVIRONMENT_API_KEY"], **{}},',
    "            content=b'',",
    "            timeout=60.0,",
    "        )",
]


def test_fuzz_1_huge_seed_500() -> None:
    """FUZZ-1 reports each distinct failure with its fix, a curl line and a pytest regression."""
    curl = f"  Curl: {_CURL}"
    settings = Settings(fuzz=True, fuzz_examples=5)
    assert failure("FUZZ-1", "huge_seed_500", settings, _GENERATED) == FailureDetail(
        summary="fuzz seed 0: 23 cases in <t>s (<rate>/s), 2 distinct failure(s)",
        sent=f"23 generated cases (seed 0); reproduce the first with:\n{_CURL}",
        expected=(
            "no 5xx, only documented statuses, 2xx bodies that match the canonical schema, "
            "and a 4xx for input the contract forbids"
        ),
        got="\n".join(
            [
                "not_a_server_error on GET /task_info (positive, seed 0, 3 case(s)): "
                "Server error (got 500)",
                "  Fix:  Validate the input and answer 4xx with the error envelope; never 5xx.",
                curl,
                *_PYTEST_SNIPPET,
                "    def test_fuzz_not_a_server_error_get_task_info() -> None:",
                '        """Fuzz regression (seed 0): not_a_server_error on GET /task_info."""',
                *_REQUEST,
                "        assert response.status_code < 500, response.text",
                "",
                "status_code_conformance on GET /task_info (positive, seed 0, 3 case(s)): "
                "Undocumented status code: Received: 500 (got 500)",
                "  Fix:  Answer only the statuses the contract documents for this route.",
                curl,
                *_PYTEST_SNIPPET,
                "    def test_fuzz_status_code_conformance_get_task_info() -> None:",
                '        """Fuzz regression (seed 0): status_code_conformance'
                ' on GET /task_info."""',
                *_REQUEST,
                "        assert response.status_code in {422, 200, 400, 401, 403, 404, 503}, "
                "response.text",
            ]
        ),
        fix="Validate the input and answer 4xx with the error envelope; never 5xx.",
        spec="docs/contract.md#fuzzing",
    )
