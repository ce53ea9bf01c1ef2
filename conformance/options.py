"""Every knob of a run, written once: `RunConfig`, and the one resolver that builds it.

The CLI (`check --timeout 5`), the pytest plugin (`--taskapp-timeout 5`), the environment
(`TASKAPP_TIMEOUT=5`) and the `[tool.taskapp-conformance]` table (`timeout = 5`) all name
the same knobs. Precedence: command line > environment > config file > the default here.
Both front doors then build the target and the selection with `build_target` and
`selected_checks`, so they accept and refuse exactly the same inputs.
"""

from __future__ import annotations

import dataclasses
import json
import math
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.contract.constants import ENVIRONMENT_API_KEY_ENV
from conformance.contract.profiles import (
    API_KEY_PROFILES,
    AUTO,
    CONTAINER_TRUSTED_KEYS_ENV,
    PROFILE_NAMES,
)
from conformance.registry import CheckSpec, catalogue, select_checks, unknown_patterns

if TYPE_CHECKING:
    from conformance.runner import RunOptions
    from conformance.target import Target

CONFIG_TABLE = ("tool", "taskapp-conformance")
PLUGIN_PREFIX = "--taskapp-"


class ConfigError(Exception):
    """A value the user gave is invalid or contradictory; the message names where it came from."""


def _knob(
    default: Any,
    help: str,
    *,
    env: str | None = None,
    kind: str = "str",
    minimum: float | None = None,
    maximum: float | None = None,
    secret: bool = False,
) -> Any:
    """A `RunConfig` field with what every front door needs to offer it."""
    meta = {
        "help": help,
        "env": env,
        "kind": kind,
        "minimum": minimum,
        "maximum": maximum,
        "secret": secret,
    }
    if isinstance(default, tuple | dict):
        factory = default.copy if isinstance(default, dict) else (lambda: default)
        return field(default_factory=factory, metadata=meta, repr=not secret)
    return field(default=default, metadata=meta, repr=not secret)


