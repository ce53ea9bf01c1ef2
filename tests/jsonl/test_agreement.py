"""compat == synth-ai: the stdlib baseline, the hand-made corpus, and synth-ai itself if present."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from conformance.jsonl import validate_file, validate_record
from conformance.jsonl.strategies import Mutation, sft_mutations, sft_records
from tests.jsonl.baseline import collect_sft_jsonl_errors, record_error

CORPUS = Path(__file__).parent / "corpus"


def _expected() -> list[str]:
    text = (CORPUS / "rejected.expected.txt").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def _ours(path: Path, min_messages: int = 2) -> list[str]:
    report = validate_file(path, level="compat", min_messages=min_messages, max_errors=None)
    return [error.synth_text for error in report.errors]


def test_corpus_rejected_matches_expected() -> None:
    """Every hand-made rejected record gets the expected synth-ai message at its line."""
    assert _ours(CORPUS / "rejected.jsonl") == _expected()


def test_baseline_matches_expected() -> None:
    """The stdlib baseline reproduces the same messages (it is the benchmark's reference)."""
    assert collect_sft_jsonl_errors(CORPUS / "rejected.jsonl", min_messages=2) == _expected()


@pytest.mark.parametrize("level", ["compat", "strict"])
def test_corpus_accepted_passes_compat(level: str) -> None:
    """Every hand-made accepted record passes compat and the baseline."""
    path = CORPUS / "accepted.jsonl"
    assert _ours(path) == []
    assert collect_sft_jsonl_errors(path, min_messages=2) == []
    if level == "strict":
        assert not validate_file(path).ok  # strict rejects several of synth-ai's oddities


@pytest.mark.parametrize("min_messages", [1, 2, 3])
def test_corpus_agrees_for_every_min_messages(min_messages: int) -> None:
    """Agreement holds for other min_messages values too."""
    for name in ("accepted.jsonl", "rejected.jsonl"):
        path = CORPUS / name
        assert _ours(path, min_messages) == collect_sft_jsonl_errors(
            path, min_messages=min_messages
        )


@settings(deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(record=sft_records() | sft_mutations(level="compat").map(lambda m: m.record))
def test_compat_verdict_equals_baseline_on_drawn_records(record: object) -> None:
    """On drawn valid and mutated records, compat's message equals the baseline's."""
    ours = validate_record(record, level="compat")
    assert (ours[0].message if ours else None) == record_error(record)


@settings(deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(sft_mutations(level="compat"))
def test_strict_is_a_superset_of_compat(mutation: Mutation) -> None:
    """Whatever compat rejects, strict rejects too (strict ⊇ compat)."""
    assert validate_record(mutation.record, level="compat")
    assert validate_record(mutation.record, level="strict")


def test_corpus_rejected_fails_strict_on_every_line() -> None:
    """Every line of the rejected corpus is also an error at strict."""
    report = validate_file(CORPUS / "rejected.jsonl", max_errors=None)
    assert {error.line for error in report.errors} == set(range(1, len(_expected()) + 1))


SYNTH_PYTHON = os.environ.get("TASKAPP_SYNTH_PYTHON")


@pytest.mark.skipif(
    not SYNTH_PYTHON, reason="set TASKAPP_SYNTH_PYTHON to a synth-ai==0.2.19 python"
)
@pytest.mark.parametrize("name", ["accepted.jsonl", "rejected.jsonl"])
def test_corpus_agrees_with_real_synth_ai(name: str) -> None:
    """With synth-ai installed, its collect_sft_jsonl_errors gives our compat messages."""
    code = (
        "import json, sys; from pathlib import Path; "
        "from synth_ai.learning.sft.data import collect_sft_jsonl_errors as c; "
        "print(json.dumps(c(Path(sys.argv[1]), min_messages=2)))"
    )
    path = CORPUS / name
    out = subprocess.run(
        [str(SYNTH_PYTHON), "-c", code, str(path)], capture_output=True, check=True, text=True
    )
    assert json.loads(out.stdout) == _ours(path)


@pytest.mark.skipif(
    bool(os.environ.get("TASKAPP_REQUIRE_SYNTH_AI")),
    reason="tox -e interop imports synth-ai on purpose",
)
def test_python_is_not_synth_venv() -> None:
    """The suite itself never needs synth-ai (it runs on the project's own venv)."""
    assert "synth_ai" not in sys.modules
