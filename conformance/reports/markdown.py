"""Markdown for CI step summaries (`$GITHUB_STEP_SUMMARY`): verdict, totals, checks, failures.

Plain GitHub-flavoured Markdown plus `<details>`, no emoji: outcome badges are bold words.
Every piece of target-controlled text is HTML-escaped, table cells also escape `|` and
newlines, and failure blocks sit in code fences longer than any backtick run they contain.
"""

from __future__ import annotations

import html
import re

from conformance.outcomes import Outcome
from conformance.reports._common import (
    TOOL_NAME,
    failure_block,
    headline,
    plural,
    results_in,
    skip_label,
    spec_href,
    totals,
    totals_line,
    verdict,
)
from conformance.reports.latency import markdown_lines as latency_lines
from conformance.runner import CheckResult, RunReport

_BACKTICKS = re.compile("`+")


def render_markdown(report: RunReport) -> str:
    """The report as GitHub-flavoured Markdown, ready to append to `$GITHUB_STEP_SUMMARY`."""
    c = totals(report)
    lines = [
        f"## {TOOL_NAME}: {headline(report)}",
        "",
        f"**{_text(verdict(report))}**",
        "",
        f"Target `{_code(report.target)}`, started {_text(report.started_at)}, "
        f"{report.duration_s:.2f}s, {plural(report.requests_sent, 'request', 'requests')}, "
        f"{'strict' if report.strict else 'default'} mode, inference: {_text(report.inference)}, "
        f"{TOOL_NAME} {_text(report.tool_version)}.",
        "",
        "| Passed | Failed | Warned | Skipped | Errors | Baselined | Total |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        f"| {c.passed} | {c.failed} | {c.warned} | {c.skipped} | {c.errors} | {c.baselined} "
        f"| {c.total} |",
        "",
    ]
    lines += _blocks("Failures", results_in(report, Outcome.FAIL), open_=True)
    lines += _blocks("Baselined failures", results_in(report, Outcome.FAIL, baselined=True))
    lines += _blocks("Warnings", results_in(report, Outcome.WARN))
    errors = results_in(report, Outcome.ERROR)
    if errors:
        lines += [f"### Errors ({len(errors)}): the harness broke, not the target", ""]
        lines += [f"- **{r.check.id}** `{r.check.name}`: {_text(r.reason)}" for r in errors]
        lines.append("")
    if report.stale_baseline:
        stale = ", ".join(f"`{_code(s)}`" for s in report.stale_baseline)
        lines += [f"Stale baseline entries (no longer failing; remove them): {stale}", ""]
    lines += latency_lines(report.latency_tables)
    lines += [
        f"### All checks ({len(report.results)})",
        "",
        "| Outcome | ID | Check | Severity | Spec | Time | Note |",
        "| --- | --- | --- | --- | --- | ---: | --- |",
    ]
    lines += [_row(r) for r in report.results]
    lines += ["", f"`{_code(totals_line(report))}`", ""]
    return "\n".join(lines)


def _badge(result: CheckResult) -> str:
    return "**FAIL** (baselined)" if result.baselined else f"**{result.outcome.upper()}**"


def _row(result: CheckResult) -> str:
    check = result.check
    note = result.detail.summary if result.detail is not None else result.reason
    if result.outcome is Outcome.SKIP:
        note = f"{skip_label(result)}: {note}"
    cells = [
        _badge(result),
        check.id,
        f"{_trusted_cell(check.title)}<br>`{_cell_code(check.name)}`",
        check.severity.value.upper(),
        _spec_link(check.spec_url, check.spec_anchor),
        f"{result.duration_s:.2f}s",
        _cell(note),
    ]
    return "| " + " | ".join(cells) + " |"


def _blocks(title: str, results: list[CheckResult], *, open_: bool = False) -> list[str]:
    if not results:
        return []
    lines = [f"### {title} ({len(results)})", ""]
    for result in results:
        text = result.detail.summary if result.detail else result.reason
        summary = html.escape(f"{result.check.id} {result.check.name}: {' '.join(text.split())}")
        block = failure_block(result)
        fence = "`" * max(3, 1 + max((len(m) for m in _BACKTICKS.findall(block)), default=0))
        lines += [
            f"<details{' open' if open_ else ''}><summary>{summary}</summary>",
            "",
            f"{fence}text",
            block,
            fence,
            "",
        ]
        if result.detail is not None and spec_href(result.detail.spec) is not None:
            lines += [f"Rule: {_spec_link(result.detail.spec, result.detail.spec)}", ""]
        lines += ["</details>", ""]
    return lines


def _spec_link(url: str, text: str) -> str:
    """`[text](url)` when `url` is a safe link (`docs/contract.md#auth-key-header`), else
    the text as a table cell.
    """
    href = spec_href(url)
    return f"[{_text(text)}]({href})" if href is not None else _cell(url)


def _text(value: str) -> str:
    """Inline text: HTML-escaped, Markdown emphasis and link syntax neutralised."""
    escaped = html.escape(value, quote=False)
    return re.sub(r"([\\`*_\[\]])", r"\\\1", escaped)


def _cell(value: str) -> str:
    """Text for a table cell: one line, `|` escaped."""
    return _text(value).replace("|", "\\|").replace("\r\n", "<br>").replace("\n", "<br>")


def _trusted_cell(value: str) -> str:
    """Our own Markdown (check titles keep their `code` spans) for a table cell."""
    return html.escape(value, quote=False).replace("|", "\\|").replace("\n", " ")


def _cell_code(value: str) -> str:
    """Code-span text inside a table cell, where GFM needs `|` escaped even in code."""
    return _code(value).replace("|", "\\|")


def _code(value: str) -> str:
    """Text inside a one-backtick code span: backticks cannot be escaped, so they become `'`."""
    return value.replace("`", "'").replace("\n", " ")