@dataclass(frozen=True)
class RunConfig:
    """The configuration of one conformance run: every knob, with its default."""

    url: str | None = _knob(None, "Base URL of the task app to check.", kind="url")
    app: str | None = _knob(
        None, "An ASGI app, or a factory returning one, checked in-process (MODULE:ATTR)."
    )
    api_key: str | None = _knob(
        None,
        "The task app's key (never read from a file).",
        env=ENVIRONMENT_API_KEY_ENV,
        secret=True,
    )
    profile: str = _knob(
        AUTO,
        f"The contract generation to judge: {', '.join(PROFILE_NAMES)}, or auto (detect it "
        "from the target's answers and print the evidence). Against the embedded reference "
        "app, the generation it serves.",
        kind="profile",
    )
    container_signing_key: str | None = _knob(
        None,
        "container profile: an Ed25519 signing key (base64 of its 32-byte seed) whose public "
        f"half the app lists in {CONTAINER_TRUSTED_KEYS_ENV}; the harness mints its PASETO "
        "tokens with it. Not needed for the embedded app, which trusts a key made per run.",
        env="TASKAPP_CONTAINER_SIGNING_KEY",
        secret=True,
    )
    select: tuple[str, ...] = _knob(
        (), "Run only these checks: IDs, areas (AUTH) or tags; comma lists allowed.", kind="list"
    )
    ignore: tuple[str, ...] = _knob((), "Skip these checks (IDs, areas or tags).", kind="list")
    strict: bool = _knob(False, "Turn 'should' warnings into failures.", kind="bool")
    accept_unproven: tuple[str, ...] = _knob(
        (),
        "Check IDs you knowingly accept without proof: listed as 'accepted unproven', "
        "they do not make the run incomplete.",
        kind="list",
    )
    inference_url: str | None = _knob(
        None,
        "A real inference endpoint a remote target can reach; nothing records its calls, so "
        "model-side checks stay unproven.",
        kind="url",
    )
    recorder: str | None = _knob(
        None,
        "Base URL of a recording relay (`taskapp-conformance mock-inference`) the target can "
        "reach: proves model-side checks for deployed apps.",
        kind="url",
    )
    recorder_token: str | None = _knob(
        None, "The relay's recordings token.", env="TASKAPP_RECORDER_TOKEN", secret=True
    )
    env_name: str | None = _knob(None, "env.env_name for rollouts (default: learned).")
    split: str | None = _knob(None, "env.config.split for rollouts (default: learned).")
    rollout_config: dict[str, Any] = _knob(
        {}, "A JSON object merged into every rollout request.", kind="json"
    )
    min_seeds: int = _knob(
        10, "Consecutive seeds from 0 that must answer (TI-5).", kind="int", minimum=1
    )
    parallel: int = _knob(8, "Rollouts sent at once (CID-5).", kind="int", minimum=2, maximum=64)
    load: int = _knob(
        8,
        "Rollouts sent at once by LOAD-1, which wants them done in under half that many "
        "times one rollout alone.",
        kind="int",
        minimum=4,
        maximum=64,
    )
    timeout: float = _knob(30.0, "Read timeout per request, seconds.", kind="float", minimum=0.1)
    connect_timeout: float = _knob(5.0, "Connect timeout, seconds.", kind="float", minimum=0.1)
    budget: float = _knob(
        300.0,
        "Global time budget, seconds; checks not started by then are unproven.",
        kind="float",
        minimum=1,
    )
    concurrency: int = _knob(4, "Checks run at once.", kind="int", minimum=1, maximum=32)
    insecure: bool = _knob(False, "Do not verify TLS certificates.", kind="bool")
    baseline: Path | None = _knob(
        None, "File of check IDs accepted as known failures.", kind="path"
    )
    fuzz: bool | None = _knob(
        None,
        "Run FUZZ-1 (Schemathesis). Default: on for local and in-process targets and with a "
        "relay, off against a remote app's real model (generated rollouts cost money).",
        kind="tristate",
    )
    fuzz_examples: int = _knob(25, "Fuzz cases per operation and phase.", kind="int", minimum=1)
    fuzz_seed: int = _knob(0, "Fuzz seed; the same seed replays the same cases.", kind="int")
    fuzz_budget: float | None = _knob(
        None,
        "Time budget of the fuzz phase, seconds (default: 120, or 1 per example when more, so "
        "--fuzz-examples raises it).",
        kind="float",
        minimum=1,
    )
    max_response_bytes: int = _knob(
        16 * 1024 * 1024,
        "Largest response body the harness reads, in bytes once decoded (a gzip counts "
        "inflated); a longer answer fails the check that asked.",
        kind="int",
        minimum=1024,
    )
    json: Path | None = _knob(None, "Write the JSON report here.", kind="path")
    junit_xml: Path | None = _knob(None, "Write a JUnit XML report here.", kind="path")
    markdown: Path | None = _knob(None, "Write a Markdown summary here.", kind="path")
    html: Path | None = _knob(None, "Write a self-contained HTML report here.", kind="path")
    migration_report: str | None = _knob(
        None,
        f"After the run, list what the app must change to speak this newer generation "
        f"({', '.join(PROFILE_NAMES[1:])}), as Markdown: each field and route that changes, "
        "what replaces it, and what the app answered. It asks the app a few more questions "
        "(one rollout in the new form). Printed after the summary, or written to "
        "--migration-report-out.",
        kind="generation",
    )
    migration_report_out: Path | None = _knob(
        None, "Write the --migration-report Markdown here instead of printing it.", kind="path"
    )


@dataclass(frozen=True)
class Knob:
    """One `RunConfig` field as the front doors see it."""

    name: str
    default: Any
    help: str
    kind: str
    env: str
    flag: str
    minimum: float | None
    maximum: float | None
    secret: bool

    @property
    def plugin_flag(self) -> str:
        return PLUGIN_PREFIX + self.flag.removeprefix("--")


