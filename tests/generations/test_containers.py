"""Interop baseline for `containers-2026-05`: what synth-containers 0.4.6 itself serves.

The README app (`containers_app.create_app`) is driven with the package's own client,
`HTTPContainerClient.from_app`, which runs it in-process; the package's strict reference server
(`containers_app.create_strict_app`) with a plain client. Every assertion pins what the package
returns: these are the facts future `containers-2026-05` verdicts are checked against.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.generations.pins import require

require("containers-2026-05")

from synth_containers import Container  # noqa: E402
from synth_containers.http_client import HTTPContainerClient  # noqa: E402

from tests.generations import containers_app  # noqa: E402

CONTRACT_VERSION = "2026-05-28"
BASE = "http://containers.test"
README_BODY = {"rollout_id": "smoke-1", "answer": "hello", "expected": "hello"}
T = TypeVar("T")


def _drive(app: Any, use: Callable[[HTTPContainerClient, httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run `use` with the package's own client and a raw client, both in-process on `app`."""

    async def run() -> T:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with (
            HTTPContainerClient.from_app(app, base_url=BASE) as client,
            httpx.AsyncClient(transport=transport, base_url=BASE) as raw,
        ):
            return await use(client, raw)

    return asyncio.run(run())


def test_health_and_metadata_carry_the_contract_version() -> None:
    """`/health` is `{status, contract_version}`; `/metadata` (= `/info`) names the protocol."""

    async def use(client: HTTPContainerClient, _: httpx.AsyncClient) -> Any:
        return await client.health(), await client.metadata(), await client.info()

    health, metadata, info = _drive(containers_app.create_app(), use)
    assert health == {"status": "ok", "contract_version": CONTRACT_VERSION}
    assert info == metadata
    capabilities = metadata["capabilities"]
    assert capabilities["protocol"] == "synth.container.contract.v1"
    assert capabilities["contract_version"] == CONTRACT_VERSION
    assert capabilities["live_frames"] == "unsupported"
    assert capabilities["rollout_modes"] == ["blocking", "async"]
    assert capabilities["metadata"] == {"policy_ready": True, "program_ready": False}
    assert metadata["metadata"] == {}, "no GEPA contract without program and taskset callbacks"


def test_task_info_is_a_default_descriptor_that_ignores_the_seed() -> None:
    """Without a `task_info` callback `/task_info` is a fixed descriptor, whatever the seed."""

    async def use(client: HTTPContainerClient, raw: httpx.AsyncClient) -> Any:
        return await client.task_info(), (await raw.get("/task_info?seed=5")).json()

    plain, seeded = _drive(containers_app.create_app(), use)
    name = containers_app.NAME
    assert plain == {
        "task": {"task_id": name, "task_name": name, "description": ""},
        "metadata": {},
    }
    assert seeded == plain


def test_readme_rollout_completes_synchronously() -> None:
    """The README rollout answers 200 with the callback's record as is: no `reward_info`."""

    async def use(client: HTTPContainerClient, raw: httpx.AsyncClient) -> Any:
        return await client.rollout(README_BODY), await raw.post("/rollouts", json=README_BODY)

    body, response = _drive(containers_app.create_app(), use)
    assert response.status_code == 200
    assert set(body) == {
        "rollout_id",
        "status",
        "success_status",
        "created_at",
        "updated_at",
        "summary",
    }
    assert (body["status"], body["summary"]) == ("completed", {"reward": 1.0})


