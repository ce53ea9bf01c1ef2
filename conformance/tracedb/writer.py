"""Write sessions into a trace DB with exactly synth-ai's DDL (spec §5.5).

One session is: a `session_traces` row (its metadata holds what `filter` reads), one
`session_timesteps` row per step, `cais` (model call) and `environment` events, an
`event_rewards` row per environment event, every chat message with a standard message
type, and one `outcome_rewards` row, so `synth-ai filter --min-official-score` works.
Times are ISO-8601 UTC.

A chat message is stored by :func:`message_row`: plain text stays text; an assistant
message with tool calls (or any non-string content) becomes the compact JSON of
`{"content", "tool_calls"}`; a tool result keeps its `tool_call_id` (and `name`) in the
row metadata. :func:`conformance.tracedb.chat_messages` reads them back exactly.

:class:`TraceWriter` writes each session in one transaction, so a reader never sees half
of one, and concurrent writers queue on a lock (threads) and on SQLite's busy timeout
with WAL (processes): no row is lost.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from conformance.tracedb.connection import TraceDbError, connect_for_writing, remote_failure
from conformance.tracedb.dsn import TraceDbTarget
from conformance.tracedb.schema import ensure_schema

MESSAGE_TYPES: Mapping[str, str] = {
    "system": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool_result",
}
"""The `messages.message_type` of each chat role; any other role is stored as `system`."""


def utc_iso(seconds: float) -> str:
    """Unix seconds as an ISO-8601 UTC string (`2025-01-01T00:00:00+00:00`)."""
    return datetime.fromtimestamp(seconds, UTC).isoformat()


def message_type(role: Any) -> str:
    """The standard `message_type` for a chat role (:data:`MESSAGE_TYPES`)."""
    return MESSAGE_TYPES.get(str(role), "system")


def message_content(message: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """`(text, json_payload)` of a chat message; exactly one of them is set.

    String content without tool calls is text; anything else is the compact JSON of
    `{"content", "tool_calls"}` (a v3 message's `json_payload`).
    """
    content = message.get("content")
    if isinstance(content, str) and not message.get("tool_calls"):
        return content, None
    payload = {"content": content, "tool_calls": message.get("tool_calls")}
    return None, json.dumps(payload, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class MessageRow:
    """One `messages` row before it is written; `turn` links it to its step."""

    turn: int
    message_type: str
    content: str
    event_time: float
    metadata: dict[str, Any]


def message_row(
    message: Mapping[str, Any], *, turn: int, step_id: str, event_time: float
) -> MessageRow:
    """How a chat message is stored (the module docstring has the rules)."""
    text, payload = message_content(message)
    metadata: dict[str, Any] = {"step_id": step_id, "role": message.get("role")}
    for key in ("tool_call_id", "name"):
        if message.get(key) is not None:
            metadata[key] = message[key]
    return MessageRow(
        turn=turn,
        message_type=message_type(message.get("role")),
        content=text if text is not None else str(payload),
        event_time=event_time,
        metadata=metadata,
    )


@dataclass(frozen=True, slots=True)
class StepRow:
    """One `session_timesteps` row and its events (v3 `SessionTrace` event dicts).

    An event with a `reward` key is an `environment` event (it also gets an
    `event_rewards` row); any other is a `cais` event (a model call).
    """

    step_id: str
    step_index: int
    started: float
    completed: float | None
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SessionRows:
    """Everything one session writes, as plain values (built without touching the DB)."""

    session_id: str
    created_at: str
    metadata: dict[str, Any]
    steps: list[StepRow]
    messages: list[MessageRow]
    total_reward: float
    total_steps: int


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _insert(conn: Any, sql: str, values: tuple[Any, ...]) -> int:
    return int(conn.execute(sql, values).lastrowid)


def _write_event(conn: Any, rows: SessionRows, step_row: int, event: dict[str, Any]) -> None:
    time_record = event.get("time_record") or {}
    common = (
        rows.session_id,
        step_row,
        event.get("system_instance_id"),
        time_record.get("event_time"),
        time_record.get("message_time"),
        utc_iso(float(time_record.get("event_time") or 0.0)),
        _json(event.get("metadata") or {}),
        _json(event.get("event_metadata")) if event.get("event_metadata") is not None else None,
    )
    head = (
        "INSERT INTO events (session_id, timestep_id, event_type, system_instance_id, "
        "event_time, message_time, created_at, metadata, event_metadata, "
    )
    if "reward" in event:
        event_id = _insert(
            conn,
            head + "reward, terminated, truncated, system_state_before, system_state_after) "
            "VALUES (?, ?, 'environment', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                *common,
                float(event["reward"]),
                int(bool(event.get("terminated"))),
                int(bool(event.get("truncated"))),
                _json(event["system_state_before"]) if event.get("system_state_before") else None,
                _json(event["system_state_after"]) if event.get("system_state_after") else None,
            ),
        )
        conn.execute(
            "INSERT INTO event_rewards (event_id, session_id, turn_number, reward_value, "
            "reward_type, annotation, source, created_at) "
            "VALUES (?, ?, ?, ?, 'sparse', ?, 'environment', ?)",
            (
                event_id,
                rows.session_id,
                time_record.get("message_time"),
                float(event["reward"]),
                common[7],
                common[5],
            ),
        )
        return
    calls = event.get("call_records") or None
    conn.execute(
        head + "model_name, provider, latency_ms, call_records, system_state_after) "
        "VALUES (?, ?, 'cais', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            *common,
            event.get("model_name"),
            event.get("provider"),
            event.get("latency_ms"),
            _json(calls) if calls else None,
            _json({"tool_calls": event.get("tool_calls") or []}),
        ),
    )


def write_session(conn: Any, rows: SessionRows) -> None:
    """Insert one session's rows; the caller owns the transaction."""
    conn.execute(
        "INSERT INTO session_traces (session_id, created_at, num_timesteps, num_events, "
        "num_messages, metadata) VALUES (?, ?, ?, ?, ?, ?)",
        (
            rows.session_id,
            rows.created_at,
            len(rows.steps),
            sum(len(s.events) for s in rows.steps),
            len(rows.messages),
            _json(rows.metadata),
        ),
    )
    step_ids: dict[int, int] = {}
    for step in rows.steps:
        step_ids[step.step_index] = _insert(
            conn,
            "INSERT INTO session_timesteps (session_id, step_id, step_index, turn_number, "
            "started_at, completed_at, num_events, num_messages, step_metadata) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}')",
            (
                rows.session_id,
                step.step_id,
                step.step_index,
                step.step_index,
                utc_iso(step.started),
                utc_iso(step.completed) if step.completed is not None else None,
                len(step.events),
                sum(1 for m in rows.messages if m.turn == step.step_index),
            ),
        )
        for event in step.events:
            _write_event(conn, rows, step_ids[step.step_index], event)
    for message in rows.messages:
        conn.execute(
            "INSERT INTO messages (session_id, timestep_id, message_type, content, timestamp, "
            "event_time, message_time, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rows.session_id,
                step_ids.get(message.turn),
                message.message_type,
                message.content,
                utc_iso(message.event_time),
                message.event_time,
                message.turn,
                _json(message.metadata),
            ),
        )
    reward = rows.total_reward
    conn.execute(
        "INSERT INTO outcome_rewards (session_id, total_reward, achievements_count, "
        "total_steps, created_at, reward_metadata) VALUES (?, ?, ?, ?, ?, ?)",
        (
            rows.session_id,
            int(reward),
            int(reward >= 1.0),
            rows.total_steps,
            rows.created_at,
            _json({"reward": reward, "outcome_score": reward}),
        ),
    )


