"""The fuzzing check (FUZZ-1): when it runs, what it fails on, what it spares, and its
exact failure block, for every contract generation.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

from conformance.context import Settings
from conformance.contract.profiles import ALL_PROFILES, CONTAINER, CONTAINERS, LOCALAPI
from conformance.inference import MockInferenceServer
from conformance.outcomes import FailureDetail, Outcome, SkipKind
from conformance.registry import catalogue, select_checks
from conformance.runner import CheckResult, RunOptions, run_checks
from conformance.target import IN_PROCESS_BASE_URL, Target, asgi_target
from tests.checks._support import failure, normalise
from tests.faults import KEY
from tests.faults.apps import reference
from tests.faults.fuzz_faults import FUZZ_FAULTS
from tests.faults.generation_fuzz_faults import (
    GENERATION_FUZZ_FAULTS,
    GenerationFuzzFault,
    wrapped_target,
)

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


# --- the later generations ------------------------------------------------------------------

GENERATION_SETTINGS = Settings(fuzz=True, fuzz_examples=10, fuzz_seed=0)


def _generation_result(target: Target, profile: str) -> CheckResult:
    checks = select_checks(catalogue(), ["FUZZ-1"])
    options = RunOptions(strict=True, settings=GENERATION_SETTINGS, contract_profile=profile)
    return run_checks(target, checks, options).results[0]


def _unbroken(app: object) -> object:
    return app


def test_fuzzing_applies_to_every_generation() -> None:
    """Every generation has a canonical document, so FUZZ-1 is a rule of each."""
    (spec,) = select_checks(catalogue(), ["FUZZ-1"])
    assert spec.profiles == ALL_PROFILES


@pytest.mark.parametrize("profile", [LOCALAPI, CONTAINER, CONTAINERS])
def test_each_generations_reference_app_passes_fuzzing(profile: str) -> None:
    """The reference app of each later generation passes FUZZ-1 judged as that generation,
    fuzzed with its own credential (the key, a container token, or none).
    """
    result = _generation_result(wrapped_target(profile, _unbroken, profile), profile)
    assert (result.outcome, result.reason) == (Outcome.PASS, "")


@pytest.mark.parametrize("fault", GENERATION_FUZZ_FAULTS, ids=lambda f: f.name)
def test_fuzzing_catches_a_broken_app_of_each_generation(fault: GenerationFuzzFault) -> None:
    """FUZZ-1 fails the broken variant of each later generation."""
    assert _generation_result(fault.target(), fault.profile).outcome is Outcome.FAIL


_GENERATED_BODY = (
    (re.compile(r"in [\d.]+s \(\d+/s\)"), "in <t>s (<rate>/s)"),
    (re.compile(r"--data-binary .*$", re.MULTILINE), "--data-binary <generated>"),
    (re.compile(r"content=b.*,$", re.MULTILINE), "content=<generated>,"),
    # How many drawn cases hit one finding varies with scheduling under xdist (2 or 3 seen
    # for the same seed in CI); the finding, its seed and the total are what is pinned.
    (re.compile(r"seed (\d+), \d+ case\(s\)"), r"seed \1, <n> case(s)"),
)
"""The run's timing and the generated body, which Hypothesis picks."""
_EXPECTED_CLEAN = (
    "no 5xx, only documented statuses, 2xx bodies that match the canonical schema, "
    "and a 4xx for input the contract forbids"
)
_SERVER_ERROR_FIX = "Validate the input and answer 4xx with the error envelope; never 5xx."
_STATUS_FIX = "Answer only the statuses the contract documents for this route."


def _generation_block(name: str) -> FailureDetail:
    fault = next(f for f in GENERATION_FUZZ_FAULTS if f.name == name)
    result = _generation_result(fault.target(), fault.profile)
    assert result.outcome is Outcome.FAIL
    assert result.detail is not None
    fields = dataclasses.asdict(result.detail)
    return FailureDetail(**{k: normalise(v, _GENERATED_BODY) for k, v in fields.items()})


def _curl(path: str, credential: str | None) -> str:
    auth = f' -H "{credential}"' if credential else ""
    return (
        f'curl -sS -X POST "$TASKAPP_URL{path}"{auth} '
        "-H 'Content-Type: application/json' --data-binary <generated>"
    )


def _finding(
    head: str,
    fix: str,
    path: str,
    check: str,
    headers: str,
    credential: str | None,
    tail: list[str],
) -> list[str]:
    """One failure of the block: what failed, its fix, the curl line and the pytest test."""
    name = path.strip("/")
    return [
        head,
        f"  Fix:  {fix}",
        f"  Curl: {_curl(path, credential)}",
        "  Pytest:",
        "    import os",
        "    ",
        "    import httpx",
        "    ",
        "    ",
        f"    def test_fuzz_{check}_post_{name}() -> None:",
        f'        """Fuzz regression (seed 0): {check} on POST {path}."""',
        "        response = httpx.request(",
        "            'POST',",
        f"            os.environ.get(\"TASKAPP_URL\", 'http://127.0.0.1:<port>') + '{path}',",
        f"            headers={headers},",
        "            content=<generated>,",
        "            timeout=60.0,",
        "        )",
        *tail,
    ]


