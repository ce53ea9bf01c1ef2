"""`validate-sft-config`: synth-ai's `build_sft_payload` rules plus its silent ignores (§8)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.sft import SFT_MODELS, check_model, check_sft_config
from conformance.sft.cli import validate_sft_config_command
from conformance.sft.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE_DATA = REPO / "reference_app" / "configs" / "example_sft.jsonl"
WriteSft = Callable[..., Path]

VALID = f"""
[algorithm]
type = "offline"
method = "sft"
variety = "fft"

[job]
model = "Qwen/Qwen3-4B"
data = "{EXAMPLE_DATA}"

[compute]
gpu_type = "H100"
gpu_count = 1

[hyperparameters]
n_epochs = 2
learning_rate = 1e-5
"""


@pytest.fixture
def write_sft(tmp_path: Path) -> WriteSft:
    """Write an SFT TOML: the valid base text with `old -> new` replacements and extra text."""

    def write(*replacements: tuple[str, str], extra: str = "") -> Path:
        text = VALID
        for old, new in replacements:
            assert old in text
            text = text.replace(old, new)
        path = tmp_path / "sft.toml"
        path.write_text(text + extra, encoding="utf-8")
        return path

    return write


def test_shipped_configs_pass_our_validators() -> None:
    """reference_app/configs/sft.toml is valid with no warnings (run from the repo root)."""
    report = check_sft_config(REPO / "reference_app/configs/sft.toml", environ={}, base_dir=REPO)
    assert report.errors == []
    assert report.warnings == []
    assert report.payload is not None
    assert report.payload["training_type"] == "sft_offline"


def test_valid_config_builds_synth_ai_payload(write_sft: WriteSft) -> None:
    """The payload has synth-ai's shape with the canonical model id."""
    report = check_sft_config(write_sft(("Qwen/Qwen3-4B", "qwen/QWEN3-4b")), environ={})
    assert report.ok, report.errors
    assert report.payload == {
        "model": "Qwen/Qwen3-4B",
        "hyperparameters": {"n_epochs": 2, "learning_rate": 1e-5},
        "training_type": "sft_offline",
        "metadata": {
            "effective_config": {
                "compute": {"gpu_type": "H100", "gpu_count": 1},
                "data": {"topology": {}},
                "training": {},
            }
        },
        "training_file_id": None,
    }


@pytest.mark.parametrize(
    ("replacement", "message"),
    [
        (('variety = "fft"', 'variety = "qlora"'), "rejects qlora"),
        (('type = "offline"', 'type = "online"'), "expects SFT"),
        (('model = "Qwen/Qwen3-4B"', 'model = "ft:Qwen/Qwen3-4B:abc"'), "is not supported"),
        (('model = "Qwen/Qwen3-4B"', 'model = "gpt-4o"'), "Model 'gpt-4o' is not supported"),
        (
            ('model = "Qwen/Qwen3-4B"', 'model = "Qwen/Qwen3-4B-Thinking-2507"'),
            "is experimental and disabled",
        ),
        (("n_epochs = 2", "n_epochs = 0"), "hyperparameters.n_epochs must be an integer greater"),
        (("n_epochs = 2", "batch_size = 8"), "must include at least one of: n_epochs"),
        (
            ("learning_rate = 1e-5", "learning_rate = -1.0"),
            "learning_rate must be greater than zero",
        ),
        (("learning_rate = 1e-5", "warmup_ratio = 1.5"), "warmup_ratio must be between 0 and 1"),
        (("gpu_count = 1", "gpu_count = 0"), "compute.gpu_count"),
        ((f'data = "{EXAMPLE_DATA}"', 'data = "nope.jsonl"'), "Dataset not found"),
        ((f'data = "{EXAMPLE_DATA}"', ""), "Dataset not specified"),
    ],
    ids=[
        "qlora",
        "rl",
        "finetuned",
        "unknown-model",
        "experimental",
        "zero-epochs",
        "no-steps",
        "negative-lr",
        "warmup",
        "gpus",
        "missing-data",
        "no-data",
    ],
)
def test_rejections(write_sft: WriteSft, replacement: tuple[str, str], message: str) -> None:
    """What synth-ai's builder rejects is an error naming the problem."""
    report = check_sft_config(write_sft(replacement), environ={})
    assert not report.ok
    assert any(message in error for error in report.errors), report.errors


