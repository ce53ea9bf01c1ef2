"""Streaming validator for SFT JSONL files (spec §6).

Two levels: ``compat`` reproduces synth-ai 0.2.19's acceptance rules exactly (the verdict
the training backend's client-side check gives, with its messages); ``strict`` (default)
adds what a careful author wants (roles, tool-call pairing, final assistant turn, JSON
arguments, content parts, flat tools, duplicates, size limits). Every line is checked,
in time linear in the input and memory bounded by the longest line (``max_line_bytes``,
64 MiB by default; a longer line is an ``SFT-LINE`` error)::

    from conformance.jsonl import validate_file

    report = validate_file("train.jsonl", level="strict", jobs="auto")
    for error in report.errors:
        print(error)  # train.jsonl:52: messages[3].role: message 3 has invalid role [SFT-5]
"""

from __future__ import annotations

from conformance.jsonl.api import (
    validate_file,
    validate_lines,
    validate_record,
    validate_stream,
)
from conformance.jsonl.model import (
    LEVELS,
    RULES,
    JsonlError,
    JsonlReport,
    Level,
    Rule,
    combine_reports,
)
from conformance.jsonl.rules_strict import ROLES, estimate_tokens

__all__ = [
    "LEVELS",
    "ROLES",
    "RULES",
    "JsonlError",
    "JsonlReport",
    "Level",
    "Rule",
    "combine_reports",
    "estimate_tokens",
    "validate_file",
    "validate_lines",
    "validate_record",
    "validate_stream",
]
