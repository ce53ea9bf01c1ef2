"""The wheel installed with no extras into a fresh venv runs every front-door command.

`.ci/plain_install` builds the sdist and the wheel, installs the wheel alone into a new
venv and runs this module with TASKAPP_PLAIN_VENV pointing at it; without that variable
(the normal test run, where the package is installed editable) these tests skip.
Every command runs from a directory outside the source tree, so nothing of the
repository is importable: what runs is what a user of `pip install taskapp-conformance` has.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conformance.serving import ServerThread
from tests.cli.test_examples import run_action_script
from tests.faults.apps import reference

PLAIN_VENV = os.environ.get("TASKAPP_PLAIN_VENV", "")
pytestmark = pytest.mark.skipif(
    not PLAIN_VENV,
    reason="needs TASKAPP_PLAIN_VENV: a venv with only the wheel (.ci/plain_install)",
)
ROOT = Path(__file__).resolve().parents[2]


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the plain venv's `taskapp-conformance` from outside the source tree."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKAPP_", "PYTHON"))}
    env.pop("ENVIRONMENT_API_KEY", None)
    return subprocess.run(
        [str(Path(PLAIN_VENV) / "bin" / "taskapp-conformance"), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_the_contract_document_ships_with_the_package(tmp_path: Path) -> None:
    """The rules every report links to are installed beside the package."""
    python = Path(PLAIN_VENV) / "bin" / "python"
    code = "import conformance, pathlib; print(pathlib.Path(conformance.__file__).parent)"
    done = subprocess.run(
        [str(python), "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    document = Path(done.stdout.strip()) / "docs" / "contract.md"
    assert '<a id="auth-key-header"></a>' in document.read_text(encoding="utf-8")


def test_the_package_comes_from_the_venv_not_the_source_tree(tmp_path: Path) -> None:
    """The plain venv imports `conformance` from its own site-packages."""
    python = Path(PLAIN_VENV) / "bin" / "python"
    done = subprocess.run(
        [str(python), "-c", "import conformance; print(conformance.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    location = Path(done.stdout.strip()).resolve()
    assert Path(PLAIN_VENV).resolve() in location.parents
    assert ROOT not in location.parents


@pytest.mark.parametrize(
    "args",
    [["--help"], ["check", "--help"], ["list-checks"], ["list-checks", "--format", "json"]],
    ids=["help", "check-help", "list-checks", "list-checks-json"],
)
def test_help_and_catalogue_commands_work(tmp_path: Path, args: list[str]) -> None:
    """`--help` and `list-checks` exit 0 with output and no traceback."""
    done = _run(tmp_path, *args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.parametrize(
    "args", [[], ["--fuzz", "--fuzz-examples", "5"]], ids=["check", "check-fuzz"]
)
def test_check_conforms_on_the_embedded_app(tmp_path: Path, args: list[str]) -> None:
    """`check` and `check --fuzz` run the whole catalogue (Hypothesis and Schemathesis included)
    against the embedded reference app and conform.
    """
    done = _run(tmp_path, "check", "--quiet", "--json", "report.json", *args)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "report.json").read_text())
    outcomes = {c["id"]: c["outcome"] for c in report["checks"]}
    assert outcomes["FUZZ-1"] == "pass"
    assert report["verdict"] == "conforms"


def test_validate_jsonl_accepts_a_valid_file_and_rejects_a_broken_one(tmp_path: Path) -> None:
    """`validate-jsonl` exits 0 on a valid record and 1 on a broken one."""
    good = {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
    (tmp_path / "good.jsonl").write_text(json.dumps(good) + "\n")
    (tmp_path / "bad.jsonl").write_text('{"messages": []}\n')
    assert _run(tmp_path, "validate-jsonl", "good.jsonl").returncode == 0
    bad = _run(tmp_path, "validate-jsonl", "bad.jsonl")
    assert bad.returncode == 1
    assert "Traceback" not in bad.stdout + bad.stderr


def test_the_action_script_gates_with_the_plain_install(tmp_path: Path) -> None:
    """The Action's own check step, run with only the plain venv on PATH, gates a served app."""
    with ServerThread(reference()) as server:
        code, outputs = run_action_script(
            tmp_path, server.url, bin_dir=Path(PLAIN_VENV) / "bin", select="EP,TI,AUTH"
        )
    assert (code, outputs["exit-code"]) == (0, "0")
    for name in ("junit", "markdown", "html"):
        assert Path(outputs[name]).is_file()
