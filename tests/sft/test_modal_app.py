"""The Modal deployment module: an App serving the reference app, no key literal anywhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODAL_APP = REPO / "reference_app" / "modal_app.py"


def test_declares_an_app_with_an_asgi_function() -> None:
    """Importing it gives a modal.App with the `web` ASGI function and the key from a secret."""
    modal = pytest.importorskip("modal")
    from reference_app import modal_app

    assert isinstance(modal_app.app, modal.App)
    assert modal_app.app.name == "taskapp-conformance-reference"
    assert isinstance(modal_app.web, modal.Function)


def test_app_name_is_a_literal_for_synth_ai_deploy() -> None:
    """`synth-ai deploy` finds `app = modal.App("<literal>")` by AST."""
    assert re.search(r'^app = modal\.App\("[a-z0-9-]+"\)$', MODAL_APP.read_text(), re.MULTILINE)


def test_no_api_key_literal_in_reference_app_files() -> None:
    """No file under reference_app/ assigns a literal ENVIRONMENT_API_KEY (D21)."""
    pattern = re.compile(r"ENVIRONMENT_API_KEY\s*[=:]\s*['\"][^'\"<]+['\"]")
    for path in (REPO / "reference_app").rglob("*"):
        if path.is_file() and path.suffix in {".py", ".toml", ".sh", ".env", ".json", ""}:
            assert not pattern.search(path.read_text(errors="replace")), path


def test_runtime_packages_include_the_pinned_libsql_client() -> None:
    """The Modal image installs libsql (LIBSQL_URL needs it), pinned like the other packages."""
    tree = ast.parse(MODAL_APP.read_text())
    packages = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign)
        and any(isinstance(t, ast.Name) and t.id == "RUNTIME_PACKAGES" for t in node.targets)
    )
    assert "libsql>=0.1.11,<0.2" in packages
    assert all(">=" in package for package in packages)
