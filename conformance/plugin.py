"""pytest plugin (`pytest11` entry point): the check catalogue as test items, plus fixtures.

Inert unless used: without a target option no item is added, and the fixtures only act
when a test asks for them. `pytest --taskapp-url URL -m taskapp` runs the catalogue; a
WARN (a failed `should` check) is reported as XFAIL with the failure block as reason.
"""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance.context import json_body
from conformance.contract import INFO_PATH, SEED_PARAM, TASK_INFO_PATH
from conformance.inference import MockInferenceServer
from conformance.options import (
    DEFAULTS,
    KNOBS,
    PLUGIN_PREFIX,
    ConfigError,
    Knob,
    RunConfig,
    build_target,
    flag_name,
    load_config,
    resolve,
    run_options,
    selected_checks,
)
from conformance.outcomes import Outcome
from conformance.profile import TargetProfile
from conformance.redaction import Redactor
from conformance.registry import CheckSpec, catalogue
from conformance.runner import (
    CheckResult,
    ProfileConflict,
    RunOptions,
    RunSession,
    TargetUnreachable,
    dependency_skip,
    gates,
    not_applicable,
)
from conformance.target import Target
from conformance.testing import TaskAppClient

GROUP = "taskapp-conformance"
_TARGET_HINT = (
    "set --taskapp-url URL (env TASKAPP_URL, [tool.taskapp-conformance] url) "
    "or --taskapp-app MODULE:ATTR"
)
_CONFIG_FLAG = f"{PLUGIN_PREFIX}config"


