"""taskapp-conformance: conformance suite and test harness for synth-ai task apps.

The public API, importable from here; everything else is internal and may change::

    from conformance import catalogue, embedded_target, run_checks

    report = run_checks(embedded_target(), catalogue())
    print(report.verdict.value, int(report.exit_code()))

Names load on first use (PEP 562), so `import conformance` stays cheap for the commands
that need little of it (`validate-jsonl` starts in well under 150 ms).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    # run a selection against a target and get the report
    "RunConfig": "conformance.options",
    "RunOptions": "conformance.runner",
    "RunReport": "conformance.runner",
    "CheckResult": "conformance.runner",
    "Verdict": "conformance.runner",
    "Outcome": "conformance.outcomes",
    "catalogue": "conformance.registry",
    "select_checks": "conformance.registry",
    "run_checks": "conformance.runner",
    "write_reports": "conformance.reports",
    # targets
    "Target": "conformance.target",
    "asgi_target": "conformance.target",
    "embedded_target": "conformance.target",
    "url_target": "conformance.target",
    # authors' own checks
    "check": "conformance.registry",
    "Severity": "conformance.registry",
    "CheckContext": "conformance.context",
    "CheckFailure": "conformance.outcomes",
    "CheckSkipped": "conformance.outcomes",
    "SkipKind": "conformance.outcomes",
    # Hypothesis strategies for every contract model, and the SFT JSONL validator
    "strategies": "conformance.strategies",
    "validate_file": "conformance.jsonl",
    "validate_record": "conformance.jsonl",
    # assertions for an app's own tests, whose failures read like the CLI's
    "assert_conforming_rollout": "conformance.testing",
    "assert_valid_sft_jsonl": "conformance.testing",
}

__all__ = [  # sorted; tests/engine/test_public_api.py pins it
    "CheckContext",
    "CheckFailure",
    "CheckResult",
    "CheckSkipped",
    "Outcome",
    "RunConfig",
    "RunOptions",
    "RunReport",
    "Severity",
    "SkipKind",
    "Target",
    "Verdict",
    "__version__",
    "asgi_target",
    "assert_conforming_rollout",
    "assert_valid_sft_jsonl",
    "catalogue",
    "check",
    "embedded_target",
    "run_checks",
    "select_checks",
    "strategies",
    "url_target",
    "validate_file",
    "validate_record",
    "write_reports",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'conformance' has no attribute {name!r}")
    loaded = importlib.import_module(module)
    value = loaded if module.endswith(f".{name}") else getattr(loaded, name)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from conformance import strategies
    from conformance.context import CheckContext
    from conformance.jsonl import validate_file, validate_record
    from conformance.options import RunConfig
    from conformance.outcomes import CheckFailure, CheckSkipped, Outcome, SkipKind
    from conformance.registry import Severity, catalogue, check, select_checks
    from conformance.reports import write_reports
    from conformance.runner import CheckResult, RunOptions, RunReport, Verdict, run_checks
    from conformance.target import Target, asgi_target, embedded_target, url_target
    from conformance.testing import assert_conforming_rollout, assert_valid_sft_jsonl
