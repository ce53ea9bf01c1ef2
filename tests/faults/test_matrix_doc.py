"""docs/fault-matrix.md is the table generated from the catalogue and both fault matrices."""

from __future__ import annotations

import pytest

from conformance.registry import catalogue
from tests.faults.matrix_doc import ALL_FAULTS, COMMAND, PATH, main, render


def test_committed_matrix_is_in_sync() -> None:
    """The committed table lists, for each check, exactly the faults that declare it."""
    assert PATH.read_text(encoding="utf-8") == render(catalogue(), ALL_FAULTS), (
        f"docs/fault-matrix.md is stale: regenerate it with `{COMMAND}`"
    )


def test_every_check_has_a_row_and_a_fault() -> None:
    """Each check gets one row, and no row is left without a fault."""
    rows = [line for line in render(catalogue(), ALL_FAULTS).splitlines() if line.startswith("| `")]
    assert [row.split("`")[1] for row in rows] == [c.id for c in catalogue()]
    assert [row for row in rows if row.endswith("| (none) |")] == []


def test_without_write_it_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    """The generator prints the document unless told to write it."""
    assert main([]) == 0
    assert capsys.readouterr().out == render(catalogue(), ALL_FAULTS)
