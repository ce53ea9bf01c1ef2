"""Public entry points: validate a file, a binary stream, an iterable of lines, a record."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO, Literal

from conformance.jsonl.engine import (
    MAX_LINE_BYTES,
    Options,
    ProgressCallback,
    Scanner,
    ScanResult,
    iter_file_blocks,
    make_error,
    record_findings,
    scan_path,
)
from conformance.jsonl.model import LEVELS, JsonlError, JsonlReport, Level
from conformance.jsonl.rules_strict import Limits, estimate_tokens

MIN_RANGE_BYTES = 8 * 1024 * 1024
"""With ``jobs=N``, files smaller than ``N`` times this are validated in one process."""

AUTO_JOBS_BYTES = 32 * 1024 * 1024
"""``jobs="auto"``: one worker per this many bytes of the file (so files under twice this
use one process), up to the usable CPUs and :data:`AUTO_JOBS_MAX`."""

AUTO_JOBS_MAX = 8
"""``jobs="auto"`` never starts more workers than this (I/O and merging dominate beyond)."""


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the platform has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def auto_jobs(size: int, cpus: int | None = None) -> int:
    """The ``jobs="auto"`` rule: one worker per :data:`AUTO_JOBS_BYTES` of a ``size``-byte
    file, at most ``cpus`` (default: :func:`usable_cpus`) and :data:`AUTO_JOBS_MAX`."""
    available = usable_cpus() if cpus is None else cpus
    return max(1, min(available, AUTO_JOBS_MAX, size // AUTO_JOBS_BYTES))


def make_options(
    *,
    level: Level = "strict",
    min_messages: int = 2,
    max_errors: int | None = 50,
    max_chars: int | None = None,
    max_tokens: int | None = None,
    count_tokens: Callable[[str], int] = estimate_tokens,
    detect_duplicates: bool = True,
    max_line_bytes: int | None = MAX_LINE_BYTES,
) -> Options:
    """Check and bundle the keyword arguments shared by the ``validate_*`` functions."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    if min_messages < 0:
        raise ValueError(f"min_messages must be >= 0, got {min_messages}")
    if max_errors is not None and max_errors < 0:
        raise ValueError(f"max_errors must be >= 0 or None, got {max_errors}")
    if max_line_bytes is not None and max_line_bytes < 1:
        raise ValueError(f"max_line_bytes must be >= 1 or None, got {max_line_bytes}")
    return Options(
        level=level,
        min_messages=min_messages,
        max_errors=max_errors,
        limits=Limits(max_chars=max_chars, max_tokens=max_tokens, count_tokens=count_tokens),
        detect_duplicates=detect_duplicates,
        max_line_bytes=max_line_bytes,
    )


def _report(result: ScanResult, options: Options, source: str) -> JsonlReport:
    return JsonlReport(
        files=(source,),
        level=options.level,
        records_checked=result.records,
        lines=result.lines,
        bytes=result.bytes,
        error_count=result.error_count,
        errors=tuple(result.errors),
        duplicates=result.duplicates,
        notes=tuple(result.notes),
    )


def validate_file(
    path: str | os.PathLike[str],
    *,
    level: Level = "strict",
    min_messages: int = 2,
    max_errors: int | None = 50,
    jobs: int | Literal["auto"] = 1,
    max_chars: int | None = None,
    max_tokens: int | None = None,
    count_tokens: Callable[[str], int] = estimate_tokens,
    detect_duplicates: bool = True,
    max_line_bytes: int | None = MAX_LINE_BYTES,
    progress: ProgressCallback | None = None,
) -> JsonlReport:
    """Validate every line of an SFT JSONL file, in memory bounded by its longest line.

    ``level="compat"`` gives synth-ai 0.2.19's verdict (spec §6.1, one error per record,
    its exact messages); ``"strict"`` adds the authoring rules. ``min_messages`` defaults
    to 2 like the upload path. At most ``max_errors`` errors are kept (``None`` = all);
    ``error_count`` is always the total. ``jobs > 1`` validates byte ranges in parallel
    processes (files under ``jobs * 8 MiB`` use one); ``jobs="auto"`` picks the number
    with :func:`auto_jobs`. A line longer than ``max_line_bytes`` (64 MiB by default,
    ``None`` = no limit) is an ``SFT-LINE`` error and is not parsed. ``progress`` is called
    with the number of bytes consumed since the last call. ``count_tokens`` must be
    picklable when ``jobs > 1`` on platforms without ``fork``.

    Raises ``FileNotFoundError``/``IsADirectoryError`` for a bad path and ``ValueError``
    for a bad option.
    """
    options = make_options(
        level=level,
        min_messages=min_messages,
        max_errors=max_errors,
        max_chars=max_chars,
        max_tokens=max_tokens,
        count_tokens=count_tokens,
        detect_duplicates=detect_duplicates,
        max_line_bytes=max_line_bytes,
    )
    if jobs != "auto" and (not isinstance(jobs, int) or jobs < 1):
        raise ValueError(f"jobs must be >= 1 or 'auto', got {jobs!r}")
    file_path = Path(path)
    source = str(path)
    if not file_path.exists():
        raise FileNotFoundError(source)
    if file_path.is_dir():
        raise IsADirectoryError(source)
    size = file_path.stat().st_size
    if jobs == "auto":
        jobs = auto_jobs(size)
    if jobs > 1 and size >= jobs * MIN_RANGE_BYTES:
        from conformance.jsonl.parallel import finish_merged, scan_path_parallel

        merged = scan_path_parallel(file_path, options, jobs, source=source, progress=progress)
        result = finish_merged(merged, options, source)
    else:
        result = scan_path(file_path, options, source=source, progress=progress)
    return _report(result, options, source)


