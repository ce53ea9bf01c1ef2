"""Integers over Python's 4,300-digit limit: one error naming the line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.exitcodes import ExitCode
from conformance.sft.cli import sft_submit_command, validate_sft_config_command

HUGE = "9" * 5000
GOOD = '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"ok"}]}'
LINE_ERROR = (
    ":2: invalid JSON (an integer of 5,000 digits; Python's json, which synth-ai uses, "
    "reads at most 4,300) [SFT-JSON]"
)
CONFIG = """
[algorithm]
type = "offline"
method = "sft"
variety = "lora"

[job]
model = "Qwen/Qwen3-0.6B"
data = "{data}"

[compute]
gpu_type = "H100"
gpu_count = 1

[hyperparameters]
n_epochs = 1
"""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """An SFT config whose data file has a 5,000-digit integer on line 2."""
    data = tmp_path / "train.jsonl"
    data.write_text(GOOD + "\n" + GOOD[:-1] + f',"metadata":{{"n":{HUGE}}}}}\n')
    path = tmp_path / "sft.toml"
    path.write_text(CONFIG.format(data=data))
    return path


def test_validate_sft_config_reports_the_line(config: Path) -> None:
    """validate-sft-config exits 1 and names the data line; no traceback."""
    result = CliRunner().invoke(validate_sft_config_command, [str(config)])
    assert result.exit_code == ExitCode.NOT_CONFORMING
    assert f"{config.parent / 'train.jsonl'}{LINE_ERROR}" in result.output
    assert "Traceback" not in result.output


def test_sft_submit_dry_run_reports_the_line(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """sft-submit --dry-run exits 1 before planning anything and names the data line."""
    monkeypatch.setenv("SYNTH_API_KEY", "sk-test-0123456789")
    result = CliRunner().invoke(
        sft_submit_command,
        ["--config", str(config), "--backend", "http://backend.test", "--dry-run"],
    )
    assert result.exit_code == ExitCode.NOT_CONFORMING
    assert f"{config.parent / 'train.jsonl'}{LINE_ERROR}" in result.stderr
    assert "Traceback" not in result.output


def test_huge_integer_in_the_toml_is_a_config_error(tmp_path: Path) -> None:
    """A TOML integer over the limit is a one-line config error (exit 2), not a ValueError."""
    path = tmp_path / "sft.toml"
    path.write_text(f"x = {HUGE}\n")
    result = CliRunner().invoke(validate_sft_config_command, [str(path)])
    assert result.exit_code == ExitCode.USAGE
    assert result.stderr == (
        f"Error: Failed to parse TOML '{path}': an integer longer than 4,300 digits, "
        "which Python (and so synth-ai) refuses to read; write it as a string\n"
    )
