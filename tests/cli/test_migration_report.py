"""`check --migration-report PROFILE`: the Markdown for one app, where it goes, and the
spellings of the knob in every front door.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from conformance.cli import main
from conformance.contract.migration import MIGRATIONS, Scope
from conformance.contract.profiles import CONTAINER, CONTAINERS, LEGACY, LOCALAPI
from conformance.migration import Answers, Reply, render
from conformance.options import KNOBS
from reference_app import build_config, create_app
from tests.faults import KEY
from tests.faults.asgi import Exchange, FaultyApp

ROOT = str(Path(__file__).resolve().parents[2])
_QUICK = ("--select", "EP-1", "--quiet")
"""The report does not depend on the selection: one check keeps the run short."""

LEGACY_TO_LOCALAPI = """\
# Migrating from legacy-0.2 to localapi

Target: embedded reference app (in-process), judged as **legacy-0.2** (synth-ai 0.2.14 - 0.4.1): the embedded reference app serves legacy-0.2.
Goal: **localapi** (synth-ai 0.4.12 - 0.7.0); its rules: [docs/contract.md#profile-localapi](docs/contract.md#profile-localapi); the facts behind this list: [docs/generations.md#localapi](docs/generations.md#localapi).

| Kind | legacy-0.2 | localapi | Your app | Note |
|---|---|---|---|---|
| request field | `run_id` (required) identifies the rollout | `trace_correlation_id` (required, top level) identifies it; no `run_id` is sent | answered a localapi rollout request with 422 `invalid_request` (run_id: Field required (3 error(s) in total)) | An app that still requires `run_id` refuses every rollout. A body without a cid is a 422 at `body.trace_correlation_id`; an empty string is a valid cid. |
| response field | `trajectories[]` of `steps[]` (obs, tool_calls, reward, done, info) | none: the episode goes in `trace` | answered `POST /rollout` with `trajectories` (a list of 1) | The response model has no `trajectories`; synth-ai 0.5+ drops them. |
| response field | `trace`, when `record.return_trace` asks for it | `trace` with a non-empty `event_history` (or `trace.session_trace.event_history`) | answered no `trace` | synth-ai's RL validator refuses a response without it; a `?cid=` URL alone is not enough (GEN-3). |
| response field | `metrics{episode_returns, mean_return, num_steps, outcome_score}` | `reward_info{outcome_reward}` (required, a finite number) | answered `metrics{episode_returns, mean_return, num_steps, num_episodes, outcome_score, events_score, details}` and no `reward_info` | The score a trainer reads (GEN-2). synth-ai 0.4.12 calls it `metrics.outcome_reward`; 0.5+ refuses the name `metrics`. |
| response field | `trace_correlation_id` at the top level and in `pipeline_metadata` | `trace_correlation_id` at the top level (required) | already answers a top-level `trace_correlation_id` | It must equal the cid the request sent (GEN-1). |
| response field | `run_id`, echoed from the request | none | answered `run_id` | There is no run id any more: the cid identifies the rollout. |
| response field | `pipeline_metadata{inference_url, trace_correlation_id}` | `inference_url` (with `?cid=`) and `trace_correlation_id` at the top level | answered `pipeline_metadata{trace_correlation_id, inference_url, task_id, task_split, seed, model}` | The URL is checked only in addition to the trace. |
| response field | `branches` | none | answered `branches{}` | Dropped from the response model. |
| response field | `aborted` (a boolean) | `success_status` (`success`, `timeout`, `network_error`, `apply_failed`, `runtime_error`, `failure`, or null) and `status_detail` | answered `aborted` | Any other `success_status` is refused (GEN-4). |

## Also changed, for an app that uses it (your app's answers did not show it)

- request field: `mode` (required: `rl` or `eval`) -> none: not sent (extra fields are ignored)
- request field: `ops` (required, e.g. `["agent", "env"]`) -> none: not sent
- request field: `record` (`trajectories`, `return_trace`, `trace_format`) -> none: not sent

The routes, `/health`, the API key and `/task_info` stay as they are.

When the app is migrated, `taskapp-conformance check <URL> --profile localapi` judges it by the new rules.
"""  # noqa: E501 (the report's table rows are long lines)


def _run(*args: str, env: dict[str, str] | None = None) -> Result:
    clean = {knob.env: "" for knob in KNOBS}
    return CliRunner().invoke(main, list(args), env={**clean, **(env or {})})


def test_legacy_app_to_localapi_is_the_whole_pinned_report(tmp_path: Path) -> None:
    """The report for the legacy reference app: every change it needs with what it answered,
    the changes its answers did not show, what stays; written whole to the file.
    """
    out = tmp_path / "reports" / "migration.md"
    result = _run(
        "check", *_QUICK, "--migration-report", LOCALAPI, "--migration-report-out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") == LEGACY_TO_LOCALAPI
    assert "# Migrating" not in result.output  # the file, not stdout


def test_legacy_app_to_containers_follows_the_summary_on_stdout() -> None:
    """Without a file the Markdown follows the verdict on stdout, and names what the legacy
    app answered in place of each newer route.
    """
    result = _run("check", *_QUICK, "--migration-report", CONTAINERS)
    assert result.exit_code == 0, result.output
    verdict = result.output.index("Verdict: the target conforms")
    report = result.output[
        result.output.index("# Migrating from legacy-0.2 to containers-2026-05") :
    ]
    assert verdict < result.output.index(report)
    rows = {line.split(" | ")[1]: line for line in report.splitlines() if line.startswith("| ")}
    assert "`POST /rollouts` answered 404 `not_found`" in rows["`POST /rollout`"]
    assert "`GET /metadata`: 404" in report
    assert "`GET /health` without credentials: 401 `unauthorised`" in report
    assert "answered `POST /rollout` without `rollout_id`, `status`, `success_status`" in report
    assert "- route: `POST /done`, `GET /debug/env` -> none: not served" in report


@pytest.mark.parametrize(
    ("judged", "goal"),
    [(CONTAINERS, LOCALAPI), (LOCALAPI, LOCALAPI), (CONTAINER, LEGACY)],
    ids=["newer", "same", "oldest-goal"],
)
def test_an_app_on_the_goal_or_newer_has_nothing_to_migrate(judged: str, goal: str) -> None:
    """A target judged as the goal generation or a newer one gets one line, and the run's
    verdict is untouched.
    """
    result = _run("check", "--profile", judged, *_QUICK, "--migration-report", goal)
    assert result.exit_code == 0, result.output
    assert result.output.endswith(
        f"\nNothing to migrate: embedded reference app (in-process, {judged}) is judged as "
        f"{judged}, which is not older than {goal}.\n"
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["--migration-report", "newest"],
            {},
            "--migration-report = 'newest': expected a generation to migrate to: one of "
            "legacy-0.2, localapi, container, containers-2026-05",
        ),
        (["--migration-report", "auto"], {}, "--migration-report = 'auto': expected a generation"),
        (
            [],
            {"TASKAPP_MIGRATION_REPORT": "nope"},
            "TASKAPP_MIGRATION_REPORT (environment) = 'nope': expected a generation",
        ),
        (
            ["--migration-report-out", "m.md"],
            {},
            "--migration-report-out needs --migration-report (the generation to migrate to)",
        ),
    ],
    ids=["unknown", "auto", "environment", "file-without-report"],
)
def test_bad_migration_options_exit_2_with_one_line(
    args: list[str], env: dict[str, str], message: str
) -> None:
    """A generation that does not exist (or `auto`), or a file without a report, is a usage
    error naming the valid values, before any check runs.
    """
    result = _run("check", *_QUICK, *args, env=env)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert "taskapp-conformance 0.1.0" not in result.output  # refused before the run


def test_an_unwritable_report_file_is_a_usage_error(tmp_path: Path) -> None:
    """A report path that cannot be written exits 2 naming it, not with a traceback."""
    result = _run(
        "check", *_QUICK, "--migration-report", LOCALAPI, "--migration-report-out", str(tmp_path)
    )
    assert result.exit_code == 2, result.output
    assert f"cannot write the migration report to {tmp_path}" in result.output
    assert "Traceback" not in result.output


def test_config_file_and_environment_spell_the_knob(tmp_path: Path) -> None:
    """`migration_report` / `migration_report_out` in [tool.taskapp-conformance], and
    TASKAPP_MIGRATION_REPORT in the environment, do what the flags do.
    """
    out = tmp_path / "m.md"
    config = tmp_path / "c.toml"
    config.write_text(
        '[tool.taskapp-conformance]\nselect = "EP-1"\n'
        f'migration_report = "LocalAPI"\nmigration_report_out = "{out}"\n'
    )
    assert _run("check", "--config", str(config), "--quiet").exit_code == 0
    assert out.read_text(encoding="utf-8") == LEGACY_TO_LOCALAPI
    from_env = _run("check", *_QUICK, env={"TASKAPP_MIGRATION_REPORT": CONTAINER})
    assert "# Migrating from legacy-0.2 to container\n" in from_env.output


@pytest.fixture
def pytester_env(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    """A pytester whose runs can import the tests package and see no stray taskapp settings."""
    monkeypatch.setenv("PYTHONPATH", ROOT)
    monkeypatch.syspath_prepend(ROOT)
    for knob in KNOBS:
        monkeypatch.delenv(knob.env, raising=False)
    return pytester


_PLUGIN_APP = (
    "--taskapp-app",
    "tests.faults.apps:reference",
    "--taskapp-api-key",
    KEY,
    "--taskapp-select",
    "EP-1",
)


def test_plugin_writes_the_report_to_its_file(pytester_env: pytest.Pytester) -> None:
    """`--taskapp-migration-report` with `--taskapp-migration-report-out` writes the same
    report the CLI writes for that app.
    """
    out = pytester_env.path / "m.md"
    result = pytester_env.runpytest(
        *_PLUGIN_APP,
        "--taskapp-migration-report",
        LOCALAPI,
        "--taskapp-migration-report-out",
        str(out),
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    expected = LEGACY_TO_LOCALAPI.replace(
        "embedded reference app (in-process), judged as **legacy-0.2** (synth-ai 0.2.14 - 0.4.1): "
        "the embedded reference app serves legacy-0.2.",
        "tests.faults.apps:reference (in-process), judged as **legacy-0.2** "
        "(synth-ai 0.2.14 - 0.4.1): detected: ",
    )
    text = out.read_text(encoding="utf-8")
    assert text.splitlines()[3:] == expected.splitlines()[3:]
    assert text.splitlines()[2].startswith(expected.splitlines()[2])


def test_plugin_prints_the_report_in_the_terminal_summary(pytester_env: pytest.Pytester) -> None:
    """Without a file, the report is a section of pytest's terminal summary; a bad name is a
    usage error.
    """
    result = pytester_env.runpytest(*_PLUGIN_APP, "--taskapp-migration-report", CONTAINERS)
    assert result.ret == pytest.ExitCode.OK
    out = result.stdout.str()
    assert "taskapp-conformance migration report" in out
    assert "# Migrating from legacy-0.2 to containers-2026-05" in out
    bad = pytester_env.runpytest(*_PLUGIN_APP, "--taskapp-migration-report", "auto")
    assert bad.ret == pytest.ExitCode.USAGE_ERROR
    assert "--taskapp-migration-report = 'auto': expected a generation" in bad.stderr.str()


# --- what the answers show ------------------------------------------------------------------


def _answers(new: str, **replies: Any) -> Answers:
    return Answers(new=new, old_route="/rollout", new_route="/rollout", **replies)


def test_an_app_that_shows_nothing_gets_every_change_it_might_need() -> None:
    """With no answer at all, the changes every app makes are rows without evidence ("-"),
    and those only some apps make are listed below the table: nothing is hidden.
    """
    m = MIGRATIONS[(LEGACY, LOCALAPI)]
    report = render(m, _answers(LOCALAPI), target="t")
    table = [line for line in report.splitlines() if line.startswith("| ")][1:]  # no header
    every = [c for c in m.changes if c.scope is Scope.EVERY_APP]
    assert len(table) == len(every)
    assert all(line.endswith(f"| - | {c.note} |") for line, c in zip(table, every, strict=True))
    listed = [line for line in report.splitlines() if line.startswith("- ")]
    assert len(listed) == sum(c.scope is Scope.IF_USED for c in m.changes)


def test_required_legacy_fields_become_rows_naming_where_they_were_read() -> None:
    """An app whose OpenAPI requires `mode` and `ops` gets those changes as rows, citing it."""
    answers = _answers(
        LOCALAPI,
        required=frozenset({"run_id", "mode", "ops", "env", "policy"}),
        required_source="GET /openapi.json",
    )
    report = render(MIGRATIONS[(LEGACY, LOCALAPI)], answers, target="t")
    assert "| requires `run_id` (GET /openapi.json) |" in report
    assert "| requires `mode` (GET /openapi.json) |" in report
    assert "| requires `ops` (GET /openapi.json) |" in report
    assert "- request field: `record`" in report


def test_a_0_4_12_localapi_app_learns_the_container_takes_metrics_as_an_alias() -> None:
    """A localapi app answering synth-ai 0.4.12's `metrics.outcome_reward` gets the alias row
    (and the note that the wire says `reward_info`); one answering `reward_info` does not.
    """
    m = MIGRATIONS[(LOCALAPI, CONTAINER)]
    old = _answers(CONTAINER, rollout=Reply(200, {"metrics": {"outcome_reward": 1.0}}))
    new = _answers(CONTAINER, rollout=Reply(200, {"reward_info": {"outcome_reward": 1.0}}))
    row = "| answered `metrics.outcome_reward` (synth-ai 0.4.12's name) | The wire always says"
    assert row in render(m, old, target="t")
    assert "0.4.12's name" not in render(m, new, target="t")
    assert "Container server would answer 422" in render(m, old, target="t")


def _leaky_app() -> Any:
    """The reference app, careless: its refusals quote the key, and its `/info` has a field
    named after it.
    """
    app = create_app(build_config(environ={"ENVIRONMENT_API_KEY": KEY}))

    def after(ex: Exchange) -> None:
        body = ex.json()
        if ex.status == 401 and isinstance(body, dict):
            ex.set_json({"detail": {"error": {"code": "unauthorised", "message": f"want {KEY}"}}})
        elif ex.path == "/info" and ex.status == 200 and isinstance(body, dict):
            ex.set_json({**body, KEY: 1})

    return FaultyApp(app, after=after)


def test_the_report_never_carries_the_key(tmp_path: Path) -> None:
    """What the app said is redacted before the report is written: no key, in any place."""
    out = tmp_path / "m.md"
    result = _run(
        "check",
        "--app",
        "tests.cli.test_migration_report:_leaky_app",
        "--api-key",
        KEY,
        *_QUICK,
        "--migration-report",
        CONTAINERS,
        "--migration-report-out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert KEY not in text
    assert "`GET /health` without credentials: 401 `unauthorised` (want ***)" in text
