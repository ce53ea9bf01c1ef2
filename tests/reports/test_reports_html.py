"""The HTML report: one self-contained, well-formed page that escapes everything."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from conformance.contract.spec import is_link
from conformance.outcomes import FailureDetail, Outcome
from conformance.reports import render_html
from conformance.runner import CheckResult, RunReport
from tests.reports.reports_factory import make_report, make_spec

_VOID = {"meta", "input", "br", "hr", "img", "link"}


class _Tree(HTMLParser):
    """Collects tags, checks nesting, and records attributes that could load anything."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.ids: list[str] = []
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for name, value in attrs:
            if tag == "a" and name == "href" and value and is_link(value):
                continue  # a link to the rule (docs/contract.md#...) navigates, loads nothing
            if name in ("src", "href", "action", "srcset") or name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "id" and value:
                self.ids.append(value)
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unbalanced </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Tree:
    tree = _Tree()
    tree.feed(page)
    tree.close()
    return tree


def test_page_is_well_formed_and_self_contained(report: RunReport) -> None:
    """Tags balance, no attribute loads anything, and no script or external asset is used."""
    page = render_html(report)
    tree = _parse(page)
    assert tree.problems == []
    assert tree.stack == []
    assert "script" not in tree.tags
    assert "link" not in tree.tags
    assert not re.search(r"url\(|@import|https?://[^\s<\"']*\.(css|js|woff2?|png|svg)", page)


def test_page_lists_every_check_with_an_anchor(report: RunReport) -> None:
    """Every check ID is a row with its own anchor, and the cards count every outcome."""
    page = render_html(report)
    tree = _parse(page)
    for result in report.results:
        assert result.check.id in tree.ids
    for card in ("All checks", "Failed", "Errors", "Warnings", "Skipped", "Baselined", "Passed"):
        assert f'<span class="lbl">{card}</span>' in page


def test_failure_row_is_open_and_shows_the_block(report: RunReport) -> None:
    """The failing check's row is expanded and holds the five labelled fields."""
    page = render_html(report)
    row = page[page.index('id="AUTH-1"') - 40 :].split("</details>", 1)[0]
    assert 'class="check o-fail" id="AUTH-1" open>' in row
    for label in ("Sent", "Expected", "Got", "Fix", "Spec"):
        assert f"<dt>{label}</dt>" in row
    assert "Validate the key before the handler runs" in row
    assert 'class="check o-baselined" id="TI-2">' in page


def test_filters_work_without_javascript(report: RunReport) -> None:
    """Each outcome card is a label for a radio input that CSS uses to hide other rows."""
    page = render_html(report)
    for key in ("fail", "error", "warn", "skip", "baselined", "pass"):
        assert f'id="f-{key}"' in page
        assert f'<label for="f-{key}"' in page
        assert f"#f-{key}:checked~.checks .check:not(.o-{key}){{display:none}}" in page


def test_target_text_is_escaped() -> None:
    """HTML in a response body is shown as text, never as markup."""
    detail = FailureDetail("<img src=x onerror=alert(1)>", "s", "e", "</pre><script>", "f", "p")
    result = CheckResult(make_spec("EP-9", "n", "t"), Outcome.FAIL, 0.0, detail=detail)
    page = render_html(make_report([result]))
    tree = _parse(page)
    assert tree.problems == []
    assert "img" not in tree.tags
    assert "script" not in tree.tags
    assert "<img src=x onerror=alert(1)>" in "".join(tree.text)


def test_empty_filter_explains_itself() -> None:
    """A filter with no rows shows a sentence instead of an empty panel."""
    page = render_html(make_report([]))
    assert '<p class="empty e-fail">No check failed.</p>' in page
