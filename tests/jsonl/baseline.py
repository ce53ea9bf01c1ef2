"""A plain-stdlib reimplementation of synth-ai 0.2.19's SFT validators (spec §6.1, §6.2).

A test oracle, not part of the package: the reference the ``compat`` level is tested
against (``tests/jsonl/test_agreement.py``, ``test_files.py``) and the ``baseline`` row of
``bench/bench_jsonl.py``. It is deliberately written the way synth-ai's
``synth_ai/learning/sft/data.py`` is (text-mode reading, ``json.loads`` on the stripped
line, ``coerce_example`` raising at the first problem), without the dataclasses it builds,
and is not optimised.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class SFTDataError(ValueError):
    """Mirror of ``synth_ai.learning.sft.data.SFTDataError``."""


def _coerce_tool_definition(raw: Any, *, index: int) -> None:
    if not isinstance(raw, dict):
        raise SFTDataError(f"tool {index} is not an object")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise SFTDataError(f"tool {index} missing name")
    description = raw.get("description")
    if description is not None and not isinstance(description, str):
        raise SFTDataError(f"tool {index} description must be a string if present")
    parameters = raw.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        raise SFTDataError(f"tool {index} parameters must be an object if present")


def _parse_tool_arguments(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _coerce_tool_call(raw: Any, *, index: int) -> None:
    if not isinstance(raw, dict):
        raise SFTDataError(f"tool_call {index} is not an object")
    name: str | None = None
    arguments: Any = None
    fn_obj = raw.get("function")
    if isinstance(fn_obj, dict):
        name_val = fn_obj.get("name")
        name = name_val if isinstance(name_val, str) else None
        arguments = fn_obj.get("arguments")
    if name is None:
        maybe_name = raw.get("name")
        if isinstance(maybe_name, str):
            name = maybe_name
            arguments = raw.get("arguments")
    if not isinstance(name, str) or not name.strip():
        raise SFTDataError(f"tool_call {index} missing function name")
    _parse_tool_arguments(arguments)
    for key in ("id", "type"):
        if raw.get(key) is not None:
            str(raw.get(key))


def _coerce_message(raw: Any, *, index: int) -> None:
    if not isinstance(raw, dict):
        raise SFTDataError(f"message {index} is not an object")
    role = raw.get("role")
    if not isinstance(role, str) or not role.strip():
        raise SFTDataError(f"message {index} has invalid role")
    content = raw.get("content")
    if content is not None and not isinstance(content, str | list | dict):
        raise SFTDataError(f"message {index} has unsupported content type {type(content).__name__}")
    raw_tool_calls = raw.get("tool_calls")
    if raw_tool_calls is not None:
        if not isinstance(raw_tool_calls, list | tuple):
            raise SFTDataError(f"message {index} tool_calls must be a list")
        for call_index, call in enumerate(raw_tool_calls):
            _coerce_tool_call(call, index=call_index)
    name = raw.get("name")
    if name is not None and not isinstance(name, str):
        raise SFTDataError(f"message {index} name must be a string if present")
    reasoning = raw.get("reasoning")
    if reasoning is not None and not isinstance(reasoning, str):
        raise SFTDataError(f"message {index} reasoning must be a string if present")
    raw_content = raw.get("raw_content")
    if raw_content is not None and not isinstance(raw_content, str):
        raise SFTDataError(f"message {index} raw_content must be a string if present")


def coerce_example(raw: Any, *, min_messages: int = 1) -> None:
    """Raise :class:`SFTDataError` exactly where synth-ai's ``coerce_example`` would."""
    if not isinstance(raw, dict):
        raise SFTDataError("record is not an object")
    messages_raw = raw.get("messages")
    if not isinstance(messages_raw, Sequence):
        raise SFTDataError("missing messages[] list")
    if len(messages_raw) < min_messages:
        raise SFTDataError(f"missing messages[] with at least {min_messages} turns")
    for i, msg in enumerate(messages_raw):
        _coerce_message(msg, index=i)
    if "tools" in raw and raw["tools"] is not None:
        tools_raw = raw["tools"]
        if not isinstance(tools_raw, Sequence):
            raise SFTDataError("tools must be provided as a list when present")
        for tool_index, tool in enumerate(tools_raw):
            _coerce_tool_definition(tool, index=tool_index)
    metadata_field = raw.get("metadata")
    if metadata_field is not None and not isinstance(metadata_field, dict):
        raise SFTDataError("metadata must be an object if present")


def collect_sft_jsonl_errors(
    path: Path,
    *,
    min_messages: int = 1,
    max_lines: int | None = None,
    max_errors: int | None = None,
) -> list[str]:
    """Mirror of synth-ai's ``collect_sft_jsonl_errors`` (same strings, same order).

    Like the original, invalid UTF-8 raises ``UnicodeDecodeError`` out of the loop.
    """
    errors: list[str] = []
    lines_checked = 0
    with path.open("r", encoding="utf-8") as fh:
        for lineno, raw_line in enumerate(fh, start=1):
            if max_lines is not None and lines_checked >= max_lines:
                break
            stripped = raw_line.strip()
            if not stripped:
                continue
            lines_checked += 1
            try:
                coerce_example(json.loads(stripped), min_messages=min_messages)
            except json.JSONDecodeError as exc:
                errors.append(f"Line {lineno}: invalid JSON ({exc.msg})")
            except SFTDataError as exc:
                errors.append(f"Line {lineno}: {exc}")
            if max_errors is not None and len(errors) >= max_errors:
                break
    if lines_checked == 0 and (max_errors is None or len(errors) < max_errors):
        errors.append("File contains no SFT examples")
    return errors


def validate_jsonl_or_raise(
    path: Path,
    *,
    min_messages: int = 1,
    max_lines: int | None = None,
    max_errors: int | None = None,
    error_factory: type[Exception] = ValueError,
) -> None:
    """Mirror of synth-ai's ``validate_jsonl_or_raise`` (the upload path's check)."""
    if not path.exists():
        raise FileNotFoundError(str(path))
    issues = collect_sft_jsonl_errors(
        path, min_messages=min_messages, max_lines=max_lines, max_errors=max_errors
    )
    if issues:
        truncated = max_errors is not None and len(issues) >= max_errors
        suffix = "" if not truncated else f" (showing first {max_errors} issues)"
        details = "\n - ".join(issues)
        raise error_factory(f"{path}: Dataset validation failed{suffix}:\n - {details}")


def record_error(record: Any, *, min_messages: int = 2) -> str | None:
    """synth-ai's verdict on one parsed record: the ``SFTDataError`` text, or ``None``."""
    try:
        coerce_example(record, min_messages=min_messages)
    except SFTDataError as exc:
        return str(exc)
    return None
