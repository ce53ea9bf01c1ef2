"""Read sessions, their outcome rewards and messages back from a trace DB (for `filter`).

Works on databases written by the reference app and by synth-ai's own tracer alike: it
only relies on the columns of the spec's DDL (§5.5) and treats every JSON column as
possibly malformed (parse failures give `{}`, as synth-ai does).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
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