def _knobs() -> tuple[Knob, ...]:
    found = []
    defaults = RunConfig()
    for f in dataclasses.fields(RunConfig):
        meta = f.metadata
        default = getattr(defaults, f.name)
        found.append(
            Knob(
                name=f.name,
                default=default,
                help=meta["help"],
                kind=meta["kind"],
                env=meta["env"] or f"TASKAPP_{f.name.upper()}",
                flag="--" + f.name.replace("_", "-"),
                minimum=meta["minimum"],
                maximum=meta["maximum"],
                secret=meta["secret"],
            )
        )
    return tuple(found)


KNOBS: tuple[Knob, ...] = _knobs()
"""Every knob in declaration order: what the CLI, the plugin and the README table list."""
KNOBS_BY_NAME = {k.name: k for k in KNOBS}
DEFAULTS = RunConfig()


# --- the resolver ------------------------------------------------------------------------


def resolve(
    flags: Mapping[str, Any],
    environ: Mapping[str, str],
    table: Mapping[str, Any],
    *,
    flag_label: str = "",
) -> RunConfig:
    """Build the `RunConfig`: command line > environment > config table > default.

    `flags` maps knob names to what a front door parsed (None or empty means not given);
    `flag_label` is the prefix front doors show (`--taskapp-` for the plugin).
    """
    values: dict[str, Any] = {}
    for knob in KNOBS:
        flag_name = (flag_label or "--") + knob.flag.removeprefix("--")
        raw, where = flags.get(knob.name), flag_name
        if raw in (None, "", ()):
            raw, where = environ.get(knob.env) or None, f"{knob.env} (environment)"
        if raw is None and knob.name in table:
            raw, where = table[knob.name], f"[tool.taskapp-conformance] {knob.name}"
        if raw is not None:
            values[knob.name] = _convert(knob, raw, where)
    return RunConfig(**values)


def _convert(knob: Knob, raw: Any, where: str) -> Any:
    """`raw` (typed, or text from the environment or a plugin option) as the knob's type."""
    try:
        value = _CONVERTERS[knob.kind](raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where} = {_show(knob, raw)}: {exc}") from None
    if knob.minimum is not None and not value >= knob.minimum:  # `not >=` also refuses nan
        raise ConfigError(f"{where} = {_show(knob, raw)}: must be at least {knob.minimum:g}")
    if knob.maximum is not None and value > knob.maximum:
        raise ConfigError(f"{where} = {_show(knob, raw)}: must be at most {knob.maximum:g}")
    return value


def _show(knob: Knob, raw: Any) -> str:
    return "***" if knob.secret else repr(raw)


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError("expected true or false (1/0, yes/no, on/off)")


def _to_int(raw: Any) -> int:
    if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
        raise ValueError("expected an integer")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ValueError("expected an integer") from None


def _to_float(raw: Any) -> float:
    if isinstance(raw, bool):
        raise ValueError("expected a number of seconds")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError("expected a number of seconds") from None
    if math.isnan(value):
        raise ValueError("expected a number of seconds")
    return value


def _to_list(raw: Any) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else list(raw)
    if not all(isinstance(i, str) for i in items):
        raise ValueError("expected a comma list or a list of strings")
    return tuple(p.strip() for item in items for p in item.split(",") if p.strip())


def _to_json_object(raw: Any) -> dict[str, Any]:
    value = raw
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise ValueError(f"not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ValueError('expected a JSON object, e.g. \'{"env": {"config": {"difficulty": 2}}}\'')
    return value


def _to_str(raw: Any) -> str:
    if not isinstance(raw, str):
        raise ValueError("expected a string")
    return raw


def _to_profile(raw: Any) -> str:
    name = _to_str(raw).strip().lower()
    if name != AUTO and name not in PROFILE_NAMES:
        raise ValueError(f"expected one of {', '.join(PROFILE_NAMES)} or {AUTO}")
    return name


def _to_generation(raw: Any) -> str:
    name = _to_str(raw).strip().lower()
    if name not in PROFILE_NAMES:
        raise ValueError(f"expected a generation to migrate to: one of {', '.join(PROFILE_NAMES)}")
    return name


_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "str": _to_str,
    "url": lambda raw: _to_str(raw).strip(),
    "bool": _to_bool,
    "tristate": _to_bool,
    "int": _to_int,
    "float": _to_float,
    "list": _to_list,
    "json": _to_json_object,
    "path": lambda raw: Path(_to_str(raw)),
    "profile": _to_profile,
    "generation": _to_generation,
}


