"""Read sessions, their outcome rewards and messages back from a trace DB (for `filter`).

Works on databases written by :mod:`conformance.tracedb.writer` and by synth-ai's own
tracer alike: it only relies on the columns of the spec's DDL (§5.5) and treats every
JSON column as possibly malformed (parse failures give `{}`, as synth-ai does).
:func:`chat_messages` turns stored messages back into chat messages, synth-ai's
`policy_*` and `tool_use` types included.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from conformance.tracedb.schema import Executes, missing_tables


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """One `messages` row."""

    id: int
    message_type: str
    content: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OutcomeReward:
    """The first `outcome_rewards` row of a session."""

    total_reward: int
    achievements_count: int
    total_steps: int
    reward_metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredSession:
    """One `session_traces` row with its metadata parsed."""

    session_id: str
    created_at: str
    metadata: dict[str, Any]


def json_object(text: Any) -> dict[str, Any]:
    """Parse a JSON column holding an object; anything else gives `{}`."""
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class TraceReader:
    """Queries over one open connection (sqlite3 or libsql)."""

    def __init__(self, conn: Executes) -> None:
        self._conn = conn

    def missing_tables(self) -> list[str]:
        """Required tables the database lacks (empty for a trace DB)."""
        return missing_tables(self._conn)

    def session_count(self) -> int:
        """How many sessions the database holds."""
        return int(self._conn.execute("SELECT COUNT(*) FROM session_traces").fetchone()[0])

    def sessions(self) -> Iterator[StoredSession]:
        """Every session, oldest first (ties broken by id, so the order is stable)."""
        rows = self._conn.execute(
            "SELECT session_id, created_at, metadata FROM session_traces "
            "ORDER BY created_at, session_id"
        ).fetchall()
        for session_id, created_at, metadata in rows:
            yield StoredSession(str(session_id), str(created_at or ""), json_object(metadata))

    def outcome(self, session_id: str) -> OutcomeReward | None:
        """The session's first outcome reward row, if any."""
        row = self._conn.execute(
            "SELECT total_reward, achievements_count, total_steps, reward_metadata "
            "FROM outcome_rewards WHERE session_id = ? ORDER BY id LIMIT 1",
            (session_id,),
        ).fetchone()
        if row is None:
            return None
        return OutcomeReward(int(row[0]), int(row[1]), int(row[2]), json_object(row[3]))

    def messages(self, session_id: str) -> list[StoredMessage]:
        """The session's messages in insertion order."""
        rows = self._conn.execute(
            "SELECT id, message_type, content, metadata FROM messages "
            "WHERE session_id = ? ORDER BY id",
            (session_id,),
        ).fetchall()
        return [
            StoredMessage(int(i), str(kind), str(content), json_object(meta))
            for i, kind, content, meta in rows
        ]


def _decoded(content: str) -> Any:
    stripped = content.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except ValueError:
            return content
    return content


def _text_or_parts(content: str) -> Any:
    value = _decoded(content)
    if isinstance(value, dict):
        inner = value.get("content", value.get("text"))
        if isinstance(inner, str | list):
            return inner
    return content


def _assistant(content: str) -> dict[str, Any]:
    value = _decoded(content)
    if isinstance(value, dict) and ("tool_calls" in value or "content" in value):
        message: dict[str, Any] = {"role": "assistant", "content": value.get("content")}
        if isinstance(value.get("tool_calls"), list) and value["tool_calls"]:
            message["tool_calls"] = value["tool_calls"]
        return message
    return {"role": "assistant", "content": content}


def chat_messages(rows: Iterable[StoredMessage]) -> list[dict[str, Any]]:
    """The chat messages (`role`, `content`, ...) that `rows` store, in order.

    The inverse of :func:`conformance.tracedb.message_row`; synth-ai's `policy_system_prompt`,
    `policy_user_prompt`, `tool_use` and `policy_tool_call` rows are read too, and rows of
    any other type are skipped.
    """
    chat: list[dict[str, Any]] = []
    for row in rows:
        kind = row.message_type
        if kind in ("system", "user"):
            chat.append({"role": kind, "content": _text_or_parts(row.content)})
        elif kind in ("assistant", "tool_use", "policy_tool_call"):
            chat.append(_assistant(row.content))
        elif kind == "tool_result":
            message = {"role": "tool", "content": row.content}
            if row.metadata.get("tool_call_id") is not None:
                message["tool_call_id"] = str(row.metadata["tool_call_id"])
            chat.append(message)
        elif kind in ("policy_system_prompt", "policy_user_prompt"):
            role = "system" if kind == "policy_system_prompt" else "user"
            chat.append({"role": role, "content": _text_or_parts(row.content)})
    return chat
