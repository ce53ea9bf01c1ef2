"""Fixtures: hand-built run reports covering every outcome."""

from __future__ import annotations

import pytest

from conformance.runner import RunReport
from tests.reports.reports_factory import make_report, planted


@pytest.fixture
def report() -> RunReport:
    """Six results: PASS, FAIL, WARN, SKIP, ERROR and a baselined FAIL."""
    return make_report()


@pytest.fixture
def planted_report() -> RunReport:
    """The same report with secrets planted in every free-text field."""
    return make_report(text=planted)
