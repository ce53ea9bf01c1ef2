"""synth-ai's tools accept our artifacts: SFT JSONL batches, filter exports, trace DB, sft.toml."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from conformance.inference import MockInferenceServer
from conformance.sft.filter import load_filter_config, run_filter
from conformance.sft.sft_config import check_sft_config
from reference_app import build_config, create_app
from tests.interop.conftest import REPO
from tests.interop.synth import require_synth_ai

require_synth_ai()

from synth_ai.api.train.builders import build_sft_payload  # noqa: E402
from synth_ai.cli.commands.filter.core import filter_command  # noqa: E402
from synth_ai.learning.sft.data import validate_jsonl_or_raise  # noqa: E402
from synth_ai.learning.validators import validate_training_jsonl  # noqa: E402

N_ROLLOUTS = 12
PLACEHOLDER = "[no response recorded]"


async def _rollouts(environ: dict[str, str], inference_url: str, key: str) -> list[dict[str, Any]]:
    app = create_app(build_config(environ={"ENVIRONMENT_API_KEY": key, **environ}))
    transport = httpx.ASGITransport(app=app)
    out = []
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
        for seed in range(N_ROLLOUTS):
            split = "train" if seed % 3 else "test"
            body = {
                "run_id": f"cap-{seed}",
                "env": {"env_name": "arithmetic", "seed": seed, "config": {"split": split}},
                "policy": {
                    "policy_name": "interop",
                    "config": {
                        "inference_url": f"{inference_url}?cid=cid-{seed}",
                        "model": "mock-1",
                    },
                },
                "ops": ["agent", "env"],
                "mode": "rl",
            }
            response = await client.post("/rollout", json=body, headers={"X-API-Key": key})
            assert response.status_code == 200, response.text
            out.append(response.json())
    return out


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """12 rollouts of the reference app with tracing and JSONL batches on; ~40% wrong answers."""
    root = tmp_path_factory.mktemp("capture")
    environ = {
        "TASKAPP_TRACING_ENABLED": "1",
        "SYNTH_TRACES_DB": str(root / "traces.db"),
        "TASKAPP_SFT_OUTPUT_DIR": str(root / "sft"),
    }
    with MockInferenceServer(accuracy=0.6) as mock:
        responses = asyncio.run(_rollouts(environ, mock.url, "interop-capture-key-7a6b5c4d3e"))
    return {"root": root, "db": root / "traces.db", "responses": responses}


def _filter_toml(path: Path, db: Path, output: Path, extra: str = "") -> Path:
    path.write_text(f'[filter]\ndb = "{db}"\noutput = "{output}"\n{extra}', encoding="utf-8")
    return path


def _copy_db(source: Path, target: Path) -> Path:
    """A consistent copy (WAL included): synth-ai's tracer opens the DB read-write."""
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_jsonl_batches_pass_synth_validators(captured: dict[str, Any]) -> None:
    """Every batch the app writes passes validate_jsonl_or_raise(min_messages=2), all lines."""
    files = sorted((captured["root"] / "sft").glob("*.jsonl"))
    assert len(files) == N_ROLLOUTS
    for file in files:
        validate_jsonl_or_raise(file, min_messages=2)
        validate_training_jsonl(file)


@pytest.mark.parametrize(
    ("extra", "bounded"),
    [
        ("", False),
        ('splits = ["train"]\nmin_official_score = 1\n', True),
        ("max_official_score = 0\nlimit = 3\n", True),
    ],
    ids=["all", "train-correct", "wrong-limit-3"],
)
def test_synth_filter_reads_our_db_and_selects_the_same_sessions(
    captured: dict[str, Any], tmp_path: Path, extra: str, bounded: bool
) -> None:
    """synth-ai's `filter` reads our trace DB and selects the same sessions, in order, as ours."""
    ours_out, theirs_out = tmp_path / "ours.jsonl", tmp_path / "theirs.jsonl"
    db_copy = _copy_db(captured["db"], tmp_path / "copy.db")
    run_filter(
        load_filter_config(_filter_toml(tmp_path / "o.toml", captured["db"], ours_out, extra))
    )
    theirs_toml = _filter_toml(tmp_path / "t.toml", db_copy, theirs_out, extra)
    result = CliRunner().invoke(filter_command, ["--config", str(theirs_toml)])
    assert result.exit_code == 0, result.output
    ours, theirs = _lines(ours_out), _lines(theirs_out)
    # synth-ai reports total_reward/achievements_count only when an official bound is set.
    shared = ["session_id", "env_name", "policy_name", "seed", "model", "created_at"]
    shared += ["total_reward", "achievements_count"] if bounded else []
    assert [{k: r["metadata"][k] for k in shared} for r in theirs] == [
        {k: r["metadata"][k] for k in shared} for r in ours
    ]
    for mine, synth in zip(ours, theirs, strict=True):
        # Intentional difference (README): synth-ai keeps one user/assistant pair and, for a
        # tool-calling assistant turn, writes a placeholder; we export the whole conversation.
        user = next(m for m in mine["messages"] if m["role"] == "user")
        assert synth["messages"] == [user, {"role": "assistant", "content": PLACEHOLDER}]
    validate_jsonl_or_raise(theirs_out, min_messages=2)


def test_our_filter_export_passes_synth_validators(
    captured: dict[str, Any], tmp_path: Path
) -> None:
    """The JSONL our `filter` exports passes validate_jsonl_or_raise(min_messages=2)."""
    output = tmp_path / "curated.jsonl"
    config = _filter_toml(tmp_path / "f.toml", captured["db"], output, "min_official_score = 1\n")
    result = run_filter(load_filter_config(config))
    assert 0 < result.written < N_ROLLOUTS
    validate_jsonl_or_raise(output, min_messages=2)
    validate_training_jsonl(output, sample_lines=10**6)


def test_example_sft_toml_goes_through_build_sft_payload(monkeypatch: pytest.MonkeyPatch) -> None:
    """Our example sft.toml builds with synth-ai's build_sft_payload, to the payload we print."""
    monkeypatch.chdir(REPO)  # `[job].data` is relative to the working directory, as in synth-ai
    for name in ("SDK_EXPERIMENTAL", "SDK_EXPERIMENTAL_MODELS"):
        monkeypatch.delenv(name, raising=False)
    path = REPO / "reference_app" / "configs" / "sft.toml"
    theirs = build_sft_payload(config_path=path, dataset_override=None, allow_experimental=False)
    ours = check_sft_config(path, environ={}, base_dir=REPO)
    assert ours.ok, ours.errors
    assert theirs.payload == ours.payload
    assert theirs.train_file.resolve() == (REPO / "reference_app/configs/example_sft.jsonl")
    validate_jsonl_or_raise(theirs.train_file, min_messages=2)
