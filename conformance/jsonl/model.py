"""Data model of the SFT JSONL validator: levels, the rule catalogue, errors and reports.

The catalogue is data: every error carries a stable rule ID (``SFT-5``, ``SFT-S3``) whose
numbering follows the rows of spec §6.1 for the ``compat`` rules; the CLI help, the tests
and the README table are derived from :data:`RULES`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Level = Literal["compat", "strict"]
"""``compat`` = synth-ai's acceptance rules exactly; ``strict`` (default) adds authoring rules."""

LEVELS: tuple[Level, ...] = ("compat", "strict")


@dataclass(frozen=True, slots=True)
class Rule:
    """One requirement of an SFT JSONL line, with a stable ID and its default advice."""

    id: str
    level: Level
    spec: str
    summary: str
    expected: str
    fix: str


def _r(rule_id: str, level: Level, spec: str, summary: str, expected: str, fix: str) -> Rule:
    return Rule(rule_id, level, spec, summary, expected, fix)


_RULE_LIST: tuple[Rule, ...] = (
    # File and line level (both levels).
    _r(
        "SFT-UTF8",
        "compat",
        "§6.2",
        "the file is UTF-8",
        "UTF-8 text (synth-ai reads the file as UTF-8 and crashes on anything else)",
        "Re-encode the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`).",
    ),
    _r(
        "SFT-BOM",
        "compat",
        "§6.1",
        "no UTF-8 byte order mark",
        "a line starting with `{`, without a UTF-8 byte order mark",
        "Save the file as UTF-8 without BOM (drop the leading bytes EF BB BF).",
    ),
    _r(
        "SFT-JSON",
        "compat",
        "§6.1",
        "each non-blank line is one JSON value (integers of at most 4,300 digits)",
        "exactly one JSON object on the line",
        "Write one `json.dumps(record)` per line; never pretty-print or wrap records.",
    ),
    _r(
        "SFT-TRUNC",
        "compat",
        "§6.2",
        "the last line is complete",
        "a complete JSON object terminated by a newline",
        "The file ends in the middle of a record: re-export it or drop the partial last line.",
    ),
    _r(
        "SFT-LINE",
        "compat",
        "§6.2",
        "each line is at most --max-line-bytes long (a limit of this validator)",
        "a line of at most --max-line-bytes bytes (64 MiB by default)",
        "Split the record or drop it; if it is meant to be this large, raise --max-line-bytes.",
    ),
    _r(
        "SFT-EMPTY",
        "compat",
        "§6.2",
        "the file holds at least one record",
        "at least one non-blank line",
        "Write at least one SFT record; an empty file is rejected on upload.",
    ),
    # spec §6.1 rows, in synth-ai's evaluation order.
    _r(
        "SFT-1",
        "compat",
        "§6.1",
        "the record is a JSON object",
        'a JSON object like {"messages": [...]}',
        "Emit one object per line, not an array or a scalar.",
    ),
    _r(
        "SFT-2",
        "compat",
        "§6.1",
        "`messages` is a list",
        "`messages`: a list of message objects",
        'Put the conversation under "messages" as a list.',
    ),
    _r(
        "SFT-3",
        "compat",
        "§6.1",
        "`messages` has at least `min_messages` entries",
        "at least min_messages messages (2 on the upload path)",
        "Include the prompt and the assistant reply; drop records with a single turn.",
    ),
    _r(
        "SFT-4",
        "compat",
        "§6.1",
        "each message is an object",
        'a message object {"role": ..., "content": ...}',
        "Make every entry of messages an object with role and content.",
    ),
    _r(
        "SFT-5",
        "compat",
        "§6.1",
        "`role` is a non-blank string",
        "a non-blank string role",
        'Set "role" to "system", "user", "assistant" or "tool".',
    ),
    _r(
        "SFT-6",
        "compat",
        "§6.1",
        "`content` is null, a string, a list or an object",
        "content: null, a string, a list of parts or an object",
        "Serialise numbers and booleans as text, e.g. str(value).",
    ),
    _r(
        "SFT-7",
        "compat",
        "§6.1",
        "`tool_calls` is a list",
        "tool_calls: a list of tool call objects (or null)",
        "Wrap tool calls in a list, even a single one.",
    ),
    _r(
        "SFT-7a",
        "compat",
        "§6.1",
        "each tool call is an object",
        'a tool call object {"id", "type": "function", "function": {"name", "arguments"}}',
        "Make every entry of tool_calls an object.",
    ),
    _r(
        "SFT-7b",
        "compat",
        "§6.1",
        "each tool call names its function",
        "a non-blank string at function.name (or a top-level name)",
        'Set "function": {"name": "<tool name>", "arguments": "{...}"} on the tool call.',
    ),
    _r(
        "SFT-9",
        "compat",
        "§6.1",
        "message `name` is a string",
        "name: a string or null",
        "Drop the name field or make it a string.",
    ),
    _r(
        "SFT-10",
        "compat",
        "§6.1",
        "`reasoning` is a string",
        "reasoning: a string or null",
        "Join reasoning parts into one string, or drop the field.",
    ),
    _r(
        "SFT-11",
        "compat",
        "§6.1",
        "`raw_content` is a string",
        "raw_content: a string or null",
        "Store the unparsed model output as a single string, or drop the field.",
    ),
    _r(
        "SFT-12",
        "compat",
        "§6.1",
        "`tools` is a list",
        "tools: a list of flat tool definitions (or null)",
        "Wrap the tool definitions in a list.",
    ),
    _r(
        "SFT-12a",
        "compat",
        "§6.1",
        "each tool is an object",
        'a tool object {"name", "description", "parameters"}',
        "Make every entry of tools an object.",
    ),
    _r(
        "SFT-12b",
        "compat",
        "§6.1",
        "each tool has a top-level name",
        "a non-blank string at tools[k].name",
        'Give the tool a top-level "name".',
    ),
    _r(
        "SFT-12c",
        "compat",
        "§6.1",
        "tool `description` is a string",
        "description: a string or null",
        "Make the tool description a string, or drop it.",
    ),
    _r(
        "SFT-12d",
        "compat",
        "§6.1",
        "tool `parameters` is an object",
        "parameters: a JSON Schema object or null",
        'Put the JSON Schema object under "parameters".',
    ),
    _r(
        "SFT-14",
        "compat",
        "§6.1",
        "`metadata` is an object",
        "metadata: an object or null",
        'Put metadata in an object, e.g. {"source": ...}.',
    ),
    # strict-only authoring rules.
    _r(
        "SFT-S1",
        "strict",
        "§6.1",
        "role is one of system, user, assistant, tool",
        "role in {system, user, assistant, tool}",
        "Use one of the four chat roles exactly (lower case, no spaces).",
    ),
    _r(
        "SFT-S2",
        "strict",
        "§6.1",
        "every tool call has an id",
        "a non-blank string id on each tool call",
        'Give each tool call an "id" (e.g. "call_1") and answer it with a tool message.',
    ),
    _r(
        "SFT-S3",
        "strict",
        "§6.1",
        "every tool call is answered by a later tool message",
        "a later message with role tool and this tool_call_id",
        "Add the tool result as a later tool message, or drop the unanswered call.",
    ),
    _r(
        "SFT-S4",
        "strict",
        "§6.1",
        "every tool result answers an earlier tool call",
        "tool_call_id equal to the id of an earlier, unanswered assistant tool call",
        "Set tool_call_id to the id of the assistant tool call this result answers.",
    ),
    _r(
        "SFT-S5",
        "strict",
        "§6.1",
        "the last message is the assistant's, with content or tool calls",
        "a final assistant message with non-empty content or tool calls",
        "End each record with the assistant turn the model should learn.",
    ),
    _r(
        "SFT-S6",
        "strict",
        "§6.1",
        "string tool-call arguments are JSON",
        "arguments: a JSON-encoded string (or an object)",
        "Encode arguments with json.dumps(arguments_dict).",
    ),
    _r(
        "SFT-S7",
        "strict",
        "§6.1",
        "multimodal content parts are well formed",
        'parts {"type": "text", "text": str} or {"type": "image_url", "image_url": {"url": ...}}',
        "Use OpenAI content parts with an http(s):// or data:image/ URL.",
    ),
    _r(
        "SFT-S8",
        "strict",
        "§6.1",
        "tools are flat, not OpenAI-nested",
        "a flat tool {name, description, parameters}",
        "Flatten the tool: move function.name/description/parameters to the top level "
        'and drop "type"/"function"; synth-ai rejects the nested form.',
    ),
    _r(
        "SFT-S9",
        "strict",
        "§6.1",
        "no duplicate records",
        "each record once",
        "Deduplicate the file (identical lines only train the same example twice).",
    ),
    _r(
        "SFT-S10",
        "strict",
        "§6.1",
        "record text within the character limit",
        "at most --max-chars characters of message text",
        "Shorten or split the conversation, or raise --max-chars.",
    ),
    _r(
        "SFT-S11",
        "strict",
        "§6.1",
        "record within the token limit",
        "at most --max-tokens tokens of message text",
        "Shorten or split the conversation, or raise --max-tokens.",
    ),
    _r(
        "SFT-S12",
        "strict",
        "§6.2",
        "no bare carriage return inside a line",
        "lines ending in LF or CRLF only",
        "Replace bare CR characters: synth-ai reads with universal newlines and splits there.",
    ),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in _RULE_LIST}
