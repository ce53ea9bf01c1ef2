"""The README's "SFT data capture" block runs as written: serve, rollouts, filter, validate."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README_PORT = "8001"


def readme_capture_block() -> str:
    """The first bash block of the README's "SFT data capture" section."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index("\n## SFT data capture\n") :]
    start = section.index("```bash\n") + len("```bash\n")
    return section[start : section.index("\n```", start)]


def _free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def test_the_block_makes_a_rollout_before_filtering() -> None:
    """The block serves, waits, makes rollouts, then filters, and stops its server."""
    lines = [line.split("#")[0].strip() for line in readme_capture_block().splitlines()]
    commands = [line for line in lines if line]
    order = [
        next(i for i, c in enumerate(commands) if c.startswith(prefix))
        for prefix in ("taskapp-conformance serve", "curl", "taskapp-conformance check")
    ]
    assert order == sorted(order)
    assert order[-1] < next(i for i, c in enumerate(commands) if " filter " in f"{c} ")
    assert commands[-1] == "kill $!"


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("curl") is None, reason="the README block uses curl")
def test_readme_capture_block_runs_as_written(tmp_path: Path) -> None:
    """In a scratch directory on a free port, every command of the block succeeds."""
    shutil.copytree(REPO / "reference_app" / "configs", tmp_path / "reference_app" / "configs")
    port = _free_port()
    script = "set -e\n" + readme_capture_block().replace(README_PORT, port)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TASKAPP_", "SYNTH_", "SFT_", "LIBSQL_", "TURSO_", "SQLD_"))
        and k != "ENVIRONMENT_API_KEY"
    }
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    with subprocess.Popen(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: the server goes with it
    ) as block:
        try:
            output, _ = block.communicate(timeout=240)
        finally:
            with contextlib.suppress(ProcessLookupError):  # the group is gone: all stopped
                os.killpg(block.pid, signal.SIGTERM)  # the server too, if the block failed
            block.wait()
    assert block.returncode == 0, output
    assert "Verdict: the target conforms; exit code 0." in output
    exported = (tmp_path / "data" / "arithmetic_sft.jsonl").read_text().splitlines()
    batches = list((tmp_path / "sft_batches").glob("*.jsonl"))
    with sqlite3.connect(tmp_path / "traces" / "taskapp_traces.db") as conn:
        sessions = conn.execute("SELECT COUNT(*) FROM session_traces").fetchone()[0]
    assert sessions == len(batches) >= len(exported) >= 1
    assert f"Wrote {len(exported)} examples" in output
    assert '"dry_run": true' in output  # sft-submit --dry-run printed its plan
