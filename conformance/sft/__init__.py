"""SFT data tools: build records, filter traces into JSONL, check the TOML, submit (§6-§8)."""

from __future__ import annotations

from conformance.sft.errors import BackendError, ConfigError, DataError, SftToolError
from conformance.sft.filter import (
    FILTER_KEYS,
    FilterConfig,
    FilterResult,
    load_filter_config,
    parse_filter_table,
    run_filter,
)
from conformance.sft.records import conversation
from conformance.sft.sft_config import (
    EXPERIMENTAL_MODELS,
    SFT_MODELS,
    SftConfigReport,
    check_model,
    check_sft_config,
)
from conformance.sft.submit import SubmitPlan, SubmitResult, api_base, plan_submission, submit
from conformance.sft.validation import DataVerdict, validate_data

__all__ = [
    "EXPERIMENTAL_MODELS",
    "FILTER_KEYS",
    "SFT_MODELS",
    "BackendError",
    "ConfigError",
    "DataError",
    "DataVerdict",
    "FilterConfig",
    "FilterResult",
    "SftConfigReport",
    "SftToolError",
    "SubmitPlan",
    "SubmitResult",
    "api_base",
    "check_model",
    "check_sft_config",
    "conversation",
    "load_filter_config",
    "parse_filter_table",
    "plan_submission",
    "run_filter",
    "submit",
    "validate_data",
]
