"""The reference task app: passes every conformance check and shows how to build one."""

from __future__ import annotations

from reference_app.app import create_app
from reference_app.config import TaskAppConfig, build_config

__all__ = ["TaskAppConfig", "build_config", "create_app"]
