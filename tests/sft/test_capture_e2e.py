"""Issue #7 end to end: rollouts -> trace DB + JSONL -> filter -> validate -> dry-run submit."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.inference import MockInferenceServer
from conformance.jsonl import validate_file
from conformance.jsonl.cli import validate_jsonl_command
from conformance.sft.cli import filter_command, sft_submit_command
from conformance.sft.records import conversation
from conformance.tracedb import TraceReader, schema_differences, schema_of
from tests.sft.conftest import capture_body, run_rollouts

N_SEQUENTIAL = 8
N_PARALLEL = 16


@pytest.fixture(scope="module")
def captured(
    tmp_path_factory: pytest.TempPathFactory, flaky_inference: MockInferenceServer
) -> dict[str, Any]:
    """24 rollouts (8 one by one, 16 eight at a time) with tracing and JSONL output on."""
    root = tmp_path_factory.mktemp("capture")
    environ = {
        "TASKAPP_TRACING_ENABLED": "yes",
        "SYNTH_TRACES_DB": str(root / "traces" / "run.db"),
        "TASKAPP_SFT_OUTPUT_DIR": str(root / "sft"),
    }
    url = flaky_inference.url
    sequential = [capture_body(url, seed, f"seq-{seed}") for seed in range(N_SEQUENTIAL)]
    parallel = [capture_body(url, 100 + i, f"par-{i}") for i in range(N_PARALLEL)]
    responses = run_rollouts(environ, sequential) + run_rollouts(environ, parallel, parallel=8)
    return {"root": root, "db": root / "traces" / "run.db", "responses": responses}


def _rewards(captured: dict[str, Any]) -> dict[str, float]:
    return {r["run_id"]: r["metrics"]["mean_return"] for r in captured["responses"]}


def test_every_rollout_is_one_session_with_exact_schema(captured: dict[str, Any]) -> None:
    """N rollouts give N sessions, in a DB whose DDL is exactly the spec's."""
    with sqlite3.connect(captured["db"]) as conn:
        assert schema_differences(schema_of(conn)) == []
        runs = [
            json.loads(m)["run_id"] for (m,) in conn.execute("SELECT metadata FROM session_traces")
        ]
    assert sorted(runs) == sorted(_rewards(captured))
    assert len(runs) == N_SEQUENTIAL + N_PARALLEL >= 20


def test_rewards_vary_and_match_outcome_rows(captured: dict[str, Any]) -> None:
    """Each session has one outcome_rewards row equal to the rollout's reward."""
    with sqlite3.connect(captured["db"]) as conn:
        rows = conn.execute(
            "SELECT s.metadata, o.total_reward FROM session_traces s "
            "JOIN outcome_rewards o ON o.session_id = s.session_id"
        ).fetchall()
    stored = {json.loads(meta)["run_id"]: total for meta, total in rows}
    expected = {run: int(reward) for run, reward in _rewards(captured).items()}
    assert stored == expected
    assert 0 < sum(expected.values()) < len(expected)


def test_sessions_carry_filter_metadata_and_iso_times(captured: dict[str, Any]) -> None:
    """Session metadata has the keys synth-ai's filter reads; timestamps are ISO-8601."""
    with sqlite3.connect(captured["db"]) as conn:
        rows = conn.execute("SELECT created_at, metadata FROM session_traces").fetchall()
        types = {t for (t,) in conn.execute("SELECT DISTINCT message_type FROM messages")}
    for created_at, metadata in rows:
        meta = json.loads(metadata)
        assert {"task_id", "task_split", "model", "env_name", "policy_name", "seed"} <= set(meta)
        assert created_at[10] == "T"
        assert created_at.endswith("+00:00")
    assert types == {"system", "user", "assistant", "tool_result"}


def test_stored_messages_match_the_jsonl_batches(captured: dict[str, Any]) -> None:
    """The DB conversation of each rollout equals its SFT file, message for message.

    Contents, tool calls and their ids included; the DB also keeps the final tool result
    (the answer's grading), which a training record ends before.
    """
    files = sorted((captured["root"] / "sft").glob("*.jsonl"))
    assert len(files) == len(captured["responses"])
    assert not list((captured["root"] / "sft").glob(".*"))  # no partial files left behind
    with sqlite3.connect(captured["db"]) as conn:
        reader = TraceReader(conn)
        for file in files:
            record = json.loads(file.read_text(encoding="utf-8"))
            rows = reader.messages(record["metadata"]["session_id"])
            assert [r.message_type for r in rows][-1] == "tool_result"
            assert conversation(rows) == record["messages"]
            assert any("tool_calls" in m for m in record["messages"])


def test_jsonl_batches_pass_both_levels(captured: dict[str, Any]) -> None:
    """Every batch file passes the JSONL validator at strict and compat."""
    for file in (captured["root"] / "sft").glob("*.jsonl"):
        for level in ("strict", "compat"):
            report = validate_file(file, level=level, min_messages=2)
            assert report.error_count == 0, [str(e) for e in report.errors]


def test_filter_validate_and_dry_run_submit(captured: dict[str, Any], tmp_path: Path) -> None:
    """filter keeps exactly the reward-1 sessions; the export validates; the dry run names it."""
    output = tmp_path / "curated.jsonl"
    config = tmp_path / "filter.toml"
    config.write_text(
        f'[filter]\ndb = "{captured["db"]}"\noutput = "{output}"\nmin_official_score = 1\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    result = runner.invoke(filter_command, ["--config", str(config)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    winners = {run for run, reward in _rewards(captured).items() if reward >= 1}
    with sqlite3.connect(captured["db"]) as conn:
        run_of = {
            s: json.loads(m)["run_id"]
            for s, m in conn.execute("SELECT session_id, metadata FROM session_traces")
        }
    assert {run_of[r["metadata"]["session_id"]] for r in records} == winners
    assert all(r["messages"][-1]["role"] == "assistant" for r in records)

    checked = runner.invoke(validate_jsonl_command, [str(output)])
    assert checked.exit_code == 0, checked.output

    sft = tmp_path / "sft.toml"
    sft.write_text(
        '[algorithm]\ntype = "offline"\nmethod = "sft"\nvariety = "fft"\n'
        f'[job]\nmodel = "Qwen/Qwen3-0.6B"\ndata = "{output}"\n'
        '[compute]\ngpu_type = "H100"\ngpu_count = 1\n',
        encoding="utf-8",
    )
    submitted = runner.invoke(sft_submit_command, ["--config", str(sft), "--dry-run"])
    assert submitted.exit_code == 0, submitted.output
    plan = json.loads(submitted.stdout)
    assert plan["upload"]["file"] == str(output)
    assert plan["create_job"]["json"]["model"] == "Qwen/Qwen3-0.6B"
