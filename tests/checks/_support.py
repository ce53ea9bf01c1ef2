"""Run one check against a fault and return its failure block, random parts normalised."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from conformance.context import Settings
from conformance.outcomes import FailureDetail, Outcome
from conformance.registry import catalogue
from conformance.runner import RunOptions, run_checks
from tests.faults import FAULTS
from tests.faults.contract_faults import rebuildable
from tests.faults.generation_faults import GENERATION_FAULTS

Placeholders = Sequence[tuple[re.Pattern[str], str]]

_RANDOM: Placeholders = (
    (re.compile(r"trace_[0-9a-f]{32}"), "<cid>"),
    (re.compile(r"conformance-[0-9a-f]{12}"), "<run_id>"),
    (re.compile(r"/r/[0-9a-f]{16}"), "/r/<route>"),
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
    (re.compile(r'"session_id": "[^"]*"'), '"session_id": "<session_id>"'),
)
"""What differs from run to run, and the placeholder pinned in its place."""


def normalise(text: str, also: Placeholders = ()) -> str:
    """`text` with cids, run ids, mock routes, ports and session ids (and `also`) replaced."""
    for pattern, placeholder in (*_RANDOM, *also):
        text = pattern.sub(placeholder, text)
    return text


def _pinned(result_detail: FailureDetail | None, also: Placeholders) -> FailureDetail:
    assert result_detail is not None
    fields = dataclasses.asdict(result_detail)
    return FailureDetail(**{name: normalise(value, also) for name, value in fields.items()})


def generation_failure(check_id: str, fault_name: str, also: Placeholders = ()) -> FailureDetail:
    """The normalised failure block of `check_id` run alone (strict) against the generation
    fault `fault_name`, judged as the fault's profile.
    """
    fault = next(f for f in GENERATION_FAULTS if f.name == fault_name)
    spec = next(c for c in catalogue() if c.id == check_id)
    report = run_checks(fault.target(), [spec], fault.options())
    (result,) = report.results
    assert result.outcome in (Outcome.FAIL, Outcome.WARN), (result.outcome, result.reason)
    return _pinned(result.detail, also)


def failure(
    check_id: str, fault_name: str, settings: Settings | None = None, also: Placeholders = ()
) -> FailureDetail:
    """The normalised failure block of `check_id` run alone (strict) against `fault_name`."""
    fault = next(f for f in FAULTS if f.name == fault_name)
    spec = next(c for c in catalogue() if c.id == check_id)
    options = RunOptions(strict=True, settings=settings or Settings())
    # Rebuildable from an environment, as the embedded app is: AUTH-11 builds it with no key.
    report = run_checks(rebuildable(fault.make, fault_name), [spec], options)
    (result,) = report.results
    assert result.outcome in (Outcome.FAIL, Outcome.WARN), (result.outcome, result.reason)
    assert result.detail is not None
    fields = dataclasses.asdict(result.detail)
    return FailureDetail(**{name: normalise(value, also) for name, value in fields.items()})
