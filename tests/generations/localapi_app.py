"""The smallest `localapi` task app, built only with synth-ai 0.6.6's own LocalAPI framework.

It follows the package's own scaffold (`synth_ai/sdk/localapi/template.py`,
`build_template_config`: a `LocalAPIConfig` with a taskset, an instance provider and a rollout
that returns `RolloutResponse(trace_correlation_id, reward_info=RolloutMetrics(...), trace)`),
and fills in what that stub leaves empty so the package's own checks have something to judge:
one TaskInfo per seed (the stub returns none), one chat-completions call to the inference URL
the rollout is given, and a trace whose `event_history` is not empty (the stub's is empty, which
the package's own RL validator rejects).

Importable only where synth-ai 0.6.6 is installed (`tox -e gen-localapi`). Serve it with
`ENVIRONMENT_API_KEY=... uvicorn --factory tests.generations.localapi_app:create_app`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import httpx
from fastapi import FastAPI, Request
from synth_ai.sdk.localapi import LocalAPIConfig, create_local_api
from synth_ai.sdk.localapi._impl.contracts import (
    RolloutMetrics,
    RolloutRequest,
    RolloutResponse,
    TaskInfo,
)
from synth_ai.sdk.localapi._impl.validators import normalize_inference_url

APP_ID = "gen-localapi-addition"
MODEL = "mock-1"
SPLITS = ["train", "test"]
TASKSET = {"id": APP_ID, "splits": SPLITS, "default_split": "train"}


def operands(seed: int) -> tuple[int, int]:
    """The two numbers seed `seed` asks to add (deterministic)."""
    digest = hashlib.blake2b(str(seed).encode(), digest_size=4).digest()
    return digest[0] + digest[1], digest[2] + digest[3]


def _base_task_info() -> TaskInfo:
    return TaskInfo(
        task={"id": APP_ID, "name": "Addition (LocalAPI)", "version": "1.0.0"},
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


def build_config() -> LocalAPIConfig:
    """The app's declarative config; synth-ai's defaults for everything not set here.

    `ensure_localapi_auth=False` only stops the startup hook from minting a key and writing it
    to the user's synth-ai config when ENVIRONMENT_API_KEY is unset; requests are still
    authenticated by the framework's own dependency (`require_api_key=True`, the default).
    """
    return LocalAPIConfig(
        app_id=APP_ID,
        name="Addition (LocalAPI)",
        description="Adds two numbers; built with synth_ai.sdk.localapi.create_local_api.",
        base_task_info=_base_task_info(),
        provide_taskset_description=lambda: TASKSET,
        provide_task_instances=_instances,
        rollout=_rollout,
        ensure_localapi_auth=False,
    )


def create_app() -> FastAPI:
    """The FastAPI app, as `create_local_api` builds it."""
    app: FastAPI = create_local_api(build_config())
    return app
