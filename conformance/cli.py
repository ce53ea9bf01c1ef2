"""The `taskapp-conformance` command."""

from __future__ import annotations

import copy
import json
import logging.config
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import click

from conformance import __version__
from conformance.context import Settings
from conformance.exitcodes import ExitCode
from conformance.profile import TargetProfile
from conformance.registry import CheckSpec, catalogue, select_checks, unknown_patterns
from conformance.settings import ConfigError, load_baseline, load_config
from conformance.target import (
    Target,
    TargetError,
    Timeouts,
    asgi_target,
    embedded_target,
    load_app,
    url_target,
)

EXIT_CODES_HELP = """\b
Exit codes:
  0  the target conforms (no FAIL, no ERROR)
  1  the target does not conform (at least one FAIL)
  2  usage or configuration error (also: required checks that could not run
     for lack of configuration, e.g. no --inference-url for a remote app)
  3  the harness could not reach or talk to the target"""


def _usage_error(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(ExitCode.USAGE)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="taskapp-conformance")
def main() -> None:
    """Check that a synth-ai task app honours the task-app contract.

    \b
    Start here:
      taskapp-conformance check                      # the embedded reference app
      taskapp-conformance check https://my-app.modal.run
      taskapp-conformance list-checks
    """


def _split_patterns(values: str | Sequence[str] | None) -> list[str]:
    items = [values] if isinstance(values, str) else values or ()
    return [p.strip() for v in items for p in str(v).split(",") if p.strip()]


def _pick(flag: Any, config: dict[str, Any], key: str, default: Any = None) -> Any:
    """Flags (and their environment variables, resolved by click) win over the config file.

    Config values go through the same click type as the flag, so `timeout = "abc"` or
    `concurrency = 0` are refused with the option's own message.
    """
    if flag not in (None, ()):
        return flag
    if key not in config:
        return default
    ctx = click.get_current_context()
    param = next((p for p in ctx.command.params if p.name == key), None)
    value = config[key]
    if param is None or isinstance(value, list | tuple) or param.type is click.STRING:
        return value
    try:
        return param.type.convert(value, param, ctx)
    except click.BadParameter as exc:
        _usage_error(f"[tool.taskapp-conformance] {key} = {value!r}: {exc.message}")


def _build_target(
    url: str | None, app: str | None, api_key: str | None, insecure: bool, timeouts: Timeouts
) -> Target:
    if url and app:
        _usage_error("give either a URL or --app, not both")
    if (url or app) and not api_key:
        # Without the key every protected check would skip and the run would pass: refuse.
        _usage_error("no API key for the target: pass --api-key or set ENVIRONMENT_API_KEY")
    try:
        if app:
            return asgi_target(load_app(app), api_key, f"{app} (in-process)", timeouts)
        if url:
            return url_target(url, api_key, verify_tls=not insecure, timeouts=timeouts)
    except TargetError as exc:
        _usage_error(str(exc))
    return embedded_target(api_key, timeouts)


def _selection(select: list[str], ignore: list[str]) -> list[CheckSpec]:
    checks = catalogue()
    unknown = unknown_patterns(checks, select + ignore)
    if unknown:
        ids = ", ".join(c.id for c in checks)
        tags = ", ".join(sorted({t for c in checks for t in c.tags}))
        _usage_error(f"no check matches {', '.join(unknown)}; valid IDs: {ids}; valid tags: {tags}")
    selected = select_checks(checks, select, ignore)
    if not selected:
        _usage_error("the selection is empty: --select and --ignore leave no check to run")
    return selected


