"""`create_app(config)`: the FastAPI task app, following spec Appendix A for every endpoint."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from pydantic import ValidationError

from conformance.contract import ROLLOUT_PATH, RolloutRequest
from conformance.contract.profiles import SCOPE_ROLLOUT
from reference_app.auth import api_key_guard
from reference_app.config import TaskAppConfig, build_config
from reference_app.logsafe import shown
from reference_app.routes import (
    add_api_key_health,
    add_root,
    add_task_routes,
    install_error_handling,
    new_app,
    read_json_body,
    validation_error,
)

logger = logging.getLogger("reference_app")


def create_app(config: TaskAppConfig | None = None) -> FastAPI:
    """Build the task app for `config` (default: the arithmetic reference task)."""
    cfg = config if config is not None else build_config()
    require_key = api_key_guard(cfg.environ)
    app = new_app(cfg)
    add_root(app, cfg)
    add_api_key_health(app, require_key)
    add_task_routes(app, cfg, require_key)

    @app.post(ROLLOUT_PATH)
    async def rollout(rollout_request: Request) -> dict[str, Any]:
        require_key(rollout_request, SCOPE_ROLLOUT)
        body = await read_json_body(rollout_request, cfg.max_body_bytes)
        try:
            parsed = RolloutRequest.model_validate_json(body, strict=True)
        except ValidationError as exc:
            raise validation_error(exc) from None
        response = await cfg.rollout(parsed)
        logger.info(
            "rollout %s finished with %d step(s)", shown(parsed.run_id), response.metrics.num_steps
        )
        return response.model_dump(mode="json")

    install_error_handling(app)
    return app
