"""Our verdicts on synth-ai 0.9.11's own Container app: its real defects, nothing else.

`container_app.py` trusts a throwaway Ed25519 key (SYNTH_CONTAINER_TRUSTED_PUBKEYS), as a
deployed container does; the harness gets the signing half (TASKAPP_CONTAINER_SIGNING_KEY) and
mints its PASETO tokens with it. No API key is given: this generation does not read one. The
app is judged in each of the framework's auth modes. Each non-pass below is the framework's
(`create_container`), with the fact in docs/generations.md ("container") it comes from.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from conformance import paseto
from conformance.registry import catalogue
from tests.generations.pins import require

require("container")

from tests.generations.verdicts import Judgement, counts, expected, judge  # noqa: E402

FACTORY = "tests.generations.container_app:create_app"
SIGNING = paseto.new_key()
EVIDENCE = (
    "detected: GET /health without credentials names required_header "
    "'x-synth-container-authorization' (PASETO tokens)"
)

# What our checks flag on the framework's app (paths under synth_ai/sdk/container/_impl/ in
# 0.9.11). Every other check of the generation passes: the token auth (CTR-1..5) and the
# rollout rules (GEN-1..4) are the framework's own, done right.
NON_PASSES: dict[str, str] = {
    "SEC-3": "warn",  # server.py:566-584: /debug/env is served to any valid token
    "SEC-5": "warn",  # FastAPI's /docs is public (info severity); /openapi.json is a 500
}
# SYNTH_CONTAINER_AUTH_MODE=disabled (auth.py:24-32) lets every credential through: the app
# no longer refuses a bad token (CTR-3) or enforces scopes (CTR-4), so CTR-5 proves nothing.
DISABLED_NON_PASSES: dict[str, str] = {
    **NON_PASSES,
    "CTR-3": "fail",
    "CTR-4": "fail",
    "CTR-5": "skip:unproven",
}
MODES: dict[str, tuple[str, int, dict[str, str]]] = {
    # unset means `required` (auth.py:24-32): a deployed container
    "unset": ("conforms", 0, expected("container", NON_PASSES)),
    # a loopback caller without a token is let in (the harness is one): CTR-3 exempts exactly
    # the no-token cases, as /health's auth.mode announces
    "optional_local": ("conforms", 0, expected("container", NON_PASSES)),
    "disabled": ("does_not_conform", 1, expected("container", DISABLED_NON_PASSES)),
}


@pytest.fixture(scope="module", params=list(MODES))
def judged(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Judgement]]:
    """`check --app tests.generations.container_app:create_app` in one auth mode: the app
    trusts a fresh key and the harness holds its signing half.
    """
    mode: str = request.param
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SYNTH_CONTAINER_TRUSTED_PUBKEYS", paseto.public_key_b64(SIGNING))
        patch.setenv("TASKAPP_CONTAINER_SIGNING_KEY", paseto.private_key_b64(SIGNING))
        for name in (
            "SYNTH_CONTAINER_AUTH_MODE",
            "SYNTH_CONTAINER_AUTH_ISSUER",
            "ENVIRONMENT_API_KEY",  # not read by this generation; the harness needs none
        ):
            patch.delenv(name, raising=False)
        if mode != "unset":
            patch.setenv("SYNTH_CONTAINER_AUTH_MODE", mode)
        yield mode, judge(FACTORY, tmp_path_factory.mktemp(f"container-{mode}"), "--quiet")


@pytest.mark.parametrize("mode", list(MODES))
def test_expected_verdicts_cover_the_catalogue(mode: str) -> None:
    """Every check in the catalogue has a recorded verdict for the Container app."""
    assert set(MODES[mode][2]) == {spec.id for spec in catalogue()}


def test_detected_as_container_by_its_public_health(judged: tuple[str, Judgement]) -> None:
    """Auto-detection says container, from /health's required_header, asked without a token."""
    _, judgement = judged
    assert judgement.report["profile"] == {
        "name": "container",
        "evidence": [EVIDENCE],
        "warning": None,
    }
    assert f"Profile: container ({EVIDENCE})" in " ".join(judgement.output.split())


def test_each_check_has_the_recorded_outcome(judged: tuple[str, Judgement]) -> None:
    """Each check's outcome on the Container app, in each auth mode, is the recorded one."""
    mode, judgement = judged
    assert judgement.outcomes == MODES[mode][2]


def test_verdict_and_exit_code(judged: tuple[str, Judgement]) -> None:
    """The app conforms (exit 0) with its auth on, and not (exit 1) with it disabled."""
    mode, judgement = judged
    verdict, code, outcomes = MODES[mode]
    assert (judgement.report["verdict"], judgement.exit_code) == (verdict, code)
    totals = {k: v for k, v in judgement.report["totals"].items() if v and k != "total"}
    assert totals == dict(counts(outcomes))


def test_disabled_auth_failures_name_the_token_let_through(judged: tuple[str, Judgement]) -> None:
    """With auth disabled, CTR-3's failure block names a bad token the app served."""
    mode, judgement = judged
    if mode != "disabled":
        pytest.skip("only the disabled mode lets a bad token through")
    assert "token" in str(judgement.entry("CTR-3")["detail"]["summary"])


def test_report_never_contains_the_signing_key_or_a_token(judged: tuple[str, Judgement]) -> None:
    """Neither the signing key the harness was given nor a token it minted is reported."""
    _, judgement = judged
    text = json.dumps(judgement.report) + judgement.output
    assert paseto.private_key_b64(SIGNING) not in text
    assert "v4.public." not in text
