"""The ``strict`` level's authoring rules, on top of synth-ai's (spec §6.1 "Not checked").

synth-ai accepts records a careful author never wants to upload: unknown roles, tool
calls nobody answers, a conversation that ends on the user's turn, tool arguments that
are not JSON, broken image parts. :func:`iter_strict_findings` reports those; the
``compat`` findings of the same record are reported separately (strict ⊇ compat).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from conformance.jsonl.parse import HugeIntegerError, loads_exact
from conformance.jsonl.rules_compat import Finding, tools_ok

ROLES = frozenset({"system", "user", "assistant", "tool"})
"""Roles accepted by ``strict`` (synth-ai accepts any non-blank string)."""

IMAGE_URL_PREFIXES = ("http://", "https://", "data:image/")
"""URL prefixes synth-ai's vision helper accepts without a warning."""


def estimate_tokens(text: str) -> int:
    """Default token estimate for ``max_tokens``: one token per 4 characters, rounded up."""
    return (len(text) + 3) // 4


@dataclass(frozen=True, slots=True)
class Limits:
    """Optional per-record size limits of the ``strict`` level (``None`` = unlimited)."""

    max_chars: int | None = None
    max_tokens: int | None = None
    count_tokens: Callable[[str], int] = estimate_tokens


NO_LIMITS = Limits()


def _json_error(text: str) -> str | None:
    """Why string tool arguments are not JSON, or ``None`` (also for an integer over the
    parser limit: the compat walk reports that one, as synth-ai fails on it)."""
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            loads_exact(text)
        except json.JSONDecodeError as exc:
            return exc.msg
        except RecursionError:
            return "nesting too deep"
        except HugeIntegerError:
            return None
    return None


def _part_findings(part: Any, where: str, label: str) -> Iterator[Finding]:
    if not isinstance(part, dict):
        yield Finding("SFT-S7", where, f"{label} is not an object")
        return
    kind = part.get("type")
    if kind == "text":
        if not isinstance(part.get("text"), str):
            yield Finding("SFT-S7", f"{where}.text", f"{label} text must be a string")
        return
    if kind not in ("image_url", "image"):
        yield Finding("SFT-S7", f"{where}.type", f"{label} has unknown type {kind!r}")
        return
    image_url = part.get("image_url")
    if isinstance(image_url, dict):
        url, url_path = image_url.get("url"), f"{where}.image_url.url"
    elif "image" in part:
        url, url_path = part.get("image"), f"{where}.image"
    else:
        url, url_path = image_url, f"{where}.image_url"
    if not isinstance(url, str) or not url.strip():
        yield Finding("SFT-S7", url_path, f"{label} has no image URL")
    elif not url.startswith(IMAGE_URL_PREFIXES):
        yield Finding(
            "SFT-S7",
            url_path,
            f"{label} image URL must start with http://, https:// or data:image/",
        )


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _has_content(content: Any) -> bool:
    if isinstance(content, str):
        return bool(content.strip())
    return isinstance(content, list | dict) and bool(content)


def _call_findings(
    calls: list[Any], i: int, pending: dict[str, tuple[int, int]]
) -> Iterator[Finding]:
    for j, call in enumerate(calls):
        if not isinstance(call, dict):
            continue
        where = f"messages[{i}].tool_calls[{j}]"
        call_id = call.get("id")
        if not isinstance(call_id, str) or not call_id.strip():
            yield Finding("SFT-S2", f"{where}.id", f"message {i} tool_call {j} has no id")
        else:
            pending[call_id] = (i, j)
        function = call.get("function")
        if isinstance(function, dict) and isinstance(function.get("name"), str):
            arguments, args_path = function.get("arguments"), f"{where}.function.arguments"
        else:
            arguments, args_path = call.get("arguments"), f"{where}.arguments"
        if isinstance(arguments, str):
            error = _json_error(arguments)
            if error is not None:
                yield Finding(
                    "SFT-S6",
                    args_path,
                    f"message {i} tool_call {j} arguments is not valid JSON ({error})",
                )


def _message_findings(
    message: dict[str, Any], i: int, pending: dict[str, tuple[int, int]]
) -> Iterator[Finding]:
    where = f"messages[{i}]"
    role = message.get("role")
    if isinstance(role, str) and role.strip() and role not in ROLES:
        yield Finding(
            "SFT-S1",
            f"{where}.role",
            f"message {i} role {role!r} is not one of system, user, assistant, tool",
        )
    content = message.get("content")
    if isinstance(content, list):
        for p, part in enumerate(content):
            yield from _part_findings(
                part, f"{where}.content[{p}]", f"message {i} content part {p}"
            )
    elif isinstance(content, dict):
        yield from _part_findings(content, f"{where}.content", f"message {i} content")
    calls = message.get("tool_calls")
    if isinstance(calls, list):
        yield from _call_findings(calls, i, pending)
    if role == "tool":
        answered = message.get("tool_call_id")
        if answered is None:
            yield Finding(
                "SFT-S4",
                f"{where}.tool_call_id",
                f"message {i} is a tool result without tool_call_id",
            )
        elif pending.pop(str(answered), None) is None:
            yield Finding(
                "SFT-S4",
                f"{where}.tool_call_id",
                f"message {i} tool_call_id {str(answered)!r} answers no earlier tool call",
            )


def _last_message_finding(messages: list[Any]) -> Finding | None:
    n = len(messages) - 1
    last = messages[n]
    if not isinstance(last, dict):
        return None
    role = last.get("role")
    if role != "assistant":
        return Finding(
            "SFT-S5",
            f"messages[{n}].role",
            f"last message (message {n}) has role {role!r}, expected 'assistant'",
        )
    calls = last.get("tool_calls")
    if not _has_content(last.get("content")) and not (isinstance(calls, list) and calls):
        return Finding(
            "SFT-S5",
            f"messages[{n}]",
            f"last message (message {n}) is an assistant message without content or tool calls",
        )
    return None


