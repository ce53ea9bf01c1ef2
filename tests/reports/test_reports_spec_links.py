"""Every report links each check to its rule in docs/contract.md: plain text where the
format has no links (console, JUnit, JSON), a real link in Markdown and HTML.
"""

from __future__ import annotations

import html
import json

import pytest

from conformance.catalogue_doc import catalogue_json, catalogue_markdown, catalogue_table
from conformance.outcomes import FailureDetail, Outcome
from conformance.registry import catalogue
from conformance.reports import render_html, render_json, render_junit, render_markdown
from conformance.reports._common import failure_block
from conformance.runner import CheckResult, RunReport
from tests.reports.reports_factory import make_report, make_spec

LINK = "docs/contract.md#auth-rejects"


def test_failure_block_spec_line_is_the_link(report: RunReport) -> None:
    """The console's and JUnit's failure block ends with `Spec:` and the rule's link."""
    assert failure_block(report.results[1]).splitlines()[-1] == f"  Spec:     {LINK}"
    assert f"Spec:     {LINK}" in render_junit(report)


def test_json_spec_fields_are_the_link(report: RunReport) -> None:
    """The JSON report's `spec` and `detail.spec` are the rule's link."""
    auth = json.loads(render_json(report))["checks"][1]
    assert (auth["spec"], auth["detail"]["spec"]) == (LINK, LINK)


def test_markdown_links_the_rule(report: RunReport) -> None:
    """Markdown links the rule in the table of checks and under each failure block."""
    md = render_markdown(report)
    assert f"| [auth-rejects]({LINK}) |" in md
    assert f"Rule: [{LINK}]({LINK})" in md


def test_html_links_the_rule(report: RunReport) -> None:
    """HTML makes the rule an anchor element in the facts line and the block's Spec row."""
    page = render_html(report)
    assert page.count(f'<a href="{LINK}">{LINK}</a>') == 2


@pytest.mark.parametrize(
    "spec",
    ["javascript:alert(1)", 'docs/x.md#a" onmouseover="alert(1)', "https://e.x/(a)#b"],
    ids=["javascript", "attribute-break", "parentheses"],
)
def test_a_spec_that_is_no_safe_link_stays_text(spec: str) -> None:
    """A `Spec:` value that is not a plain link is escaped text, never an href."""
    detail = FailureDetail("s", "a", "b", "c", "d", spec)
    result = CheckResult(make_spec("EP-9", "n", "t"), Outcome.FAIL, 0.0, detail=detail)
    report = make_report(results=[result])
    page, md = render_html(report), render_markdown(report)
    assert page.count("<a href=") == 1  # the check's own rule, docs/contract.md#root
    assert html.escape(spec) in page
    assert f"]({spec})" not in md
    assert "Rule: " not in md


def test_list_checks_links_every_check() -> None:
    """The table, JSON and Markdown catalogues give each check its rule's link."""
    checks = catalogue()
    table, doc = catalogue_table(checks), json.loads(catalogue_json(checks))
    md = catalogue_markdown(checks)
    for check, line, entry in zip(checks, table.splitlines(), doc, strict=True):
        assert check.spec_url == f"docs/contract.md#{check.spec_anchor}"
        assert check.spec_url in line.split()
        assert entry["spec"] == check.spec_url
        assert f"| [{check.spec_anchor}]({check.spec_url}) |" in md
