"""The SFT data commands: `filter`, `validate-sft-config`, `sft-submit`.

`conformance.cli` registers them lazily (`_register_feature_commands`): this module is
imported only when one of them runs or the group's help lists them. Each is a plain click
command, usable on its own in tests via `click.testing.CliRunner`.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import NoReturn

import click

from conformance.exitcodes import ExitCode
from conformance.sft.errors import SftToolError
from conformance.sft.filter import load_filter_config, run_filter
from conformance.sft.sft_config import SftConfigReport, check_sft_config
from conformance.sft.submit import (
    API_KEY_ENV,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT_S,
    REQUEST_TIMEOUT_S,
    plan_submission,
    submit,
)
from conformance.sft.validation import Level

BACKEND_ENV = "SYNTH_BACKEND_URL"

_FILTER_EPILOG = """\b
Examples:
  taskapp-conformance filter --config reference_app/configs/filter.toml
  taskapp-conformance filter --config filter.toml && \\
    taskapp-conformance validate-sft-config sft.toml --dataset data/curated.jsonl

\b
filter.toml:
  [filter]
  db = "traces/taskapp_traces.db"     # a path or DSN; never created
  output = "data/curated.jsonl"       # .jsonl or .json; replaced atomically
  splits = ["train"]                  # also task_ids, models
  min_official_score = 1              # outcome_rewards.total_reward bounds
  limit = 100                         # shuffle (+ shuffle_seed), then offset, then limit
  shuffle = true
  shuffle_seed = 7

\b
Unlike synth-ai: offset/shuffle work, wrong types and unknown keys are errors,
a missing DB is an error, the export is validated (strict and compat) before it
replaces OUTPUT, and an empty result says which filter excluded what.

