"""Fixtures: hand-built run reports covering every outcome."""

from __future__ import annotations

import pytest

from conformance.runner import RunReport
from tests.reports.reports_factory import ODD_SECRET, SECRET, as_found, make_report, planted


@pytest.fixture
def report() -> RunReport:
    """Six results: PASS, FAIL, WARN, SKIP, ERROR and a baselined FAIL."""
    return make_report()


@pytest.fixture
def planted_report() -> RunReport:
    """The same report with secrets planted in every free-text field, each redacted where
    it was made, as the runner builds a report.
    """
    return make_report(text=as_found(planted, SECRET, ODD_SECRET))
