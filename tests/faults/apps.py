"""`--app tests.faults.apps:<fault name>` factories, and `reference` for the unmodified app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reference_app import build_config, create_app
from tests.faults import FAULTS, KEY


def reference() -> Any:
    """The unmodified reference app, configured with `KEY`."""
    return create_app(build_config(environ={"ENVIRONMENT_API_KEY": KEY}))


def __getattr__(name: str) -> Callable[[], Any]:
    for fault in FAULTS:
        if fault.name == name:
            return fault.app
    raise AttributeError(name)
