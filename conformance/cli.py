"""The `taskapp-conformance` command."""

from __future__ import annotations

import copy
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

from conformance import __version__
from conformance.contract.profiles import API_KEY_PROFILES, CONTAINER, LEGACY, PROFILE_NAMES
from conformance.exitcodes import ExitCode
from conformance.options import (
    KNOBS,
    ConfigError,
    RunConfig,
    build_target,
    load_config,
    resolve,
    run_options,
    selected_checks,
)
from conformance.registry import CheckSpec, catalogue

if TYPE_CHECKING:
    from conformance.runner import RunOptions
    from conformance.target import Target

EXIT_CODES_HELP = """\b
Exit codes:
  0  the target conforms: every selected required check passed, with evidence
  1  the target does not conform: a required check failed
  2  usage or configuration error
  3  the harness could not reach or talk to the target
  4  incomplete: nothing failed, but a required check did not run or could
     not prove its claim (e.g. no recorded model call); see --accept-unproven
  5  the harness itself failed (a bug of ours; the message asks you to report it)
  130  interrupted (Ctrl-C): the reports asked for are written, marked incomplete"""


class HarnessCrash(Exception):
    """A bug of the harness during a run; the message is its traceback, secrets hidden."""


def _usage_error(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(ExitCode.USAGE)


class _Commands(click.Group):
    """The command group; Ctrl-C anywhere ends with one line and exit code 130, not 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("\nInterrupted (Ctrl-C).", err=True)
            ctx.exit(ExitCode.INTERRUPTED)
        except HarnessCrash as crash:  # not exit 1: that would accuse the app
            click.echo(str(crash), err=True)
            click.echo(
                "Error: taskapp-conformance itself failed (a bug, not a verdict on the app); "
                "please report it with the traceback above (secrets are hidden).",
                err=True,
            )
            ctx.exit(ExitCode.INTERNAL)


@click.group(
    cls=_Commands,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="taskapp-conformance")
def main() -> None:
    """Check that a synth-ai task app honours the task-app contract.

    \b
    Start here:
      taskapp-conformance check                      # the embedded reference app
      taskapp-conformance check https://my-app.modal.run
      taskapp-conformance list-checks
    """


_METAVARS = {
    "url": "URL",
    "int": "N",
    "float": "SECONDS",
    "list": "IDS",
    "json": "JSON",
    "path": "FILE",
    "str": "TEXT",
    "profile": "NAME",
    "generation": "NAME",
}


def _knob_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add one click option per `RunConfig` knob (the URL is the positional argument).

    Values stay raw here: `conformance.options.resolve` converts and checks them, the same
    way for the plugin, the environment and the config file.
    """
    for knob in reversed(KNOBS):
        if knob.name == "url":
            continue
        default = "" if knob.default in (None, (), {}) else f" [default: {knob.default}]"
        text = f"{knob.help}{default} [env: {knob.env}]"
        if knob.kind == "tristate":
            flag = knob.flag.removeprefix("--")
            option = click.option(f"--{flag}/--no-{flag}", knob.name, default=None, help=text)
        elif knob.kind == "bool":
            option = click.option(knob.flag, knob.name, is_flag=True, default=None, help=text)
        else:
            option = click.option(
                knob.flag,
                knob.name,
                metavar=_METAVARS[knob.kind],
                multiple=knob.kind == "list",
                help=text,
            )
        command = option(command)
    return command


@main.command(epilog=EXIT_CODES_HELP)
@click.argument("url", required=False)
@_knob_options
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    help="TOML file with a [tool.taskapp-conformance] table [./pyproject.toml].",
)
@click.option("-q", "--quiet", is_flag=True, help="Print only the summary, no per-check progress.")
def check(config_path: Path | None, quiet: bool, **flags: Any) -> None:
    """Check a task app and exit non-zero when it does not conform.

    \b
    URL is the app's base URL (env TASKAPP_URL); without URL or --app the
    embedded reference app is checked in-process. Examples:
      taskapp-conformance check
      taskapp-conformance check http://127.0.0.1:8001 --api-key "$KEY"
      taskapp-conformance check --app my_app:create_app --select AUTH,CID
      taskapp-conformance check "$URL" --recorder "$RELAY"   # proves cids for deployed apps
      taskapp-conformance check "$URL" --junit-xml out/junit.xml --html out/report.html
      taskapp-conformance check "$URL" --migration-report localapi --migration-report-out m.md

    \b
    Every option is also an environment variable (TASKAPP_<NAME>, the key is
    ENVIRONMENT_API_KEY) and a key of [tool.taskapp-conformance] (the option's
    name with _ for -, e.g. fuzz_examples = 50). Precedence: flags >
    environment > config file > default.

    \b
    --migration-report NAME: once the checks are done, the report starts from
    the generation the target was judged as (detected, or --profile) and lists
    what changes on the way to NAME, as Markdown. It goes to stdout after the
    summary, or, for CI, to the file --migration-report-out names (stdout then
    stays the console's). It never changes the verdict or the exit code.
    """
    try:
        config = resolve(flags, os.environ, load_config(config_path))
        target = build_target(config)
        checks = selected_checks(config)
        options = run_options(config, target)
    except ConfigError as exc:
        _usage_error(str(exc))
    _run_and_report(target, checks, options, config, quiet=quiet)


