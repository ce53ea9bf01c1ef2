"""Tracing: the `TASKAPP_TRACING_ENABLED` switch and the trace DB writer (spec §5).

Each rollout becomes one session in a database with exactly synth-ai's DDL (§5.5):
`session_traces` (metadata with `task_id`, `task_split`, `model`, `env_name`,
`policy_name`, `seed`), one `session_timesteps` row per turn, `cais` and `environment`
events, an `event_rewards` row per environment event, every chat message with a standard
message type, and one `outcome_rewards` row, so `synth-ai filter --min-official-score`
works. Times are ISO-8601 UTC. The whole session is written in one transaction, so a
reader never sees half a rollout, and concurrent rollouts queue on a lock (in-process)
and on SQLite's busy timeout with WAL (across processes): no row is lost.

Messages come from the full chat (system, user, assistant with `tool_calls`, tool
results). An assistant message with tool calls is stored as the JSON string of
`{"content", "tool_calls"}`; a tool result keeps its `tool_call_id` in the row metadata,
so `taskapp-conformance filter` can rebuild the conversation exactly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from conformance.tracedb import TraceDbError, TraceDbTarget, connect_for_writing, ensure_schema
from conformance.tracedb.connection import remote_failure
from reference_app.rollout import CompletedRollout
from reference_app.trace import iso, message_record

logger = logging.getLogger("reference_app.tracing")

TRACING_ENV = "TASKAPP_TRACING_ENABLED"
TRUTHY = frozenset({"1", "true", "t", "yes", "y", "on"})
FALSY = frozenset({"0", "false", "f", "no", "n", "off"})
ENV_NAME = "arithmetic"

_MESSAGE_TYPES = {
    "system": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool_result",
}


def tracing_enabled(environ: Mapping[str, str], *, default: bool = False) -> bool:
    """`TASKAPP_TRACING_ENABLED` exactly as synth-ai's `tracing_env_enabled` reads it (§5.1).

    After strip and lower-case: `1,true,t,yes,y,on` enable, `0,false,f,no,n,off` disable;
    unset or empty gives `default`; anything else also gives `default`, with a warning.
    """
    raw = environ.get(TRACING_ENV)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUTHY:
        return True
    if value in FALSY:
        return False
    if value:
        logger.warning(
            "%s=%r is not one of %s or %s; using the default (%s)",
            TRACING_ENV,
            raw,
            ",".join(sorted(TRUTHY)),
            ",".join(sorted(FALSY)),
            "on" if default else "off",
        )
    return default


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass
class SessionRows:
    """Everything one rollout writes, as plain values (built without touching the DB)."""

    session_id: str
    created_at: str
    metadata: dict[str, Any]
    steps: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    total_reward: float
    total_steps: int


def session_metadata(completed: CompletedRollout) -> dict[str, Any]:
    """The `session_traces.metadata` object synth-ai's filter reads (§5.5, Appendix A)."""
    request, response, problem = completed.request, completed.response, completed.problem
    final = response.trajectories[0].final or {}
    observation = final.get("observation") if isinstance(final, dict) else None
    completion = observation.get("completion") if isinstance(observation, dict) else None
    return {
        "task_id": problem.task_id,
        "task_split": problem.split,
        "model": completed.model,
        "env_name": ENV_NAME,
        "policy_name": request.policy.policy_name or request.policy.policy_id or "policy",
        "seed": problem.seed,
        "run_id": request.run_id,
        "mode": str(getattr(request.mode, "value", request.mode)),
        "trace_correlation_id": response.trace_correlation_id,
        "official_score": response.metrics.mean_return,
        "prompt": problem.prompt,
        "completion": completion,
    }


def _message_turns(messages: list[dict[str, Any]]) -> list[int]:
    """The turn of each chat message: a tool result or nudge belongs to the turn it answers."""
    turns, assistants = [], 0
    for message in messages:
        if message.get("role") == "assistant":
            turns.append(assistants)
            assistants += 1
        else:
            turns.append(max(assistants - 1, 0))
    return turns


def _message_row(message: dict[str, Any], turn: int, event_time: float) -> dict[str, Any]:
    record = message_record(message, event_time, f"decision_{turn}")
    content = record["content"]["text"]
    if content is None:
        content = record["content"]["json_payload"]
    metadata: dict[str, Any] = {"step_id": f"decision_{turn}", "role": message.get("role")}
    for key in ("tool_call_id", "name"):
        if message.get(key) is not None:
            metadata[key] = message[key]
    return {
        "turn": turn,
        "message_type": _MESSAGE_TYPES.get(str(message.get("role")), "system"),
        "content": content,
        "event_time": event_time,
        "metadata": metadata,
    }