def _dest(knob: Knob) -> str:
    return f"taskapp_{knob.name}"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Every option of `taskapp-conformance check`, spelled `--taskapp-<option>`."""
    group = parser.getgroup(GROUP, "taskapp-conformance: check a synth-ai task app")
    for knob in KNOBS:
        text = f"{knob.help} [env {knob.env}]"
        if knob.kind in ("bool", "tristate"):
            group.addoption(
                knob.plugin_flag, action="store_true", default=None, dest=_dest(knob), help=text
            )
            if knob.kind == "tristate":
                group.addoption(
                    f"{PLUGIN_PREFIX}no-{knob.flag.removeprefix('--')}",
                    action="store_false",
                    dest=_dest(knob),
                    help=f"Turn {knob.plugin_flag} off.",
                )
        else:
            group.addoption(
                knob.plugin_flag,
                dest=_dest(knob),
                metavar="VALUE",
                action="append" if knob.kind == "list" else "store",
                help=text,
            )
    group.addoption(
        _CONFIG_FLAG,
        dest="taskapp_config",
        metavar="FILE",
        help="TOML file with a [tool.taskapp-conformance] table [<rootdir>/pyproject.toml].",
    )


@dataclass
class _State:
    """What the plugin resolved from options, and the lazily started run."""

    target: Target | None
    options: RunOptions
    checks: list[CheckSpec]
    config: RunConfig = field(default_factory=RunConfig)
    results: dict[str, CheckResult] = field(default_factory=dict)
    session: RunSession | None = None
    started: float = field(default_factory=time.monotonic)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    migration_markdown: str | None = None
    """`--taskapp-migration-report` without a file: printed in the terminal summary."""

    def result(self, spec: CheckSpec) -> CheckResult:
        """Run `spec` once per process, after its dependencies (even deselected ones)."""
        if spec.id in self.results:
            return self.results[spec.id]
        by_id = {c.id: c for c in catalogue()}
        for dep in spec.depends_on:
            self.result(by_id[dep])
        session = self._session()  # its preflight decides the generation judged
        profile = session.ctx.profile.contract
        skip = not_applicable(spec, profile) or dependency_skip(spec, self.results, profile)
        self.results[spec.id] = skip if skip is not None else session.run(spec)
        return self.results[spec.id]

    def _session(self) -> RunSession:
        if self.session is None:
            assert self.target is not None
            self.session = RunSession(self.target, self.options).__enter__()
        return self.session

    def close(self) -> None:
        if self.session is not None:
            self.session.__exit__(None, None, None)
            self.session = None


_STATE = pytest.StashKey[_State]()


def _resolve(config: pytest.Config) -> RunConfig:
    """The same resolver as the CLI: command line > environment > config table > default."""
    flags = {knob.name: config.getoption(_dest(knob)) for knob in KNOBS}
    path = config.getoption("taskapp_config")
    table = load_config(Path(path) if path else None, config.rootpath / "pyproject.toml")
    return resolve(flags, os.environ, table, flag_label=PLUGIN_PREFIX)


def _build_state(config: pytest.Config) -> _State:
    try:
        run_config = _resolve(config)
        if not run_config.url and not run_config.app:
            _refuse_tuning_without_target(config, run_config)
            return _State(None, RunOptions(), [], run_config)
        target = build_target(run_config, prefix=PLUGIN_PREFIX)
        checks = selected_checks(run_config)
        options = run_options(run_config, target, prefix=PLUGIN_PREFIX)
    except ConfigError as exc:
        raise pytest.UsageError(f"taskapp-conformance: {exc}") from None
    reports = [flag_name(name, PLUGIN_PREFIX) for name in _REPORTS if getattr(run_config, name)]
    if reports and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError(
            f"taskapp-conformance: {reports[0]} writes one report of the whole run: run "
            "without -n (xdist spreads the checks over processes; --junitxml works with -n)"
        )
    return _State(target, options, checks, run_config)


_REPORTS = ("json", "junit_xml", "markdown", "html", "migration_report")


def _refuse_tuning_without_target(config: pytest.Config, run_config: RunConfig) -> None:
    """Options that only make sense with a target, given without one, are a usage error."""
    tuning = [
        k.plugin_flag
        for k in KNOBS
        if not k.secret and getattr(run_config, k.name) != getattr(DEFAULTS, k.name)
    ]
    if tuning:
        raise ConfigError(f"{tuning[0]} needs a target: {_TARGET_HINT}")
    markexpr = str(config.getoption("markexpr", "") or "")
    if _selects_catalogue(markexpr):  # with no target it would deselect all, exit 5
        raise ConfigError(
            f"-m {markexpr!r} selects the catalogue, but no target is set: {_TARGET_HINT}"
        )


def _item_markers(spec: CheckSpec) -> set[str]:
    return {"taskapp", f"taskapp_{spec.severity.value}", f"taskapp_{spec.area.lower()}"}


def _marker_names() -> set[str]:
    return set().union(*(_item_markers(spec) for spec in catalogue()))


def _selects_catalogue(markexpr: str) -> bool:
    """Whether a `-m` expression would select one of our items (`taskapp`, `not taskapp_fuzz`...).

    Only `and`/`or`/`not`, parentheses and marker names are understood; anything else (a
    project's own marker with arguments) is left for pytest to judge.
    """
    tokens = re.findall(r"\(|\)|[^\s()]+", markexpr)
    if not tokens or not set(tokens) & _marker_names():
        return False
    for spec in catalogue():
        markers = _item_markers(spec)
        words = [t if t in ("and", "or", "not", "(", ")") else str(t in markers) for t in tokens]
        try:  # safe: the text is only True, False, and, or, not and parentheses
            if eval(" ".join(words), {"__builtins__": {}}):
                return True
        except (SyntaxError, TypeError):  # `mark(arg)` forms: pytest's business
            return False
    return False


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "taskapp: a taskapp-conformance check item")
    for name in sorted(_marker_names() - {"taskapp"}):
        level = name.removeprefix("taskapp_")
        config.addinivalue_line("markers", f"{name}: taskapp-conformance {level} checks")
    config.stash[_STATE] = _build_state(config)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Fail the whole run at once, with one line, when the target cannot be reached."""
    state = session.config.stash[_STATE]
    if state.target is None or hasattr(session.config, "workerinput"):
        return
    try:
        with RunSession(state.target, state.options):
            pass
    except TargetUnreachable as exc:
        raise pytest.UsageError(
            f"taskapp-conformance: cannot reach the target: {exc} ({_TARGET_HINT})"
        ) from None
    except ProfileConflict as exc:
        raise pytest.UsageError(f"taskapp-conformance: {exc}") from None
    except ConfigError as exc:  # the relay refused the recorder token
        raise pytest.UsageError(f"taskapp-conformance: {_pytest_spelling(str(exc))}") from None


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Write the reports asked for (`--taskapp-json` ...) from the results of this process."""
    state = session.config.stash.get(_STATE, None)
    if state is None or state.session is None or not state.results:
        return
    from conformance.reports import ReportWriteError, write_reports

    results = [state.results[c.id] for c in state.checks if c.id in state.results]
    report = state.session.report(results, state.started_at, time.monotonic() - state.started)
    try:
        write_reports(
            report,
            json_path=state.config.json,
            junit_path=state.config.junit_xml,
            markdown_path=state.config.markdown,
            html_path=state.config.html,
        )
        if state.config.migration_report:
            _migration_report(state, state.session)
    except ReportWriteError as exc:
        raise pytest.UsageError(f"taskapp-conformance: {exc}") from None


def _migration_report(state: _State, session: RunSession) -> None:
    """`--taskapp-migration-report`: to its file, or kept for the terminal summary."""
    from conformance.migration import migration_report, write_migration_report

    assert state.config.migration_report is not None
    markdown = migration_report(session.ctx, state.config.migration_report)
    if state.config.migration_report_out is not None:
        write_migration_report(markdown, state.config.migration_report_out)
    else:
        state.migration_markdown = markdown


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """The migration report, when asked for without a file."""
    state = terminalreporter.config.stash.get(_STATE, None)
    if state is not None and state.migration_markdown is not None:
        terminalreporter.section("taskapp-conformance migration report")
        terminalreporter.write(state.migration_markdown)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _STATE in config.stash:
        config.stash[_STATE].close()


_CLI_FLAG = re.compile(r"(?<![\w-])--([a-z][a-z-]*)")
_CLI_FLAGS = {knob.flag for knob in KNOBS}


def _pytest_spelling(text: str) -> str:
    """Reasons name `check`'s flags (`--inference-url`); here they are `--taskapp-...`."""
    return _CLI_FLAG.sub(
        lambda m: PLUGIN_PREFIX + m.group(1) if m.group(0) in _CLI_FLAGS else m.group(0), text
    )


def _failed_dependency(spec: CheckSpec, results: dict[str, CheckResult]) -> bool:
    """Whether a check `spec` depends on, directly or not, ended FAIL in this run."""
    by_id = {c.id: c for c in catalogue()}
    for dep in spec.depends_on:
        result = results.get(dep)
        if result is not None and result.outcome is Outcome.FAIL and not result.baselined:
            return True
        if dep in by_id and _failed_dependency(by_id[dep], results):
            return True
    return False


class CheckFailed(Exception):
    """A check ended FAIL or ERROR; the message is the failure block."""


class CheckItem(pytest.Item):
    """One catalogue check as a pytest item."""

    def __init__(self, *, spec: CheckSpec, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        for marker in sorted(_item_markers(spec)):
            self.add_marker(marker)

    def runtest(self) -> None:
        """Map the check's result onto pytest's outcomes, as the CLI's verdict counts it.

        A required check left unproven fails its item (the CLI exits 4), unless the user
        accepted it by name; a WARN or a baselined FAIL is an XFAIL carrying the block.
        """
        state = self.config.stash[_STATE]
        result = state.result(self.spec)
        heading = f"{self.spec.id} {self.spec.name}"
        block = result.detail.render(heading) if result.detail is not None else heading
        if result.unproven and gates(self.spec, strict=state.options.strict):
            if self.spec.id in state.options.accept_unproven:
                pytest.skip(f"accepted unproven: {result.reason}")
            if _failed_dependency(self.spec, state.results):  # that item already fails
                pytest.skip(f"unproven: {_pytest_spelling(result.reason)}")
            what = "ERROR (the harness or the network, not the app)"
            if result.outcome is Outcome.SKIP:
                what = "unproven, so the run is incomplete"
            raise CheckFailed(f"{heading}: {what}: {_pytest_spelling(result.reason)}")
        if result.outcome in (Outcome.SKIP, Outcome.ERROR):
            pytest.skip(f"{result.skip_kind or 'error'}: {_pytest_spelling(result.reason)}")
        if result.outcome is Outcome.WARN or result.baselined:
            pytest.xfail(f"baselined: {block}" if result.baselined else block)
        if result.outcome is Outcome.FAIL:
            raise CheckFailed(block)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        # Not a check's block but a traceback of ours (e.g. the lazy session could not start):
        # what it quotes may hold the key, and pytest writes it to the JUnit XML too.
        config = self.config.stash[_STATE].config
        hide = Redactor([config.api_key, config.recorder_token], urls=[config.url])
        return hide.text(str(super().repr_failure(excinfo)))

    def reportinfo(self) -> tuple[str, int | None, str]:
        return GROUP, None, f"{self.spec.id} {self.spec.title}"


class CatalogueCollector(pytest.Collector):
    """Collects the selected checks as items named `<ID>_<name>`."""

    def collect(self) -> list[pytest.Item]:
        checks = self.config.stash[_STATE].checks
        return [CheckItem.from_parent(self, name=f"{c.id}_{c.name}", spec=c) for c in checks]


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if config.stash[_STATE].target is not None:
        items.extend(CatalogueCollector.from_parent(session, name=GROUP, nodeid=GROUP).collect())


# --- fixtures for authors ----------------------------------------------------------------


@pytest.fixture(scope="session")
def taskapp_target(pytestconfig: pytest.Config) -> Target:
    """The configured target; override this fixture to point at your own in-process app."""
    target = pytestconfig.stash[_STATE].target
    if target is None:
        pytest.fail(
            f"no task app configured: {_TARGET_HINT}, or override the taskapp_target fixture",
            pytrace=False,
        )
    return target


@pytest.fixture
def taskapp_client(taskapp_target: Target) -> Iterator[TaskAppClient]:
    """A synchronous httpx-style client for the target that sends the API key."""
    with TaskAppClient(taskapp_target) as client:
        yield client


@pytest.fixture
def inference_recorder() -> Iterator[MockInferenceServer]:
    """The recording mock inference server on 127.0.0.1 (`.url`, `.recorder`), stopped after
    the test.
    """
    with MockInferenceServer() as server:
        yield server


class RolloutRequestBody(dict[str, Any]):
    """A rollout request body; `.cid` is the correlation id it carries."""

    cid: str


@pytest.fixture
def rollout_request(
    taskapp_client: TaskAppClient, inference_recorder: MockInferenceServer
) -> Callable[..., RolloutRequestBody]:
    """A factory of valid rollout requests, each with a fresh cid, aimed at `inference_recorder`."""
    profile = TargetProfile()
    info, instance = (
        taskapp_client.get(INFO_PATH),
        taskapp_client.get(TASK_INFO_PATH, params={SEED_PARAM: 0}),
    )
    profile.learn(json_body(info), json_body(instance))

    def make(
        *, seed: int = 0, mode: str = "rl", cid: str | None = None, inference_url: str | None = None
    ) -> RolloutRequestBody:
        issued = cid or f"trace_{uuid.uuid4().hex}"
        body = RolloutRequestBody(
            profile.rollout_request(
                cid=issued,
                inference_url=inference_url or inference_recorder.url,
                seed=seed,
                mode=mode,
            )
        )
        body.cid = issued
        return body

    return make
