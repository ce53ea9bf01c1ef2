"""The one SFT record builder (spec §6): a chat as one line of SFT JSONL.

The reference app's capture (one file per rollout) and `taskapp-conformance filter` (an
export from a trace DB) both build their records here, so a rollout comes out the same
either way:

* `messages` in the form synth-ai's validators accept: system, user, assistant turns
  with OpenAI `tool_calls`, `tool` results with their `tool_call_id`;
* the chat stops at its last assistant turn: anything after it (the tool result that
  grades the final `submit_answer` call, a nudge) is dropped, because that assistant turn
  is the training target and a trailing message would teach nothing (the validator's
  `strict` level requires it, spec §10.1.11);
* `tools`, when given, in the flat `{name, description, parameters}` form (synth-ai
  rejects the OpenAI-nested one);
* `metadata` with the session id, the session's :data:`SESSION_KEYS` and the caller's
  fields;
* one compact UTF-8 JSON object per line.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from conformance.tracedb import StoredMessage, chat_messages

__all__ = [
    "MIN_MESSAGES",
    "SESSION_KEYS",
    "conversation",
    "flat_tools",
    "jsonl_line",
    "record_metadata",
    "sft_message",
    "sft_messages",
    "sft_record",
]

MIN_MESSAGES = 2
"""The strictest synth-ai consumer (`FtClient.upload_training_file`) needs two messages."""

SESSION_KEYS: tuple[str, ...] = (
    "env_name",
    "policy_name",
    "seed",
    "task_id",
    "task_split",
    "model",
)
"""The `session_traces.metadata` keys every record's `metadata` carries (spec §5.5)."""


def sft_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """One chat message in SFT form: `role` and `content`, plus `tool_calls` or `tool_call_id`.

    An assistant keeps a non-empty `tool_calls`; a tool result's content becomes a string
    and its `tool_call_id`, when it has one, a string too. Other keys are dropped.
    """
    role = str(message.get("role"))
    out: dict[str, Any] = {"role": role, "content": message.get("content")}
    if role == "assistant" and message.get("tool_calls"):
        out["tool_calls"] = list(message["tool_calls"])
    if role == "tool":
        if message.get("tool_call_id") is not None:
            out["tool_call_id"] = str(message["tool_call_id"])
        out["content"] = str(message.get("content") or "")
    return out


def sft_messages(chat: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The chat up to and including its last assistant message, in SFT form (empty without)."""
    messages = list(chat)
    last = max((i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=-1)
    return [sft_message(m) for m in messages[: last + 1]]


def conversation(rows: Iterable[StoredMessage]) -> list[dict[str, Any]]:
    """A stored session's messages as SFT messages, ending with the last assistant turn."""
    return sft_messages(chat_messages(rows))


def flat_tools(tools: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Tools in the flat `{name, description, parameters}` form (flat ones stay as they are)."""
    flat = []
    for tool in tools:
        function = tool.get("function", tool)
        flat.append(
            {
                "name": function["name"],
                "description": function.get("description", ""),
                "parameters": function.get("parameters", {"type": "object"}),
            }
        )
    return flat


def record_metadata(session_id: str, session: Mapping[str, Any], **fields: Any) -> dict[str, Any]:
    """A record's `metadata`: `session_id`, the session's :data:`SESSION_KEYS`, then `fields`.

    `session` is the session's metadata as stored in `session_traces.metadata`; a key it
    lacks is `None`.
    """
    return {"session_id": session_id, **{key: session.get(key) for key in SESSION_KEYS}, **fields}


def sft_record(
    chat: Iterable[Mapping[str, Any]],
    metadata: Mapping[str, Any],
    *,
    tools: Iterable[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """One SFT record: `messages` (:func:`sft_messages`), flat `tools` if any, `metadata`.

    A record with fewer than :data:`MIN_MESSAGES` messages has no assistant turn to
    learn from; callers skip it rather than write an invalid line.
    """
    record: dict[str, Any] = {"messages": sft_messages(chat)}
    flat = flat_tools(tools)
    if flat:
        record["tools"] = flat
    record["metadata"] = dict(metadata)
    return record


def jsonl_line(record: Mapping[str, Any]) -> str:
    """`record` as one line of JSONL: compact JSON, non-ASCII kept, ending in `\\n`."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
