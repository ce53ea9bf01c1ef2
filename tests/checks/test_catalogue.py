"""The per-check tests cover the whole catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from conformance.registry import catalogue

_PINNED = re.compile(r'failure\(\s*"([A-Z]+-\d+)"')


def test_every_check_has_a_pinned_failure_block() -> None:
    """Every check in the catalogue is run against a fault by a test in tests/checks."""
    sources = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    assert {c.id for c in catalogue()} - set(_PINNED.findall(sources)) == set()
