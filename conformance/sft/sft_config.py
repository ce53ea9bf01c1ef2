"""`taskapp-conformance validate-sft-config`: what synth-ai's `build_sft_payload` accepts (§8).

Errors are what synth-ai 0.2.19+ rejects (with its wording where it has one): the
`[algorithm]` triple, `[job].model` against the SFT allowlist (§8.3) with experimental
gating, the dataset (present, and valid per our JSONL validator with `min_messages=2`),
the hyperparameter ranges of §8.2, `[training.validation]` types and `[compute]`.

Warnings are what synth-ai accepts and then silently ignores or handles surprisingly
(D20): `variety="qlora"` is an error here too (the builder rejects it; only `train-cfg
check` lets it through), while `weight_decay`, `[training.lora]`, `[lora]`, `[policy]`,
`[tags]`, `[model]` and unknown keys are warnings. A missing `[compute]` is a warning
(`train-cfg check` requires it; the builder does not).

Relative data paths are resolved against the working directory, like synth-ai; when the
file only exists relative to the config file, the error says so.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.sft.errors import DataError
from conformance.sft.filter import read_toml
from conformance.sft.validation import DataVerdict, Level, validate_data

SFT_ALGORITHMS = frozenset(
    {
        ("offline", "supervised_finetune", "fft"),
        ("offline", "sft", "fft"),
        ("offline", "sft", "lora"),
    }
)
RL_ALGORITHMS = frozenset({"online", "policy_gradient", "gspo", "ppo", "grpo"})

_Q = "Qwen/Qwen3-"
_BASE = ["0.6B", "1.7B", "4B", "8B", "14B", "30B-A3B", "32B", "4B-2507"]
_INSTRUCT_2507 = ["4B-Instruct-2507", "30B-A3B-Instruct-2507", "235B-A22B-Instruct-2507"]
_THINKING_2507 = ["4B-Thinking-2507", "30B-A3B-Thinking-2507", "235B-A22B-Thinking-2507"]
_CODER = ["Coder-30B-A3B-Instruct", "Coder-480B-A35B-Instruct"]
_VL = [
    f"VL-{size}-{kind}"
    for size in ("2B", "4B", "8B", "30B-A3B", "32B", "235B-A22B")
    for kind in ("Instruct", "Thinking")
]
SFT_MODELS: tuple[str, ...] = tuple(
    _Q + name
    for name in [
        *_BASE,
        *_INSTRUCT_2507,
        *(f"{n}-FP8" for n in _INSTRUCT_2507),
        *_THINKING_2507,
        *(f"{n}-FP8" for n in _THINKING_2507),
        *_CODER,
        *(f"{n}-FP8" for n in _CODER),
        *_VL,
    ]
)
"""synth-ai 0.2.19/0.2.24's SFT base models (spec §8.3), canonical casing."""
EXPERIMENTAL_MODELS: frozenset[str] = frozenset(
    _Q + name
    for name in [
        *_THINKING_2507,
        *(f"{n}-FP8" for n in _THINKING_2507),
        "Coder-480B-A35B-Instruct",
        "Coder-480B-A35B-Instruct-FP8",
        "235B-A22B-Instruct-2507",
        "235B-A22B-Instruct-2507-FP8",
    ]
)
"""Models rejected unless `SDK_EXPERIMENTAL=1` or `--allow-experimental` (spec §8.3)."""
FINETUNED_PREFIXES = ("ft:", "fft:", "qft:", "rl:")

