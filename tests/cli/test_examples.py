"""The shipped examples work: the author repo's tests pass, the action is well-formed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from conformance.contract.profiles import LEGACY
from conformance.registry import catalogue
from conformance.serving import ServerThread
from tests.faults import KEY
from tests.faults.apps import reference
from tests.faults.asgi import Exchange, FaultyApp

ROOT = Path(__file__).resolve().parents[2]
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
    assert _whole_catalogue_passed() in result.stdout


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


def test_author_repo_readme_block_runs_as_written(tmp_path: Path) -> None:
    """The author repo's README commands run as written in a copy of the repo, with the
    `pytest` on PATH (not `python -m pytest`) and no PYTHONPATH: both pass.
    """
    readme = (AUTHOR_REPO / "README.md").read_text()
    block = readme.split("```bash\n", 1)[1].split("```", 1)[0]
    # The install line would fetch the released package; this venv has the tree's own.
    script = "\n".join(line for line in block.splitlines() if not line.startswith("pip install"))
    repo = tmp_path / "author_repo"
    shutil.copytree(AUTHOR_REPO, repo, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKAPP_", "PYTEST_"))}
    env.pop("PYTHONPATH", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    done = subprocess.run(
        ["bash", "-e", "-c", script],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout
    assert _whole_catalogue_passed() in done.stdout


def run_action_script(
    tmp_path: Path, url: str, *, bin_dir: Path | None = None, **inputs: str
) -> tuple[int, dict[str, str]]:
    """Run the action's check step in bash as the runner would: (exit code, its outputs).

    `bin_dir` holds the `taskapp-conformance` to run (default: this interpreter's); the
    script runs in `tmp_path`, outside the source tree.
    """
    tmp_path.mkdir(parents=True, exist_ok=True)
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "check")
    outputs, summary = tmp_path / "outputs", tmp_path / "summary"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("TASKAPP_", "PYTHONPATH"))},
        "PATH": f"{bin_dir or Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "ENVIRONMENT_API_KEY": inputs.get("api-key", KEY),
        "TASKAPP_URL": url,
        "TASKAPP_INFERENCE_URL": "",
        "INPUT_SELECT": inputs.get("select", ""),
        "INPUT_STRICT": inputs.get("strict", "false"),
        "REPORT_DIR": str(tmp_path / "reports"),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = subprocess.run(
        ["bash", "-e", "-c", step["run"]],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    pairs = (line.split("=", 1) for line in outputs.read_text().splitlines())
    return done.returncode, dict(pairs)


def test_action_script_gates_and_reports(tmp_path: Path) -> None:
    """The action's script passes a conforming app, sets every output, fills the summary."""
    with ServerThread(reference()) as server:
        code, outputs = run_action_script(tmp_path, server.url, select="EP,TI")
    assert (code, outputs["exit-code"]) == (0, "0")
    for name in ("junit", "markdown", "html"):
        assert Path(outputs[name]).is_file()
    assert "the target conforms" in (tmp_path / "summary").read_text()


def test_action_strict_input_is_case_insensitive(tmp_path: Path) -> None:
    """strict: "True" turns a should-level warning into a failing gate (exit 1)."""
    with ServerThread(FaultyApp(reference(), after=_reject_with_400)) as server:
        lenient, _ = run_action_script(tmp_path / "a", server.url, select="AUTH-8")
        strict, _ = run_action_script(tmp_path / "b", server.url, select="AUTH-8", strict="True")
    assert (lenient, strict) == (0, 1)


def test_action_outputs_no_report_paths_when_none_was_written(tmp_path: Path) -> None:
    """An unreachable app (exit 3) writes no reports and the outputs say so (empty paths),
    even where an earlier run in the same workspace left reports behind.
    """
    with ServerThread(reference()) as server:
        assert run_action_script(tmp_path, server.url, select="EP-1")[0] == 0
    code, outputs = run_action_script(tmp_path, "http://127.0.0.1:9")
    assert (code, outputs["exit-code"]) == (3, "3")
    assert outputs["junit"] == outputs["markdown"] == outputs["html"] == ""


def _reject_with_400(ex: Exchange) -> None:
    if ex.status == 401:
        ex.status = 400


def _whole_catalogue_passed() -> str:
    """The pytest tally of a legacy-0.2 app passing every check of its generation; skipped:
    DET-4 (nothing declared) and the rules of the other generations.
    """
    passed = sum(c.applies_to(LEGACY) for c in catalogue()) - 1
    return f"{passed} passed, {len(catalogue()) - passed} skipped"
