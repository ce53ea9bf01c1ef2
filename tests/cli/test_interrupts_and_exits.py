"""Ctrl-C and an app that exits on import end with one line and a documented code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conformance.cli import main
from conformance.exitcodes import ExitCode

ROOT = Path(__file__).resolve().parents[2]


def test_ctrl_c_exits_130_and_writes_the_partial_report_as_incomplete(tmp_path: Path) -> None:
    """SIGINT in the middle of a run ends it with 130 and a JSON report marked interrupted."""
    report = tmp_path / "report.json"
    command = [sys.executable, "-m", "conformance.cli", "check", "--concurrency", "1"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [*command, "--json", str(report)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:  # interrupt once the first check has finished
        if " PASS " in line:
            break
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=120)
    assert process.returncode == ExitCode.INTERRUPTED, out + err
    assert "Traceback" not in out + err
    assert "Verdict: incomplete, the run was interrupted (Ctrl-C)" in out
    doc = json.loads(report.read_text())
    assert (doc["interrupted"], doc["verdict"], doc["exit_code"]) == (True, "incomplete", 130)
    reasons = [c["reason"] for c in doc["checks"] if c["outcome"] == "skip"]
    assert any("interrupted (Ctrl-C)" in reason for reason in reasons)


def test_an_app_module_that_exits_on_import_is_a_usage_error() -> None:
    """`sys.exit(5)` while importing --app is reported in one line with exit 2, not exit 5."""
    result = CliRunner().invoke(
        main, ["check", "--app", "tests.cli.exits_on_import:app", "--api-key", "k"]
    )
    assert result.exit_code == ExitCode.USAGE
    assert "importing 'tests.cli.exits_on_import' called sys.exit(5)" in result.output
