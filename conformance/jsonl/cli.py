"""``taskapp-conformance validate-jsonl``: the command-line face of :mod:`conformance.jsonl`."""

from __future__ import annotations

import glob
import os
import stat
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import click

from conformance.exitcodes import ExitCode
from conformance.jsonl.api import AUTO_JOBS_BYTES, AUTO_JOBS_MAX, validate_file, validate_stream
from conformance.jsonl.engine import MAX_LINE_BYTES
from conformance.jsonl.model import LEVELS, JsonlReport, Level
from conformance.jsonl.report import render_json, render_text

PROGRESS_MIN_BYTES = 32 * 1024 * 1024
"""Inputs at least this large get a progress bar when stderr is a terminal."""

_GLOB_CHARS = frozenset("*?[")

_EPILOG = f"""\b
Examples:
  taskapp-conformance validate-jsonl train.jsonl
  taskapp-conformance validate-jsonl --level compat --min-messages 1 data/
  taskapp-conformance validate-jsonl 'runs/**/*.jsonl' --jobs 2 --format json
  taskapp-conformance validate-jsonl --max-line-bytes 512MiB huge-records.jsonl
  cat train.jsonl | taskapp-conformance validate-jsonl -

\b
Levels:
  compat  synth-ai 0.2.19's acceptance rules exactly (spec §6.1): the verdict
          and messages of the upload path's client-side check (--max-line-bytes
          is this validator's own limit).
  strict  compat + roles, tool-call pairing, final assistant turn, JSON
          arguments, content parts, flat tools, duplicates, size limits, bare
          carriage returns.

\b
Exit codes:
  0  every record is valid
  1  invalid records (or an invalid file) found
  2  usage error: missing path, bad option, unreadable file

Every line is checked, in time linear in the input and memory bounded by the
longest line parsed (about three times it, more for a line of many small values;
per worker with --jobs); a line over --max-line-bytes is reported (SFT-LINE) and
not parsed. --jobs auto (the default)
uses one worker per {AUTO_JOBS_BYTES // 2**20} MiB of a file, up to the usable CPUs
and at most {AUTO_JOBS_MAX}. Rule IDs (SFT-5, SFT-S3, ...) are listed in the README;
messages of compat rules are synth-ai's own.
"""


