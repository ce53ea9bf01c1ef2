"""Writing report files atomically: a temp file in the target directory, then `os.replace`."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from conformance.reports.html import render_html
from conformance.reports.json_report import render_json
from conformance.reports.junit import render_junit
from conformance.reports.markdown import render_markdown
from conformance.runner import RunReport

Renderer = Callable[[RunReport], str]


class ReportWriteError(Exception):
    """A report file could not be written (the CLI maps this to exit code 2, usage error)."""


def write_reports(
    report: RunReport,
    *,
    json_path: str | os.PathLike[str] | None = None,
    junit_path: str | os.PathLike[str] | None = None,
    markdown_path: str | os.PathLike[str] | None = None,
    html_path: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Write each requested report (parent directories created); return the paths written.

    Every file appears whole or not at all. Raises `ReportWriteError` with one line naming
    the report and the path when a file cannot be written.
    """
    jobs: list[tuple[str, str | os.PathLike[str] | None, Renderer]] = [
        ("JSON", json_path, render_json),
        ("JUnit XML", junit_path, render_junit),
        ("Markdown", markdown_path, render_markdown),
        ("HTML", html_path, render_html),
    ]
    written = []
    for kind, path, render in jobs:
        if path is None:
            continue
        target = Path(path)
        try:
            atomic_write_text(target, render(report))
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ReportWriteError(f"cannot write the {kind} report to {target}: {reason}") from exc
        written.append(target)
    return written


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` (UTF-8) to `path` so readers see the old file or the new one, never half."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
