"""The reference app for each contract generation (`conformance.contract.profiles`).

`legacy-0.2` is `reference_app.app.create_app`; each later generation is one module here that
serves the same arithmetic task with that generation's routes, bodies and auth.
"""

from __future__ import annotations

from fastapi import FastAPI

from conformance.contract.profiles import LEGACY, PROFILE_NAMES
from reference_app.app import create_app
from reference_app.config import TaskAppConfig


def create_profile_app(profile: str, config: TaskAppConfig) -> FastAPI:
    """The reference app for `config`, speaking generation `profile`."""
    if profile not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {profile!r}; valid: {', '.join(PROFILE_NAMES)}")
    if profile == LEGACY:
        return create_app(config)
    raise NotImplementedError(f"the reference app does not serve {profile} yet")
