"""Run configuration: flags > environment > `[tool.taskapp-conformance]` (or `--config FILE`)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from conformance.registry import catalogue

CONFIG_TABLE = ("tool", "taskapp-conformance")
CONFIG_KEYS = frozenset(
    {
        "url",
        "app",
        "select",
        "ignore",
        "strict",
        "inference_url",
        "env_name",
        "split",
        "rollout_config",
        "min_seeds",
        "parallel_rollouts",
        "timeout",
        "connect_timeout",
        "budget",
        "concurrency",
        "insecure",
        "baseline",
        "json",
        "junit_xml",
        "markdown",
        "html",
        "fuzz",
        "fuzz_examples",
        "fuzz_seed",
        "fuzz_budget",
    }
)


class ConfigError(Exception):
    """The configuration file is missing, unreadable or has unknown or secret keys."""


def load_config(path: Path | None) -> dict[str, Any]:
    """The `[tool.taskapp-conformance]` table of `path`, or of ./pyproject.toml when present."""
    explicit = path is not None
    file = path if path is not None else Path("pyproject.toml")
    if not file.is_file():
        if explicit:
            raise ConfigError(f"config file not found: {file}")
        return {}
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read {file}: {exc}") from exc
    table: Any = data
    for key in CONFIG_TABLE:
        table = table.get(key, {}) if isinstance(table, dict) else {}
    if not table and explicit and "taskapp-conformance" in data:
        table = data["taskapp-conformance"]  # a standalone file may use [taskapp-conformance]
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: [tool.taskapp-conformance] must be a table")
    if "api_key" in table:
        raise ConfigError(f"{file}: never store the API key in a file; set ENVIRONMENT_API_KEY")
    unknown = sorted(set(table) - CONFIG_KEYS)
    if unknown:
        raise ConfigError(
            f"{file}: unknown key(s) {', '.join(unknown)} in [tool.taskapp-conformance]; "
            f"valid keys: {', '.join(sorted(CONFIG_KEYS))}"
        )
    return dict(table)


def load_baseline(path: Path) -> frozenset[str]:
    """Check IDs accepted as known failures: one per line, `#` starts a comment."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read baseline file {path}: {exc.strerror}") from exc
    stripped = (line.split("#", 1)[0].strip().upper() for line in lines)
    entries = {number: entry for number, entry in enumerate(stripped, start=1) if entry}
    known = {c.id for c in catalogue()}
    unknown = [f"line {n}: {entry}" for n, entry in entries.items() if entry not in known]
    if unknown:
        raise ConfigError(
            f"baseline file {path} names unknown check IDs ({'; '.join(unknown)}); "
            "`taskapp-conformance list-checks` lists the IDs"
        )
    return frozenset(entries.values())
