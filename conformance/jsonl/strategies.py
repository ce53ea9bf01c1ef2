"""Public Hypothesis strategies for SFT JSONL records (spec §6.1).

* :func:`sft_records` draws records valid at **both** levels: optional system prompt,
  user turns (plain text or content parts, optionally an image), assistant turns with
  tool calls each answered by a ``tool`` message, a final assistant turn with content or
  tool calls, optional flat tools, ``tool_choice`` and metadata.
* :func:`sft_mutations` draws a valid record with exactly one field broken, together with
  the rule it breaks, the JSON path, and synth-ai's exact message (``None`` when only
  ``strict`` objects).

Both are re-exported by :mod:`conformance.strategies`. Requires ``hypothesis``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import orjson
from hypothesis import strategies as st

__all__ = ["Mutation", "sft_mutations", "sft_records"]

_JSON_SCALARS = st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.text(max_size=8)
_JSON = st.recursive(
    _JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=6,
)
_TEXT = st.text(max_size=40)
_NONBLANK = st.text(min_size=1, max_size=40).filter(lambda text: bool(text.strip()))
_IDENT = st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True)
_URLS = st.sampled_from(
    ["https://example.com/cat.png", "http://img.test/a.jpg", "data:image/png;base64,iVBORw0KGgo="]
)


@st.composite
def _user_content(draw: st.DrawFn) -> Any:
    if draw(st.booleans()):
        return draw(_TEXT)
    parts: list[dict[str, Any]] = [{"type": "text", "text": draw(_TEXT)}]
    if draw(st.booleans()):
        url = draw(_URLS)
        parts.append(
            {"type": "image_url", "image_url": {"url": url}}
            if draw(st.booleans())
            else {"type": "image", "image": url}
        )
    return parts


@st.composite
def _tool_turn(draw: st.DrawFn, turn: int) -> list[dict[str, Any]]:
    count = draw(st.integers(1, 2))
    calls = []
    results = []
    for index in range(count):
        call_id = f"call_{turn}_{index}"
        arguments = draw(st.dictionaries(_IDENT, _JSON, max_size=3))
        calls.append(
            {
                "id": call_id,
                "type": "function",
                "function": {"name": draw(_IDENT), "arguments": orjson.dumps(arguments).decode()},
            }
        )
        results.append({"role": "tool", "tool_call_id": call_id, "content": draw(_TEXT)})
    assistant: dict[str, Any] = {
        "role": "assistant",
        "content": draw(st.none() | _TEXT),
        "tool_calls": calls,
    }
    if draw(st.booleans()):
        assistant["reasoning"] = draw(_TEXT)
    return [assistant, *results]


@st.composite
def sft_records(draw: st.DrawFn, *, min_messages: int = 2) -> dict[str, Any]:
    """A record that passes both ``compat`` (with ``min_messages``) and ``strict``."""
    messages: list[dict[str, Any]] = []
    if draw(st.booleans()):
        messages.append({"role": "system", "content": draw(_TEXT)})
    turns = draw(st.integers(0, 2))
    for turn in range(turns + 1):
        user: dict[str, Any] = {"role": "user", "content": draw(_user_content())}
        if draw(st.integers(0, 4)) == 0:
            user["name"] = draw(_IDENT)
        messages.append(user)
        if turn < turns:
            if draw(st.booleans()):
                messages.extend(draw(_tool_turn(turn)))
            messages.append({"role": "assistant", "content": draw(_TEXT)})
    final: dict[str, Any] = {"role": "assistant", "content": draw(_NONBLANK)}
    if draw(st.integers(0, 3)) == 0:
        final = draw(_tool_turn(99))[0]
    messages.append(final)
    while len(messages) < min_messages:
        messages.insert(0, {"role": "system", "content": draw(_TEXT)})
    record: dict[str, Any] = {"messages": messages}
    if draw(st.booleans()):
        record["tools"] = [
            {
                "name": draw(_IDENT),
                "description": draw(_TEXT),
                "parameters": {"type": "object", "properties": {}},
            }
            for _ in range(draw(st.integers(0, 2)))
        ]
    if draw(st.booleans()):
        record["metadata"] = draw(st.dictionaries(_IDENT, _JSON, max_size=3))
    if draw(st.integers(0, 4)) == 0:
        record["tool_choice"] = draw(st.sampled_from(["auto", "none", None]))
    return record


@dataclass(frozen=True)
class Mutation:
    """A record broken in one field: the rule it breaks and where.

    ``compat_message`` is synth-ai's exact ``SFTDataError`` text, or ``None`` when the
    record is still accepted by synth-ai and only ``strict`` rejects it (``rule``).
    """

    record: Any
    rule: str
    json_path: str
    compat_message: str | None

    def line(self) -> bytes:
        """The record as one JSONL line (stdlib ``json`` so NaN-free inputs round-trip)."""
        return orjson.dumps(self.record)


_NOT_OBJECT: st.SearchStrategy[Any] = st.sampled_from([1, "x", [], True, None, 2.5])
_NOT_STRING: st.SearchStrategy[Any] = st.sampled_from([1, 2.5, True, [], {}])
_NOT_LIST: st.SearchStrategy[Any] = st.sampled_from(["x", 1, {}, True])
_BAD_CONTENT: st.SearchStrategy[tuple[Any, str]] = st.sampled_from(
    [(1, "int"), (2.5, "float"), (True, "bool")]
)


def _with_tool_call(record: dict[str, Any]) -> tuple[int, int] | None:
    for i, message in enumerate(record["messages"]):
        if message.get("tool_calls"):
            return i, 0
    return None


@st.composite
def _compat_mutation(draw: st.DrawFn, record: dict[str, Any]) -> Mutation:
    messages = record["messages"]
    i = draw(st.integers(0, len(messages) - 1))
    where = f"messages[{i}]"
    kind = draw(
        st.sampled_from(
            [
                "record",
                "messages",
                "short",
                "message",
                "role",
                "content",
                "tool_calls",
                "tool_call",
                "fn_name",
                "name",
                "reasoning",
                "raw_content",
                "tools",
                "tool",
                "tool_name",
                "tool_description",
                "tool_parameters",
                "metadata",
            ]
        )
    )
    if kind == "record":
        scalar: Any = draw(st.sampled_from([[], "x", 1, True, None]))
        return Mutation(scalar, "SFT-1", "$", "record is not an object")
    if kind == "messages":
        bad: Any = draw(st.sampled_from([None, {}, 1, True, "__missing__"]))
        if bad == "__missing__":
            del record["messages"]
        else:
            record["messages"] = bad
        return Mutation(record, "SFT-2", "messages", "missing messages[] list")
    if kind == "short":
        record["messages"] = messages[-1:]
        return Mutation(record, "SFT-3", "messages", "missing messages[] with at least 2 turns")
    if kind == "message":
        messages[i] = draw(st.sampled_from([1, [], True, None]))
        return Mutation(record, "SFT-4", where, f"message {i} is not an object")
    if kind == "role":
        messages[i]["role"] = draw(st.sampled_from(["", "  ", 1, None, []]))
        return Mutation(record, "SFT-5", f"{where}.role", f"message {i} has invalid role")
    if kind == "content":
        value, type_name = draw(_BAD_CONTENT)
        messages[i]["content"] = value
        return Mutation(
            record,
            "SFT-6",
            f"{where}.content",
            f"message {i} has unsupported content type {type_name}",
        )
    if kind == "tool_calls":
        messages[i]["tool_calls"] = draw(_NOT_LIST)
        return Mutation(
            record, "SFT-7", f"{where}.tool_calls", f"message {i} tool_calls must be a list"
        )
    if kind in ("tool_call", "fn_name"):
        located = _with_tool_call(record)
        if located is None:
            messages[i]["tool_calls"] = [{"id": "c", "type": "function", "function": {"name": "f"}}]
            located = (i, 0)
        i, j = located
        where = f"messages[{i}].tool_calls[{j}]"
        if kind == "tool_call":
            messages[i]["tool_calls"][j] = draw(_NOT_OBJECT)
            return Mutation(record, "SFT-7a", where, f"tool_call {j} is not an object")
        messages[i]["tool_calls"][j]["function"]["name"] = draw(st.sampled_from(["", " ", 5]))
        return Mutation(
            record, "SFT-7b", f"{where}.function.name", f"tool_call {j} missing function name"
        )
    if kind in ("name", "reasoning", "raw_content"):
        rule = {"name": "SFT-9", "reasoning": "SFT-10", "raw_content": "SFT-11"}[kind]
        messages[i][kind] = draw(_NOT_STRING)
        return Mutation(
            record, rule, f"{where}.{kind}", f"message {i} {kind} must be a string if present"
        )
    if kind == "tools":
        record["tools"] = draw(st.sampled_from([{}, 1, True, 2.5]))
        return Mutation(record, "SFT-12", "tools", "tools must be provided as a list when present")
    if kind == "metadata":
        record["metadata"] = draw(st.sampled_from([[], "x", 1, True]))
        return Mutation(record, "SFT-14", "metadata", "metadata must be an object if present")
    tools = record.setdefault("tools", [])
    if not isinstance(tools, list) or not tools:
        tools = record["tools"] = [{"name": "t", "description": "d", "parameters": {}}]
    k = draw(st.integers(0, len(tools) - 1))
    if kind == "tool":
        tools[k] = draw(_NOT_OBJECT.filter(lambda value: value is not None))
        return Mutation(record, "SFT-12a", f"tools[{k}]", f"tool {k} is not an object")
    if kind == "tool_name":
        tools[k]["name"] = draw(st.sampled_from(["", " ", 3, None]))
        return Mutation(record, "SFT-12b", f"tools[{k}].name", f"tool {k} missing name")
    if kind == "tool_description":
        tools[k]["description"] = draw(_NOT_STRING)
        return Mutation(
            record,
            "SFT-12c",
            f"tools[{k}].description",
            f"tool {k} description must be a string if present",
        )
    tools[k]["parameters"] = draw(st.sampled_from([[], "x", 1, True]))
    return Mutation(
        record,
        "SFT-12d",
        f"tools[{k}].parameters",
        f"tool {k} parameters must be an object if present",
    )


@st.composite
def _strict_mutation(draw: st.DrawFn, record: dict[str, Any]) -> Mutation:
    messages = record["messages"]
    kind = draw(st.sampled_from(["role", "orphan", "last", "arguments", "part", "nested", "no_id"]))
    if kind == "role":
        i = draw(st.integers(0, len(messages) - 1))
        messages[i]["role"] = draw(st.sampled_from(["banana", "User", " assistant", "function"]))
        return Mutation(record, "SFT-S1", f"messages[{i}].role", None)
    if kind == "last":
        messages.append({"role": "user", "content": "thanks"})
        return Mutation(record, "SFT-S5", f"messages[{len(messages) - 1}].role", None)
    if kind == "orphan":
        messages.insert(
            len(messages) - 1, {"role": "tool", "tool_call_id": "ghost", "content": "x"}
        )
        return Mutation(record, "SFT-S4", f"messages[{len(messages) - 2}].tool_call_id", None)
    if kind == "part":
        i = len(messages) - 1
        part, suffix = draw(
            st.sampled_from(
                [
                    ({"type": "text", "text": 3}, ".text"),
                    ({"type": "video", "url": "x"}, ".type"),
                    (
                        {"type": "image_url", "image_url": {"url": "ftp://x/y.png"}},
                        ".image_url.url",
                    ),
                    ({"type": "image_url", "image_url": {"url": ""}}, ".image_url.url"),
                    ({"type": "image", "image": "file.png"}, ".image"),
                ]
            )
        )
        messages[i]["content"] = [part]
        return Mutation(record, "SFT-S7", f"messages[{i}].content[0]{suffix}", None)
    if kind == "nested":
        record["tools"] = [
            {"type": "function", "function": {"name": "f", "description": "d", "parameters": {}}}
        ]
        return Mutation(record, "SFT-S8", "tools[0].function", "tool 0 missing name")
    located = _with_tool_call(record)
    if located is None:
        i = len(messages) - 1
        messages[i]["tool_calls"] = [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
        ]
        located = (i, 0)
    i, j = located
    call = messages[i]["tool_calls"][j]
    where = f"messages[{i}].tool_calls[{j}]"
    if kind == "arguments":
        call["function"]["arguments"] = draw(st.sampled_from(["{", "{'a': 1}", "[1,", "nope"]))
        return Mutation(record, "SFT-S6", f"{where}.function.arguments", None)
    del call["id"]
    return Mutation(record, "SFT-S2", f"{where}.id", None)


@st.composite
def sft_mutations(draw: st.DrawFn, *, level: str | None = None) -> Mutation:
    """A valid record with one field broken; ``level`` limits to compat- or strict-only rules."""
    record = copy.deepcopy(draw(sft_records()))
    if level == "compat" or (level is None and draw(st.booleans())):
        return draw(_compat_mutation(record))
    return draw(_strict_mutation(record))
