"""Our verdicts on synth-containers 0.4.6's own servers: their real defects, nothing else.

The package has two servers (docs/generations.md, "containers-2026-05"), judged each:
the README's `Container` SDK example (`containers_app.create_app`), whose rollout payload is
task-specific, so the run adds the README's `{"answer", "expected"}` with `--rollout-config`
as a user would; and the reference HTTP adapter over the package's own counter runtime
(`containers_app.create_strict_app`). Neither has auth, so no key is given. Each non-pass
below is the package's, with the fact in docs/generations.md it comes from.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from conformance.registry import catalogue
from tests.generations.pins import require

require("containers-2026-05")

from tests.generations.verdicts import Judgement, counts, expected, judge  # noqa: E402

PROFILE = "containers-2026-05"
README_APP = "tests.generations.containers_app:create_app"
STRICT_APP = "tests.generations.containers_app:create_strict_app"
README_PAYLOAD = {"answer": "hello", "expected": "hello"}
EVIDENCE = "detected: GET /health without credentials names contract_version '2026-05-28'"

# The README app on the `Container` SDK (`synth_containers/sdk.py`). Every other check of the
# generation passes: /health, /metadata, the sync record and the async lifecycle (CS-1..3, 5).
SDK_NON_PASSES: dict[str, str] = {
    "SEC-5": "warn",  # FastAPI's /docs and /openapi.json are public (info severity)
    "CS-4": "warn",  # the README record has summary.reward, no reward_info (sdk.py:69-87)
    "CS-6": "warn",  # sdk.py:742-760: terminate makes a completed rollout `terminated`/failed
    "CS-7": "warn",  # the SDK has no replay: a reused rollout_id runs again, any body, 200
    "CS-8": "skip:not_applicable",  # no server in the 0.4.6 wheel serves /dataset
    "CS-9": "warn",  # sdk.py:554-557: route_hints name /program, which the app 404s
    "CS-10": "skip:not_applicable",  # /compatibility is the reference adapter's only
    # sdk.py:701-706: an exception in the sync callback is a plain-text 500; the README callback
    # reads payload["answer"] unchecked, so a valid request without the task's fields crashes it
    "FUZZ-1": "fail",
}
# The reference adapter over its counter runtime (`http_adapter.py`, `reference_runtime.py`).
STRICT_NON_PASSES: dict[str, str] = {
    "SEC-5": "warn",  # FastAPI's /docs and /openapi.json are public (info severity)
    # wire.py:121-125: an unknown submission_mode raises ValueError inside the runtime: a 500
    "PROP-4": "fail",
    # reference_runtime.py:509-519 keys a rollout by its trace_correlation_id: given both ids,
    # the record answers the cid as its rollout_id (the SDK's own record_for refuses that), and
    # an async rollout is 404 `unknown_rollout:<id>` under the id it was submitted with
    "CS-3": "fail",
    "CS-4": "skip:unproven",  # after CS-3
    "CS-5": "fail",
    "CS-6": "skip:unproven",  # after CS-3
    "CS-7": "skip:unproven",  # after CS-3
    "CS-8": "skip:not_applicable",  # no server in the 0.4.6 wheel serves /dataset
    "CS-9": "warn",  # capabilities.py:68: RouteHints defaults to /program; the runtime has none
}
SDK_EXPECTED = expected(PROFILE, SDK_NON_PASSES)
STRICT_EXPECTED = expected(PROFILE, STRICT_NON_PASSES)


@pytest.fixture(scope="module")
def sdk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Judgement]:
    """`check --app ...:create_app --rollout-config '{"answer", "expected"}'` (no key)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ENVIRONMENT_API_KEY", raising=False)
        config = json.dumps(README_PAYLOAD)
        out = tmp_path_factory.mktemp("containers-sdk")
        yield judge(README_APP, out, "--rollout-config", config, "--quiet")


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Judgement]:
    """`check --app ...:create_strict_app` (no key, the request the profile builds as is)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("ENVIRONMENT_API_KEY", raising=False)
        yield judge(STRICT_APP, tmp_path_factory.mktemp("containers-strict"), "--quiet")


def _judged(request: pytest.FixtureRequest, which: str) -> Judgement:
    judged: Judgement = request.getfixturevalue(which)
    return judged


SERVERS = pytest.mark.parametrize(
    ("which", "expected"),
    [
        pytest.param("sdk", SDK_EXPECTED, id="readme-sdk-app"),
        pytest.param("strict", STRICT_EXPECTED, id="reference-adapter"),
    ],
)


@pytest.mark.parametrize("expected", [SDK_EXPECTED, STRICT_EXPECTED], ids=["sdk", "strict"])
def test_expected_verdicts_cover_the_catalogue(expected: dict[str, str]) -> None:
    """Every check in the catalogue has a recorded verdict for each server."""
    assert set(expected) == {spec.id for spec in catalogue()}


@SERVERS
def test_detected_by_the_health_contract_version(
    request: pytest.FixtureRequest, which: str, expected: dict[str, str]
) -> None:
    """Auto-detection says containers-2026-05, from /health asked without credentials."""
    judged = _judged(request, which)
    assert judged.report["profile"] == {"name": PROFILE, "evidence": [EVIDENCE], "warning": None}
    assert f"Profile: {PROFILE} ({EVIDENCE})" in " ".join(judged.output.split())


@SERVERS
def test_each_check_has_the_recorded_outcome(
    request: pytest.FixtureRequest, which: str, expected: dict[str, str]
) -> None:
    """Each check's outcome on each of the package's servers is the recorded one."""
    assert _judged(request, which).outcomes == expected


@SERVERS
def test_verdict_and_exit_code(
    request: pytest.FixtureRequest, which: str, expected: dict[str, str]
) -> None:
    """The verdict follows the recorded outcomes: a failed must is exit 1, else 0."""
    judged = _judged(request, which)
    verdict, code = ("does_not_conform", 1) if "fail" in expected.values() else ("conforms", 0)
    assert (judged.report["verdict"], judged.exit_code) == (verdict, code)
    totals = {k: v for k, v in judged.report["totals"].items() if v and k != "total"}
    assert totals == dict(counts(expected))
