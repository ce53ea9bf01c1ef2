"""The shipped examples work: the author repo's tests pass, the action is well-formed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
AUTHOR_REPO = ROOT / "examples" / "author_repo"


def _pytest_in_author_repo(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run pytest inside examples/author_repo, with none of our own taskapp settings leaking in."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TASKAPP_", "PYTEST_"))}
    clean.update(PYTHONPATH=str(AUTHOR_REPO), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *args],
        cwd=AUTHOR_REPO,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_author_repo_tests_pass() -> None:
    """examples/author_repo's own test suite passes with the plugin's fixtures."""
    result = _pytest_in_author_repo()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_author_repo_passes_the_whole_catalogue() -> None:
    """`pytest --taskapp-app my_task_app:create_app -m taskapp` passes every check."""
    result = _pytest_in_author_repo(
        "--taskapp-app",
        "my_task_app:create_app",
        "-m",
        "taskapp",
        ENVIRONMENT_API_KEY="example-key-0123456789",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "46 passed, 1 skipped" in result.stdout


def test_action_declares_inputs_and_outputs() -> None:
    """action.yml has the inputs and report outputs the issue asks for, and keeps the key in env."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert {"url", "api-key", "select", "strict"} <= set(action["inputs"])
    assert {"junit", "markdown", "html"} <= set(action["outputs"])
    check_step = next(s for s in action["runs"]["steps"] if s.get("id") == "check")
    assert check_step["env"]["ENVIRONMENT_API_KEY"] == "${{ inputs.api-key }}"
    assert "inputs.api-key" not in check_step["run"]


def test_example_workflow_uploads_reports() -> None:
    """The example workflow runs the CLI gate and uploads the reports."""
    workflow = yaml.safe_load(
        (ROOT / "examples" / "workflows" / "taskapp-conformance.yml").read_text()
    )
    steps = workflow["jobs"]["conformance"]["steps"]
    assert any("taskapp-conformance check" in str(s.get("run", "")) for s in steps)
    assert any(str(s.get("uses", "")).startswith("actions/upload-artifact") for s in steps)
