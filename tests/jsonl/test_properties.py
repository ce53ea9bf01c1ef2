"""Property tests: drawn valid records pass; each single-field mutation fails where expected."""

from __future__ import annotations

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.jsonl import validate_lines, validate_record
from conformance.jsonl.rules_compat import first_compat_finding, iter_compat_findings
from conformance.jsonl.rules_strict import iter_strict_findings, strict_clean
from conformance.jsonl.strategies import Mutation, sft_mutations, sft_records

_SETTINGS = settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(sft_records())
def test_valid_records_pass_both_levels(record: dict[str, object]) -> None:
    """Every record drawn from sft_records() passes compat and strict."""
    assert validate_record(record, level="compat") == []
    assert validate_record(record, level="strict") == []


@_SETTINGS
@given(
    records=st.lists(sft_records(), min_size=1, max_size=6),
    mutation=sft_mutations(),
    data=st.data(),
)
def test_mutation_fails_at_expected_line(
    records: list[dict[str, object]], mutation: Mutation, data: st.DataObject
) -> None:
    """A mutated record among valid ones fails with the expected rule, path and line."""
    position = data.draw(st.integers(0, len(records)))
    lines = [orjson.dumps({**record, "n": n}) for n, record in enumerate(records)]
    lines.insert(position, mutation.line())
    line = position + 1

    strict = validate_lines(lines, max_errors=None)
    assert {error.line for error in strict.errors} == {line}
    assert any(
        (error.rule, error.json_path) == (mutation.rule, mutation.json_path)
        for error in strict.errors
    )

    compat = validate_lines(lines, level="compat", max_errors=None)
    if mutation.compat_message is None:
        assert compat.ok
    else:
        assert [error.synth_text for error in compat.errors] == [
            f"Line {line}: {mutation.compat_message}"
        ]


@_SETTINGS
@given(st.one_of(sft_records(), sft_mutations().map(lambda mutation: mutation.record)))
def test_fast_paths_agree_with_full_walks(record: object) -> None:
    """The allocation-free fast paths never hide a finding of the full rule walks."""
    full_compat = list(iter_compat_findings(record, 2))
    assert first_compat_finding(record, 2) == (full_compat[0] if full_compat else None)
    if strict_clean(record, 2):
        assert full_compat == []
        assert list(iter_strict_findings(record)) == []
