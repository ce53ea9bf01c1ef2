"""Fixtures for the SFT data-capture tests: a mock policy that is sometimes wrong, rollouts."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.inference import MockInferenceServer
from conformance.tracedb import MessageRow, SessionRows, ensure_schema, write_session
from reference_app import build_config, create_app
from tests.conftest import TEST_KEY

ACCURACY = 0.6


@pytest.fixture(scope="session")
def flaky_inference() -> Iterator[MockInferenceServer]:
    """The mock inference server answering wrongly for ~40% of cids (deterministically)."""
    server = MockInferenceServer(accuracy=ACCURACY)
    with server:
        yield server


def capture_body(
    inference_url: str, seed: int, run_id: str, split: str = "train"
) -> dict[str, Any]:
    """An rl rollout request whose cid is derived from the run id."""
    return {
        "run_id": run_id,
        "env": {"env_name": "arithmetic", "seed": seed, "config": {"split": split}},
        "policy": {
            "policy_name": "capture-test",
            "config": {"inference_url": f"{inference_url}?cid=cid-{run_id}", "model": "mock-1"},
        },
        "ops": ["agent", "env"],
        "mode": "rl",
    }


async def _run(
    environ: Mapping[str, str], bodies: Sequence[dict[str, Any]], parallel: int
) -> list[dict[str, Any]]:
    app = create_app(build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY, **environ}))
    limit = asyncio.Semaphore(parallel)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:

        async def one(body: dict[str, Any]) -> dict[str, Any]:
            async with limit:
                response = await client.post(
                    "/rollout", json=body, headers={"X-API-Key": TEST_KEY}, timeout=60
                )
            assert response.status_code == 200, response.text
            result: dict[str, Any] = response.json()
            return result

        return list(await asyncio.gather(*(one(b) for b in bodies)))


def run_rollouts(
    environ: Mapping[str, str], bodies: Sequence[dict[str, Any]], *, parallel: int = 1
) -> list[dict[str, Any]]:
    """POST each body to a fresh in-process reference app; at most `parallel` at once."""
    return asyncio.run(_run(environ, bodies, parallel))


def _chat(seed: int, answer_ok: bool) -> list[dict[str, Any]]:
    call = {
        "id": f"c{seed}",
        "type": "function",
        "function": {"name": "submit_answer", "arguments": json.dumps({"answer": seed})},
    }
    return [
        {"role": "system", "content": "Solve it."},
        {"role": "user", "content": f"What is {seed}?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": f"c{seed}", "content": "correct" if answer_ok else "no"},
    ]


def session(
    index: int, *, reward: float, split: str = "train", model: str = "m1", **meta: Any
) -> SessionRows:
    """Rows of one synthetic session (no rollout needed), created `index` seconds after 2025."""
    created = f"2025-01-01T00:00:{index:02d}+00:00"
    messages = [
        MessageRow(turn=0, message_type=t, content=c, event_time=1.7e9 + index, metadata=m)
        for t, c, m in _stored(_chat(index, reward >= 1))
    ]
    metadata = {
        "task_id": f"task-{index}",
        "task_split": split,
        "model": model,
        "env_name": "arithmetic",
        "policy_name": "p",
        "seed": index,
        **meta,
    }
    return SessionRows(f"s-{index:03d}", created, metadata, [], messages, reward, 1)


def _stored(chat: list[dict[str, Any]]) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for message in chat:
        role = message["role"]
        meta: dict[str, Any] = {"role": role}
        if role == "assistant":
            content = json.dumps({"content": None, "tool_calls": message["tool_calls"]})
        else:
            content = message["content"]
        if role == "tool":
            meta["tool_call_id"] = message["tool_call_id"]
        out.append(({"tool": "tool_result"}.get(role, role), content, meta))
    return out


def make_trace_db(path: Path, sessions: Sequence[SessionRows]) -> Path:
    """A trace DB with the spec's schema holding `sessions`."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("BEGIN")
        ensure_schema(conn)
        for rows in sessions:
            write_session(conn, rows)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return path
