"""The one SFT record builder (`conformance.sft.records`) and its round trip through a trace DB."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from conformance.jsonl import validate_record
from conformance.sft import records
from conformance.sft.records import (
    conversation,
    flat_tools,
    jsonl_line,
    record_metadata,
    sft_messages,
    sft_record,
)
from conformance.tracedb import SessionRows, TraceReader, ensure_schema, message_row, write_session

# A text that is a JSON object is read back as the object's `content` or `text` (how
# synth-ai's own tracer stores structured content), so chats here never hold one.
_TEXT = st.text(max_size=20).filter(lambda t: not t.strip().startswith("{"))
_CALL = st.fixed_dictionaries(
    {
        "id": st.text(min_size=1, max_size=8),
        "type": st.just("function"),
        "function": st.fixed_dictionaries(
            {"name": st.sampled_from(["calculate", "submit_answer"]), "arguments": _TEXT}
        ),
    }
)
_MESSAGE = st.one_of(
    st.fixed_dictionaries({"role": st.sampled_from(["system", "user"]), "content": _TEXT}),
    st.fixed_dictionaries({"role": st.just("assistant"), "content": st.none() | _TEXT}),
    st.fixed_dictionaries(
        {
            "role": st.just("assistant"),
            "content": st.none() | _TEXT,
            "tool_calls": st.lists(_CALL, min_size=1, max_size=2),
        }
    ),
    st.fixed_dictionaries(
        {"role": st.just("tool"), "tool_call_id": st.text(max_size=8), "content": _TEXT}
    ),
)


def _stored_and_read(chat: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = [
        message_row(m, turn=0, step_id="decision_0", event_time=1.7e9 + i)
        for i, m in enumerate(chat)
    ]
    with sqlite3.connect(":memory:") as conn:
        ensure_schema(conn)
        write_session(conn, SessionRows("s", "2025-01-01T00:00:00+00:00", {}, [], rows, 0.0, 0))
        return conversation(TraceReader(conn).messages("s"))


@given(st.lists(_MESSAGE, max_size=8))
def test_a_stored_chat_reads_back_as_the_captured_messages(chat: list[dict[str, Any]]) -> None:
    """Capture's messages and filter's (written to a trace DB, read back) are equal."""
    assert _stored_and_read(chat) == sft_messages(chat)


def test_the_record_stops_at_the_last_assistant_turn() -> None:
    """What follows the last assistant message is dropped; a chat without one gives nothing."""
    chat = [
        {"role": "user", "content": "2+2?"},
        {"role": "assistant", "content": "4"},
        {"role": "tool", "tool_call_id": "c1", "content": "correct"},
        {"role": "user", "content": "thanks"},
    ]
    assert [m["role"] for m in sft_messages(chat)] == ["user", "assistant"]
    assert sft_messages(chat[:1]) == []


def test_sft_messages_keep_only_the_sft_fields() -> None:
    """Tool results get string content and id; empty tool_calls and other keys are dropped."""
    chat: list[dict[str, Any]] = [
        {"role": "user", "content": "q", "name": "alice"},
        {"role": "assistant", "content": "a", "tool_calls": []},
        {"role": "tool", "tool_call_id": 7, "content": None},
        {"role": "tool", "content": "no id"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c"}]},
    ]
    assert sft_messages(chat) == [
        {"role": "user", "content": "q"},
        {"role": "assistant", "content": "a"},
        {"role": "tool", "tool_call_id": "7", "content": ""},
        {"role": "tool", "content": "no id"},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c"}]},
    ]


def test_tools_are_flat_whether_nested_or_not() -> None:
    """OpenAI-nested tools are flattened; flat ones stay; defaults fill what is missing."""
    nested = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    flat = {"name": "g", "description": "G", "parameters": {"type": "object", "required": []}}
    assert flat_tools([nested, flat]) == [
        {"name": "f", "description": "", "parameters": {"type": "object"}},
        flat,
    ]


def test_metadata_holds_the_session_keys_then_the_callers_fields() -> None:
    """session_id, every SESSION_KEYS entry (None when missing), then the given fields."""
    metadata = record_metadata("s-1", {"seed": 3, "model": "m", "prompt": "p"}, run_id="r")
    assert list(metadata) == ["session_id", *records.SESSION_KEYS, "run_id"]
    assert (metadata["seed"], metadata["model"], metadata["env_name"]) == (3, "m", None)
    assert "prompt" not in metadata


def test_a_record_is_one_valid_compact_line() -> None:
    """messages, flat tools, metadata; one compact UTF-8 line that passes strict."""
    chat = [{"role": "user", "content": "π?"}, {"role": "assistant", "content": "3.14"}]
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    record = sft_record(chat, {"session_id": "s"}, tools=[tool])
    assert list(record) == ["messages", "tools", "metadata"]
    assert "tools" not in sft_record(chat, {})
    line = jsonl_line(record)
    assert line.endswith("}\n")
    assert line.count("\n") == 1
    assert "π" in line
    assert ", " not in line
    assert json.loads(line) == record
    assert validate_record(record, level="strict") == []


def test_the_public_api_is_sorted_and_complete() -> None:
    """records.__all__ is sorted and names every public function and constant of the module."""
    public = {
        name
        for name, value in vars(records).items()
        if not name.startswith("_")
        and getattr(value, "__module__", records.__name__) == records.__name__
        and (callable(value) or name.isupper())
    }
    assert sorted(records.__all__, key=lambda n: (not n.isupper(), n)) == records.__all__
    assert set(records.__all__) == public
