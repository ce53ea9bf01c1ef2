"""Our verdicts on synth-ai 0.6.6's own LocalAPI app: its real defects, nothing else.

`localapi_app.py` does what its author controls the way the package's own models and RL
validator ask, so each non-pass below is the framework's (`create_local_api`), with the fact in
docs/generations.md ("localapi") it comes from.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from conformance.registry import catalogue
from tests.generations.pins import require

require("localapi")

from tests.generations.verdicts import Judgement, counts, expected, judge  # noqa: E402

FACTORY = "tests.generations.localapi_app:create_app"
KEY = "fake-9f2e1d7c5b3a0896e4d2c1"
EVIDENCE = (
    "detected: GET /health wants an API key (the ENVIRONMENT_API_KEY generations); "
    "GET /openapi.json says the rollout request requires env, policy, trace_correlation_id"
)

# What our checks flag on the framework's app (docs/generations.md "localapi"; paths under
# synth_ai/sdk/localapi/_impl/ in 0.6.6). Every other check of the generation passes: among
# them the ones 0.5+ fixed (EP-4: /info is a typed InfoResponse, no "<circular" strings; TI-2:
# `environment` is optional, null on the wire, and `rubric` left the model) and the RL rule
# (GEN-3), which this app meets by filling the event history the package's template leaves empty.
NON_PASSES: dict[str, str] = {
    "AUTH-8": "warn",  # auth.py:155-165: a missing or wrong key gets 400, not 401/403
    "SEC-1": "fail",  # auth.py:155-165: the 400 body lists allowed_first15 (the key's start)
    "SEC-2": "warn",  # server.py:445: /health's auth.expected_prefix is the key's first 6
    "SEC-3": "warn",  # server.py:516: /debug/env is on by default, as in 0.2
    "SEC-4": "warn",  # server.py:198+378: clone() makes cors_origins (), i.e. "*" + credentials
    "SEC-5": "warn",  # FastAPI's /docs and /openapi.json are public (info severity)
}
EXPECTED = expected("localapi", NON_PASSES)


@pytest.fixture(scope="module")
def judged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Judgement]:
    """`check --app tests.generations.localapi_app:create_app`, the app reading its key from
    os.environ as synth-ai's auth does.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENVIRONMENT_API_KEY", KEY)
        for name in ("ENVIRONMENT_API_KEY_ALIASES", "DEV_ENVIRONMENT_API_KEY"):
            patch.delenv(name, raising=False)
        patch.delenv("dev_environment_api_key", raising=False)
        yield judge(FACTORY, tmp_path_factory.mktemp("localapi"), "--quiet")


def test_expected_verdicts_cover_the_catalogue() -> None:
    """Every check in the catalogue has a recorded verdict for the LocalAPI app."""
    assert set(EXPECTED) == {spec.id for spec in catalogue()}


def test_detected_as_localapi_by_its_request_model(judged: Judgement) -> None:
    """Auto-detection says localapi, from the API-key /health and the required cid."""
    assert judged.report["profile"] == {"name": "localapi", "evidence": [EVIDENCE], "warning": None}
    assert f"Profile: localapi ({EVIDENCE})" in " ".join(judged.output.split())


def test_each_check_has_the_recorded_outcome(judged: Judgement) -> None:
    """Each check's outcome on the LocalAPI app is the recorded one."""
    assert judged.outcomes == EXPECTED


def test_verdict_is_does_not_conform(judged: Judgement) -> None:
    """SEC-1 (a must) fails, so the app does not conform: exit 1, totals as recorded."""
    assert (judged.report["verdict"], judged.exit_code) == ("does_not_conform", 1)
    assert judged.report["exit_code"] == 1
    totals = {k: v for k, v in judged.report["totals"].items() if v and k != "total"}
    assert totals == dict(counts(EXPECTED))


@pytest.mark.parametrize(
    ("check_id", "evidence"),
    [
        ("SEC-1", "allowed_first15"),
        ("AUTH-8", "400"),
        ("SEC-2", "expected_prefix"),
        ("SEC-3", "/debug/env"),
        ("SEC-4", "Access-Control-Allow-Credentials: true"),
    ],
)
def test_failure_blocks_name_the_evidence(judged: Judgement, check_id: str, evidence: str) -> None:
    """The failure block of each flagged defect quotes what the framework sent back."""
    assert evidence in str(judged.entry(check_id))


def test_report_never_contains_the_key(judged: Judgement) -> None:
    """The framework echoes key prefixes; our report repeats no 6-character piece of the key."""
    text = json.dumps(judged.report)
    assert not [KEY[i : i + 6] for i in range(len(KEY) - 5) if KEY[i : i + 6] in text]
