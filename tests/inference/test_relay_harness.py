"""The harness reads a recording relay's calls: CID-4/5/6 and PROP-2 decided with evidence."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result
from starlette.applications import Starlette

from conformance.cli import main
from conformance.inference import create_relay_app
from conformance.options import ConfigError
from conformance.outcomes import Outcome
from conformance.registry import catalogue
from conformance.runner import RunOptions, RunSession, TargetUnreachable, run_checks
from conformance.serving import ServerThread
from conformance.target import asgi_target
from tests.faults import FAULTS, KEY
from tests.faults.apps import reference

TOKEN = "9a8b7c6d5e4f30211203f4e5d6c7b8a9"
MODEL_SIDE = ("CID-4", "CID-5", "CID-6", "PROP-2")


@pytest.fixture
def relay_app() -> Starlette:
    """A fresh relay app with a token."""
    return create_relay_app(token=TOKEN)


@pytest.fixture
def relay(relay_app: Starlette) -> Iterator[ServerThread]:
    """The relay served on 127.0.0.1."""
    with ServerThread(relay_app) as server:
        yield server


def _model_side_outcomes(
    app: object, relay: ServerThread | None, *, concurrency: int = 4
) -> dict[str, Outcome]:
    """Outcomes of the model-side checks, recorded by `relay` (None: the local mock)."""
    checks = [spec for spec in catalogue() if spec.id in MODEL_SIDE]
    options = RunOptions(concurrency=concurrency)
    if relay is not None:
        options = RunOptions(concurrency=concurrency, recorder_url=relay.url, recorder_token=TOKEN)
    report = run_checks(asgi_target(app, KEY, "app"), checks, options)
    if relay is not None:
        assert report.inference == f"recording relay on {relay.url}"
    return {r.check.id: r.outcome for r in report.results}


def test_model_side_checks_pass_with_the_relays_evidence(
    relay_app: Starlette, relay: ServerThread
) -> None:
    """Against the reference app, every model-side check passes on calls the relay recorded."""
    assert _model_side_outcomes(reference(), relay) == dict.fromkeys(MODEL_SIDE, Outcome.PASS)
    recorded = relay_app.state.recorder.calls()
    routes = {c.path.split("/")[2] for c in recorded if c.path.startswith("/r/")}
    assert len(routes) >= 9  # CID-4's baseline, CID-5's 8 parallel rollouts, CID-6's


@pytest.mark.parametrize("fault", ["stale_cid_sent_to_model", "other_query_params_dropped"])
def test_model_side_faults_fail_through_the_relay(relay: ServerThread, fault: str) -> None:
    """A fault at the model side fails exactly its model-side checks through the relay."""
    spec = next(f for f in FAULTS if f.name == fault)
    outcomes = _model_side_outcomes(spec.app(), relay, concurrency=spec.concurrency)
    failed = {check for check, outcome in outcomes.items() if outcome is Outcome.FAIL}
    assert failed == spec.breaks & set(MODEL_SIDE)
    assert all(outcome is Outcome.PASS for c, outcome in outcomes.items() if c not in failed)


@pytest.mark.parametrize(
    "fault",
    # Faults that need one check at a time (CID-5's) take 5-10 s each: the two above and
    # the e2e test cover the relay's concurrency; these are the rest, derived from the data.
    sorted(f.name for f in FAULTS if f.breaks & set(MODEL_SIDE) and f.concurrency > 1),
)
def test_the_relay_judges_as_the_local_mock_does(relay: ServerThread, fault: str) -> None:
    """Every model-side fault gets the same outcomes through the relay as with the local mock."""
    spec = next(f for f in FAULTS if f.name == fault)
    through_relay = _model_side_outcomes(spec.app(), relay, concurrency=spec.concurrency)
    local = _model_side_outcomes(spec.app(), None, concurrency=spec.concurrency)
    assert through_relay == local


def test_a_refused_token_stops_the_run_before_any_check(relay: ServerThread) -> None:
    """A wrong token fails fast, once, as a usage error (the user's token), without it."""
    wrong = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    options = RunOptions(recorder_url=relay.url, recorder_token=wrong)
    with pytest.raises(ConfigError) as info:
        run_checks(asgi_target(reference(), KEY, "app"), catalogue(), options)
    assert str(info.value) == (
        f"the recording relay at {relay.url} refused the recorder token (401): pass the token "
        "the relay was started with (--recorder-token or TASKAPP_RECORDER_TOKEN)"
    )
    assert wrong[:6] not in str(info.value)


def test_an_unreachable_relay_is_an_unreachable_dependency() -> None:
    """A relay nothing answers at stops the run as unreachable (exit 3), not as a usage error."""
    options = RunOptions(recorder_url="http://127.0.0.1:9", recorder_token=TOKEN)
    with pytest.raises(TargetUnreachable, match="could not be reached"):
        run_checks(asgi_target(reference(), KEY, "app"), catalogue(), options)


def _check_with_relay(relay_url: str, token: str) -> Result:
    return CliRunner().invoke(
        main,
        ["check", "--app", "tests.faults.apps:reference", "--quiet", "--select", "CID-4"],
        env={
            "ENVIRONMENT_API_KEY": KEY,
            "TASKAPP_RECORDER": relay_url,
            "TASKAPP_RECORDER_TOKEN": token,
        },
    )


def test_check_exits_2_with_one_line_when_the_relay_refuses_the_token(
    relay: ServerThread,
) -> None:
    """`check --recorder` with a wrong token exits 2 with one line naming --recorder-token."""
    wrong = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    result = _check_with_relay(relay.url, wrong)
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1] == (
        f"Error: the recording relay at {relay.url} refused the recorder token (401): pass the "
        "token the relay was started with (--recorder-token or TASKAPP_RECORDER_TOKEN)"
    )
    assert wrong[:6] not in result.output
    assert _check_with_relay(relay.url, TOKEN).exit_code == 0


def test_check_exits_3_when_the_relay_is_unreachable() -> None:
    """`check --recorder` at a port nothing listens on exits 3 (cannot talk), as before."""
    result = _check_with_relay("http://127.0.0.1:9", TOKEN)
    assert result.exit_code == 3, result.output
    assert "could not be reached" in result.output


def test_the_token_is_a_secret_of_every_output() -> None:
    """The run's redactor hides the recorder token and any 6+-character piece of it."""
    options = RunOptions(recorder_url="http://127.0.0.1:9", recorder_token=TOKEN)
    session = RunSession(asgi_target(reference(), KEY, "app"), options)
    assert session.redactor.text(f"a {TOKEN} b {TOKEN[3:12]}") == "a *** b ***"
