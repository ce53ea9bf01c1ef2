"""synth-ai's per-record acceptance rules (spec §6.1, ``coerce_example``), exactly.

:func:`iter_compat_findings` yields violations in the order synth-ai evaluates them, with
synth-ai's exact message text and indexes. Its first finding is the ``SFTDataError`` that
synth-ai 0.2.19 would raise; the ``compat`` level stops there. The ``strict`` level keeps
iterating, so it reports every structural problem of a record at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

from conformance.jsonl.parse import INT_MAX_DIGITS, HugeIntegerError, loads_exact


class Finding(NamedTuple):
    """An internal violation: rule ID, JSON path, exact message, optional specific fix."""

    rule: str
    json_path: str
    message: str
    fix: str | None = None


def _is_nested_openai_tool(tool: dict[str, Any]) -> bool:
    function = tool.get("function")
    return isinstance(function, dict) and isinstance(function.get("name"), str)


def _tool_call_findings(call: Any, where: str, j: int) -> Iterator[Finding]:
    if not isinstance(call, dict):
        yield Finding("SFT-7a", where, f"tool_call {j} is not an object")
        return
    function = call.get("function")
    name: Any = None
    arguments: Any = None
    name_path = f"{where}.name"
    if isinstance(function, dict):
        candidate = function.get("name")
        name = candidate if isinstance(candidate, str) else None
        arguments = function.get("arguments")
        name_path = f"{where}.function.name"
    if name is None:
        top = call.get("name")
        if isinstance(top, str):
            name = top
            arguments = call.get("arguments")
            name_path = f"{where}.name"
    if name is None or not name.strip():
        if name is None:
            name_path = f"{where}.function.name"
        yield Finding("SFT-7b", name_path, f"tool_call {j} missing function name")
        return
    huge = huge_integer_in(arguments)
    if huge is not None:
        args_path = name_path.removesuffix("name") + "arguments"
        yield Finding(
            "SFT-JSON",
            args_path,
            f"tool_call {j} arguments hold {huge.detail}",
            huge.fix,
        )


_DIGIT_RUN = re.compile(f"[0-9]{{{INT_MAX_DIGITS + 1}}}")


def huge_integer_in(arguments: Any) -> HugeIntegerError | None:
    """The error synth-ai's ``json.loads`` of string tool arguments would crash with.

    synth-ai parses string arguments and keeps the text when it is not JSON, but an
    integer of more than 4,300 digits raises ``ValueError``, which nothing catches.
    """
    if type(arguments) is not str or len(arguments) <= INT_MAX_DIGITS:
        return None
    if _DIGIT_RUN.search(arguments) is None:
        return None
    try:
        loads_exact(arguments)
    except HugeIntegerError as exc:
        return exc
    except (ValueError, RecursionError):
        return None
    return None


def _message_findings(message: Any, i: int) -> Iterator[Finding]:
    where = f"messages[{i}]"
    if not isinstance(message, dict):
        yield Finding("SFT-4", where, f"message {i} is not an object")
        return
    role = message.get("role")
    if not isinstance(role, str) or not role.strip():
        yield Finding("SFT-5", f"{where}.role", f"message {i} has invalid role")
    content = message.get("content")
    if content is not None and not isinstance(content, str | list | dict):
        yield Finding(
            "SFT-6",
            f"{where}.content",
            f"message {i} has unsupported content type {type(content).__name__}",
        )
    tool_calls = message.get("tool_calls")
    if tool_calls is not None:
        if not isinstance(tool_calls, list | tuple):
            yield Finding("SFT-7", f"{where}.tool_calls", f"message {i} tool_calls must be a list")
        else:
            for j, call in enumerate(tool_calls):
                yield from _tool_call_findings(call, f"{where}.tool_calls[{j}]", j)
    name = message.get("name")
    if name is not None and not isinstance(name, str):
        yield Finding("SFT-9", f"{where}.name", f"message {i} name must be a string if present")
    reasoning = message.get("reasoning")
    if reasoning is not None and not isinstance(reasoning, str):
        yield Finding(
            "SFT-10", f"{where}.reasoning", f"message {i} reasoning must be a string if present"
        )
    raw_content = message.get("raw_content")
    if raw_content is not None and not isinstance(raw_content, str):
        yield Finding(
            "SFT-11",
            f"{where}.raw_content",
            f"message {i} raw_content must be a string if present",
        )


def _tool_findings(tool: Any, k: int, strict: bool) -> Iterator[Finding]:
    where = f"tools[{k}]"
    if not isinstance(tool, dict):
        yield Finding("SFT-12a", where, f"tool {k} is not an object")
        return
    name = tool.get("name")
    if not isinstance(name, str) or not name.strip():
        if not _is_nested_openai_tool(tool):
            yield Finding("SFT-12b", f"{where}.name", f"tool {k} missing name")
        elif strict:
            yield Finding(
                "SFT-S8",
                f"{where}.function",
                f"tool {k} uses the OpenAI nested form; synth-ai requires a flat tool",
            )
        else:
            yield Finding(
                "SFT-12b",
                f"{where}.name",
                f"tool {k} missing name",
                "This is the OpenAI nested form; synth-ai wants flat tools: move "
                "function.name/description/parameters to the top level.",
            )
    description = tool.get("description")
    if description is not None and not isinstance(description, str):
        yield Finding(
            "SFT-12c",
            f"{where}.description",
            f"tool {k} description must be a string if present",
        )
    parameters = tool.get("parameters")
    if parameters is not None and not isinstance(parameters, dict):
        yield Finding(
            "SFT-12d",
            f"{where}.parameters",
            f"tool {k} parameters must be an object if present",
        )


def iter_compat_findings(
    record: Any, min_messages: int, *, strict: bool = False
) -> Iterator[Finding]:
    """Yield every §6.1 violation of ``record`` in synth-ai's evaluation order.

    The first one is exactly synth-ai's ``SFTDataError``. After a violation the walk goes
    on where that is meaningful (next message, tools, metadata). With ``strict`` an
    OpenAI-nested tool is reported as ``SFT-S8`` instead of ``tool {k} missing name``
    (the verdict is the same; the advice is better).
    """
    if not isinstance(record, dict):
        yield Finding("SFT-1", "$", "record is not an object")
        return
    messages = record.get("messages")
    if not isinstance(messages, Sequence):
        yield Finding("SFT-2", "messages", "missing messages[] list")
    elif len(messages) < min_messages:
        yield Finding("SFT-3", "messages", f"missing messages[] with at least {min_messages} turns")
    else:
        for i, message in enumerate(messages):
            yield from _message_findings(message, i)
    tools = record.get("tools")
    if tools is not None:
        if not isinstance(tools, Sequence):
            yield Finding("SFT-12", "tools", "tools must be provided as a list when present")
        else:
            for k, tool in enumerate(tools):
                yield from _tool_findings(tool, k, strict)
    metadata = record.get("metadata")
    if metadata is not None and not isinstance(metadata, dict):
        yield Finding("SFT-14", "metadata", "metadata must be an object if present")


def first_compat_finding(record: Any, min_messages: int) -> Finding | None:
    """synth-ai's verdict on one parsed record: its first violation, or ``None`` if accepted.

    This is the hot path of the ``compat`` level: a flat, allocation-free walk for valid
    records (exact-type checks, which is what JSON yields); only when something looks
    wrong does it defer to :func:`iter_compat_findings` for the exact message.
    """
    if type(record) is not dict:
        return next(iter_compat_findings(record, min_messages), None)
    messages = record.get("messages")
    if type(messages) is not list or len(messages) < min_messages:
        return next(iter_compat_findings(record, min_messages), None)
    for message in messages:
        if type(message) is not dict:
            return next(iter_compat_findings(record, min_messages), None)
        get = message.get
        role = get("role")
        content = get("content")
        if (
            type(role) is not str
            or not role
            or role.isspace()
            or (content is not None and type(content) not in _CONTENT_TYPES)
        ):
            return next(iter_compat_findings(record, min_messages), None)
        size = len(message)
        if size == 2 and content is not None:
            continue
        tool_calls = get("tool_calls")
        if tool_calls is not None:
            if type(tool_calls) is not list:
                return next(iter_compat_findings(record, min_messages), None)
            for call in tool_calls:
                if type(call) is not dict:
                    return next(iter_compat_findings(record, min_messages), None)
                function = call.get("function")
                name = arguments = None
                if type(function) is dict:
                    name = function.get("name")
                    arguments = function.get("arguments")
                if type(name) is not str:
                    name = call.get("name")
                    arguments = call.get("arguments")
                if type(name) is not str or not name or name.isspace():
                    return next(iter_compat_findings(record, min_messages), None)
                if (
                    type(arguments) is str
                    and len(arguments) > INT_MAX_DIGITS
                    and huge_integer_in(arguments) is not None
                ):
                    return next(iter_compat_findings(record, min_messages), None)
        known = 1 + ("content" in message) + ("tool_call_id" in message) + (tool_calls is not None)
        if size > known and not (
            _optional_str(get("name"))
            and _optional_str(get("reasoning"))
            and _optional_str(get("raw_content"))
        ):
            return next(iter_compat_findings(record, min_messages), None)
    if len(record) > 1:
        tools = record.get("tools")
        if tools is not None and (type(tools) is not list or not tools_ok(tools)):
            return next(iter_compat_findings(record, min_messages), None)
        metadata = record.get("metadata")
        if metadata is not None and type(metadata) is not dict:
            return next(iter_compat_findings(record, min_messages), None)
    return None


_CONTENT_TYPES = frozenset({str, list, dict})


def _optional_str(value: Any) -> bool:
    return value is None or type(value) is str


def tools_ok(tools: list[Any]) -> bool:
    """True when every tool is a flat object with a name and well-typed fields (§6.1 row 12)."""
    for tool in tools:
        if type(tool) is not dict:
            return False
        name = tool.get("name")
        if type(name) is not str or not name or name.isspace():
            return False
        description = tool.get("description")
        if description is not None and type(description) is not str:
            return False
        parameters = tool.get("parameters")
        if parameters is not None and type(parameters) is not dict:
            return False
    return True
