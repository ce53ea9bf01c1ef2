"""The reference app for each contract generation (`conformance.contract.profiles`).

`legacy-0.2` is `reference_app.app.create_app`; each later generation is one module here that
serves the same arithmetic task with that generation's routes, bodies and auth:
`localapi.py`, `container.py`, `containers.py`. The module of a generation is imported only
when its app is built.
"""

from __future__ import annotations

import importlib

from fastapi import FastAPI

from conformance.contract.profiles import CONTAINER, CONTAINERS, LEGACY, LOCALAPI, PROFILE_NAMES
from reference_app.app import create_app
from reference_app.config import TaskAppConfig

_FACTORIES = {
    LOCALAPI: "reference_app.profiles.localapi:create_localapi_app",
    CONTAINER: "reference_app.profiles.container:create_container_app",
    CONTAINERS: "reference_app.profiles.containers:create_containers_app",
}


def create_profile_app(profile: str, config: TaskAppConfig) -> FastAPI:
    """The reference app for `config`, speaking generation `profile`."""
    if profile not in PROFILE_NAMES:
        raise ValueError(f"unknown profile {profile!r}; valid: {', '.join(PROFILE_NAMES)}")
    if profile == LEGACY:
        return create_app(config)
    module, _, name = _FACTORIES[profile].partition(":")
    factory = getattr(importlib.import_module(module), name)
    app: FastAPI = factory(config)
    return app