POSITIVE_INT_KEYS = (
    "n_epochs",
    "total_steps",
    "train_steps",
    "steps",
    "batch_size",
    "global_batch",
    "per_device_batch",
    "gradient_accumulation_steps",
    "sequence_length",
)
STEP_KEYS = ("n_epochs", "total_steps", "train_steps", "steps")
FORWARDED_HP_KEYS = (
    "n_epochs",
    "batch_size",
    "global_batch",
    "per_device_batch",
    "gradient_accumulation_steps",
    "sequence_length",
    "learning_rate",
    "warmup_ratio",
    "train_kind",
)
PARALLELISM_KEYS = frozenset(
    {
        "use_deepspeed",
        "deepspeed_stage",
        "fsdp",
        "bf16",
        "fp16",
        "activation_checkpointing",
        "tensor_parallel_size",
        "pipeline_parallel_size",
    }
)
VALIDATION_DEFAULTS: dict[str, Any] = {
    "evaluation_strategy": "steps",
    "eval_steps": 0,
    "save_best_model_at_end": True,
    "metric_for_best_model": "val.loss",
    "greater_is_better": False,
}
TABLE_KEYS: dict[str, frozenset[str]] = {
    "algorithm": frozenset({"type", "method", "variety"}),
    "job": frozenset({"model", "data", "data_path", "poll_seconds"}),
    "data": frozenset({"topology", "validation_path"}),
    "compute": frozenset({"gpu_type", "gpu_count", "nodes", "topology"}),
    "training": frozenset({"mode", "use_qlora", "validation", "lora"}),
}
"""The keys synth-ai reads in each table (§8.1); anything else there is silently ignored."""
KNOWN_SECTIONS = frozenset(
    {
        "algorithm",
        "job",
        "data",
        "compute",
        "training",
        "hyperparameters",
        "policy",
        "lora",
        "tags",
        "model",
    }
)


@dataclass
class SftConfigReport:
    """The verdict on one SFT TOML: errors block training, warnings do not."""

    path: Path
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    data_path: Path | None = None
    validation_path: Path | None = None
    """`[data].validation_path` when the file exists (validated like the training data)."""
    data_verdicts: list[DataVerdict] = field(default_factory=list)
    payload: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when synth-ai would build a payload and the data validates."""
        return not self.errors


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def experimental_models(environ: Mapping[str, str]) -> frozenset[str]:
    """The experimental set plus `SDK_EXPERIMENTAL_MODELS` (comma-separated)."""
    extra = {m.strip() for m in environ.get("SDK_EXPERIMENTAL_MODELS", "").split(",") if m.strip()}
    return EXPERIMENTAL_MODELS | frozenset(extra)


def check_model(model: str, *, environ: Mapping[str, str], allow_experimental: bool) -> str:
    """The canonical id of an allowed SFT base model, or `ValueError` with synth-ai's text."""
    wanted = model.strip()
    if wanted.lower().startswith(FINETUNED_PREFIXES):
        raise ValueError(
            f"Model '{model}' is not supported. Call supported_model_ids() for available base "
            "models. (SFT starts from a base model, not a fine-tuned one.)"
        )
    canonical = next((m for m in SFT_MODELS if m.lower() == wanted.lower()), None)
    if canonical is None:
        raise ValueError(
            f"Model '{model}' is not supported. Call supported_model_ids() for available base "
            f"models. Supported for SFT: {', '.join(SFT_MODELS[:8])}, ..."
        )
    experimental = {m.lower() for m in experimental_models(environ)}
    enabled = allow_experimental or environ.get("SDK_EXPERIMENTAL", "").strip() == "1"
    if canonical.lower() in experimental and not enabled:
        raise ValueError(
            f"Model '{canonical}' is experimental and disabled. Set SDK_EXPERIMENTAL=1 or pass "
            "allow_experimental=True (--allow-experimental)."
        )
    return canonical


