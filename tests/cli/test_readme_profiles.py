"""The README's "Profiles" blocks run as written."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.contract.profiles import CONTAINER
from conformance.options import KNOBS
from conformance.registry import catalogue

README = Path(__file__).resolve().parents[2] / "README.md"
_MARKER = (
    "<!-- runs in tests/cli/test_readme_profiles.py::test_readme_profiles_block_runs_as_written -->"
)


def _block() -> list[list[str]]:
    text = README.read_text(encoding="utf-8")
    found = re.search(re.escape(_MARKER) + r"\n```bash\n(.*?)```", text, re.S)
    assert found is not None, "the README's Profiles block is gone"
    return [shlex.split(line, comments=True) for line in found.group(1).splitlines() if line]


def test_readme_profiles_block_runs_as_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each command of the block exits 0 (the embedded reference app of each generation
    conforms) and does what the README says it does.
    """
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    outputs = []
    for argv in _block():
        assert argv[0] == "taskapp-conformance"
        result = runner.invoke(main, argv[1:], env={k.env: "" for k in KNOBS})
        assert result.exit_code == 0, (argv, result.output)
        outputs.append(result.output)
    listed = [line.split()[0] for line in outputs[0].splitlines()]
    assert listed == [c.id for c in catalogue() if c.applies_to(CONTAINER)]
    assert "Profile: container" in outputs[1]
    report = (tmp_path / "migration.md").read_text(encoding="utf-8")
    assert report.startswith("# Migrating from legacy-0.2 to containers-2026-05\n")


_SERVE_MARKER = (
    "<!-- runs in tests/cli/test_readme_profiles.py::test_readme_serve_block_runs_as_written -->"
)


@pytest.mark.e2e
def test_readme_serve_block_runs_as_written(tmp_path: Path) -> None:
    """The `serve --profile container` block, run by bash as written: a fresh key pair, the
    container reference app on 127.0.0.1, and `check` with the signing key conforms.
    """
    text = README.read_text(encoding="utf-8")
    found = re.search(re.escape(_SERVE_MARKER) + r"\n```bash\n(.*?)```", text, re.S)
    assert found is not None, "the README's serve block is gone"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TASKAPP_", "SYNTH_"))}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["ENVIRONMENT_API_KEY"] = ""
    # The safety net of the test, not the README's: the server stops even if a line fails.
    script = "set -e\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n" + found.group(1)
    result = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Profile: container (--profile container)" in result.stdout
    assert "the target conforms" in result.stdout
