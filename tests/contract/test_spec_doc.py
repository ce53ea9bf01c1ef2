"""docs/contract.md states every checked rule under a stable anchor, and every link to it
resolves: the checks' `spec`, the section-number table, the README and the document's own
cross-references.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from conformance.catalogue_doc import sync_contract
from conformance.contract.spec import (
    SECTION_INDEX_ANCHOR,
    SPEC_DOCUMENT,
    SPEC_SECTIONS,
    spec_anchor,
    spec_link,
    spec_problem,
)
from conformance.jsonl.model import RULES
from conformance.registry import Severity, catalogue, check

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / SPEC_DOCUMENT).read_text(encoding="utf-8")
_ANCHOR = re.compile(r'<a id="([^"]+)"></a>')
_HEADING = re.compile(r"^#{1,6} (.+)$", re.MULTILINE)
_CHECKED_BY = re.compile(r"^\*\*Checked by:\*\*(.*(?:\n(?!\n).*)*)", re.MULTILINE)
"""A `Checked by:` paragraph, up to the next blank line."""
_CHECK_LEVEL = re.compile(r"`([A-Z]+-\d+)` \((must|should|info)\)")


def _anchors() -> list[str]:
    return _ANCHOR.findall(DOC)


def _github_slug(heading: str) -> str:
    """The id GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _sections() -> dict[str, str]:
    """The text under each explicit anchor, up to the next one."""
    parts = _ANCHOR.split(DOC)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _heading_slugs() -> dict[str, str | None]:
    """The GitHub id of every heading -> the explicit anchor placed right above it, if any."""
    found: dict[str, str | None] = {}
    previous = ""
    for line in DOC.splitlines():
        if not line.strip():
            continue
        heading = _HEADING.fullmatch(line)
        if heading is not None:
            own = _ANCHOR.fullmatch(previous.strip())
            found[_github_slug(heading.group(1))] = own.group(1) if own else None
        previous = line
    return found


def test_every_anchor_is_unique() -> None:
    """No explicit anchor appears twice, and no heading's GitHub id is an anchor elsewhere
    (it may equal the anchor pinned right above it: both lead to the same place).
    """
    anchors = _anchors()
    assert [a for a, n in Counter(anchors).items() if n > 1] == []
    clashes = {s: own for s, own in _heading_slugs().items() if s in anchors and s != own}
    assert clashes == {}


def test_every_check_links_to_an_anchor_of_the_document() -> None:
    """Each check's `spec` names an anchor that docs/contract.md defines."""
    missing = {c.id: c.spec_anchor for c in catalogue() if c.spec_anchor not in _anchors()}
    assert missing == {}


def test_each_section_names_exactly_the_checks_that_link_to_it() -> None:
    """A section's `Checked by:` line lists every check whose spec is its anchor, each with
    its level, and no other.
    """
    expected: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for c in catalogue():
        expected[c.spec_anchor].add((c.id, c.severity.value))
    stated = {
        anchor: {pair for line in _CHECKED_BY.findall(text) for pair in _CHECK_LEVEL.findall(line)}
        for anchor, text in _sections().items()
    }
    assert {a: s for a, s in stated.items() if s} == dict(expected)


def test_every_internal_link_resolves() -> None:
    """Every `(#anchor)` link inside the document leads to an anchor or a heading."""
    targets = set(_anchors()) | set(_heading_slugs())
    assert set(re.findall(r"\]\(#([^)]+)\)", DOC)) - targets == set()


def test_every_section_number_maps_to_an_anchor() -> None:
    """SPEC_SECTIONS, the one map from `§` numbers to anchors, points only at real ones."""
    assert {n: a for n, (_, a) in SPEC_SECTIONS.items() if a not in _anchors()} == {}
    assert SECTION_INDEX_ANCHOR in _anchors()


def test_generated_blocks_are_current() -> None:
    """The check index and the section numbers are the generated ones (regenerate with
    `python -m conformance.catalogue_doc`).
    """
    assert sync_contract(DOC, catalogue()) == DOC


def test_every_sft_jsonl_rule_is_stated() -> None:
    """Every rule ID `validate-jsonl` reports appears in the document."""
    assert [r for r in RULES if f"`{r}`" not in DOC] == []


def test_every_defect_cited_by_a_check_has_a_row() -> None:
    """`(D23)` in a check's fix text resolves to the defects table (anchors `d1`..`d36`)."""
    sources = "".join(p.read_text() for p in (ROOT / "conformance" / "checks").glob("*.py"))
    cited = {f"d{n}" for n in re.findall(r"\bD(\d+)\b", sources)}
    assert cited - set(_anchors()) == set()
    assert {f"d{n}" for n in range(1, 37)} <= set(_anchors())


def test_readme_points_inside_the_repository() -> None:
    """The README names no file outside the repository, and its contract links resolve."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert re.findall(r"\.\./shared|shared/spec|task-app-contract", readme) == []
    linked = set(re.findall(rf"{re.escape(SPEC_DOCUMENT)}#([\w-]+)", readme))
    assert linked, "the README links into docs/contract.md"
    assert linked - set(_anchors()) == set()


@pytest.mark.parametrize(
    ("spec", "anchor", "link"),
    [
        ("auth-key-header", "auth-key-header", "docs/contract.md#auth-key-header"),
        ("#cors", "cors", "docs/contract.md#cors"),
        ("§2.1", "auth-configured-keys", "docs/contract.md#auth-configured-keys"),
        ("§4.6.1", "cid", "docs/contract.md#cid"),
        ("Appendix A", "at-a-glance", "docs/contract.md#at-a-glance"),
        ("§99", "section-numbers", "docs/contract.md#section-numbers"),
        ("docs/mine.md#rule-7", "rule-7", "docs/mine.md#rule-7"),
        ("https://example.org/rules#r1", "r1", "https://example.org/rules#r1"),
    ],
    ids=["anchor", "hash-anchor", "section", "subsection", "appendix", "unknown", "path", "url"],
)
def test_spec_becomes_a_link(spec: str, anchor: str, link: str) -> None:
    """An anchor, a `§` number or a link of its own each become the link users follow."""
    assert (spec_anchor(spec), spec_link(spec)) == (anchor, link)


@pytest.mark.parametrize(
    "spec", ["§99", "Auth Key Header", "javascript:alert(1)", ""], ids=lambda s: s or "empty"
)
def test_check_refuses_a_spec_that_names_no_rule(spec: str) -> None:
    """`@check` refuses an unknown `§` number, or text that is no anchor and no link."""

    def probe(ctx: object) -> None:
        """Never registered."""

    assert spec_problem(spec) is not None
    with pytest.raises(ValueError, match=r"^check X-1: "):
        check("X-1", severity=Severity.INFO, spec=spec)(probe)
