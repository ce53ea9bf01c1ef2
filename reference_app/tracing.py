"""Tracing: the `TASKAPP_TRACING_ENABLED` switch and the rollout's trace-DB session (spec §5).

Each rollout becomes one session, written by :class:`conformance.tracedb.TraceWriter`
(the rows, the transaction and the concurrency rules are documented there). This module
only decides what a rollout's session holds: the metadata synth-ai's filter reads
(`task_id`, `task_split`, `model`, `env_name`, `policy_name`, `seed`, ...), one step per
turn with its model-call and environment events, and the full chat (system, user,
assistant with `tool_calls`, tool results), each message in the turn it belongs to, so
`taskapp-conformance filter` can rebuild the conversation exactly.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any, ClassVar

from conformance.tracedb import MessageRow, SessionRows, StepRow, TraceWriter, message_row, utc_iso
from reference_app.rollout import CompletedRollout
from reference_app.trace import turn_step_id

logger = logging.getLogger("reference_app.tracing")

TRACING_ENV = "TASKAPP_TRACING_ENABLED"
TRUTHY = frozenset({"1", "true", "t", "yes", "y", "on"})
FALSY = frozenset({"0", "false", "f", "no", "n", "off"})
ENV_NAME = "arithmetic"


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


def session_rows(completed: CompletedRollout) -> SessionRows:
    """Turn a finished rollout into the rows of one session."""
    trace = completed.trace
    steps = [
        StepRow(step.step_id, step.step_index, step.started, step.completed, step.events)
        for step in trace.steps
    ]
    started = {s.step_index: s.started for s in trace.steps}
    turns = _message_turns(completed.messages)
    messages: list[MessageRow] = [
        message_row(
            m, turn=turn, step_id=turn_step_id(turn), event_time=started.get(turn, trace.created)
        )
        for m, turn in zip(completed.messages, turns, strict=True)
    ]
    return SessionRows(
        session_id=trace.session_id,
        created_at=utc_iso(trace.created),
        metadata=session_metadata(completed),
        steps=steps,
        messages=messages,
        total_reward=float(completed.response.metrics.mean_return),
        total_steps=len(trace.steps),
    )


class TraceDbListener(TraceWriter):
    """A rollout listener that stores each completed rollout as one trace-DB session."""

    capture_name: ClassVar[str] = "trace_db"

    async def __call__(self, completed: CompletedRollout) -> None:
        await asyncio.to_thread(self.write, session_rows(completed))