# --- the config file ---------------------------------------------------------------------


def load_config(path: Path | None, default: Path = Path("pyproject.toml")) -> dict[str, Any]:
    """The `[tool.taskapp-conformance]` table of `path`, or of `default` when it exists."""
    explicit = path is not None
    file = path if path is not None else default
    if not file.is_file():
        if explicit:
            raise ConfigError(f"config file not found: {file}")
        return {}
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # TOMLDecodeError and UnicodeDecodeError included
        raise ConfigError(f"cannot read {file}: {exc}") from exc
    table: Any = data
    for key in CONFIG_TABLE:
        table = table.get(key, {}) if isinstance(table, dict) else {}
    if not table and explicit and "taskapp-conformance" in data:
        table = data["taskapp-conformance"]  # a standalone file may use [taskapp-conformance]
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: [tool.taskapp-conformance] must be a table")
    secret = sorted(k for k in table if k in KNOBS_BY_NAME and KNOBS_BY_NAME[k].secret)
    if secret:
        raise ConfigError(
            f"{file}: never store {', '.join(secret)} in a file; set "
            f"{', '.join(KNOBS_BY_NAME[k].env for k in secret)} in the environment"
        )
    unknown = sorted(set(table) - set(KNOBS_BY_NAME))
    if unknown:
        raise ConfigError(
            f"{file}: unknown key(s) {', '.join(unknown)} in [tool.taskapp-conformance]; "
            f"valid keys: {', '.join(k.name for k in KNOBS if not k.secret)}"
        )
    return dict(table)