def test_async_rollout_is_200_running_then_completed() -> None:
    """An async submission answers 200 (not 202) `running`, and its state becomes `completed`."""

    async def use(client: HTTPContainerClient, raw: httpx.AsyncClient) -> Any:
        body = {**README_BODY, "rollout_id": "async-1", "submission_mode": "async"}
        submitted = await raw.post("/rollouts", json=body)
        seen = [submitted.json()["status"]]
        for _ in range(50):
            state = await client.get_state("async-1")
            seen.append(state["status"])
            if state["status"] != "running":
                break
            await asyncio.sleep(0.01)
        terminated = await client.terminate("async-1")
        return submitted.status_code, seen, terminated

    status, seen, terminated = _drive(containers_app.create_app(), use)
    assert status == 200
    assert seen[0] == "running"
    assert seen[-1] == "completed"
    # The SDK lets a completed rollout be terminated, which wire.py's transition table forbids.
    assert (terminated["status"], terminated["success_status"]) == ("terminated", "failed")


def test_sdk_replays_nothing_and_never_answers_409() -> None:
    """The SDK runs a reused `rollout_id` again, even with another body: no replay, no 409."""

    async def use(_: HTTPContainerClient, raw: httpx.AsyncClient) -> list[httpx.Response]:
        other = {**README_BODY, "answer": "other"}
        return [await raw.post("/rollouts", json=body) for body in (README_BODY, other)]

    first, second = _drive(containers_app.create_app(), use)
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["summary"] == {"reward": 0.0}
    assert "replayed" not in second.json()


@pytest.mark.parametrize(
    ("method", "path", "status", "detail"),
    [
        pytest.param("GET", "/program", 404, "container_route_not_supported:program", id="program"),
        pytest.param("GET", "/taskset", 404, "container_route_not_supported:taskset", id="taskset"),
        pytest.param("GET", "/dataset", 404, "Not Found", id="dataset"),
        pytest.param("POST", "/dataset/rows", 404, "Not Found", id="dataset-rows"),
        pytest.param("GET", "/compatibility", 404, "Not Found", id="compatibility"),
        pytest.param("GET", "/task_catalog", 404, "Not Found", id="task_catalog"),
        pytest.param("HEAD", "/", 405, None, id="head-root"),
    ],
)
def test_routes_the_readme_app_does_not_serve(
    method: str, path: str, status: int, detail: str | None
) -> None:
    """The README app 404s the optional routes, including `/program` that its metadata hints."""

    async def use(_: HTTPContainerClient, raw: httpx.AsyncClient) -> Any:
        hints = (await raw.get("/metadata")).json()["capabilities"]["route_hints"]
        return hints, await raw.request(method, path, json={} if method == "POST" else None)

    hints, response = _drive(containers_app.create_app(), use)
    assert hints["program_routes"] == ["/program"]
    assert response.status_code == status
    if detail is not None:
        assert response.json() == {"detail": detail}


def test_sdk_result_without_required_fields() -> None:
    """A result without `status` is a plain 500 when sync, and a `failed` record when async."""
    container = Container("incomplete", default_submission_mode="sync")
    container.rollout(lambda payload: {"rollout_id": payload["rollout_id"]})

    async def use(_: HTTPContainerClient, raw: httpx.AsyncClient) -> Any:
        sync = await raw.post("/rollouts", json={"rollout_id": "s-1"})
        await raw.post("/rollouts", json={"rollout_id": "a-1", "submission_mode": "async"})
        for _ in range(50):
            state = (await raw.get("/rollouts/a-1")).json()
            if state["status"] != "running":
                break
            await asyncio.sleep(0.01)
        return sync, state

    sync, state = _drive(container.fastapi(), use)
    assert (sync.status_code, sync.text) == (500, "Internal Server Error")
    assert (state["status"], state["success_status"]) == ("failed", "error")
    assert state["metadata"]["error_code"] == "async_rollout_execution_failed"