def test_experimental_model_allowed_by_env_or_flag(write_sft: WriteSft) -> None:
    """SDK_EXPERIMENTAL=1 or allow_experimental unlock experimental models."""
    path = write_sft(('model = "Qwen/Qwen3-4B"', 'model = "Qwen/Qwen3-4B-Thinking-2507"'))
    assert check_sft_config(path, environ={"SDK_EXPERIMENTAL": "1"}).ok
    assert check_sft_config(path, environ={}, allow_experimental=True).ok


def test_sdk_experimental_models_adds_to_the_gate() -> None:
    """SDK_EXPERIMENTAL_MODELS makes more models experimental."""
    env = {"SDK_EXPERIMENTAL_MODELS": "Qwen/Qwen3-8B, x"}
    with pytest.raises(ValueError, match="experimental"):
        check_model("qwen/qwen3-8b", environ=env, allow_experimental=False)


def test_allowlist_has_the_spec_families() -> None:
    """The allowlist covers Qwen3, Qwen3-Coder and Qwen3-VL base models."""
    assert "Qwen/Qwen3-0.6B" in SFT_MODELS
    assert "Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8" in SFT_MODELS
    assert "Qwen/Qwen3-VL-235B-A22B-Thinking" in SFT_MODELS


def test_silently_ignored_keys_are_warnings(write_sft: WriteSft) -> None:
    """weight_decay, [training.lora], [lora], [policy] and unknown keys warn (D20)."""
    extra = (
        "weight_decay = 0.1\nfoo = 1\n[training.lora]\nr = 8\n[lora]\nr = 8\n"
        '[policy]\nmodel_name = "x"\n[tags]\nx = "y"\n[mystery]\na = 1\n'
    )
    report = check_sft_config(write_sft(extra=extra), environ={})
    assert report.ok, report.errors
    joined = "\n".join(report.warnings)
    for needle in ("weight_decay", "foo", "[training.lora]", "[lora]", "[policy]", "[mystery]"):
        assert needle in joined


def test_unknown_keys_inside_known_tables_are_warnings(write_sft: WriteSft) -> None:
    """A typo inside [job], [compute], [algorithm], [data] or [training] warns, naming the key."""
    report = check_sft_config(
        write_sft(
            ('variety = "fft"', 'variety = "fft"\nflavour = "x"'),
            ('model = "Qwen/Qwen3-4B"', 'model = "Qwen/Qwen3-4B"\nlearning_rate = 1e-5'),
            ("gpu_count = 1", "gpu_count = 1\ngpus = 2"),
            extra='[data]\nvalidation = "v.jsonl"\n[training]\nmodee = "lora"\n',
        ),
        environ={},
    )
    assert report.ok, report.errors
    assert sorted(w for w in report.warnings if "is not a known key" in w) == [
        f"{key} is not a known key (synth-ai ignores it; a typo?)"
        for key in (
            "algorithm.flavour",
            "compute.gpus",
            "data.validation",
            "job.learning_rate",
            "training.modee",
        )
    ]


def test_invalid_data_is_an_error(write_sft: WriteSft, tmp_path: Path) -> None:
    """A dataset whose lines fail validation makes the config invalid."""
    data = tmp_path / "bad.jsonl"
    data.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    report = check_sft_config(write_sft((str(EXAMPLE_DATA), str(data))), environ={})
    assert any("fails strict validation" in e for e in report.errors)


def test_relative_data_found_only_near_config_gets_a_hint(tmp_path: Path) -> None:
    """Data resolved against the cwd but present beside the config: the error says so."""
    shutil.copy(EXAMPLE_DATA, tmp_path / "train.jsonl")
    config = tmp_path / "sft.toml"
    config.write_text(VALID.replace(str(EXAMPLE_DATA), "train.jsonl"))
    report = check_sft_config(config, environ={}, base_dir=tmp_path / "elsewhere")
    assert any("exists at" in e and "working directory" in e for e in report.errors)


def test_missing_or_broken_file_is_a_config_error(tmp_path: Path) -> None:
    """A missing or non-TOML file raises ConfigError (exit 2)."""
    with pytest.raises(ConfigError, match="SFT config not found"):
        check_sft_config(tmp_path / "none.toml", environ={})
    broken = tmp_path / "b.toml"
    broken.write_text("[job\n")
    with pytest.raises(ConfigError, match="Failed to parse TOML"):
        check_sft_config(broken, environ={})