def load_baseline(path: Path) -> frozenset[str]:
    """Check IDs accepted as known failures: one per line, `#` starts a comment."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise ConfigError(f"cannot read baseline file {path}: {why}") from exc
    stripped = (line.split("#", 1)[0].strip().upper() for line in lines)
    entries = {number: entry for number, entry in enumerate(stripped, start=1) if entry}
    known = {c.id for c in catalogue()}
    unknown = [f"line {n}: {entry}" for n, entry in entries.items() if entry not in known]
    if unknown:
        raise ConfigError(
            f"baseline file {path} names unknown check IDs ({'; '.join(unknown)}); "
            "`taskapp-conformance list-checks` lists the IDs"
        )
    return frozenset(entries.values())


# --- what both front doors build from a RunConfig -----------------------------------------


def selected_checks(config: RunConfig) -> list[CheckSpec]:
    """The checks `config` selects; unknown patterns and an empty selection are errors."""
    checks = catalogue()
    unknown = unknown_patterns(checks, [*config.select, *config.ignore])
    if unknown:
        ids = ", ".join(c.id for c in checks)
        tags = ", ".join(sorted({t for c in checks for t in c.tags}))
        raise ConfigError(
            f"no check matches {', '.join(unknown)}; valid IDs: {ids}; valid tags: {tags}"
        )
    selected = select_checks(checks, config.select, config.ignore)
    if not selected:
        raise ConfigError("the selection is empty: select and ignore leave no check to run")
    known = {c.id for c in checks}
    strange = [i for i in config.accept_unproven if i.upper() not in known]
    if strange:
        raise ConfigError(
            f"accept-unproven names unknown check IDs ({', '.join(strange)}); "
            "`taskapp-conformance list-checks` lists the IDs"
        )
    return selected


def flag_name(name: str, prefix: str = "--") -> str:
    """How a front door spells knob `name`: `--api-key`, or `--taskapp-api-key` in pytest."""
    return prefix + KNOBS_BY_NAME[name].flag.removeprefix("--")


def build_target(config: RunConfig, *, prefix: str = "--") -> Target:
    """The target `config` names: a URL, an in-process app, or the embedded reference app."""
    # Imported here, as in run_options: the target takes its default timeouts from here.
    from conformance.redaction import Redactor
    from conformance.target import (
        TargetError,
        Timeouts,
        app_target,
        embedded_target,
        url_target,
    )

    url = "a URL" if prefix == "--" else flag_name("url", prefix)  # the CLI's URL is positional
    if config.url and config.app:
        raise ConfigError(f"give either {url} or {flag_name('app', prefix)}, not both")
    if (config.url or config.app) and not config.api_key and config.profile in API_KEY_PROFILES:
        # Without the key every protected check would be unproven: say so before starting.
        raise ConfigError(missing_key_message(prefix))
    timeouts = Timeouts(connect_s=config.connect_timeout, read_s=config.timeout)
    if config.container_signing_key is not None:
        _check_signing_key(config.container_signing_key, flag_name("container_signing_key", prefix))
    try:
        if config.app:  # a factory is remembered: AUTH-11 calls it again without a key
            target = app_target(config.app, config.api_key, timeouts)
        elif config.url:
            target = url_target(
                config.url, config.api_key, verify_tls=not config.insecure, timeouts=timeouts
            )
        else:
            return embedded_target(config.api_key, timeouts, profile=config.profile)
    except TargetError as exc:  # an app's import error or factory may quote the key
        hide = Redactor([config.api_key, config.recorder_token], urls=[config.url]).text
        raise ConfigError(hide(str(exc))) from None
    target.container_signing_key = config.container_signing_key
    return target


def _check_signing_key(text: str, where: str) -> None:
    from conformance import paseto  # cryptography loads only when a key is given

    try:
        paseto.load_private_key(text)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc} (give the base64 of the 32-byte Ed25519 seed)") from None


def missing_key_message(prefix: str = "--") -> str:
    """The usage error of a target of an API-key generation checked without its key."""
    return (
        f"no API key for the target: pass {flag_name('api_key', prefix)} "
        f"or set {ENVIRONMENT_API_KEY_ENV}"
    )


def run_options(config: RunConfig, target: Target, *, prefix: str = "--") -> RunOptions:
    """What the runner needs from `config` (the baseline file is read here)."""
    # Imported here: the context and runner take their defaults from this module.
    from conformance.context import Settings
    from conformance.profile import TargetProfile
    from conformance.runner import RunOptions

    if config.migration_report_out is not None and config.migration_report is None:
        raise ConfigError(
            f"{flag_name('migration_report_out', prefix)} needs "
            f"{flag_name('migration_report', prefix)} (the generation to migrate to)"
        )
    if config.inference_url and config.recorder:
        raise ConfigError(
            "give either inference-url (a real model; nothing is recorded) or recorder "
            "(a recording relay), not both"
        )
    return RunOptions(
        settings=Settings(
            min_seeds=config.min_seeds,
            parallel_rollouts=config.parallel,
            load_rollouts=config.load,
            request_timeout_s=target.timeouts.read_s,
            fuzz=config.fuzz,
            fuzz_examples=config.fuzz_examples,
            fuzz_seed=config.fuzz_seed,
            fuzz_budget_s=config.fuzz_budget,
            max_response_bytes=config.max_response_bytes,
        ),
        strict=config.strict,
        inference_url=config.inference_url,
        recorder_url=config.recorder,
        recorder_token=config.recorder_token,
        concurrency=config.concurrency,
        budget_s=config.budget,
        baseline=load_baseline(config.baseline) if config.baseline else frozenset(),
        accept_unproven=frozenset(i.upper() for i in config.accept_unproven),
        contract_profile=config.profile,
        missing_key_message=missing_key_message(prefix),
        profile=TargetProfile(
            env_name=config.env_name,
            split=config.split,
            rollout_overrides=dict(config.rollout_config),
        ),
    )
