"""Render :class:`~conformance.jsonl.model.JsonlReport` objects as text or JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from conformance.jsonl.model import RULES, JsonlError, JsonlReport, combine_reports

README_BEGIN = "<!-- jsonl-rules:begin (generated from conformance.jsonl.RULES) -->"
README_END = "<!-- jsonl-rules:end -->"


def _size(nbytes: int) -> str:
    if nbytes >= 1_000_000:
        return f"{nbytes / 1_000_000:.1f} MB"
    if nbytes >= 1_000:
        return f"{nbytes / 1_000:.1f} kB"
    return f"{nbytes} B"


def _count(number: int, noun: str) -> str:
    return f"{number:,} {noun}" + ("" if number == 1 else "s")


def format_error(error: JsonlError) -> str:
    """Three lines: ``path:line: json.path: message [RULE]``, then Expected and Fix."""
    return f"{error}\n  Expected: {error.expected}\n  Fix:      {error.fix}"


def summary_line(report: JsonlReport, max_errors: int | None) -> str:
    """One line per file: verdict, counts, and whether the error list was cut."""
    name = ", ".join(report.files)
    counts = (
        f"{_count(report.records_checked, 'record')} ({_count(report.lines, 'line')}, "
        f"{_size(report.bytes)}, level {report.level})"
    )
    if report.ok:
        return f"{name}: OK, {counts}"
    line = f"{name}: INVALID, {_count(report.error_count, 'error')} in {counts}"
    if report.truncated:
        line += f"; showing the first {len(report.errors)} (--max-errors {max_errors})"
    if report.duplicates:
        line += f"; {_count(report.duplicates, 'duplicate record')}"
    return line


def render_text(reports: Sequence[JsonlReport], max_errors: int | None) -> str:
    """The ``--format text`` output: every shown error, then one summary line per file."""
    blocks = [format_error(error) for report in reports for error in report.errors]
    blocks.extend(summary_line(report, max_errors) for report in reports)
    blocks.extend(f"note: {note}" for report in reports for note in report.notes)
    if len(reports) > 1:
        total = combine_reports(list(reports))
        bad = sum(1 for report in reports if not report.ok)
        blocks.append(
            f"total: {len(reports)} files, {bad} invalid, {total.error_count:,} errors in "
            f"{total.records_checked:,} records ({_size(total.bytes)})"
        )
    return "\n".join(blocks) + "\n"


def render_json(reports: Sequence[JsonlReport]) -> str:
    """The ``--format json`` output: one object with per-file reports and totals."""
    total = combine_reports(list(reports))
    document: dict[str, Any] = {
        "valid": total.ok,
        "level": total.level,
        "files": [report.to_dict() for report in reports],
        "totals": {
            "files": len(reports),
            "invalid_files": sum(1 for report in reports if not report.ok),
            "records_checked": total.records_checked,
            "lines": total.lines,
            "bytes": total.bytes,
            "error_count": total.error_count,
            "duplicates": total.duplicates,
        },
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"


def rules_markdown() -> str:
    """The README's rule table, one row per entry of :data:`RULES`, in evaluation order."""
    rows = ["| ID | level | spec | rule |", "|---|---|---|---|"]
    rows.extend(
        f"| `{rule.id}` | {rule.level} | {rule.spec} | {rule.summary} |" for rule in RULES.values()
    )
    return "\n".join(rows) + "\n"