class _OneLineErrors(click.Command):
    """A command whose usage errors print one line (``Error: ...``) and exit 2."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.ctx = None
            raise


class _UsageProblem(click.ClickException):
    """A usage problem found after parsing (missing path, unreadable file): one line, exit 2."""

    exit_code = int(ExitCode.USAGE)


def _usage_error(message: str) -> click.ClickException:
    return _UsageProblem(message)


_UNITS = {
    "": 1,
    "b": 1,
    "k": 1000,
    "kb": 1000,
    "kib": 1024,
    "m": 1000**2,
    "mb": 1000**2,
    "mib": 1024**2,
    "g": 1000**3,
    "gb": 1000**3,
    "gib": 1024**3,
}


def parse_size(ctx: click.Context | None, param: click.Parameter | None, value: str) -> int:
    """``--max-line-bytes``: ``67108864``, ``64MiB``, ``200MB``, ``1GiB`` (0 = no limit)."""
    text = value.strip().lower().replace("_", "")
    number = text.rstrip("kmgib")
    unit = text[len(number) :]
    if not number.isdigit() or unit not in _UNITS:
        raise click.BadParameter(
            f"{value!r} is not a size (examples: 67108864, 64MiB, 200MB, 1GiB)", ctx, param
        )
    return int(number) * _UNITS[unit]


def _format_size(nbytes: int) -> str:
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if nbytes % factor == 0:
            return f"{nbytes // factor}{unit}"
    return str(nbytes)


def parse_jobs(
    ctx: click.Context | None, param: click.Parameter | None, value: str
) -> int | Literal["auto"]:
    """``--jobs``: ``auto`` or a whole number of worker processes, at least 1."""
    text = value.strip().lower()
    if text == "auto":
        return "auto"
    if not text.isdigit() or int(text) < 1:
        raise click.BadParameter(f"{value!r} is not 'auto' or a whole number >= 1", ctx, param)
    return int(text)


def expand_paths(arguments: tuple[str, ...]) -> list[str]:
    """Turn PATH arguments into a list of files (``-`` kept for stdin).

    A directory yields its ``*.jsonl`` files recursively, a pattern with ``*?[`` is
    globbed (``**`` recursive); anything that matches nothing is a usage error.
    """
    files: list[str] = []
    for argument in arguments:
        if argument == "-":
            files.append(argument)
        elif os.path.isdir(argument):
            found = sorted(str(path) for path in Path(argument).rglob("*.jsonl") if path.is_file())
            if not found:
                raise _usage_error(f"no .jsonl files under directory {argument}")
            files.extend(found)
        elif os.path.isfile(argument):
            files.append(argument)
        elif os.path.lexists(argument):
            raise _usage_error(f"not a regular file: {argument} is {_file_kind(argument)}")
        elif _GLOB_CHARS & set(argument):
            found = sorted(
                path for path in glob.glob(argument, recursive=True) if os.path.isfile(path)
            )
            if not found:
                raise _usage_error(f"no file matches {argument}")
            files.extend(found)
        else:
            raise _usage_error(f"no such file or directory: {argument}")
    if files.count("-") > 1:
        raise _usage_error("'-' (stdin) can be given only once")
    return files


def _file_kind(path: str) -> str:
    """What a path that exists but is not a regular file or directory is, for messages."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "a broken symbolic link" if os.path.islink(path) else "unreadable"
    kinds = (
        (stat.S_ISFIFO, "a named pipe (FIFO); to read it, pass - and redirect the pipe to stdin"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
    )
    return next((kind for test, kind in kinds if test(mode)), "a special file")


@contextmanager
def _progress(total: int, enabled: bool) -> Iterator[Callable[[int], None] | None]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TransferSpeedColumn

    console = Console(stderr=True)
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=console,
        transient=True,
        auto_refresh=False,  # no refresh thread: --jobs forks workers
    ) as bar:
        task = bar.add_task("validating", total=total or None)
        last = [0.0]

        def advance(nbytes: int) -> None:
            bar.advance(task, nbytes)
            now = time.monotonic()
            if now - last[0] >= 0.1:
                last[0] = now
                bar.refresh()

        yield advance


def _show_progress(files: list[str], choice: bool | None) -> bool:
    if choice is not None:
        return choice
    if not sys.stderr.isatty():
        return False
    if "-" in files:
        return True
    return sum(os.path.getsize(path) for path in files) >= PROGRESS_MIN_BYTES


def _validate_one(
    path: str, options: dict[str, Any], jobs: int | Literal["auto"], progress: Any
) -> JsonlReport:
    if path == "-":
        return validate_stream(sys.stdin.buffer, source="<stdin>", progress=progress, **options)
    return validate_file(path, jobs=jobs, progress=progress, **options)


@click.command(
    "validate-jsonl",
    cls=_OneLineErrors,
    epilog=_EPILOG,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--level",
    type=click.Choice(LEVELS),
    default="strict",
    show_default=True,
    help="compat = synth-ai's rules exactly; strict adds authoring rules.",
)
@click.option(
    "--min-messages",
    type=click.IntRange(min=0),
    default=2,
    show_default=True,
    help="Fewest messages per record (2 on synth-ai's upload path, 1 for `synth-ai train`).",
)
@click.option(
    "--max-errors",
    type=click.IntRange(min=0),
    default=50,
    show_default=True,
    help="Errors listed per file (0 = all); the total is always counted.",
)
@click.option(
    "--jobs",
    "-j",
    default="auto",
    metavar="N|auto",
    callback=parse_jobs,
    show_default=True,
    help=f"Worker processes per file (byte ranges). auto: one per {AUTO_JOBS_BYTES // 2**20} "
    f"MiB of the file, up to the usable CPUs (at most {AUTO_JOBS_MAX}); with N, files under "
    "N x 8 MiB use one.",
)
@click.option(
    "--max-line-bytes",
    default=_format_size(MAX_LINE_BYTES),
    metavar="SIZE",
    callback=parse_size,
    show_default=True,
    help="Longest line parsed (e.g. 512MiB; 0 = no limit); a longer one is an SFT-LINE "
    "error and the next lines are still checked. Peak memory is about 3x this per worker.",
)
@click.option(
    "--max-chars",
    type=click.IntRange(min=1),
    default=None,
    help="strict: limit on message text characters per record.",
)
@click.option(
    "--max-tokens",
    type=click.IntRange(min=1),
    default=None,
    help="strict: limit on message text tokens per record (estimated as characters / 4).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json prints one document on stdout (progress, if any, goes to stderr).",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr [default: when stderr is a terminal and the input is stdin "
    "or at least 32 MiB].",
)
def validate_jsonl_command(
    paths: tuple[str, ...],
    level: Level,
    min_messages: int,
    max_errors: int,
    jobs: int | Literal["auto"],
    max_line_bytes: int,
    max_chars: int | None,
    max_tokens: int | None,
    output_format: str,
    progress: bool | None,
) -> None:
    """Validate SFT JSONL files: every line, exact errors, linear time.

    PATH is a file, a directory (its *.jsonl files, recursively), a glob pattern
    (quote it; ** is recursive) or - for standard input.
    """
    if level == "compat" and (max_chars is not None or max_tokens is not None):
        raise _usage_error("--max-chars and --max-tokens apply to --level strict only")
    files = expand_paths(paths)
    cap = None if max_errors == 0 else max_errors
    options: dict[str, Any] = {
        "level": level,
        "min_messages": min_messages,
        "max_errors": cap,
        "max_chars": max_chars,
        "max_tokens": max_tokens,
        "max_line_bytes": max_line_bytes or None,
    }
    reports: list[JsonlReport] = []
    try:
        with _progress(_total_size(files), _show_progress(files, progress)) as advance:
            for path in files:
                reports.append(_validate_one(path, options, jobs, advance))
    except OSError as exc:
        raise _usage_error(
            f"cannot read {exc.filename or 'input'}: {exc.strerror or exc}"
        ) from None
    output = render_json(reports) if output_format == "json" else render_text(reports, cap)
    click.echo(output, nl=False)
    ok = all(report.ok for report in reports)
    click.get_current_context().exit(int(ExitCode.OK if ok else ExitCode.NOT_CONFORMING))


def _total_size(files: list[str]) -> int:
    return sum(os.path.getsize(path) for path in files if path != "-")
