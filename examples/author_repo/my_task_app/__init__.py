"""My task app: the reference app's machinery with my own config (copy and adapt)."""

from __future__ import annotations

from fastapi import FastAPI

from reference_app import build_config
from reference_app import create_app as _create_app


def create_app() -> FastAPI:
    """The app factory; keys come from ENVIRONMENT_API_KEY at request time."""
    return _create_app(build_config())
