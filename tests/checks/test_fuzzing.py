"""The fuzzing check (FUZZ-1): it fails against a crashing fault with this exact block."""

from __future__ import annotations

import re

from conformance.context import Settings
from conformance.outcomes import FailureDetail
from tests.checks._support import failure

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