def session_rows(completed: CompletedRollout) -> SessionRows:
    """Turn a finished rollout into the rows of one session."""
    trace = completed.trace
    steps = [
        {
            "step_id": step.step_id,
            "step_index": step.step_index,
            "started": step.started,
            "completed": step.completed,
            "events": step.events,
        }
        for step in trace.steps
    ]
    started = {s.step_index: s.started for s in trace.steps}
    turns = _message_turns(completed.messages)
    messages = [
        _message_row(m, turn, started.get(turn, trace.created))
        for m, turn in zip(completed.messages, turns, strict=True)
    ]
    return SessionRows(
        session_id=trace.session_id,
        created_at=iso(trace.created),
        metadata=session_metadata(completed),
        steps=steps,
        messages=messages,
        total_reward=float(completed.response.metrics.mean_return),
        total_steps=len(trace.steps),
    )


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
        iso(float(time_record.get("event_time") or 0.0)),
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
    n_events = sum(len(s["events"]) for s in rows.steps)
    conn.execute(
        "INSERT INTO session_traces (session_id, created_at, num_timesteps, num_events, "
        "num_messages, metadata) VALUES (?, ?, ?, ?, ?, ?)",
        (
            rows.session_id,
            rows.created_at,
            len(rows.steps),
            n_events,
            len(rows.messages),
            _json(rows.metadata),
        ),
    )
    step_ids: dict[int, int] = {}
    for step in rows.steps:
        index = int(step["step_index"])
        n_messages = sum(1 for m in rows.messages if m["turn"] == index)
        step_ids[index] = _insert(
            conn,
            "INSERT INTO session_timesteps (session_id, step_id, step_index, turn_number, "
            "started_at, completed_at, num_events, num_messages, step_metadata) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, '{}')",
            (
                rows.session_id,
                step["step_id"],
                index,
                index,
                iso(step["started"]),
                iso(step["completed"]) if step["completed"] is not None else None,
                len(step["events"]),
                n_messages,
            ),
        )
        for event in step["events"]:
            _write_event(conn, rows, step_ids[index], event)
    for message in rows.messages:
        conn.execute(
            "INSERT INTO messages (session_id, timestep_id, message_type, content, timestamp, "
            "event_time, message_time, metadata) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rows.session_id,
                step_ids.get(message["turn"]),
                message["message_type"],
                message["content"],
                iso(message["event_time"]),
                message["event_time"],
                message["turn"],
                _json(message["metadata"]),
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
class TraceDbListener:
    """A rollout listener that stores each completed rollout as one trace-DB session.

    One connection is opened on first use and kept (closing a WAL database checkpoints
    it, which would cost ~10 ms per rollout); writes are serialised by a lock, and a
    connection that failed is dropped and reopened on the next write. :meth:`prepare`
    opens it and creates the schema at start-up; :meth:`close` releases it.
    """

    capture_name: ClassVar[str] = "trace_db"
    target: TraceDbTarget
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _held: list[Any] = field(default_factory=list, init=False, repr=False)
    """The open connection, if any (a list so the finalizer can close it without `self`)."""
    _schema_ready: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        weakref.finalize(self, _close_all, self._held)

    async def __call__(self, completed: CompletedRollout) -> None:
        rows = session_rows(completed)
        await asyncio.to_thread(self.write, rows)

    def prepare(self) -> None:
        """Open the DB and create the schema now, so an unusable DB fails at start-up.

        Raises :class:`TraceDbError` in one line without credentials: a corrupt file, a
        directory, a path that cannot be created, an unreachable libSQL server.
        """
        self._locked_transaction(None)

    def write(self, rows: SessionRows) -> None:
        """Write one session in a single transaction (blocking; called off the event loop)."""
        self._locked_transaction(rows)

    def _locked_transaction(self, rows: SessionRows | None) -> None:
        with self._lock:
            if not self._held:
                self._held.append(connect_for_writing(self.target))
            try:
                _transaction(self._held[0], rows, with_schema=not self._schema_ready)
                self._schema_ready = True
            except Exception as exc:
                self._close_locked()
                if self.target.kind == "sqlite":
                    if rows is None:  # at start-up: one line for the user, not a traceback
                        raise TraceDbError(
                            f"cannot use the trace DB {self.target.path}: {exc}"
                        ) from exc
                    raise
                # libSQL errors may quote the URL or token: re-raise a credential-free one.
                raise remote_failure(self.target, exc) from None

    def close(self) -> None:
        """Close the connection (a later write reopens it)."""
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        _close_all(self._held)


def _close_all(held: list[Any]) -> None:
    while held:
        held.pop().close()


def _transaction(conn: Any, rows: SessionRows | None, *, with_schema: bool) -> None:
    """The schema (first time only) and the session (if any), committed together."""
    if isinstance(conn, sqlite3.Connection):
        conn.execute("BEGIN IMMEDIATE")
        try:
            if with_schema:
                ensure_schema(conn)
            if rows is not None:
                write_session(conn, rows)
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return
    if with_schema:
        ensure_schema(conn)
    if rows is not None:
        write_session(conn, rows)
    conn.commit()
