"""Reports of a conformance run: console, JSON, JUnit XML, Markdown and HTML.

Renderers trust the report: a `RunReport` is redacted where the runner builds it, so they
print its strings as they are. `write_reports` writes the file formats atomically.
"""

from __future__ import annotations

from conformance.reports._common import Totals, failure_block, totals, totals_line, verdict
from conformance.reports._write import ReportWriteError, atomic_write_text, write_reports
from conformance.reports.console import ConsoleReporter
from conformance.reports.html import render_html
from conformance.reports.json_report import SCHEMA_VERSION, json_schema, render_json, to_json
from conformance.reports.junit import render_junit
from conformance.reports.markdown import render_markdown

__all__ = [
    "SCHEMA_VERSION",
    "ConsoleReporter",
    "ReportWriteError",
    "Totals",
    "atomic_write_text",
    "failure_block",
    "json_schema",
    "render_html",
    "render_json",
    "render_junit",
    "render_markdown",
    "to_json",
    "totals",
    "totals_line",
    "verdict",
    "write_reports",
]
