"""The reference app's capture uses the trace DB and SFT record code only through public APIs."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

REFERENCE_APP = Path(__file__).resolve().parents[2] / "reference_app"
FRONT_DOORS = {"conformance.tracedb", "conformance.sft.records"}
"""Where the reference app may import trace DB and SFT code from (their `__all__`)."""


def _imports(path: Path) -> list[tuple[str, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[str, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.extend((node.module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name, "") for alias in node.names)
    return found


@pytest.mark.parametrize("path", sorted(REFERENCE_APP.glob("*.py")), ids=lambda p: p.name)
def test_trace_db_and_sft_code_is_imported_from_its_front_door(path: Path) -> None:
    """Every `conformance.tracedb` / `conformance.sft` import names a public API export."""
    for module, name in _imports(path):
        if not module.startswith(("conformance.tracedb", "conformance.sft")):
            continue
        assert module in FRONT_DOORS, f"{path.name} imports {module}; use {sorted(FRONT_DOORS)}"
        assert name in importlib.import_module(module).__all__, (
            f"{path.name} imports {module}.{name}, which is not in its __all__"
        )