def _run_and_report(
    target: Target,
    checks: list[CheckSpec],
    options: RunOptions,
    config: RunConfig,
    *,
    quiet: bool,
) -> NoReturn:
    from conformance.migration import MigrationCollector, write_migration_report
    from conformance.redaction import Redactor
    from conformance.reports import ConsoleReporter, ReportWriteError, write_reports
    from conformance.runner import ProfileConflict, TargetUnreachable, run_checks

    migration = MigrationCollector(config.migration_report) if config.migration_report else None
    secrets = [target.api_key, config.recorder_token, target.container_signing_key]
    reporter = ConsoleReporter()
    reporter.console.print(
        f"taskapp-conformance {__version__}: {len(checks)} checks against {target.label}",
        highlight=False,
        soft_wrap=True,
    )
    try:
        report = run_checks(
            target,
            checks,
            options,
            progress=None if quiet else reporter.on_result,
            on_profile=reporter.profile,
            after=migration,
        )
    except TargetUnreachable as exc:
        click.echo(f"Error: cannot talk to the target: {exc}", err=True)
        sys.exit(ExitCode.UNREACHABLE)
    except (ProfileConflict, ConfigError) as exc:  # ConfigError: the relay refused the token
        _usage_error(str(exc))
    except Exception:  # a bug of ours: its traceback may quote what the target sent
        raise HarnessCrash(Redactor(secrets).text(traceback.format_exc())) from None
    reporter.summary(report)
    try:
        write_reports(
            report,
            json_path=config.json,
            junit_path=config.junit_xml,
            markdown_path=config.markdown,
            html_path=config.html,
        )
        if migration is not None and migration.markdown is not None:
            if config.migration_report_out is not None:
                write_migration_report(migration.markdown, config.migration_report_out)
            else:
                click.echo("")
                click.echo(migration.markdown, nl=False)
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
@click.option(
    "--profile",
    type=click.Choice(PROFILE_NAMES, case_sensitive=False),
    help="Only the checks of this contract generation.",
)
def list_checks(fmt: str, profile: str | None) -> None:
    """Print the check catalogue (ID, severity, the generations it applies to, its rule in
    docs/contract.md, title).
    """
    from conformance.catalogue_doc import catalogue_json, catalogue_markdown, catalogue_table

    render = {"table": catalogue_table, "json": catalogue_json, "markdown": catalogue_markdown}[fmt]
    checks = [c for c in catalogue() if profile is None or c.applies_to(profile.lower())]
    click.echo(render(checks))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--profile",
    type=click.Choice(PROFILE_NAMES),
    default=LEGACY,
    show_default=True,
    help="The contract generation the app speaks: its routes, bodies and auth "
    "(docs/generations.md). Judge it with `check URL --profile` of the same name.",
)
def serve(host: str, port: int, profile: str) -> None:
    """Serve the reference task app with uvicorn, speaking one contract generation.

    Each generation authenticates its own way, so each needs its own setting:

    \b
      legacy-0.2, localapi: ENVIRONMENT_API_KEY (or ENVIRONMENT_API_KEY_ALIASES)
        export ENVIRONMENT_API_KEY="$(python -c 'import secrets; print(secrets.token_hex(16))')"
        taskapp-conformance serve --port 8001
        taskapp-conformance check http://127.0.0.1:8001 --api-key "$ENVIRONMENT_API_KEY"

    \b
      container: SYNTH_CONTAINER_TRUSTED_PUBKEYS, the base64 Ed25519 public key(s)
      whose PASETO tokens it accepts; `check` signs with the private half
      (TASKAPP_CONTAINER_SIGNING_KEY, or --container-signing-key)
        eval "$(python -m conformance.paseto)"   # exports a fresh pair, unshown
        taskapp-conformance serve --profile container --port 8001
        taskapp-conformance check http://127.0.0.1:8001 --profile container

    \b
      containers-2026-05: nothing (no auth: synth's tunnel strips credentials)
        taskapp-conformance serve --profile containers-2026-05 --port 8001
        taskapp-conformance check http://127.0.0.1:8001 --profile containers-2026-05
    """
    import uvicorn

    from reference_app import build_config, create_profile_app
    from reference_app.auth import allowed_keys
    from reference_app.errors import CaptureConfigError

    if profile in API_KEY_PROFILES and not allowed_keys(os.environ):
        _usage_error(
            "no API key configured: set ENVIRONMENT_API_KEY, e.g. "
            "export ENVIRONMENT_API_KEY="
            "\"$(python -c 'import secrets; print(secrets.token_hex(16))')\""
        )
    if profile == CONTAINER:
        from reference_app.profiles.container import trusted_keys_problem

        problem = trusted_keys_problem(os.environ)
        if problem is not None:
            _usage_error(problem)
    import logging
    import logging.config  # here, not at the top: every command's start-up would pay for it

    log_config = _serve_log_config()
    logging.config.dictConfig(log_config)  # before the app is built: it logs where capture goes
    logging.getLogger("reference_app").info("serving the reference app as %s", profile)
    try:
        # Builds the trace DB and the SFT output directory, or says why it cannot.
        app = create_profile_app(profile, build_config())
    except CaptureConfigError as exc:
        _usage_error(str(exc))
    uvicorn.run(app, host=host, port=port, log_level="info", log_config=log_config)


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