def _table(report: SftConfigReport, data: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        report.errors.append(f"[{key}] must be a table, got {type(value).__name__}")
        return {}
    return value


def _check_algorithm(report: SftConfigReport, data: Mapping[str, Any]) -> None:
    if "algorithm" not in data:
        report.errors.append("Missing required [algorithm] section in config.")
        return
    algo = _table(report, data, "algorithm")
    triple = tuple(str(algo.get(k, "")).strip().lower() for k in ("type", "method", "variety"))
    if triple in SFT_ALGORITHMS:
        return
    if triple[0] in RL_ALGORITHMS or triple[1] in RL_ALGORITHMS:
        report.errors.append(
            f"Config contains algorithm '{triple[0]} {triple[1]}', but the current command "
            "expects SFT."
        )
        return
    supported = "; ".join("/".join(t) for t in sorted(SFT_ALGORITHMS))
    message = (
        f"Unsupported algorithm configuration: type={triple[0]}, method={triple[1]}, "
        f"variety={triple[2]}. Supported combinations are: {supported}"
    )
    if triple[2] == "qlora":
        message += (
            " (synth-ai's builder rejects qlora although `train-cfg check` passes it;"
            ' use variety="lora")'
        )
    report.errors.append(message)


def _resolve_data(
    report: SftConfigReport, value: Any, label: str, config_dir: Path, base_dir: Path
) -> Path | None:
    if not isinstance(value, str) or not value.strip():
        report.errors.append(f"{label} must be a non-empty path string, got {value!r}")
        return None
    path = Path(value).expanduser()
    resolved = path if path.is_absolute() else base_dir / path
    if resolved.is_file():
        return resolved
    near_config = config_dir / path
    if not path.is_absolute() and near_config.is_file():
        report.errors.append(
            f"Dataset not found: {resolved} ({label} is resolved against the working directory, "
            f"as synth-ai does; the file exists at {near_config}: run from {config_dir} or use "
            "an absolute path)"
        )
    else:
        report.errors.append(f"Dataset not found: {resolved}")
    return None


def _check_data(
    report: SftConfigReport, job: Mapping[str, Any], data: Mapping[str, Any], ctx: _Context
) -> None:
    raw = ctx.dataset if ctx.dataset is not None else job.get("data", job.get("data_path"))
    if raw is None:
        report.errors.append("Dataset not specified; pass --dataset or set [job].data")
        return
    label = "--dataset" if ctx.dataset is not None else "[job].data"
    report.data_path = _resolve_data(report, str(raw), label, ctx.config_dir, ctx.base_dir)
    if report.data_path is not None:
        _validate_file(report, report.data_path, ctx.level, "training data")
    section = _table(report, data, "data")
    validation = section.get("validation_path")
    if validation:  # synth-ai skips an empty path too
        path = Path(str(validation)).expanduser()
        path = path if path.is_absolute() else ctx.base_dir / path
        if not path.is_file():
            report.warnings.append(
                f"Validation dataset {path} missing; synth-ai continues without validation"
            )
        else:
            report.validation_path = path
            _validate_file(report, path, ctx.level, "validation data")


def _validate_file(report: SftConfigReport, path: Path, level: Level, what: str) -> None:
    verdict = validate_data(path, level=level)
    report.data_verdicts.append(verdict)
    if verdict.records == 0 and verdict.ok:
        report.errors.append(f"{what} {path} contains no SFT examples")
    if not verdict.ok:
        shown = "; ".join(verdict.errors[:5])
        more = f" (showing 5 of {verdict.error_count})" if verdict.error_count > 5 else ""
        report.errors.append(
            f"{what} {path} fails {level} validation with {verdict.error_count} errors{more}: "
            f"{shown}"
        )


def _check_hyperparameters(report: SftConfigReport, data: Mapping[str, Any]) -> dict[str, Any]:
    """The `hyperparameters` block exactly as synth-ai's builder makes it (n_epochs always)."""
    if "hyperparameters" not in data:
        return {"n_epochs": 1}
    hp = _table(report, data, "hyperparameters")
    if not hp:
        report.errors.append("hyperparameters must not be empty")
        return {}
    for key in POSITIVE_INT_KEYS:
        if key in hp and not (_is_int(hp[key]) and hp[key] > 0):
            report.errors.append(f"hyperparameters.{key} must be an integer greater than zero")
    if not any(hp.get(k) for k in STEP_KEYS):
        report.errors.append(
            "hyperparameters must include at least one of: "
            "n_epochs, total_steps, train_steps, steps"
        )
    if "learning_rate" in hp and not (_is_number(hp["learning_rate"]) and hp["learning_rate"] > 0):
        report.errors.append("hyperparameters.learning_rate must be greater than zero")
    if "warmup_ratio" in hp and not (
        _is_number(hp["warmup_ratio"]) and 0 <= hp["warmup_ratio"] <= 1
    ):
        report.errors.append("hyperparameters.warmup_ratio must be between 0 and 1 inclusive")
    if "train_kind" in hp and not isinstance(hp["train_kind"], str):
        report.errors.append("hyperparameters.train_kind must be a string")
    parallelism = hp.get("parallelism", {})
    if not isinstance(parallelism, dict):
        report.errors.append("[hyperparameters.parallelism] must be a table")
        parallelism = {}
    for key in sorted(set(parallelism) - PARALLELISM_KEYS):
        report.warnings.append(f"hyperparameters.parallelism.{key} is not a known key")
    if "weight_decay" in hp:
        report.warnings.append("hyperparameters.weight_decay is declared but synth-ai drops it")
    ignored = set(hp) - set(FORWARDED_HP_KEYS) - {"parallelism", "weight_decay", *STEP_KEYS}
    for key in sorted(ignored):
        report.warnings.append(f"hyperparameters.{key} is not forwarded by synth-ai (ignored)")
    epochs = hp.get("n_epochs", 1)
    block: dict[str, Any] = {"n_epochs": epochs if _is_int(epochs) else 1}
    block.update({k: hp[k] for k in FORWARDED_HP_KEYS if k in hp and k != "n_epochs"})
    if isinstance(hp.get("parallelism"), dict):
        block["parallelism"] = dict(parallelism)
    return block


_VALIDATION_TYPES: dict[str, tuple[type, ...]] = {
    "enabled": (bool,),
    "evaluation_strategy": (str,),
    "eval_steps": (int,),
    "save_best_model_at_end": (bool,),
    "metric_for_best_model": (str,),
    "greater_is_better": (bool,),
}


def _check_training(
    report: SftConfigReport, data: Mapping[str, Any], hp_block: dict[str, Any]
) -> dict[str, Any]:
    training = _table(report, data, "training")
    effective: dict[str, Any] = {}
    for key in ("mode", "use_qlora"):
        if key in training:
            effective[key] = training[key]
    if "lora" in training:
        report.warnings.append("[training.lora] is accepted but never forwarded by synth-ai")
    validation = training.get("validation")
    if validation is None:
        return effective
    if not isinstance(validation, dict):
        report.errors.append("[training.validation] must be a table")
        return effective
    for key, value in validation.items():
        types = _VALIDATION_TYPES.get(key)
        if types is None:
            report.warnings.append(f"training.validation.{key} is not a known key (ignored)")
        elif not isinstance(value, types) or (types == (int,) and isinstance(value, bool)):
            report.errors.append(f"training.validation.{key} must be a {types[0].__name__}")
    if isinstance(validation.get("eval_steps"), int) and validation["eval_steps"] < 0:
        report.errors.append("training.validation.eval_steps must be >= 0")
    # Exactly synth-ai's builder: `false` and "" are kept, not replaced by the defaults.
    hp_block["evaluation_strategy"] = validation.get(
        "evaluation_strategy", VALIDATION_DEFAULTS["evaluation_strategy"]
    )
    eval_steps = validation.get("eval_steps", 0)
    hp_block["eval_steps"] = eval_steps if _is_int(eval_steps) else 0
    hp_block["save_best_model_at_end"] = bool(
        validation.get("save_best_model_at_end", VALIDATION_DEFAULTS["save_best_model_at_end"])
    )
    hp_block["metric_for_best_model"] = validation.get(
        "metric_for_best_model", VALIDATION_DEFAULTS["metric_for_best_model"]
    )
    hp_block["greater_is_better"] = bool(
        validation.get("greater_is_better", VALIDATION_DEFAULTS["greater_is_better"])
    )
    effective["validation"] = {"enabled": bool(validation.get("enabled", True))}
    if effective["validation"]["enabled"] and "validation_path" not in _table(report, data, "data"):
        report.warnings.append(
            "[training.validation] is enabled but [data].validation_path is unset"
        )
    return effective


def _check_compute(report: SftConfigReport, data: Mapping[str, Any]) -> dict[str, Any]:
    if "compute" not in data:
        report.warnings.append(
            "[compute] is missing: synth-ai's `train-cfg check` requires gpu_type and gpu_count"
        )
        return {}
    compute = _table(report, data, "compute")
    if not isinstance(compute.get("gpu_type"), str) or not compute.get("gpu_type", "").strip():
        report.errors.append("compute.gpu_type: Field required (a non-empty string)")
    if not (_is_int(compute.get("gpu_count")) and compute["gpu_count"] > 0):
        report.errors.append("compute.gpu_count: Field required (an integer greater than zero)")
    if "nodes" in compute and not (_is_int(compute["nodes"]) and compute["nodes"] > 0):
        report.errors.append("compute.nodes must be an integer greater than zero")
    return {k: compute[k] for k in ("gpu_type", "gpu_count", "nodes") if k in compute}


def _check_ignored(report: SftConfigReport, data: Mapping[str, Any]) -> None:
    notes = {
        "lora": "[lora] is deprecated and never forwarded by synth-ai",
        "policy": "[policy] is validated by synth-ai but ignored for SFT (only [job].model counts)",
        "tags": "[tags] is not forwarded by synth-ai",
        "model": "[model] is ignored: synth-ai's `[model].base` fallback is unreachable; "
        "set [job].model",
    }
    for key, note in notes.items():
        if key in data:
            report.warnings.append(note)
    for key in sorted(set(data) - KNOWN_SECTIONS):
        report.warnings.append(f"[{key}] is not a known section (synth-ai ignores it)")
    for table, known in TABLE_KEYS.items():
        value = data.get(table)
        for key in sorted(set(value) - known) if isinstance(value, dict) else ():
            report.warnings.append(
                f"{table}.{key} is not a known key (synth-ai ignores it; a typo?)"
            )


@dataclass(frozen=True)
class _Context:
    config_dir: Path
    base_dir: Path
    dataset: str | None
    level: Level


def check_sft_config(
    path: Path,
    *,
    environ: Mapping[str, str] | None = None,
    allow_experimental: bool = False,
    dataset: str | None = None,
    level: Level = "strict",
    base_dir: Path | None = None,
) -> SftConfigReport:
    """Check an SFT TOML as synth-ai's `build_sft_payload` would, plus the data itself.

    Raises :class:`ConfigError` when the file is missing or not TOML; everything else is
    collected in the report. On success `report.payload` is the job payload (§8.4).
    """
    env = os.environ if environ is None else environ
    data = read_toml(path, "SFT config")
    report = SftConfigReport(path=path)
    ctx = _Context(path.parent.absolute(), base_dir or Path.cwd(), dataset, level)
    _check_algorithm(report, data)
    job = _table(report, data, "job")
    model: str | None = None
    if not isinstance(job.get("model"), str) or not job["model"].strip():
        report.errors.append("job.model: Field required (an SFT base model id)")
    else:
        try:
            model = check_model(job["model"], environ=env, allow_experimental=allow_experimental)
        except ValueError as exc:
            report.errors.append(str(exc))
    _check_data(report, job, data, ctx)
    hp_block = _check_hyperparameters(report, data)
    training = _check_training(report, data, hp_block)
    compute = _check_compute(report, data)
    _check_ignored(report, data)
    if report.ok and model is not None:
        topology = _table(report, data, "data").get("topology")
        topology = topology if isinstance(topology, dict) else {}
        report.payload = {
            "model": model,
            "hyperparameters": hp_block,
            "training_type": "sft_offline",
            "metadata": {
                "effective_config": {
                    "compute": compute,
                    "data": {"topology": topology},
                    "training": training,
                }
            },
            "training_file_id": None,
        }
    return report


def require_valid(report: SftConfigReport) -> dict[str, Any]:
    """The payload of a valid report, else :class:`DataError` (exit 1) listing the errors."""
    if report.payload is None or not report.ok:
        raise DataError(f"SFT config {report.path} is invalid:", report.errors)
    return report.payload
