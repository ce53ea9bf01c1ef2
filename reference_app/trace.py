"""A v3 `SessionTrace` of one rollout, serialised with ISO-8601 datetimes (spec §5.7, §5.8).

synth-ai serialises datetimes as Python `repr` strings (D10); we emit ISO strings,
typed events (`model_name`/`provider` on LM events, `reward` on env events) and
message content as `{text, json_payload}`, with standard message types only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from conformance.contract import RolloutResponse
from conformance.tracedb import message_content, message_type, utc_iso


def turn_step_id(turn: int) -> str:
    """The `step_id` of a turn's step (`decision_0`, `decision_1`, ...)."""
    return f"decision_{turn}"


def message_record(message: dict[str, Any], event_time: float, step_id: str) -> dict[str, Any]:
    """One `markov_blanket_message` dict for a chat message (stored like the trace DB's)."""
    text, payload = message_content(message)
    return {
        "content": {"text": text, "json_payload": payload},
        "message_type": message_type(message.get("role")),
        "time_record": {"event_time": event_time, "message_time": None},
        "metadata": {"step_id": step_id, "role": message.get("role")},
    }


@dataclass
class _Step:
    step_id: str
    step_index: int
    started: float
    events: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    completed: float | None = None


@dataclass
class TraceBuilder:
    """Collects the events and messages of one episode as they happen."""

    session_id: str
    created: float = field(default_factory=time.time)
    steps: list[_Step] = field(default_factory=list)

    def _step(self, turn: int) -> _Step:
        while len(self.steps) <= turn:
            index = len(self.steps)
            self.steps.append(
                _Step(step_id=turn_step_id(index), step_index=index, started=time.time())
            )
        return self.steps[turn]

    def record_llm_call(
        self,
        turn: int,
        model: str,
        sent: list[dict[str, Any]],
        reply: dict[str, Any],
        started: float,
    ) -> None:
        step = self._step(turn)
        now = time.time()
        if turn == 0:
            step.messages.extend(message_record(m, started, step.step_id) for m in sent)
        else:
            step.messages.extend(message_record(m, started, step.step_id) for m in sent[-1:])
        step.messages.append(message_record({"role": "assistant", **reply}, now, step.step_id))
        step.events.append(
            {
                "system_instance_id": "policy",
                "time_record": {"event_time": now, "message_time": turn},
                "metadata": {"step_id": step.step_id},
                "event_metadata": None,
                "model_name": model,
                "provider": "openai-compatible",
                "latency_ms": int((now - started) * 1000),
                "call_records": [],
                "tool_calls": reply.get("tool_calls") or [],
            }
        )

    def record_env_step(
        self, turn: int, reward: float, done: bool, truncated: bool, observation: str
    ) -> None:
        step = self._step(turn)
        step.completed = time.time()
        step.events.append(
            {
                "system_instance_id": "environment",
                "time_record": {"event_time": step.completed, "message_time": turn},
                "metadata": {"step_id": step.step_id},
                "event_metadata": None,
                "reward": reward,
                "terminated": done,
                "truncated": truncated,
                "system_state_before": None,
                "system_state_after": {"observation": observation},
            }
        )

    def as_dict(self, trace_format: str, response: RolloutResponse) -> dict[str, Any]:
        """The trace for `record.trace_format`: full `SessionTrace` unless `compact`."""
        metadata = dict(response.pipeline_metadata)
        events = [e for s in self.steps for e in s.events]
        messages = [m for s in self.steps for m in s.messages]
        if trace_format == "compact":
            return {
                "session_id": self.session_id,
                "created_at": utc_iso(self.created),
                "metadata": metadata,
                "events_count": len(events),
                "messages_count": len(messages),
                "lm_calls": [
                    {
                        "turn": e["time_record"]["message_time"],
                        "model": e["model_name"],
                        "provider": e["provider"],
                        "latency_ms": e["latency_ms"],
                        "tool_calls": e["tool_calls"],
                    }
                    for e in events
                    if "model_name" in e
                ],
                "decision_rewards": [],
            }
        return {
            "session_id": self.session_id,
            "created_at": utc_iso(self.created),
            "session_time_steps": [
                {
                    "step_id": s.step_id,
                    "step_index": s.step_index,
                    "timestamp": utc_iso(s.started),
                    "turn_number": s.step_index,
                    "events": s.events,
                    "markov_blanket_messages": s.messages,
                    "step_metadata": {},
                    "completed_at": utc_iso(s.completed) if s.completed is not None else None,
                }
                for s in self.steps
            ],
            "event_history": events,
            "markov_blanket_message_history": messages,
            "metadata": metadata,
            "session_metadata": None,
        }
