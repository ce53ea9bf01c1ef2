"""The relay's Modal deployment: one container, the token from a secret, no literal anywhere."""

from __future__ import annotations

import ast
import importlib
import os
import re
from pathlib import Path

import pytest

MODAL_RELAY = Path(__file__).resolve().parents[2] / "reference_app" / "modal_relay.py"


def test_declares_an_app_with_an_asgi_function() -> None:
    """Importing it gives a modal.App named by a literal, with the `web` ASGI function."""
    if os.environ.get("TASKAPP_REQUIRE_SYNTH_AI"):  # tox -e interop installs modal: never skip
        modal = importlib.import_module("modal")
    else:
        modal = pytest.importorskip("modal")
    from reference_app import modal_relay

    assert isinstance(modal_relay.app, modal.App)
    assert modal_relay.app.name == "taskapp-conformance-relay"
    assert isinstance(modal_relay.web, modal.Function)


def test_runs_as_one_container_that_serves_concurrently() -> None:
    """Recordings live in memory: `max_containers=1`, and `modal.concurrent` serves many."""
    tree = ast.parse(MODAL_RELAY.read_text())
    web = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "web")
    calls = [d for d in web.decorator_list if isinstance(d, ast.Call)]
    keywords = {k.arg: k.value for call in calls for k in call.keywords}
    assert ast.literal_eval(keywords["max_containers"]) == 1
    assert ast.literal_eval(keywords["max_inputs"]) >= 100


def test_no_token_literal_in_the_script() -> None:
    """The token is read from the Modal secret; the script never writes one."""
    text = MODAL_RELAY.read_text()
    assert "modal.Secret.from_name(SECRET_NAME)" in text
    assert not re.search(r"TASKAPP_RECORDER_TOKEN['\"\]]*[ \t]*[=:,][ \t]*['\"][^'\"<$\n]+", text)
