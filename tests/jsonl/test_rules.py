"""Each rule at both levels, with exact messages, JSON paths and rule IDs."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.jsonl import RULES, validate_record

U = {"role": "user", "content": "hi"}
A = {"role": "assistant", "content": "hello"}


def _rec(*messages: Any, **extra: Any) -> dict[str, Any]:
    return {"messages": list(messages), **extra}


def _call(call_id: str = "c1", name: Any = "f", arguments: Any = "{}") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


# (id, record, rule, json_path, exact synth-ai message)
COMPAT_CASES: list[tuple[str, Any, str, str, str]] = [
    ("not-object", [U, A], "SFT-1", "$", "record is not an object"),
    ("messages-missing", {"dialogue": []}, "SFT-2", "messages", "missing messages[] list"),
    ("messages-object", {"messages": {}}, "SFT-2", "messages", "missing messages[] list"),
    ("too-short", _rec(A), "SFT-3", "messages", "missing messages[] with at least 2 turns"),
    ("string-messages", {"messages": "ab"}, "SFT-4", "messages[0]", "message 0 is not an object"),
    ("message-number", _rec(U, 3), "SFT-4", "messages[1]", "message 1 is not an object"),
    (
        "role-blank",
        _rec(U, {"role": " ", "content": "x"}),
        "SFT-5",
        "messages[1].role",
        "message 1 has invalid role",
    ),
    (
        "content-int",
        _rec(U, {"role": "assistant", "content": 1}),
        "SFT-6",
        "messages[1].content",
        "message 1 has unsupported content type int",
    ),
    (
        "content-bool",
        _rec(U, {"role": "assistant", "content": False}),
        "SFT-6",
        "messages[1].content",
        "message 1 has unsupported content type bool",
    ),
    (
        "tool-calls-str",
        _rec(U, {"role": "assistant", "tool_calls": "x"}),
        "SFT-7",
        "messages[1].tool_calls",
        "message 1 tool_calls must be a list",
    ),
    (
        "tool-call-int",
        _rec(U, {"role": "assistant", "tool_calls": [_call(), 1]}),
        "SFT-7a",
        "messages[1].tool_calls[1]",
        "tool_call 1 is not an object",
    ),
    (
        "tool-call-name",
        _rec(U, {"role": "assistant", "tool_calls": [_call(name="")]}),
        "SFT-7b",
        "messages[1].tool_calls[0].function.name",
        "tool_call 0 missing function name",
    ),
    (
        "tool-call-flat-name",
        _rec(U, {"role": "assistant", "tool_calls": [{"name": " "}]}),
        "SFT-7b",
        "messages[1].tool_calls[0].name",
        "tool_call 0 missing function name",
    ),
    (
        "name",
        _rec(U, {**A, "name": 1}),
        "SFT-9",
        "messages[1].name",
        "message 1 name must be a string if present",
    ),
    (
        "reasoning",
        _rec(U, {**A, "reasoning": 1}),
        "SFT-10",
        "messages[1].reasoning",
        "message 1 reasoning must be a string if present",
    ),
    (
        "raw-content",
        _rec(U, {**A, "raw_content": []}),
        "SFT-11",
        "messages[1].raw_content",
        "message 1 raw_content must be a string if present",
    ),
    (
        "tools-object",
        _rec(U, A, tools={}),
        "SFT-12",
        "tools",
        "tools must be provided as a list when present",
    ),
    ("tool-not-object", _rec(U, A, tools=[1]), "SFT-12a", "tools[0]", "tool 0 is not an object"),
    (
        "tool-name",
        _rec(U, A, tools=[{"name": ""}]),
        "SFT-12b",
        "tools[0].name",
        "tool 0 missing name",
    ),
    (
        "tool-description",
        _rec(U, A, tools=[{"name": "t", "description": 1}]),
        "SFT-12c",
        "tools[0].description",
        "tool 0 description must be a string if present",
    ),
    (
        "tool-parameters",
        _rec(U, A, tools=[{"name": "t", "parameters": []}]),
        "SFT-12d",
        "tools[0].parameters",
        "tool 0 parameters must be an object if present",
    ),
    (
        "metadata",
        _rec(U, A, metadata=[]),
        "SFT-14",
        "metadata",
        "metadata must be an object if present",
    ),
]


@pytest.mark.parametrize(
    ("record", "rule", "json_path", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in COMPAT_CASES],
)
@pytest.mark.parametrize("level", ["compat", "strict"])
def test_compat_rule_reported_at_both_levels(
    record: Any, rule: str, json_path: str, message: str, level: str
) -> None:
    """A §6.1 violation gives synth-ai's exact message at compat and is also a strict error."""
    errors = validate_record(record, level=level)  # type: ignore[arg-type]
    found = [(e.rule, e.json_path, e.message) for e in errors]
    assert (rule, json_path, message) in found
    if level == "compat":
        assert len(errors) == 1