def _rollout_overrides(raw: Any) -> dict[str, Any]:
    if raw is None or isinstance(raw, dict):
        return raw or {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        _usage_error(f"--rollout-config is not valid JSON: {exc}")
    if not isinstance(value, dict):
        _usage_error(
            "--rollout-config must be a JSON object, e.g."
            ' \'{"env": {"config": {"difficulty": 2}}}\''
        )
    return value


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("url", required=False, envvar="TASKAPP_URL")
@click.option(
    "--app",
    "app",
    metavar="MODULE:ATTR",
    help="Check an ASGI app in-process (an app or a factory).",
)
@click.option(
    "--api-key", envvar="ENVIRONMENT_API_KEY", show_envvar=True, help="The task app's key."
)
@click.option(
    "--select",
    multiple=True,
    metavar="IDS",
    help="Run only these checks: IDs, prefixes (AUTH) or tags; comma lists allowed.",
)
@click.option(
    "--ignore", multiple=True, metavar="IDS", help="Skip these checks (IDs, prefixes or tags)."
)
@click.option("--strict", is_flag=True, default=None, help="Turn 'should' warnings into failures.")
@click.option(
    "--inference-url",
    envvar="TASKAPP_INFERENCE_URL",
    show_envvar=True,
    help="An inference endpoint a remote target can reach; recorder-based checks then SKIP.",
)
@click.option("--env-name", help="env.env_name for rollouts (default: learned from /task_info).")
@click.option("--split", help="env.config.split for rollouts (default: learned from /info).")
@click.option("--rollout-config", metavar="JSON", help="JSON merged into every rollout request.")
@click.option(
    "--min-seeds", type=click.IntRange(1), help="Consecutive seeds from 0 that must answer [10]."
)
@click.option(
    "--parallel",
    "parallel_rollouts",
    type=click.IntRange(2, 64),
    help="Rollouts sent at once by CID-5 [8].",
)
@click.option(
    "--timeout", type=click.FloatRange(min=0.1), help="Read timeout per request, seconds [30]."
)
@click.option(
    "--connect-timeout", type=click.FloatRange(min=0.1), help="Connect timeout, seconds [5]."
)
@click.option(
    "--budget",
    type=click.FloatRange(min=1),
    help="Global time budget, seconds [300]; checks not started by then SKIP (exit 2).",
)
@click.option("--concurrency", type=click.IntRange(1, 32), help="Checks run at once [4].")
@click.option("--insecure", is_flag=True, default=None, help="Do not verify TLS certificates.")
@click.option(
    "--baseline",
    type=click.Path(path_type=Path),
    help="File of check IDs accepted as known failures.",
)
@click.option("--json", "json", type=click.Path(path_type=Path), help="Write the JSON report here.")
@click.option("--junit-xml", type=click.Path(path_type=Path), help="Write a JUnit XML report here.")
@click.option("--markdown", type=click.Path(path_type=Path), help="Write a Markdown summary here.")
@click.option(
    "--html", type=click.Path(path_type=Path), help="Write a self-contained HTML report here."
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="TOML file with a [tool.taskapp-conformance] table [./pyproject.toml].",
)
@click.option(
    "--fuzz",
    is_flag=True,
    default=None,
    help="Also run FUZZ-1: Schemathesis cases from the canonical OpenAPI document.",
)
@click.option(
    "--fuzz-examples", type=click.IntRange(1), help="Fuzz cases per operation and phase [25]."
)
@click.option("--fuzz-seed", type=int, help="Fuzz seed; the same seed replays the same cases [0].")
@click.option(
    "--fuzz-budget",
    type=click.FloatRange(min=1),
    help="Time budget of the fuzz phase, seconds [120].",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary, no per-check progress.")
def check(**options: Any) -> None:
    """Check a task app and exit non-zero when it does not conform.

    \b
    URL is the app's base URL; without URL or --app the embedded reference
    app is checked in-process. Examples:
      taskapp-conformance check
      taskapp-conformance check http://127.0.0.1:8001 --api-key "$KEY"
      taskapp-conformance check --app my_app:create_app --select AUTH,CID
      taskapp-conformance check "$URL" --junit-xml out/junit.xml --html out/report.html

    Precedence: flags > environment (TASKAPP_URL, ENVIRONMENT_API_KEY,
    TASKAPP_INFERENCE_URL) > [tool.taskapp-conformance] in ./pyproject.toml or --config.
    """
    try:
        config = load_config(options["config_path"])
        baseline_path = _pick(options["baseline"], config, "baseline")
        baseline = load_baseline(Path(baseline_path)) if baseline_path else frozenset()
    except ConfigError as exc:
        _usage_error(str(exc))

    def get(key: str, default: Any = None) -> Any:
        return _pick(options.get(key), config, key, default)

    timeouts = Timeouts(connect_s=get("connect_timeout", 5.0), read_s=get("timeout", 30.0))
    target = _build_target(
        get("url"), get("app"), options["api_key"], bool(get("insecure", False)), timeouts
    )
    checks = _selection(_split_patterns(get("select")), _split_patterns(get("ignore")))
    _run_and_report(target, checks, get, baseline, quiet=options["quiet"])


def _run_and_report(
    target: Target,
    checks: list[CheckSpec],
    get: Callable[..., Any],
    baseline: frozenset[str],
    *,
    quiet: bool,
) -> NoReturn:
    from conformance.reports import ConsoleReporter, ReportWriteError, write_reports
    from conformance.runner import ProfileConflict, RunOptions, TargetUnreachable, run_checks

    profile = TargetProfile(
        env_name=get("env_name"),
        split=get("split"),
        rollout_overrides=_rollout_overrides(get("rollout_config")),
    )
    options = RunOptions(
        settings=Settings(
            min_seeds=get("min_seeds", 10),
            parallel_rollouts=get("parallel_rollouts", 8),
            request_timeout_s=target.timeouts.read_s,
            fuzz=bool(get("fuzz", False)),
            fuzz_examples=get("fuzz_examples", 25),
            fuzz_seed=get("fuzz_seed", 0),
            fuzz_budget_s=get("fuzz_budget", 120.0),
        ),
        strict=bool(get("strict", False)),
        inference_url=get("inference_url"),
        concurrency=get("concurrency", 4),
        budget_s=get("budget", 300.0),
        baseline=baseline,
        profile=profile,
    )
    secrets = [target.api_key or ""]
    reporter = ConsoleReporter(secrets=secrets)
    reporter.console.print(
        f"taskapp-conformance {__version__}: {len(checks)} checks against {target.label}",
        highlight=False,
        soft_wrap=True,
    )
    try:
        report = run_checks(target, checks, options, progress=None if quiet else reporter.on_result)
    except TargetUnreachable as exc:
        click.echo(f"Error: cannot talk to the target: {exc}", err=True)
        sys.exit(ExitCode.UNREACHABLE)
    except ProfileConflict as exc:
        _usage_error(str(exc))
    reporter.summary(report)
    paths = {k: get(k) for k in ("json", "junit_xml", "markdown", "html")}
    try:
        write_reports(
            report,
            json_path=paths["json"],
            junit_path=paths["junit_xml"],
            markdown_path=paths["markdown"],
            html_path=paths["html"],
            secrets=secrets,
        )
    except ReportWriteError as exc:
        _usage_error(str(exc))
    sys.exit(report.exit_code())


@main.command("list-checks")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "markdown"]),
    default="table",
    show_default=True,
)
def list_checks(fmt: str) -> None:
    """Print the check catalogue (ID, severity, spec section, title)."""
    from conformance.catalogue_doc import catalogue_json, catalogue_markdown, catalogue_table

    render = {"table": catalogue_table, "json": catalogue_json, "markdown": catalogue_markdown}[fmt]
    click.echo(render(catalogue()))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