\b
Exit codes:
  0  the export was written and validated
  1  nothing matched, the DB holds no traces, or the export failed validation
  2  config error: file missing, not TOML, bad value, unknown key, missing DB
  3  a remote (libsql://, http(s)://) DB could not be reached
"""

_CONFIG_EPILOG = """\b
Examples:
  taskapp-conformance validate-sft-config reference_app/configs/sft.toml
  taskapp-conformance validate-sft-config sft.toml --dataset data/curated.jsonl
  SDK_EXPERIMENTAL=1 taskapp-conformance validate-sft-config sft.toml

\b
Checks what synth-ai's build_sft_payload accepts (spec §8): the [algorithm]
triple, [job].model against the SFT allowlist (experimental models need
SDK_EXPERIMENTAL=1 or --allow-experimental), the dataset (exists; every line
valid with min_messages=2), hyperparameter ranges, [training.validation] and
[compute]. Warns on what synth-ai silently ignores: weight_decay,
[training.lora], [lora], [policy], [tags], unknown keys.

\b
Exit codes:
  0  valid (warnings may be printed)
  1  invalid: synth-ai would reject it, or the data has errors
  2  usage error: the file is missing or not TOML
"""

_TIMEOUT, _SMALL, _MIB = DEFAULT_TIMEOUT_S, REQUEST_TIMEOUT_S, DEFAULT_MAX_RESPONSE_BYTES >> 20
_SUBMIT_EPILOG = f"""\b
Examples:
  taskapp-conformance sft-submit --config sft.toml --dry-run
  {API_KEY_ENV}=... taskapp-conformance sft-submit --config sft.toml --backend https://backend.example/api

\b
Steps (nothing is sent if validation fails, no POST is ever retried):
  1. validate the config and the data (as validate-sft-config)
  2. POST {{backend}}/api/learning/files    multipart file, purpose=fine-tune
     (then [data].validation_path the same way, when set)
  3. GET  {{backend}}/api/learning/files/ID until ready (a timeout only warns)
  4. POST {{backend}}/api/learning/jobs     the SFT payload + training_file_id
  5. POST {{backend}}/api/learning/jobs/JOB/start
The API key comes from {API_KEY_ENV} and is never printed. --dry-run prints the
requests as JSON and sends nothing (synth-ai's --dry-run starts a real job).
Before each request a line on stderr says what it waits for. Each request
takes at most --timeout seconds (default {_TIMEOUT:g}; steps 3-5 at most {_SMALL:g}) and
each answer is read up to --max-response-bytes (default {_MIB} MiB, decoded).

\b
Exit codes:
  0  the job was created and started (or the dry run was printed)
  1  invalid config or data, or the backend refused a request
  2  usage error: config missing or not TOML, no (or a non-ASCII) {API_KEY_ENV},
     bad --backend (not http(s), invalid, with a password or a query string)
  3  the backend could not be reached, timed out (--timeout), or answered
     more than --max-response-bytes
"""

_LEVEL = click.Choice(["strict", "compat"])


def _fail(exc: SftToolError) -> NoReturn:
    click.echo(f"Error: {exc}", err=True)
    sys.exit(int(exc.exit_code))


@click.command(
    "filter", epilog=_FILTER_EPILOG, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="TOML file with a [filter] table (synth-ai's FilterConfig).",
)
def filter_command(config_path: Path) -> None:
    """Export curated SFT JSONL from a trace DB, selected by a [filter] table."""
    try:
        config = load_filter_config(config_path)
        click.echo(f"Config validated: db={config.shown_db}, output={config.output}")
        result = run_filter(config)
    except SftToolError as exc:
        _fail(exc)
    click.echo(
        f"Wrote {result.written} examples -> {result.output} "
        f"({result.matched} of {result.considered} sessions matched; validated strict and compat)"
    )


def _print_report(report: SftConfigReport, output_format: str) -> None:
    if output_format == "json":
        click.echo(
            json.dumps(
                {
                    "path": str(report.path),
                    "valid": report.ok,
                    "errors": report.errors,
                    "warnings": report.warnings,
                    "data": str(report.data_path) if report.data_path else None,
                    "payload": report.payload,
                },
                indent=2,
            )
        )
        return
    for warning in report.warnings:
        click.echo(f"warning: {warning}", err=True)
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.ok and report.payload is not None:
        records = sum(v.records for v in report.data_verdicts[:1])
        click.echo(
            f"OK {report.path}: model {report.payload['model']}, data {report.data_path} "
            f"({records} records valid)"
        )
    else:
        click.echo(f"INVALID {report.path}: {len(report.errors)} errors", err=True)


def _check(
    config_path: Path, dataset: Path | None, allow_experimental: bool, level: Level
) -> SftConfigReport:
    return check_sft_config(
        config_path,
        environ=os.environ,
        allow_experimental=allow_experimental,
        dataset=str(dataset) if dataset is not None else None,
        level=level,
    )


@click.command(
    "validate-sft-config",
    epilog=_CONFIG_EPILOG,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.argument("config_path", metavar="CONFIG", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--dataset",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Use this JSONL instead of [job].data (like synth-ai's --dataset).",
)
@click.option("--allow-experimental", is_flag=True, help="Accept experimental models.")
@click.option(
    "--level", type=_LEVEL, default="strict", show_default=True, help="JSONL validation level."
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
)
def validate_sft_config_command(
    config_path: Path,
    dataset: Path | None,
    allow_experimental: bool,
    level: Level,
    output_format: str,
) -> None:
    """Check an SFT training TOML (and its data) as synth-ai's payload builder would."""
    try:
        report = _check(config_path, dataset, allow_experimental, level)
    except SftToolError as exc:
        _fail(exc)
    _print_report(report, output_format)
    sys.exit(int(ExitCode.OK if report.ok else ExitCode.NOT_CONFORMING))


@click.command(
    "sft-submit", epilog=_SUBMIT_EPILOG, context_settings={"help_option_names": ["-h", "--help"]}
)
@click.option(
    "--config",
    "config_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The SFT training TOML.",
)
@click.option(
    "--backend",
    envvar=BACKEND_ENV,
    default=None,
    help=f"Backend base URL (`/api` is appended if missing). Env: {BACKEND_ENV}. "
    "A dry run without it shows https://backend.invalid.",
)
@click.option("--dry-run", is_flag=True, help="Validate and print the requests; send nothing.")
@click.option(
    "--dataset",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Use this JSONL instead of [job].data.",
)
@click.option("--allow-experimental", is_flag=True, help="Accept experimental models.")
@click.option("--level", type=_LEVEL, default="strict", show_default=True)
@click.option(
    "--ready-timeout",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds to wait for the uploaded file to be ready.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    default=DEFAULT_TIMEOUT_S,
    show_default=True,
    help=f"Seconds any one request may take (the job requests at most {REQUEST_TIMEOUT_S:g}).",
)
@click.option(
    "--max-response-bytes",
    type=click.IntRange(min=1024),
    default=DEFAULT_MAX_RESPONSE_BYTES,
    show_default=True,
    help="Largest backend answer read, in bytes once decoded.",
)
def sft_submit_command(
    config_path: Path,
    backend: str | None,
    dry_run: bool,
    dataset: Path | None,
    allow_experimental: bool,
    level: Level,
    ready_timeout: float,
    timeout: float,
    max_response_bytes: int,
) -> None:
    """Upload the training file, create the SFT job and start it (validated first)."""
    try:
        report = _check(config_path, dataset, allow_experimental, level)
        for warning in report.warnings:
            click.echo(f"warning: {warning}", err=True)
        if not backend and not dry_run:
            raise SftToolError(
                f"no backend: pass --backend URL or set {BACKEND_ENV}", exit_code=ExitCode.USAGE
            )
        plan = plan_submission(report, backend or "https://backend.invalid")
        if dry_run:
            click.echo(json.dumps(plan.describe(), indent=2))
            return
        api_key = os.environ.get(API_KEY_ENV, "").strip()
        if not api_key:
            raise SftToolError(f"{API_KEY_ENV} is not set", exit_code=ExitCode.USAGE)
        result = submit(
            plan,
            api_key=api_key,
            ready_timeout=ready_timeout,
            timeout=timeout,
            max_response_bytes=max_response_bytes,
            progress=lambda line: click.echo(line, err=True),
        )
    except SftToolError as exc:
        _fail(exc)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"Uploaded {plan.data_path} as file {result.file_id}")
    if result.validation_file_id is not None:
        click.echo(
            f"Uploaded {plan.validation_path} as validation file {result.validation_file_id}"
        )
    click.echo(f"Created and started SFT job {result.job_id}")