"""The rule catalogue, keyed by stable ID, in evaluation order."""


@dataclass(frozen=True, slots=True)
class JsonlError:
    """One violation: where it is (file, physical 1-based line, JSON path) and what to do.

    ``message`` is synth-ai's exact text for ``compat`` rules (with synth-ai's own indexes,
    e.g. ``message 2 has invalid role``), so ``synth_text`` equals what
    ``collect_sft_jsonl_errors`` prints. ``line`` is ``None`` for file-level errors and
    for :func:`validate_record`.
    """

    path: str
    line: int | None
    json_path: str
    message: str
    expected: str
    fix: str
    rule: str

    @property
    def synth_text(self) -> str:
        """The error as synth-ai's ``collect_sft_jsonl_errors`` words it."""
        return self.message if self.line is None else f"Line {self.line}: {self.message}"

    @property
    def location(self) -> str:
        """``path:line`` (or just ``path``), then ``json_path`` when there is one."""
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.json_path}" if self.json_path else where

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (used by ``--format json``)."""
        return {
            "path": self.path,
            "line": self.line,
            "json_path": self.json_path,
            "rule": self.rule,
            "message": self.message,
            "expected": self.expected,
            "fix": self.fix,
        }

    def __str__(self) -> str:
        return f"{self.location}: {self.message} [{self.rule}]"


@dataclass(frozen=True, slots=True)
class JsonlReport:
    """The outcome of validating one or more JSONL sources.

    ``error_count`` is the total number of errors found; ``errors`` holds at most
    ``max_errors`` of them per file, in line order. ``duplicates`` counts records that
    repeat an earlier record byte for byte (``strict`` only; 0 in ``compat``).
    """

    files: tuple[str, ...]
    level: Level
    records_checked: int
    lines: int
    bytes: int
    error_count: int
    errors: tuple[JsonlError, ...]
    duplicates: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """True when no error was found."""
        return self.error_count == 0

    @property
    def truncated(self) -> bool:
        """True when more errors were found than are listed."""
        return self.error_count > len(self.errors)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (used by ``--format json``)."""
        return {
            "files": list(self.files),
            "level": self.level,
            "valid": self.ok,
            "records_checked": self.records_checked,
            "lines": self.lines,
            "bytes": self.bytes,
            "error_count": self.error_count,
            "errors_shown": len(self.errors),
            "duplicates": self.duplicates,
            "notes": list(self.notes),
            "errors": [error.to_dict() for error in self.errors],
        }


def combine_reports(reports: list[JsonlReport]) -> JsonlReport:
    """Merge per-file reports into one (files, counts and errors concatenated in order)."""
    if not reports:
        raise ValueError("combine_reports needs at least one report")
    return JsonlReport(
        files=tuple(name for report in reports for name in report.files),
        level=reports[0].level,
        records_checked=sum(report.records_checked for report in reports),
        lines=sum(report.lines for report in reports),
        bytes=sum(report.bytes for report in reports),
        error_count=sum(report.error_count for report in reports),
        errors=tuple(error for report in reports for error in report.errors),
        duplicates=sum(report.duplicates for report in reports),
        notes=tuple(note for report in reports for note in report.notes),
    )
