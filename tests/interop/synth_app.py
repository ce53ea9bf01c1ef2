"""A small task app built only with synth-ai's own framework (`create_task_app`, `TaskAppConfig`).

It does everything the app author controls the way the contract asks (spec Appendix A):
deterministic instances with a `taskset` key, the cid echoed in every location, a full
chat-completions call to the inference URL it is given, `info.messages` and
`info.meta.inference_url` on every step, an ISO-8601 trace, `num_episodes` set (synth-ai's
model defaults it to 0). It also does what the behaviour rules ask of the executor, the
author's code: the model call is bounded by `safety.max_time_s` and a model that fails
(status, timeout, garbage, no choices) ends the episode marked (`aborted`, the step
`truncated`, `info.error`), never an exception; and it declares what it promises in the
fields synth-ai's models let it add (`limits.reward_range`, `task_metadata.task_id`).
Whatever the conformance suite flags on it therefore comes from the framework itself
(spec §10.2).
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI, Request
from synth_ai.task.contracts import (
    RolloutMetrics,
    RolloutRequest,
    RolloutResponse,
    RolloutStep,
    RolloutTrajectory,
    TaskInfo,
)
from synth_ai.task.server import TaskAppConfig, create_task_app
from synth_ai.task.trace_correlation_helpers import extract_trace_correlation_id
from synth_ai.task.validators import normalize_inference_url

APP_ID = "synth-addition"
ENV_NAME = "addition"
MODEL = "mock-1"
SPLITS = ["train", "test"]
TASKSET = {"id": APP_ID, "splits": SPLITS, "default_split": "train", "cardinality": 2**31}
_MODEL_FAILURES = (httpx.HTTPError, TimeoutError, ValueError, LookupError, TypeError)
"""What a model call can end in: an error status or transport failure, the time budget
spent, a body that is not JSON (ValueError), no choices (LookupError), a wrong shape."""


def _operands(seed: int) -> tuple[int, int]:
    digest = hashlib.blake2b(str(seed).encode(), digest_size=4).digest()
    return digest[0] + digest[1], digest[2] + digest[3]


def _task_id(seed: int) -> str:
    return f"{APP_ID}:{seed}"


def _base_task_info() -> TaskInfo:
    return TaskInfo(
        task={"id": APP_ID, "name": "Addition", "version": "1.0.0"},
        environment=ENV_NAME,
        dataset={"id": APP_ID, "name": "addition", "splits": SPLITS, "default_split": "train"},
        rubric={"outcome": {"name": "exact", "criteria": [{"id": "sum", "description": "a+b"}]}},
        inference={"model": MODEL},
        limits={"max_turns": 1, "reward_range": [0.0, 1.0]},
    )


def _instances(seeds: Sequence[int]) -> list[TaskInfo]:
    base = _base_task_info()
    out = []
    for seed in seeds:
        a, b = _operands(seed)
        out.append(
            base.model_copy(
                update={
                    "task_metadata": {"seed": seed, "task_id": _task_id(seed), "a": a, "b": b},
                    "taskset": TASKSET,
                }
            )
        )
    return out


async def _ask_model(
    url: str, model: str, messages: list[dict[str, str]], budget_s: float
) -> tuple[dict[str, Any], str | None]:
    """The model's message, or `({}, what went wrong)`; never longer than `budget_s`."""
    try:
        async with asyncio.timeout(budget_s), httpx.AsyncClient(timeout=30) as client:
            reply = await client.post(
                normalize_inference_url(url), json={"model": model, "messages": messages}
            )
            reply.raise_for_status()
            message = reply.json()["choices"][0]["message"]
    except _MODEL_FAILURES as exc:
        return {}, f"model call failed: {type(exc).__name__}"
    if not isinstance(message, dict):
        return {}, "model call failed: the message is not an object"
    return message, None


async def _rollout(request: RolloutRequest, _: Request) -> RolloutResponse:
    config = request.policy.config
    url = str(config.get("inference_url") or "")
    cid = extract_trace_correlation_id(config, url, mode=request.mode) or ""
    seed = request.env.seed if request.env.seed is not None else 0
    a, b = _operands(seed)
    messages = [
        {"role": "system", "content": "Answer with the number only."},
        {"role": "user", "content": f"What is {a} + {b}?"},
    ]
    model = str(config.get("model") or MODEL)
    message, error = await _ask_model(url, model, messages, request.safety.max_time_s)
    reward = 1.0 if str(a + b) in str(message.get("content") or "") else 0.0
    info: dict[str, Any] = {"messages": messages, "meta": {"inference_url": url}}
    if error is not None:
        info["error"] = error
    step = RolloutStep(
        obs={"prompt": messages[1]["content"], "task_id": _task_id(seed)},
        tool_calls=list(message.get("tool_calls") or []),
        reward=reward,
        done=True,
        truncated=error is not None,
        info=info,
    )
    trajectory = RolloutTrajectory(
        env_id=f"{ENV_NAME}:{seed}",
        policy_id=request.policy.policy_name or "policy",
        steps=[step],
        final={"observation": {"completion": message.get("content")}, "reward": reward},
        length=1,
        inference_url=url,
    )
    trace = None
    if request.record.return_trace:
        trace = {
            "session_id": f"session_{request.run_id}",
            "created_at": datetime.now(UTC).isoformat(),
            "metadata": {"run_id": request.run_id, "seed": seed},
            "session_time_steps": [],
            "event_history": [],
            "markov_blanket_message_history": [],
        }
    return RolloutResponse(
        run_id=request.run_id,
        trajectories=[trajectory],
        metrics=RolloutMetrics(
            episode_returns=[reward],
            mean_return=reward,
            num_steps=1,
            num_episodes=1,
            outcome_score=reward,
        ),
        aborted=error is not None,
        ops_executed=len(request.ops),
        trace_correlation_id=cid,
        trace=trace,
        pipeline_metadata={"inference_url": url, "trace_correlation_id": cid},
    )


def build_config() -> TaskAppConfig:
    """The app's declarative config, with synth-ai's defaults for everything not set."""
    return TaskAppConfig(
        app_id=APP_ID,
        name="Addition (synth-ai framework)",
        description="Adds two numbers; built with synth_ai.task.server.create_task_app.",
        base_task_info=_base_task_info(),
        describe_taskset=lambda: TASKSET,
        provide_task_instances=_instances,
        rollout=_rollout,
    )


def create_app() -> FastAPI:
    """The FastAPI app synth-ai's `create_task_app` builds from :func:`build_config`."""
    return create_task_app(build_config())