class _LazyCommand(click.Command):
    """A feature command whose module is imported only when it runs or its help is listed.

    Importing every feature module at start-up (httpx, pydantic, the inference relay)
    costs several hundred ms; `validate-jsonl` must start in well under 150 ms.
    """

    def __init__(self, name: str, target: str) -> None:
        super().__init__(name)
        self._target = target

    def load(self) -> click.Command:
        """The real command (``module:attribute``), imported on first use."""
        import importlib

        module, attribute = self._target.split(":")
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """Parse with the real command, whose context then runs it."""
        return self.load().make_context(info_name, args, parent=parent, **extra)

    def get_short_help_str(self, limit: int = 45) -> str:
        """The real command's summary line, for the group's --help."""
        return self.load().get_short_help_str(limit)


def _register_feature_commands() -> None:
    """Commands that live beside their feature modules, imported when used."""
    for name, target in (
        ("validate-jsonl", "conformance.jsonl.cli:validate_jsonl_command"),
        ("filter", "conformance.sft.cli:filter_command"),
        ("validate-sft-config", "conformance.sft.cli:validate_sft_config_command"),
        ("sft-submit", "conformance.sft.cli:sft_submit_command"),
        ("openapi", "conformance.openapi:openapi_command"),
        ("mock-inference", "conformance.inference.cli:mock_inference_command"),
    ):
        main.add_command(_LazyCommand(name, target), name)


_register_feature_commands()


if __name__ == "__main__":  # python -m conformance.cli, as the tests run it
    main()