@pytest.mark.parametrize(
    ("replacement", "code"),
    [(("", ""), 0), (('variety = "fft"', 'variety = "qlora"'), 1)],
    ids=["valid", "invalid"],
)
def test_cli_exit_codes(write_sft: WriteSft, replacement: tuple[str, str], code: int) -> None:
    """The command exits 0 when valid and 1 when synth-ai would reject the config."""
    path = write_sft(replacement) if replacement[0] else write_sft()
    result = CliRunner().invoke(validate_sft_config_command, [str(path), "--format", "json"])
    assert result.exit_code == code
    assert json.loads(result.stdout)["valid"] is (code == 0)


def test_cli_missing_file_exits_2(tmp_path: Path) -> None:
    """A missing config is a usage error with one line and no traceback."""
    result = CliRunner().invoke(validate_sft_config_command, [str(tmp_path / "x.toml")])
    assert result.exit_code == 2
    assert result.stderr.strip().startswith("Error: SFT config not found")
    assert "Traceback" not in result.output


def test_validation_block_keeps_false_and_empty_values(write_sft: WriteSft) -> None:
    """`false` and "" in [training.validation] reach the payload as synth-ai's builder sends."""
    extra = (
        "[training.validation]\nsave_best_model_at_end = false\n"
        'evaluation_strategy = ""\nmetric_for_best_model = ""\n'
    )
    report = check_sft_config(write_sft(extra=extra), environ={})
    assert report.payload is not None, report.errors
    assert report.payload["hyperparameters"] == {
        "n_epochs": 2,
        "learning_rate": 1e-5,
        "evaluation_strategy": "",
        "eval_steps": 0,
        "save_best_model_at_end": False,
        "metric_for_best_model": "",
        "greater_is_better": False,
    }
    assert report.payload["metadata"]["effective_config"]["training"] == {
        "validation": {"enabled": True}
    }
    assert report.warnings == [
        "[training.validation] is enabled but [data].validation_path is unset"
    ]


def test_n_epochs_and_empty_parallelism_are_sent_like_synth_ai(write_sft: WriteSft) -> None:
    """n_epochs defaults to 1 even with total_steps; an empty parallelism table is kept."""
    report = check_sft_config(
        write_sft(("n_epochs = 2", "total_steps = 10"), extra="[hyperparameters.parallelism]\n"),
        environ={},
    )
    assert report.payload is not None, report.errors
    assert report.payload["hyperparameters"] == {
        "n_epochs": 1,
        "learning_rate": 1e-5,
        "parallelism": {},
    }


def test_validation_path_is_recorded_for_upload(write_sft: WriteSft) -> None:
    """An existing [data].validation_path is validated and kept on the report for sft-submit."""
    report = check_sft_config(
        write_sft(extra=f'[data]\nvalidation_path = "{EXAMPLE_DATA}"\n'), environ={}
    )
    assert report.ok, report.errors
    assert report.validation_path == EXAMPLE_DATA


SYNTH_PYTHON = os.environ.get("TASKAPP_SYNTH_PYTHON")
_SYNTH_PAYLOAD = """
import json, sys
from pathlib import Path
from synth_ai.api.train.builders import build_sft_payload
built = build_sft_payload(config_path=Path(sys.argv[1]), dataset_override=None,
                          allow_experimental=False)
print(json.dumps(built.payload))
"""


@pytest.mark.skipif(
    not SYNTH_PYTHON, reason="set TASKAPP_SYNTH_PYTHON to a synth-ai==0.2.19 python"
)
@pytest.mark.parametrize(
    "extra",
    [
        "",
        "[training.validation]\nenabled = true\nsave_best_model_at_end = false\n",
        '[training]\nmode = "full"\n[training.validation]\nenabled = false\n'
        'evaluation_strategy = ""\neval_steps = 0\ngreater_is_better = true\n'
        "[data.topology]\ngpus = 2\n",
        "[hyperparameters.parallelism]\nbf16 = true\n",
    ],
    ids=["plain", "save-best-false", "empty-strategy", "parallelism"],
)
def test_payload_equals_real_synth_ai_build_sft_payload(write_sft: WriteSft, extra: str) -> None:
    """Our payload is exactly the one synth-ai's build_sft_payload builds from the same TOML."""
    path = write_sft(extra=extra)
    ours = check_sft_config(path, environ={}).payload
    out = subprocess.run(
        [str(SYNTH_PYTHON), "-c", _SYNTH_PAYLOAD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert ours == json.loads(out.stdout.splitlines()[-1])
