"""The smallest `container` app, built only with synth-ai 0.9.11's own Container framework.

It follows the package's own scaffold (`synth_ai/sdk/container/template.py`,
`build_template_config`: a `ContainerConfig` with a taskset, an instance provider and a rollout
returning `RolloutResponse(trace_correlation_id, reward_info=RolloutMetrics(...), trace)`), and
fills in what that stub leaves empty: one TaskInfo per seed, one chat-completions call to the
inference URL the rollout is given, and a non-empty `trace.event_history` (the package's RL
validator rejects the stub's empty one).

Auth is the framework's own: a PASETO v4.public token in `X-Synth-Container-Authorization`,
verified against SYNTH_CONTAINER_TRUSTED_PUBKEYS, enforced as SYNTH_CONTAINER_AUTH_MODE says
(`required` unless set; `run_container` on a loopback host defaults it to `optional_local`).
Importable only where synth-ai 0.9.11 is installed (`tox -e gen-container`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import httpx
from fastapi import FastAPI, Request
from synth_ai.sdk.container import ContainerConfig, create_container
from synth_ai.sdk.container._impl.contracts import (
    RolloutMetrics,
    RolloutRequest,
    RolloutResponse,
    TaskInfo,
)
from synth_ai.sdk.container._impl.validators import normalize_inference_url

APP_ID = "gen-container-addition"
MODEL = "mock-1"
SPLITS = ["train", "test"]
TASKSET = {"id": APP_ID, "splits": SPLITS, "default_split": "train"}


def operands(seed: int) -> tuple[int, int]:
    """The two numbers seed `seed` asks to add (deterministic)."""
    digest = hashlib.blake2b(str(seed).encode(), digest_size=4).digest()
    return digest[0] + digest[1], digest[2] + digest[3]


def _base_task_info() -> TaskInfo:
    return TaskInfo(
        task={"id": APP_ID, "name": "Addition (Container)", "version": "1.0.0"},
        dataset={"id": APP_ID, "splits": SPLITS, "default_split": "train"},
        inference={"model": MODEL},
        limits={"max_turns": 1},
    )


def _instances(seeds: Sequence[int]) -> list[TaskInfo]:
    base = _base_task_info()
    return [
        base.model_copy(update={"task_metadata": {"seed": s, "operands": list(operands(s))}})
        for s in seeds
    ]


async def _rollout(request: RolloutRequest, _: Request) -> RolloutResponse:
    cid = request.trace_correlation_id
    a, b = operands(request.env.seed or 0)
    messages = [{"role": "user", "content": f"What is {a} + {b}? Answer with the number."}]
    url = str(request.policy.config.get("inference_url") or "")
    event: dict[str, Any] = {"type": "lm_call", "messages": messages, "completion": None}
    if url:
        async with httpx.AsyncClient(timeout=30) as client:
            reply = await client.post(
                normalize_inference_url(url), json={"model": MODEL, "messages": messages}
            )
        reply.raise_for_status()
        event["completion"] = reply.json()["choices"][0]["message"].get("content")
    reward = 1.0 if str(a + b) in str(event["completion"] or "") else 0.0
    return RolloutResponse(
        trace_correlation_id=cid,
        reward_info=RolloutMetrics(outcome_reward=reward),
        trace={"event_history": [event], "metadata": {"trace_correlation_id": cid}},
        inference_url=url or None,
    )


def build_config() -> ContainerConfig:
    """The app's declarative config; synth-ai's defaults for everything not set here."""
    return ContainerConfig(
        app_id=APP_ID,
        name="Addition (Container)",
        description="Adds two numbers; built with synth_ai.sdk.container.create_container.",
        base_task_info=_base_task_info(),
        provide_taskset_description=lambda: TASKSET,
        provide_task_instances=_instances,
        rollout=_rollout,
    )


def create_app() -> FastAPI:
    """The FastAPI app, as `create_container` builds it."""
    app: FastAPI = create_container(build_config())
    return app
