"""The README's JSONL rule table is generated from the catalogue."""

from __future__ import annotations

from pathlib import Path

from conformance.jsonl.report import README_BEGIN, README_END, rules_markdown

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_rule_table_is_the_generated_one() -> None:
    """Every rule of RULES has its README row, in order (regenerate with rules_markdown())."""
    text = README.read_text(encoding="utf-8")
    table = text[text.index(README_BEGIN) + len(README_BEGIN) : text.index(README_END)]
    assert table.strip() == rules_markdown().strip()
