"""The Modal deployment module: an App serving the reference app, no key literal anywhere."""

from __future__ import annotations

import ast
import importlib
import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODAL_APP = REPO / "reference_app" / "modal_app.py"


def test_declares_an_app_with_an_asgi_function() -> None:
    """Importing it gives a modal.App with the `web` ASGI function and the key from a secret."""
    if os.environ.get("TASKAPP_REQUIRE_SYNTH_AI"):  # tox -e interop installs modal: never skip
        modal = importlib.import_module("modal")
    else:
        modal = pytest.importorskip("modal")
    from reference_app import modal_app

    assert isinstance(modal_app.app, modal.App)
    assert modal_app.app.name == "taskapp-conformance-reference"
    assert isinstance(modal_app.web, modal.Function)


def test_app_name_is_a_literal_for_synth_ai_deploy() -> None:
    """`synth-ai deploy` finds `app = modal.App("<literal>")` by AST."""
    assert re.search(r'^app = modal\.App\("[a-z0-9-]+"\)$', MODAL_APP.read_text(), re.MULTILINE)


KEY_LITERAL = re.compile(r"ENVIRONMENT_API_KEY['\"\]]*[ \t]*[=:,][ \t]*['\"][^'\"<$\n]+['\"]")
"""`NAME = "..."`, `NAME: "..."`, `["NAME"] = "..."`, `{"NAME": "..."}`, `("NAME", "...")`."""


@pytest.mark.parametrize(
    "line",
    [
        'ENVIRONMENT_API_KEY = "sk-live-123"',
        "ENVIRONMENT_API_KEY: 'sk-live-123'",
        'os.environ["ENVIRONMENT_API_KEY"] = "sk-live-123"',
        'modal.Secret.from_dict({"ENVIRONMENT_API_KEY": "sk-live-123"})',
        'os.environ.setdefault("ENVIRONMENT_API_KEY", "sk-live-123")',
    ],
)
def test_key_literal_pattern_catches_the_usual_forms(line: str) -> None:
    """The scan below recognises every usual way of writing a key into a file."""
    assert KEY_LITERAL.search(line)


def test_no_api_key_literal_in_any_shipped_file() -> None:
    """No tracked file outside tests/ writes a literal ENVIRONMENT_API_KEY (D21)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    shipped = [REPO / name for name in listed.split("\0") if name and not name.startswith("tests/")]
    assert REPO / "reference_app" / "modal_app.py" in shipped
    offenders = [
        f"{path.relative_to(REPO)}: {match.group()}"
        for path in shipped
        if path.is_file()
        for match in KEY_LITERAL.finditer(path.read_text(errors="replace"))
    ]
    assert offenders == []


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