def validate_stream(
    stream: BinaryIO,
    *,
    source: str = "<stdin>",
    level: Level = "strict",
    min_messages: int = 2,
    max_errors: int | None = 50,
    max_chars: int | None = None,
    max_tokens: int | None = None,
    detect_duplicates: bool = True,
    max_line_bytes: int | None = MAX_LINE_BYTES,
    progress: ProgressCallback | None = None,
) -> JsonlReport:
    """Validate a binary stream (e.g. ``sys.stdin.buffer``) read to its end, block by block.

    Same rules and arguments as :func:`validate_file`; errors name ``source``.
    """
    options = make_options(
        level=level,
        min_messages=min_messages,
        max_errors=max_errors,
        max_chars=max_chars,
        max_tokens=max_tokens,
        detect_duplicates=detect_duplicates,
        max_line_bytes=max_line_bytes,
    )
    scanner = Scanner(options, source)
    scanner.scan_blocks(iter_file_blocks(stream), progress=progress)
    return _report(scanner.finish(), options, source)


def validate_lines(
    lines: Iterable[bytes | str],
    *,
    source: str = "<lines>",
    level: Level = "strict",
    min_messages: int = 2,
    max_errors: int | None = 50,
    max_chars: int | None = None,
    max_tokens: int | None = None,
    detect_duplicates: bool = True,
    max_line_bytes: int | None = MAX_LINE_BYTES,
) -> JsonlReport:
    """Validate an iterable of lines (bytes or str, with or without the trailing newline).

    Item ``k`` (1-based) is line ``k``. Use this for JSONL held in memory or produced on
    the fly; the file-level rules (empty input, truncated last line) apply as for a file
    whose last line is terminated.
    """
    options = make_options(
        level=level,
        min_messages=min_messages,
        max_errors=max_errors,
        max_chars=max_chars,
        max_tokens=max_tokens,
        detect_duplicates=detect_duplicates,
        max_line_bytes=max_line_bytes,
    )
    scanner = Scanner(options, source)
    lineno = 0
    for item in lines:
        raw = item.encode("utf-8", "surrogatepass") if isinstance(item, str) else item
        scanner.result.bytes += len(raw)
        lineno += 1
        line = raw.removesuffix(b"\n")
        if max_line_bytes is not None and len(line) > max_line_bytes:
            scanner.too_long(lineno, len(line))
        else:
            scanner.scan_line(line, lineno)
    scanner.result.lines = lineno
    return _report(scanner.finish(), options, source)


def validate_record(
    record: Any,
    *,
    level: Level = "strict",
    min_messages: int = 2,
    max_chars: int | None = None,
    max_tokens: int | None = None,
    source: str = "<record>",
) -> list[JsonlError]:
    """Validate one already-parsed record; return its errors (empty when valid).

    In ``compat`` this is synth-ai's ``coerce_example(record, min_messages=...)`` verdict:
    at most one error, with its exact message. Errors have ``line=None``. Duplicate
    detection needs a file and is not done here.
    """
    options = make_options(
        level=level, min_messages=min_messages, max_chars=max_chars, max_tokens=max_tokens
    )
    return [make_error(source, None, finding) for finding in record_findings(record, options)]
