"""The public surface of conformance.jsonl."""

from __future__ import annotations

import conformance.jsonl as jsonl
from conformance.jsonl import RULES, JsonlReport, combine_reports, validate_lines


def test_all_is_sorted_and_importable() -> None:
    """`__all__` is sorted (constants, classes, functions, as ruff's RUF022) and importable."""

    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert list(jsonl.__all__) == sorted(jsonl.__all__, key=kind)
    for name in jsonl.__all__:
        assert hasattr(jsonl, name)


def test_rule_ids_are_unique_and_levelled() -> None:
    """Rule IDs are stable keys; strict-only rules carry an S."""
    assert all(rule.id == key for key, rule in RULES.items())
    assert all((rule.level == "strict") == rule.id.startswith("SFT-S") for rule in RULES.values())


def test_report_to_dict_and_combine() -> None:
    """Reports serialise to JSON-ready dicts and combine across files."""
    good = validate_lines(
        [b'{"messages":[{"role":"user","content":"a"},{"role":"assistant","content":"b"}]}'],
        source="a.jsonl",
    )
    bad = validate_lines([b"[]"], source="b.jsonl")
    total = combine_reports([good, bad])
    assert isinstance(total, JsonlReport)
    assert total.files == ("a.jsonl", "b.jsonl")
    assert total.error_count == 1
    assert bad.to_dict()["errors"][0] == {
        "path": "b.jsonl",
        "line": 1,
        "json_path": "$",
        "rule": "SFT-1",
        "message": "record is not an object",
        "expected": RULES["SFT-1"].expected,
        "fix": RULES["SFT-1"].fix,
    }
    assert bad.errors[0].synth_text == "Line 1: record is not an object"