def test_strict_server_replays_and_answers_409_on_conflict(tmp_path: Path) -> None:
    """The reference server replays a same-body `rollout_id` and refuses another body with 409."""
    body = {"rollout_id": "r-1", "seed": 1}

    async def use(_: HTTPContainerClient, raw: httpx.AsyncClient) -> Any:
        first = (await raw.post("/rollouts", json=body)).json()
        again = (await raw.post("/rollouts", json=body)).json()
        conflict = await raw.post("/rollouts", json={**body, "seed": 2})
        return first, again, conflict

    first, again, conflict = _drive(containers_app.create_strict_app(tmp_path), use)
    assert "replayed" not in first
    assert again == {**first, "replayed": True}
    assert conflict.status_code == 409
    assert conflict.json() == {
        "detail": {"error": "rollout_identity_conflict", "rollout_id": "r-1"}
    }
    assert first["trace_correlation_id"] == "r-1", "the rollout id stands in for a missing cid"
    assert first["reward_info"]["outcome_reward"] == 1.0


@pytest.mark.parametrize(
    ("extra", "status", "loc"),
    [
        pytest.param({"bogus": 1}, 422, ["body", "bogus"], id="unknown-field"),
        pytest.param({"idempotency_key": "k"}, 422, ["body", "idempotency_key"], id="openapi-only"),
        pytest.param({"dataset_row": {}}, 422, ["body", "dataset_row"], id="dataset_row"),
        pytest.param({"rollout_id": "-x"}, 422, ["body", "rollout_id"], id="rollout_id-pattern"),
        pytest.param(
            {"policy": {"model": "m"}}, 422, ["body", "policy", "provider"], id="provider"
        ),
        pytest.param(
            {"policy": {"provider": "openai", "model": "m", "config": {"api_key": "k"}}},
            422,
            ["body", "policy"],
            id="raw-credential",
        ),
        pytest.param({"task_instance_id": "no-seed"}, 200, None, id="instance-pattern-unchecked"),
        pytest.param({"submission_mode": "later"}, 500, None, id="bad-mode-crashes"),
    ],
)
def test_strict_request_model(
    tmp_path: Path, extra: dict[str, Any], status: int, loc: list[str] | None
) -> None:
    """The reference server's request model forbids unknown fields and checks ids and policy."""

    async def use(_: HTTPContainerClient, raw: httpx.AsyncClient) -> httpx.Response:
        return await raw.post("/rollouts", json={"rollout_id": "r-2", **extra})

    response = _drive(containers_app.create_strict_app(tmp_path), use)
    assert response.status_code == status
    if loc is not None:
        assert response.json()["detail"][0]["loc"] == loc


def test_strict_server_async_is_200_and_completes(tmp_path: Path) -> None:
    """An async submission to the reference server is 200 `running`; its record completes."""

    async def use(client: HTTPContainerClient, raw: httpx.AsyncClient) -> Any:
        submitted = await raw.post(
            "/rollouts", json={"rollout_id": "a-1", "submission_mode": "async"}
        )
        for _ in range(100):
            state = await client.get_state("a-1")
            if state["status"] != "running":
                break
            await asyncio.sleep(0.01)
        return submitted, state

    submitted, state = _drive(containers_app.create_strict_app(tmp_path), use)
    assert (submitted.status_code, submitted.json()["status"]) == (200, "running")
    assert (state["status"], state["success_status"]) == ("completed", "success")


def test_strict_server_compatibility_matrix(tmp_path: Path) -> None:
    """`/compatibility` reports all ten consumer targets; an unknown target is a 400."""

    async def use(client: HTTPContainerClient, raw: httpx.AsyncClient) -> Any:
        return await client.compatibility(), await raw.get("/compatibility?target=nope")

    matrix, unknown = _drive(containers_app.create_strict_app(tmp_path), use)
    assert {target: report["supported"] for target, report in matrix.items()} == {
        "go_ex": True,
        "miprov2": True,
        "standard_evals": False,
        "pipeline_rl": False,
        "pipeline_rl_token_ids": False,
        "pipeline_rl_logprobs": False,
        "pipeline_rl_logits": False,
        "harbor_proxy": False,
        "openenv_proxy": False,
        "archipelago_proxy": False,
    }
    assert unknown.status_code == 400
    assert unknown.json()["detail"].startswith("invalid_compatibility_target:nope:")