def test_fuzz_1_localapi_missing_cid_500() -> None:
    """Judged as localapi, a crash on a rollout without a cid is caught by the negative cases,
    reproduced with the key's variable, never the key.
    """
    key = "X-API-Key: $ENVIRONMENT_API_KEY"
    headers = (
        '{"X-API-Key": os.environ["ENVIRONMENT_API_KEY"], '
        "**{'Content-Type': 'application/json'}}"
    )
    allowed = "{422, 200, 400, 401, 403, 404, 502, 503, 504, 413, 415}"
    assert _generation_block("localapi_missing_cid_500") == FailureDetail(
        summary="fuzz seed 0: 43 cases in <t>s (<rate>/s), 2 distinct failure(s)",
        sent=f"43 generated cases (seed 0); reproduce the first with:\n{_curl('/rollout', key)}",
        expected=_EXPECTED_CLEAN,
        got="\n".join(
            [
                *_finding(
                    "not_a_server_error on POST /rollout (negative, seed 0, <n> case(s)): "
                    "Server error (got 500)",
                    _SERVER_ERROR_FIX,
                    "/rollout",
                    "not_a_server_error",
                    headers,
                    key,
                    ["        assert response.status_code < 500, response.text"],
                ),
                "",
                *_finding(
                    "status_code_conformance on POST /rollout (negative, seed 0, <n> case(s)): "
                    "Undocumented status code: Received: 500 (got 500)",
                    _STATUS_FIX,
                    "/rollout",
                    "status_code_conformance",
                    headers,
                    key,
                    [f"        assert response.status_code in {allowed}, response.text"],
                ),
            ]
        ),
        fix=_SERVER_ERROR_FIX,
        spec="docs/contract.md#fuzzing",
    )


def test_fuzz_1_container_metrics_not_reward_info() -> None:
    """Judged as container, 0.4.12's `metrics` instead of `reward_info` breaks the response
    schema; the token is sent and reproduced as `$SYNTH_CONTAINER_TOKEN`.
    """
    token = "X-Synth-Container-Authorization: Bearer $SYNTH_CONTAINER_TOKEN"
    headers = (
        '{"X-Synth-Container-Authorization": "Bearer " + os.environ["SYNTH_CONTAINER_TOKEN"], '
        "**{'Content-Type': 'application/json'}}"
    )
    assert _generation_block("container_metrics_not_reward_info") == FailureDetail(
        summary="fuzz seed 0: 43 cases in <t>s (<rate>/s), 1 distinct failure(s)",
        sent=f"43 generated cases (seed 0); reproduce the first with:\n{_curl('/rollout', token)}",
        expected=_EXPECTED_CLEAN,
        got="\n".join(
            _finding(
                "response_schema_conformance on POST /rollout (positive, seed 0, <n> case(s)): "
                'Response violates schema: "reward_info" is a required property (got 200)',
                "Return bodies that match the contract models field for field.",
                "/rollout",
                "response_schema_conformance",
                headers,
                token,
                [
                    "        from conformance.fuzz import response_problems",
                    "    ",
                    "        assert not response_problems('POST', '/rollout', "
                    "response.status_code, response.json(), profile='container')",
                ],
            )
        ),
        fix="Return bodies that match the contract models field for field.",
        spec="docs/contract.md#fuzzing",
    )


def test_fuzz_1_containers_refusal_500() -> None:
    """Judged as containers-2026-05, an app whose refusals are 500s fails on /rollouts, with
    no credential in the reproductions (the generation has none).
    """
    headers = "{'Content-Type': 'application/json'}"
    allowed = "{422, 200, 202, 400, 404, 502, 504, 409, 413, 415}"
    assert _generation_block("containers_refusal_500") == FailureDetail(
        summary="fuzz seed 0: 45 cases in <t>s (<rate>/s), 2 distinct failure(s)",
        sent=f"45 generated cases (seed 0); reproduce the first with:\n{_curl('/rollouts', None)}",
        expected=_EXPECTED_CLEAN,
        got="\n".join(
            [
                *_finding(
                    "not_a_server_error on POST /rollouts (positive, seed 0, <n> case(s)): "
                    "Server error (got 500)",
                    _SERVER_ERROR_FIX,
                    "/rollouts",
                    "not_a_server_error",
                    headers,
                    None,
                    ["        assert response.status_code < 500, response.text"],
                ),
                "",
                *_finding(
                    "status_code_conformance on POST /rollouts (positive, seed 0, <n> case(s)): "
                    "Undocumented status code: Received: 500 (got 500)",
                    _STATUS_FIX,
                    "/rollouts",
                    "status_code_conformance",
                    headers,
                    None,
                    [f"        assert response.status_code in {allowed}, response.text"],
                ),
            ]
        ),
        fix=_SERVER_ERROR_FIX,
        spec="docs/contract.md#fuzzing",
    )