def test_compat_stops_at_first_error_in_synth_order() -> None:
    """compat reports only synth-ai's first error; strict reports every one."""
    record = _rec({"role": "", "content": 1}, {"role": "assistant", "content": 1}, metadata=1)
    assert [e.message for e in validate_record(record, level="compat")] == [
        "message 0 has invalid role"
    ]
    strict = [
        e.message
        for e in validate_record(record)
        if e.rule.startswith("SFT-") and "S" not in e.rule[4:]
    ]
    assert strict == [
        "message 0 has invalid role",
        "message 0 has unsupported content type int",
        "message 1 has unsupported content type int",
        "metadata must be an object if present",
    ]


def test_min_messages_is_configurable() -> None:
    """min_messages=1 accepts a single turn (the `synth-ai train` path); 3 rejects two."""
    assert validate_record(_rec(A), level="compat", min_messages=1) == []
    errors = validate_record(_rec(U, A), level="compat", min_messages=3)
    assert [e.message for e in errors] == ["missing messages[] with at least 3 turns"]


STRICT_CASES: list[tuple[str, Any, str, str, str]] = [
    (
        "role",
        _rec({"role": "banana", "content": "x"}, A),
        "SFT-S1",
        "messages[0].role",
        "message 0 role 'banana' is not one of system, user, assistant, tool",
    ),
    (
        "call-id",
        _rec(U, {"role": "assistant", "tool_calls": [{"function": {"name": "f"}}]}, U, A),
        "SFT-S2",
        "messages[1].tool_calls[0].id",
        "message 1 tool_call 0 has no id",
    ),
    (
        "unanswered",
        _rec(U, {"role": "assistant", "tool_calls": [_call("c9")]}, U, A),
        "SFT-S3",
        "messages[1].tool_calls[0].id",
        "message 1 tool_call 0 (id 'c9') is never answered by a tool message",
    ),
    (
        "orphan",
        _rec(U, {"role": "tool", "tool_call_id": "zz", "content": "r"}, A),
        "SFT-S4",
        "messages[1].tool_call_id",
        "message 1 tool_call_id 'zz' answers no earlier tool call",
    ),
    (
        "tool-without-id",
        _rec(U, {"role": "tool", "content": "r"}, A),
        "SFT-S4",
        "messages[1].tool_call_id",
        "message 1 is a tool result without tool_call_id",
    ),
    (
        "last-user",
        _rec(A, U),
        "SFT-S5",
        "messages[1].role",
        "last message (message 1) has role 'user', expected 'assistant'",
    ),
    (
        "last-empty",
        _rec(U, {"role": "assistant", "content": " "}),
        "SFT-S5",
        "messages[1]",
        "last message (message 1) is an assistant message without content or tool calls",
    ),
    (
        "arguments",
        _rec(U, {"role": "assistant", "tool_calls": [_call(arguments="{'a': 1}")]}),
        "SFT-S6",
        "messages[1].tool_calls[0].function.arguments",
        "message 1 tool_call 0 arguments is not valid JSON "
        "(Expecting property name enclosed in double quotes)",
    ),
    (
        "part-type",
        _rec({"role": "user", "content": [{"type": "audio"}]}, A),
        "SFT-S7",
        "messages[0].content[0].type",
        "message 0 content part 0 has unknown type 'audio'",
    ),
    (
        "part-text",
        _rec({"role": "user", "content": [{"type": "text", "text": None}]}, A),
        "SFT-S7",
        "messages[0].content[0].text",
        "message 0 content part 0 text must be a string",
    ),
    (
        "part-not-object",
        _rec({"role": "user", "content": ["hi"]}, A),
        "SFT-S7",
        "messages[0].content[0]",
        "message 0 content part 0 is not an object",
    ),
    (
        "image-missing",
        _rec({"role": "user", "content": [{"type": "image_url", "image_url": {}}]}, A),
        "SFT-S7",
        "messages[0].content[0].image_url.url",
        "message 0 content part 0 has no image URL",
    ),
    (
        "image-scheme",
        _rec({"role": "user", "content": {"type": "image", "image": "c.png"}}, A),
        "SFT-S7",
        "messages[0].content.image",
        "message 0 content image URL must start with http://, https:// or data:image/",
    ),
    (
        "nested-tool",
        _rec(U, A, tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}]),
        "SFT-S8",
        "tools[0].function",
        "tool 0 uses the OpenAI nested form; synth-ai requires a flat tool",
    ),
]


