"""A small task app built only with synth-ai's own framework (`create_task_app`, `TaskAppConfig`).

It does everything the app author controls the way the contract asks (spec Appendix A):
deterministic instances with a `taskset` key, the cid echoed in every location, a full
chat-completions call to the inference URL it is given, `info.messages` and
`info.meta.inference_url` on every step, an ISO-8601 trace. Whatever the conformance suite
flags on it therefore comes from the framework itself (spec §10.2).
"""

from __future__ import annotations

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


def _operands(seed: int) -> tuple[int, int]:
    digest = hashlib.blake2b(str(seed).encode(), digest_size=4).digest()
    return digest[0] + digest[1], digest[2] + digest[3]


def _base_task_info() -> TaskInfo:
    return TaskInfo(
        task={"id": APP_ID, "name": "Addition", "version": "1.0.0"},
        environment=ENV_NAME,
        dataset={"id": APP_ID, "name": "addition", "splits": SPLITS, "default_split": "train"},
        rubric={"outcome": {"name": "exact", "criteria": [{"id": "sum", "description": "a+b"}]}},
        inference={"model": MODEL},
        limits={"max_turns": 1},
    )


def _instances(seeds: Sequence[int]) -> list[TaskInfo]:
    base = _base_task_info()
    out = []
    for seed in seeds:
        a, b = _operands(seed)
        out.append(
            base.model_copy(
                update={"task_metadata": {"seed": seed, "a": a, "b": b}, "taskset": TASKSET}
            )
        )
    return out


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
    async with httpx.AsyncClient(timeout=30) as client:
        reply = await client.post(
            normalize_inference_url(url), json={"model": model, "messages": messages}
        )
    reply.raise_for_status()
    message: dict[str, Any] = reply.json()["choices"][0]["message"]
    reward = 1.0 if str(a + b) in str(message.get("content") or "") else 0.0
    step = RolloutStep(
        obs={"prompt": messages[1]["content"], "task_id": f"{APP_ID}:{seed}"},
        tool_calls=list(message.get("tool_calls") or []),
        reward=reward,
        done=True,
        info={"messages": messages, "meta": {"inference_url": url}},
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
