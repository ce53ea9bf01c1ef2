"""The public API of `conformance.reports`."""

from __future__ import annotations

import conformance.reports as reports
from conformance.runner import ProgressCallback


def test_all_is_sorted_and_importable() -> None:
    """`__all__` is sorted (constants, classes, functions, as ruff's RUF022) and documented."""

    def kind(name: str) -> tuple[int, str]:
        return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)

    assert reports.__all__ == sorted(reports.__all__, key=kind)
    for name in reports.__all__:
        obj = getattr(reports, name)
        assert isinstance(obj, int) or obj.__doc__, name


def test_console_reporter_is_a_progress_callback() -> None:
    """A ConsoleReporter can be passed straight to run_checks as its progress callback."""
    callback: ProgressCallback = reports.ConsoleReporter()
    assert callable(callback)
