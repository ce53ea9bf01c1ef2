"""pytest plugin (`pytest11` entry point): the check catalogue as test items, plus fixtures.

Inert unless used: without a target option no item is added, and the fixtures only act
when a test asks for them. `pytest --taskapp-url URL -m taskapp` runs the catalogue; a
WARN (a failed `should` check) is reported as XFAIL with the failure block as reason.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from conformance.context import Settings, json_body
from conformance.inference import MockInferenceServer
from conformance.outcomes import Outcome
from conformance.profile import TargetProfile
from conformance.registry import CheckSpec, Severity, catalogue, select_checks, unknown_patterns
from conformance.runner import (
    CheckResult,
    ProfileConflict,
    RunOptions,
    RunSession,
    TargetUnreachable,
    dependency_skip,
)
from conformance.target import Target, TargetError, asgi_target, load_app, url_target
from conformance.testing import TaskAppClient

GROUP = "taskapp-conformance"
_TARGET_HINT = (
    "set --taskapp-url URL (ini taskapp_url, env TASKAPP_URL) or --taskapp-app MODULE:ATTR"
)


@dataclass(frozen=True)
class _Option:
    flag: str
    ini: str | None
    env: str | None
    help: str
    is_flag: bool = False

    @property
    def dest(self) -> str:
        return self.flag.lstrip("-").replace("-", "_")


_OPTIONS = (
    _Option("--taskapp-url", "taskapp_url", "TASKAPP_URL", "Base URL of the task app to check."),
    _Option(
        "--taskapp-api-key",
        None,
        "ENVIRONMENT_API_KEY",
        "The app's key (never from ini: secrets stay out of files).",
    ),
    _Option(
        "--taskapp-app",
        "taskapp_app",
        "TASKAPP_APP",
        "An ASGI app or factory, MODULE:ATTR, checked in-process.",
    ),
    _Option(
        "--taskapp-select",
        "taskapp_select",
        "TASKAPP_SELECT",
        "Check IDs, areas or tags to run (comma list).",
    ),
    _Option(
        "--taskapp-ignore",
        "taskapp_ignore",
        "TASKAPP_IGNORE",
        "Check IDs, areas or tags to skip (comma list).",
    ),
    _Option(
        "--taskapp-strict",
        "taskapp_strict",
        "TASKAPP_STRICT",
        "Fail on 'should' checks too.",
        is_flag=True,
    ),
    _Option(
        "--taskapp-inference-url",
        "taskapp_inference_url",
        "TASKAPP_INFERENCE_URL",
        "An inference URL a remote app can reach (recorder checks then skip).",
    ),
    _Option(
        "--taskapp-fuzz",
        "taskapp_fuzz",
        "TASKAPP_FUZZ",
        "Run FUZZ-1 (Schemathesis) too.",
        is_flag=True,
    ),
    _Option(
        "--taskapp-fuzz-examples",
        "taskapp_fuzz_examples",
        "TASKAPP_FUZZ_EXAMPLES",
        "Fuzz cases per operation and phase (default 25).",
    ),
    _Option(
        "--taskapp-fuzz-seed", "taskapp_fuzz_seed", "TASKAPP_FUZZ_SEED", "Fuzz seed (default 0)."
    ),
    _Option(
        "--taskapp-fuzz-budget",
        "taskapp_fuzz_budget",
        "TASKAPP_FUZZ_BUDGET",
        "Time budget of the fuzz phase, seconds (default 120).",
    ),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup(GROUP, "taskapp-conformance: check a synth-ai task app")
    for option in _OPTIONS:
        fallbacks = ", ".join(
            f for f in (option.ini and f"ini {option.ini}", option.env and f"env {option.env}") if f
        )
        text = f"{option.help} [{fallbacks}]"
        if option.is_flag:
            group.addoption(
                option.flag, action="store_true", default=None, dest=option.dest, help=text
            )
        else:
            group.addoption(option.flag, dest=option.dest, metavar="VALUE", help=text)
        if option.ini:
            ini_type: Literal["bool", "string"] = "bool" if option.is_flag else "string"
            parser.addini(option.ini, help=text, type=ini_type, default=None)


def _value(config: pytest.Config, option: _Option) -> Any:
    """Command line > environment > ini."""
    value = config.getoption(option.dest)
    if value not in (None, ""):
        return value
    env = os.environ.get(option.env, "") if option.env else ""
    if env:
        return env.lower() in ("1", "true", "yes", "on") if option.is_flag else env
    return config.getini(option.ini) if option.ini else None


def _patterns(raw: Any) -> list[str]:
    return [p.strip() for p in str(raw or "").split(",") if p.strip()]


@dataclass
class _State:
    """What the plugin resolved from options, and the lazily started run."""

    target: Target | None
    options: RunOptions
    checks: list[CheckSpec]
    results: dict[str, CheckResult] = field(default_factory=dict)
    session: RunSession | None = None

    def result(self, spec: CheckSpec) -> CheckResult:
        """Run `spec` once per process, after its dependencies (even deselected ones)."""
        if spec.id in self.results:
            return self.results[spec.id]
        by_id = {c.id: c for c in catalogue()}
        for dep in spec.depends_on:
            self.result(by_id[dep])
        skip = dependency_skip(spec, self.results)
        self.results[spec.id] = skip if skip is not None else self._session().run(spec)
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


def _build_state(config: pytest.Config) -> _State:
    values = {o.dest: _value(config, o) for o in _OPTIONS}
    url, app, key = values["taskapp_url"], values["taskapp_app"], values["taskapp_api_key"]
    tuning = [o.flag for o in _OPTIONS[3:] if values[o.dest]]
    if not url and not app:
        if tuning:
            raise pytest.UsageError(
                f"taskapp-conformance: {tuning[0]} needs a target: {_TARGET_HINT}"
            )
        markexpr = str(config.getoption("markexpr", "") or "")
        if _selects_catalogue(markexpr):  # with no target it would deselect all, exit 5
            raise pytest.UsageError(
                f"taskapp-conformance: -m {markexpr!r} selects the catalogue, but no target is "
                f"set: {_TARGET_HINT}"
            )
        return _State(None, RunOptions(), [])
    if url and app:
        raise pytest.UsageError(
            "taskapp-conformance: give --taskapp-url or --taskapp-app, not both"
        )
    if url and not key:
        raise pytest.UsageError(
            "taskapp-conformance: no API key: set --taskapp-api-key or ENVIRONMENT_API_KEY"
        )
    try:
        target = (
            url_target(url, key) if url else asgi_target(load_app(app), key, f"{app} (in-process)")
        )
    except TargetError as exc:
        raise pytest.UsageError(f"taskapp-conformance: {exc}") from None
    checks, select, ignore = (
        catalogue(),
        _patterns(values["taskapp_select"]),
        _patterns(values["taskapp_ignore"]),
    )
    unknown = unknown_patterns(checks, select + ignore)
    if unknown:
        raise pytest.UsageError(
            f"taskapp-conformance: no check matches {', '.join(unknown)} "
            f"(see `taskapp-conformance list-checks`)"
        )
    selected = select_checks(checks, select, ignore)
    if not selected:
        raise pytest.UsageError(
            "taskapp-conformance: --taskapp-select and --taskapp-ignore leave no check to run"
        )
    try:
        settings = Settings(
            fuzz=bool(values["taskapp_fuzz"]),
            fuzz_examples=int(values["taskapp_fuzz_examples"] or 25),
            fuzz_seed=int(values["taskapp_fuzz_seed"] or 0),
            fuzz_budget_s=float(values["taskapp_fuzz_budget"] or 120.0),
        )
        if settings.fuzz_examples < 1 or not settings.fuzz_budget_s >= 1:  # `not >=` catches nan
            raise ValueError
    except ValueError:
        raise pytest.UsageError(
            "taskapp-conformance: --taskapp-fuzz-examples takes an integer >= 1, "
            "--taskapp-fuzz-seed an integer, --taskapp-fuzz-budget seconds >= 1"
        ) from None
    options = RunOptions(
        settings=settings,
        strict=bool(values["taskapp_strict"]),
        inference_url=values["taskapp_inference_url"] or None,
        profile=TargetProfile(),
    )
    return _State(target, options, selected)


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


def pytest_unconfigure(config: pytest.Config) -> None:
    if _STATE in config.stash:
        config.stash[_STATE].close()


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
        result = self.config.stash[_STATE].result(self.spec)
        heading = f"{self.spec.id} {self.spec.name}"
        if (
            result.outcome is Outcome.SKIP
            and result.unconfigured
            and self.spec.severity is Severity.MUST
        ):
            # Never green on a required check that could not run: say what to configure.
            hint = (
                " (pytest: --taskapp-inference-url)" if "--inference-url" in result.reason else ""
            )
            raise CheckFailed(f"{heading}: could not run: {result.reason}{hint}")
        if result.outcome is Outcome.SKIP:
            pytest.skip(result.reason)
        block = result.detail.render(heading) if result.detail is not None else heading
        if result.outcome is Outcome.WARN:
            pytest.xfail(block)
        if result.outcome is Outcome.FAIL:
            raise CheckFailed(block)
        if result.outcome is Outcome.ERROR:
            raise CheckFailed(
                f"{heading}: ERROR (the harness or the network, not the app): {result.reason}"
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CheckFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

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
        taskapp_client.get("/info"),
        taskapp_client.get("/task_info", params={"seed": 0}),
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