def serve(host: str, port: int) -> None:
    """Serve the reference task app with uvicorn.

    Needs ENVIRONMENT_API_KEY (or ENVIRONMENT_API_KEY_ALIASES) in the environment:

    \b
      export ENVIRONMENT_API_KEY="$(python -c 'import secrets; print(secrets.token_hex(16))')"
      taskapp-conformance serve --port 8001
    """
    import uvicorn

    from reference_app import create_app
    from reference_app.auth import allowed_keys

    if not allowed_keys(os.environ):
        _usage_error(
            "no API key configured: set ENVIRONMENT_API_KEY, e.g. "
            "export ENVIRONMENT_API_KEY="
            "\"$(python -c 'import secrets; print(secrets.token_hex(16))')\""
        )
    log_config = _serve_log_config()
    logging.config.dictConfig(log_config)  # before create_app(), which logs where capture goes
    uvicorn.run(create_app(), host=host, port=port, log_level="info", log_config=log_config)


def _serve_log_config() -> dict[str, Any]:
    """uvicorn's logging, plus the reference app's lines (trace DB and JSONL locations)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["reference_app"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return config


@main.command("mock-inference")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8002, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--accuracy",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of episodes the scripted policy answers correctly (deterministic per cid).",
)
def mock_inference(host: str, port: int, accuracy: float) -> None:
    """Serve the recording mock inference server (OpenAI-compatible chat completions).

    Point a task app at http://HOST:PORT/v1/chat/completions?cid=...; GET
    /_recorder/calls lists what it received (secret headers redacted).
    """
    import uvicorn

    from conformance.inference import create_mock_inference_app

    uvicorn.run(
        create_mock_inference_app(accuracy=accuracy), host=host, port=port, log_level="info"
    )


def _register_feature_commands() -> None:
    """Commands that live beside their feature modules."""
    from conformance.jsonl.cli import validate_jsonl_command
    from conformance.openapi import openapi_command
    from conformance.sft.cli import filter_command, sft_submit_command, validate_sft_config_command

    main.add_command(validate_jsonl_command, "validate-jsonl")
    main.add_command(filter_command, "filter")
    main.add_command(validate_sft_config_command, "validate-sft-config")
    main.add_command(sft_submit_command, "sft-submit")
    main.add_command(openapi_command, "openapi")


_register_feature_commands()
