"""The reference task app: passes every conformance check and shows how to build one."""

from __future__ import annotations

from reference_app.app import create_app
from reference_app.config import TaskAppConfig, build_config
from reference_app.profiles import create_profile_app

__all__ = ["TaskAppConfig", "build_config", "create_app", "create_profile_app"]
