"""Markdown step summaries: verdict header, totals, every check, failures in <details>."""

from __future__ import annotations

from conformance.outcomes import FailureDetail, Outcome
from conformance.reports import render_markdown
from conformance.runner import CheckResult, RunReport
from tests.reports.reports_factory import make_report, make_spec


def test_header_totals_and_every_check(report: RunReport) -> None:
    """The summary leads with the verdict, then totals, and lists every check ID."""
    md = render_markdown(report)
    lines = md.splitlines()
    assert lines[0] == "## taskapp-conformance: FAIL"
    assert lines[2].startswith("**Verdict: the target does NOT conform")
    assert "| 1 | 1 | 1 | 1 | 1 | 1 | 6 |" in md
    for result in report.results:
        assert f"| {result.check.id} |" in md


def test_outcome_badges_are_text(report: RunReport) -> None:
    """Badges are bold words, no emoji."""
    md = render_markdown(report)
    for badge in ("**PASS**", "**FAIL**", "**WARN**", "**SKIP**", "**ERROR**", "(baselined)"):
        assert badge in md
    assert all(ord(ch) < 0x2000 for ch in md)


def test_failures_sit_in_details_with_fenced_block(report: RunReport) -> None:
    """The failure is a <details> block, open by default, with the block in a text fence."""
    md = render_markdown(report)
    assert (
        "<details open><summary>AUTH-1 rejects_missing_api_key: "
        "a protected route answered without a key</summary>\n\n```text\nAUTH-1 " in md
    )
    assert "<details><summary>TI-2 task_info_is_deterministic" in md
    assert "<details><summary>SEC-2 hides_stack_traces" in md


def test_target_text_cannot_break_the_layout() -> None:
    """Pipes, newlines, HTML and backtick runs from a response stay inside their cell or fence."""
    detail = FailureDetail(
        "a | b\n<script>x</script>", "s", "e", "body='```\n## not a heading'", "f", "p"
    )
    result = CheckResult(make_spec("EP-9", "n", "t"), Outcome.FAIL, 0.0, detail=detail)
    md = render_markdown(make_report([result]))
    row = next(line for line in md.splitlines() if "| EP-9 |" in line)
    assert row.endswith("| a \\| b<br>&lt;script&gt;x&lt;/script&gt; |")
    before, fenced = md.split("\n````text\n", 1)
    fenced, after = fenced.split("\n````\n", 1)
    assert "<script>" not in before + after
    assert "<summary>EP-9 n: a | b &lt;script&gt;x&lt;/script&gt;</summary>" in before
    assert "\n            ## not a heading'" in fenced