def _limit_findings(messages: list[Any], limits: Limits) -> Iterator[Finding]:
    text = "".join(_content_text(m.get("content")) for m in messages if isinstance(m, dict))
    if limits.max_chars is not None and len(text) > limits.max_chars:
        yield Finding(
            "SFT-S10",
            "messages",
            f"record has {len(text)} characters of message text, "
            f"more than --max-chars {limits.max_chars}",
        )
    if limits.max_tokens is not None:
        tokens = limits.count_tokens(text)
        if tokens > limits.max_tokens:
            yield Finding(
                "SFT-S11",
                "messages",
                f"record has about {tokens} tokens of message text, "
                f"more than --max-tokens {limits.max_tokens}",
            )


def iter_strict_findings(record: Any, limits: Limits = NO_LIMITS) -> Iterator[Finding]:
    """Yield the strict-only violations of one parsed record (compat ones are separate).

    Rules: role in :data:`ROLES`; every tool call has an id and is answered by a later
    ``tool`` message (the final assistant turn's own calls are exempt: they are the
    target); every tool result answers a pending call; the last message is the
    assistant's with content or tool calls; string arguments are JSON; content parts are
    well formed; optional character/token limits.
    """
    if not isinstance(record, dict):
        return
    messages = record.get("messages")
    if not isinstance(messages, list):
        return
    if not messages:
        yield Finding(
            "SFT-S5", "messages", "record has no messages; it must end with the assistant's"
        )
        return
    pending: dict[str, tuple[int, int]] = {}
    for i, message in enumerate(messages):
        if isinstance(message, dict):
            yield from _message_findings(message, i, pending)
    last = _last_message_finding(messages)
    if last is not None:
        yield last
    final = len(messages) - 1
    for call_id, (i, j) in pending.items():
        if i != final:
            yield Finding(
                "SFT-S3",
                f"messages[{i}].tool_calls[{j}].id",
                f"message {i} tool_call {j} (id {call_id!r}) is never answered by a tool message",
            )
    if limits.max_chars is not None or limits.max_tokens is not None:
        yield from _limit_findings(messages, limits)


_PLAIN_ROLES = frozenset({"system", "user", "assistant"})


def strict_clean(record: Any, min_messages: int, limits: Limits = NO_LIMITS) -> bool:
    """Fast path: True only if the record has no compat and no strict finding.

    One flat pass over exact JSON types, no allocation on clean records. It is
    conservative: dict content, image parts, non-string ids and size limits answer False
    and let the full walks (:func:`~conformance.jsonl.rules_compat.iter_compat_findings`
    and :func:`iter_strict_findings`) decide.
    """
    if limits.max_chars is not None or limits.max_tokens is not None:
        return False
    if type(record) is not dict:
        return False
    messages = record.get("messages")
    if type(messages) is not list or not messages or len(messages) < min_messages:
        return False
    pending: set[str] | None = None
    for message in messages:
        if type(message) is not dict:
            return False
        get = message.get
        role = get("role")
        content = get("content")
        # The common message first: {"role": system|user|assistant, "content": "..."}.
        if (
            type(content) is str
            and len(message) == 2
            and type(role) is str
            and role in _PLAIN_ROLES
        ):
            continue
        if type(role) is not str or role not in ROLES:
            return False
        if type(content) is list:
            for part in content:
                if type(part) is not dict or part.get("type") != "text":
                    return False
                if type(part.get("text")) is not str:
                    return False
        elif content is not None and type(content) is not str:
            return False
        size = len(message)
        if size == 2 and content is not None and role != "tool":
            continue
        calls = get("tool_calls")
        if calls is not None:
            if type(calls) is not list:
                return False
            for call in calls:
                if type(call) is not dict:
                    return False
                call_id = call.get("id")
                if type(call_id) is not str or not call_id or call_id.isspace():
                    return False
                function = call.get("function")
                name = arguments = None
                if type(function) is dict:
                    name = function.get("name")
                    arguments = function.get("arguments")
                if type(name) is not str:
                    name = call.get("name")
                    if type(name) is not str:
                        return False
                    arguments = call.get("arguments")
                if not name or name.isspace():
                    return False
                if type(arguments) is str:
                    try:
                        orjson.loads(arguments)
                    except orjson.JSONDecodeError:
                        return False
                if pending is None:
                    pending = set()
                pending.add(call_id)
        if role == "tool":
            answered = get("tool_call_id")
            if type(answered) is not str or pending is None or answered not in pending:
                return False
            pending.discard(answered)
        known = 1 + ("content" in message) + ("tool_call_id" in message) + (calls is not None)
        if size > known and not (
            _optional_str(get("name"))
            and _optional_str(get("reasoning"))
            and _optional_str(get("raw_content"))
        ):
            return False
    last = messages[-1]
    if last["role"] != "assistant":
        return False
    calls = last.get("tool_calls")
    if not calls:
        content = last.get("content")
        if type(content) is str:
            if not content or content.isspace():
                return False
        elif not _has_content(content):
            return False
    if pending and not pending <= ({call.get("id") for call in calls} if calls else set()):
        return False
    if len(record) > 1:
        tools = record.get("tools")
        if tools is not None and (type(tools) is not list or not tools_ok(tools)):
            return False
        metadata = record.get("metadata")
        if metadata is not None and type(metadata) is not dict:
            return False
    return True


def _optional_str(value: Any) -> bool:
    return value is None or type(value) is str
