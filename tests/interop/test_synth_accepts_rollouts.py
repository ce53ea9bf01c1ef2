"""synth-ai's own tools accept our reference app: RL validator, contracts, TaskAppClient, eval."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from conformance.inference import MockInferenceServer
from conformance.serving import ServerThread
from tests.interop.synth import require_synth_ai

require_synth_ai()

from synth_ai.cli.commands.eval.core import eval_command  # noqa: E402
from synth_ai.task.client import TaskAppClient  # noqa: E402
from synth_ai.task.contracts import RolloutRequest, RolloutResponse, TaskInfo  # noqa: E402
from synth_ai.task.validators import validate_rollout_response_for_rl  # noqa: E402


def _body(inference_url: str, cid: str, *, mode: str = "rl", seed: int = 3) -> dict[str, Any]:
    return {
        "run_id": f"interop-{cid}",
        "env": {"env_name": "arithmetic", "seed": seed, "config": {"split": "train"}},
        "policy": {
            "policy_name": "interop",
            "config": {"inference_url": f"{inference_url}?cid={cid}", "model": "mock-1"},
        },
        "ops": ["agent", "env"],
        "mode": mode,
    }


def _post(server: ServerThread, key: str, body: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}/rollout", json=body, headers={"X-API-Key": key}, timeout=60
    )
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


@pytest.mark.parametrize("mode", ["rl", "eval"])
def test_rollout_passes_synth_rl_validator(
    reference_server: ServerThread,
    interop_key: str,
    mock_inference: MockInferenceServer,
    mode: str,
) -> None:
    """Our rollout response has no issue for validate_rollout_response_for_rl (it never raises)."""
    data = _post(
        reference_server, interop_key, _body(mock_inference.url, f"trace_v{mode}", mode=mode)
    )
    assert validate_rollout_response_for_rl(data, warn_only=True) == []
    assert validate_rollout_response_for_rl(data) == []


def test_rollout_parses_as_synth_rollout_response(
    reference_server: ServerThread, interop_key: str, mock_inference: MockInferenceServer
) -> None:
    """The body validates as synth-ai's RolloutResponse and its dump keeps every cid location."""
    data = _post(reference_server, interop_key, _body(mock_inference.url, "trace_parse"))
    parsed = RolloutResponse.model_validate(data)
    dumped = parsed.model_dump()
    assert dumped["trace_correlation_id"] == "trace_parse"
    assert dumped["pipeline_metadata"]["trace_correlation_id"] == "trace_parse"
    assert "?cid=trace_parse" in dumped["pipeline_metadata"]["inference_url"]
    assert validate_rollout_response_for_rl(dumped) == []
    assert parsed.metrics.num_steps == sum(t.length for t in parsed.trajectories)


def test_task_info_parses_as_synth_task_info(
    reference_server: ServerThread, interop_key: str
) -> None:
    """`/task_info?seed=N` answers parse as synth-ai's TaskInfo, one object or a list."""
    headers = {"X-API-Key": interop_key}
    one = httpx.get(f"{reference_server.url}/task_info?seed=0", headers=headers).json()
    many = httpx.get(f"{reference_server.url}/task_info?seed=1&seed=2", headers=headers).json()
    assert TaskInfo.model_validate(one).environment == "arithmetic"
    assert [TaskInfo.model_validate(item).task_metadata["seed"] for item in many] == [1, 2]


async def _drive(url: str, key: str, inference_url: str) -> dict[str, Any]:
    async with TaskAppClient(url, api_key=key, retries=1) as client:
        health = await client.health()
        info = await client.info()
        one = await client.task_info([4])
        many = await client.task_info([5, 6])
        request = RolloutRequest.model_validate(_body(inference_url, "trace_client", seed=4))
        response = await client.rollout(request)
    return {"health": health, "info": info, "one": one, "many": many, "rollout": response}


def test_task_app_client_drives_reference_app(
    reference_server: ServerThread, interop_key: str, mock_inference: MockInferenceServer
) -> None:
    """synth-ai's TaskAppClient (its three auth headers) runs health, info, task_info, rollout."""
    got = asyncio.run(_drive(reference_server.url, interop_key, mock_inference.url))
    assert got["health"]["healthy"] is True
    assert isinstance(got["info"]["inference"], dict)
    assert isinstance(got["one"], TaskInfo)
    assert [t.task_metadata["seed"] for t in got["many"]] == [5, 6]
    rollout: RolloutResponse = got["rollout"]
    assert rollout.run_id == "interop-trace_client"
    assert rollout.trace_correlation_id == "trace_client"
    assert validate_rollout_response_for_rl(rollout.model_dump()) == []
    assert any(call.cid == "trace_client" for call in mock_inference.recorder.calls())


def test_synth_eval_command_runs_against_reference_app(
    reference_server: ServerThread,
    interop_key: str,
    mock_inference: MockInferenceServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The real `synth-ai eval --url` (spec §9.2) completes every seed and stores every trace."""
    monkeypatch.chdir(tmp_path)  # eval discovers configs and writes under the cwd
    env_file = tmp_path / "interop.env"
    env_file.write_text("# ENVIRONMENT_API_KEY comes from the environment\n", encoding="utf-8")
    config = tmp_path / "eval.toml"
    config.write_text(
        "[eval]\n"
        'app_id = "reference"\n'
        'model = "mock-1"\n'
        "seeds = [0, 1, 2]\n"
        'env_name = "arithmetic"\n'
        f'inference_url = "{mock_inference.url}?cid=trace_eval"\n',
        encoding="utf-8",
    )
    trace_db = tmp_path / "eval_traces.db"
    args = ["--url", reference_server.url, "--config", str(config), "--env-file", str(env_file)]
    args += ["--split", "train", "--trace-db", str(trace_db)]
    result = CliRunner().invoke(eval_command, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output[-2000:]
    assert "Eval complete: 3 ok, 0 failed" in result.output
    with sqlite3.connect(trace_db) as conn:
        sessions = conn.execute("SELECT COUNT(*) FROM session_traces").fetchone()[0]
    assert sessions == 3
