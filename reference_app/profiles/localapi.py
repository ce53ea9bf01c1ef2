"""The reference app speaking `localapi` (synth-ai 0.4.12 - 0.7.0; baseline 0.6.6).

Routes, `/health`, `/info`, `/task_info` and API-key auth are the legacy app's, unchanged, as
in the package (docs/generations.md "localapi"). Only `POST /rollout` differs: it takes the
`localapi` request (`trace_correlation_id` required, `run_id`/`ops`/`mode` gone and ignored)
and answers synth-ai 0.6's `RolloutResponse` (`trace_correlation_id`, `reward_info`, a trace
whose `event_history` and `metadata.trace_correlation_id` satisfy synth-ai's RL validator,
`inference_url` with `?cid=`, `artifact`, `success_status`, `status_detail`). A body that
fails the request model gets FastAPI's own 422 (`{"detail": [...]}`), as the package's does.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from conformance.contract import ROLLOUT_PATH
from conformance.contract.generation_models import SuccessStatus
from conformance.contract.profiles import SCOPE_ROLLOUT
from reference_app.auth import api_key_guard
from reference_app.config import TaskAppConfig
from reference_app.logsafe import shown
from reference_app.profiles.episode import EpisodeRequest, play
from reference_app.profiles.synth_wire import (
    Artifact,
    ContainerRolloutRequest,
    RewardInfo,
    SynthRolloutRequest,
)
from reference_app.profiles.synth_wire import SynthRolloutResponse as Response
from reference_app.routes import (
    Guard,
    add_api_key_health,
    add_root,
    add_task_routes,
    fastapi_validation_body,
    install_error_handling,
    new_app,
    read_json_body,
)

logger = logging.getLogger("reference_app")

_UNFILLED: Final = {
    "artifact": {"__all__": {"artifact_id", "size_bytes", "sha256", "storage", "created_at"}}
}
"""Optional `Artifact` fields this app never fills: left off the wire (the package reads them
as absent or null alike)."""


def create_localapi_app(cfg: TaskAppConfig) -> FastAPI:
    """The arithmetic task app as synth-ai's LocalAPI serves one."""
    require_key = api_key_guard(cfg.environ)
    app = new_app(cfg)
    add_root(app, cfg)
    add_api_key_health(app, require_key)
    add_task_routes(app, cfg, require_key, rubrics="typed")
    add_synth_rollout(app, cfg, require_key, SynthRolloutRequest, artifacts=True)
    install_error_handling(app)
    return app


def add_synth_rollout(
    app: FastAPI,
    cfg: TaskAppConfig,
    guard: Guard,
    model: type[SynthRolloutRequest | ContainerRolloutRequest],
    *,
    artifacts: bool,
) -> None:
    """`POST /rollout` taking `model` and answering synth-ai 0.6's response (also
    `container`'s), behind `guard`; `artifacts`: whether the answer lists the episode's answer
    as an `artifact`.
    """

    @app.post(ROLLOUT_PATH)
    async def rollout(request: Request) -> Any:
        guard(request, SCOPE_ROLLOUT)
        body = await read_json_body(request, cfg.max_body_bytes)
        try:
            parsed = model.model_validate_json(body, strict=True)
        except ValidationError as exc:
            return JSONResponse(fastapi_validation_body(exc), 422)
        response = await rollout_response(cfg, parsed, artifacts=artifacts)
        logger.info("rollout %s finished", shown(parsed.trace_correlation_id))
        return response.model_dump(mode="json", exclude=_UNFILLED)


async def rollout_response(
    cfg: TaskAppConfig, request: SynthRolloutRequest | ContainerRolloutRequest, *, artifacts: bool
) -> Response:
    """Play the episode and answer it in synth-ai 0.6's words."""
    cid = request.trace_correlation_id
    episode = await play(
        cfg,
        EpisodeRequest(
            run_id=cid,
            cid=cid,
            env=request.env,
            policy_config=request.policy.config,
            policy_name=request.policy.policy_name or request.policy.policy_id,
            max_time_s=float(request.safety.max_time_s),
            training_session_id=request.training_session_id,
            synth_base_url=request.synth_base_url,
        ),
    )
    return Response(
        trace_correlation_id=cid,
        reward_info=RewardInfo.model_validate(episode.reward_info()),
        trace=episode.trace,
        inference_url=episode.inference_url,
        artifact=[
            Artifact(
                content=episode.answer, content_type="application/json", trace_correlation_id=cid
            )
        ]
        if artifacts
        else None,
        success_status=SuccessStatus.SUCCESS,
    )