@pytest.mark.parametrize(
    ("record", "rule", "json_path", "message"),
    [pytest.param(*case[1:], id=case[0]) for case in STRICT_CASES],
)
def test_strict_rule_exact_message(record: Any, rule: str, json_path: str, message: str) -> None:
    """Each strict-only rule fires with its exact message and path."""
    found = [(e.rule, e.json_path, e.message) for e in validate_record(record)]
    assert (rule, json_path, message) in found


@pytest.mark.parametrize(
    "record",
    [pytest.param(case[1], id=case[0]) for case in STRICT_CASES if case[2] != "SFT-S8"],
)
def test_strict_only_rules_pass_compat(record: Any) -> None:
    """synth-ai accepts every record that only strict rejects (spec §6.1 "Not checked")."""
    assert validate_record(record, level="compat") == []


def test_nested_tool_is_missing_name_at_compat_with_specific_fix() -> None:
    """At compat an OpenAI-nested tool is `tool 0 missing name`, with a flattening fix."""
    record = _rec(U, A, tools=[{"type": "function", "function": {"name": "f"}}])
    (error,) = validate_record(record, level="compat")
    assert error.message == "tool 0 missing name"
    assert error.fix.startswith("This is the OpenAI nested form")


def test_empty_conversation_fails_strict_even_with_min_messages_zero() -> None:
    """With min_messages=0 synth-ai accepts `messages: []`; strict still wants a final turn."""
    assert validate_record({"messages": []}, level="compat", min_messages=0) == []
    assert [e.message for e in validate_record({"messages": []}, min_messages=0)] == [
        "record has no messages; it must end with the assistant's"
    ]


def test_final_assistant_tool_calls_need_no_answer() -> None:
    """The final assistant turn's tool calls are the training target and need no tool result."""
    record = _rec(U, {"role": "assistant", "content": None, "tool_calls": [_call()]})
    assert validate_record(record) == []


def test_paired_tool_calls_pass_strict() -> None:
    """A call answered by a later tool message, then a final answer, is clean."""
    record = _rec(
        {"role": "system", "content": "s"},
        U,
        {"role": "assistant", "content": None, "tool_calls": [_call("a"), _call("b")]},
        {"role": "tool", "tool_call_id": "b", "content": "1"},
        {"role": "tool", "tool_call_id": "a", "content": "2"},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "https://x/y.png"}},
            ],
        },
        A,
    )
    assert validate_record(record) == []


def test_length_limits() -> None:
    """--max-chars and --max-tokens count message text (tokens estimated as chars / 4)."""
    record = _rec({"role": "user", "content": "x" * 50}, {"role": "assistant", "content": "y" * 50})
    assert [e.message for e in validate_record(record, max_chars=99)] == [
        "record has 100 characters of message text, more than --max-chars 99"
    ]
    assert [e.message for e in validate_record(record, max_tokens=24)] == [
        "record has about 25 tokens of message text, more than --max-tokens 24"
    ]
    assert validate_record(record, max_chars=100, max_tokens=25) == []


def test_every_error_carries_rule_advice() -> None:
    """Errors take `expected` and `fix` from the rule catalogue."""
    (error,) = validate_record(_rec(U, {"role": "", "content": "x"}), level="compat")
    assert error.expected == RULES["SFT-5"].expected
    assert error.fix == RULES["SFT-5"].fix
    assert str(error) == "<record>: messages[1].role: message 1 has invalid role [SFT-5]"