@dataclass
class TraceWriter:
    """Writes sessions to one trace DB, each in a single transaction.

    One connection is opened on first use and kept (closing a WAL database checkpoints
    it, which would cost ~10 ms per session); writes are serialised by a lock, and a
    connection that failed is dropped and reopened on the next write. :meth:`prepare`
    opens it and creates the schema now; :meth:`close` releases it.
    """

    target: TraceDbTarget
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _held: list[Any] = field(default_factory=list, init=False, repr=False)
    """The open connection, if any (a list so the finalizer can close it without `self`)."""
    _schema_ready: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        weakref.finalize(self, _close_all, self._held)

    def prepare(self) -> None:
        """Open the DB and create the schema now, so an unusable DB fails at start-up.

        Raises :class:`TraceDbError` in one line without credentials: a corrupt file, a
        directory, a path that cannot be created, an unreachable libSQL server.
        """
        self._locked_transaction(None)

    def write(self, rows: SessionRows) -> None:
        """Write one session in a single transaction (blocking; keep it off an event loop)."""
        self._locked_transaction(rows)

    def close(self) -> None:
        """Close the connection (a later write reopens it)."""
        with self._lock:
            _close_all(self._held)

    def _locked_transaction(self, rows: SessionRows | None) -> None:
        with self._lock:
            if not self._held:
                self._held.append(connect_for_writing(self.target))
            try:
                _transaction(self._held[0], rows, with_schema=not self._schema_ready)
                self._schema_ready = True
            except Exception as exc:
                _close_all(self._held)
                if self.target.kind == "sqlite":
                    if rows is None:  # at start-up: one line for the user, not a traceback
                        raise TraceDbError(
                            f"cannot use the trace DB {self.target.path}: {exc}"
                        ) from exc
                    raise
                # libSQL errors may quote the URL or token: re-raise a credential-free one.
                raise remote_failure(self.target, exc) from None


def _close_all(held: list[Any]) -> None:
    while held:
        held.pop().close()


def _transaction(conn: Any, rows: SessionRows | None, *, with_schema: bool) -> None:
    """The schema (first time only) and the session (if any), committed together."""
    if isinstance(conn, sqlite3.Connection):
        conn.execute("BEGIN IMMEDIATE")
        try:
            _apply(conn, rows, with_schema=with_schema)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return
    _apply(conn, rows, with_schema=with_schema)
    conn.commit()


def _apply(conn: Any, rows: SessionRows | None, *, with_schema: bool) -> None:
    if with_schema:
        ensure_schema(conn)
    if rows is not None:
        write_session(conn, rows)
