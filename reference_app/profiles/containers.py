"""The reference app speaking `containers-2026-05` (synth-containers 0.4.x; baseline 0.4.6).

It follows the package's strict reference adapter (`synth_containers/http_adapter.py`,
`wire.py`, `http_models.py`) for what it serves, and serves only what it can honour:

- `GET /`: `{status, contract_version, runtime, task_info}`;
- `GET /health`: `{"status": "ok", "contract_version": "2026-05-28"}`;
- `GET /metadata`, `GET /info` (the same body): runtime, capabilities (protocol, contract
  version, rollout modes, the route hints of the served routes), metadata;
- `GET /task_info`: the task, its dataset and limits; `?seed=N` adds that instance;
- `GET /dataset`, `POST /dataset/rows`: split names and row counts; the rows of
  `{"seeds": [...], "split"?}`, one per seed, in order;
- `POST /rollouts`: sync, 200 and the finished record; async, 202 and the running record;
- `GET /rollouts/{id}`, `GET /rollouts/{id}/state`: the record; its state view;
- `POST /rollouts/{id}/terminate`: cancels a rollout in flight; a finished one stays as it is;
- `GET /compatibility`: the consumer reports computed from `/metadata` (`?target=`: one).

No auth (the package's tunnel strips credentials before the app sees them) and no CORS
headers. A rollout plays the arithmetic task against `policy.inference_url` (the URL as given,
`?cid=` included) and its record carries `reward_info.outcome_reward`. Input the task cannot
play is a 422 before anything starts, async too; a model that fails ends the rollout `failed`,
its record saying why (a sync submission then answers 200 with that record). The same `rollout_id`
with the same body replays the record with `replayed: true`; with another body it is a 409
`rollout_identity_conflict`, shaped as the package sends it.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError

from conformance.contract import HEALTH_PATH, INFO_PATH, ROOT_PATH, TASK_INFO_PATH, RolloutEnvSpec
from conformance.contract.constants import MAX_SEED, MIN_SEED
from conformance.contract.containers import (
    CONSUMER_REQUIREMENTS,
    compatibility_matrix,
    compatibility_report,
)
from conformance.contract.profiles import (
    COMPATIBILITY_PATH,
    CONTAINERS_CONTRACT_VERSION,
    DATASET_PATH,
    DATASET_ROWS_PATH,
    METADATA_PATH,
    ROLLOUT_IDENTITY_CONFLICT,
    ROLLOUTS_PATH,
)
from reference_app import task
from reference_app.config import TaskAppConfig
from reference_app.errors import TaskAppError
from reference_app.profiles import capabilities
from reference_app.profiles.containers_wire import (
    UNSERVED,
    DatasetRowsRequest,
    RolloutRequest,
    SubmissionMode,
    TerminateRequest,
)
from reference_app.profiles.episode import EpisodeRequest, check, play
from reference_app.profiles.lifecycle import IdentityConflict, Rollout, RolloutStore
from reference_app.routes import (
    fastapi_validation_body,
    install_error_handling,
    new_app,
    parse_seeds,
    read_json_body,
)

ROLLOUT_PATH_TEMPLATE = ROLLOUTS_PATH + "/{rollout_id}"
ROUTE_HINTS = {
    "metadata_routes": [METADATA_PATH, INFO_PATH],
    "task_info_routes": [TASK_INFO_PATH],
    "compatibility_routes": [COMPATIBILITY_PATH],
    "rollout_routes": [ROLLOUTS_PATH],
    "state_routes": [ROLLOUT_PATH_TEMPLATE + "/state"],
    "terminate_routes": [ROLLOUT_PATH_TEMPLATE + "/terminate"],
}
"""The package's hint keys (`capabilities.py:63`), for the routes this app serves only."""


def create_containers_app(cfg: TaskAppConfig) -> FastAPI:
    """The arithmetic task as a synth-containers container."""
    app = new_app(cfg)
    store = RolloutStore()
    runtime = {"runtime_id": cfg.app_id, "name": cfg.name, "description": cfg.description}
    metadata = capabilities.metadata(runtime, ROUTE_HINTS)

    @app.get(ROOT_PATH)
    async def root() -> dict[str, Any]:
        return {
            "status": "ok",
            "contract_version": CONTAINERS_CONTRACT_VERSION,
            "runtime": metadata,
            "task_info": _task_info(cfg, None),
        }

    @app.get(HEALTH_PATH)
    async def health() -> dict[str, Any]:
        return {"status": "ok", "contract_version": CONTAINERS_CONTRACT_VERSION}

    @app.get(METADATA_PATH)
    @app.get(INFO_PATH)
    async def describe() -> dict[str, Any]:
        return metadata

    @app.get(TASK_INFO_PATH)
    async def task_info(seed: list[str] = Query(default=[])) -> dict[str, Any]:  # noqa: B008
        if len(seed) > 1:
            raise TaskAppError(
                422, "too_many_seeds", f"one seed at a time; POST {DATASET_ROWS_PATH} for more"
            )
        return _task_info(cfg, parse_seeds(seed, cfg)[0] if seed else None)

    @app.get(DATASET_PATH)
    async def dataset() -> dict[str, Any]:
        return {
            "dataset_id": cfg.base_task_info.dataset.id,
            "default_split": task.DEFAULT_SPLIT,
            "splits": [{"name": s, "row_count": task.SPLIT_CARDINALITY[s]} for s in task.SPLITS],
            "seed_range": {"min": MIN_SEED, "max": MAX_SEED},
        }

    @app.post(DATASET_ROWS_PATH)
    async def dataset_rows(request: Request) -> Any:
        parsed = await _parse(request, DatasetRowsRequest, cfg)
        if not isinstance(parsed, DatasetRowsRequest):
            return parsed
        if len(parsed.seeds) > cfg.max_seeds_per_request:
            raise TaskAppError(
                422, "too_many_seeds", f"at most {cfg.max_seeds_per_request} seeds per request"
            )
        split = _split(parsed.split, "split")
        rows = [_row(task.generate_problem(split, _seed(s, "seeds[]"))) for s in parsed.seeds]
        return {"split": split, "rows": rows}

    @app.post(ROLLOUTS_PATH)
    async def submit(request: Request) -> Any:
        parsed = await _parse(request, RolloutRequest, cfg)
        if not isinstance(parsed, RolloutRequest):
            return parsed
        rollout_id = parsed.rollout_id or f"rollout_{uuid.uuid4().hex[:12]}"
        fields = parsed.model_dump(mode="json", exclude_none=True, exclude=set(UNSERVED))
        identity = {**fields, "rollout_id": rollout_id}
        try:
            found = store.existing(rollout_id, identity)
        except IdentityConflict:
            conflict = {"error": ROLLOUT_IDENTITY_CONFLICT, "rollout_id": rollout_id}
            return JSONResponse({"detail": conflict}, 409)
        if found is not None:
            if found.submission_mode == SubmissionMode.SYNC:
                await found.done.wait()
            return {**found.record(), "replayed": True}
        episode = _episode_request(parsed, rollout_id)
        _check(cfg, episode)  # bad input is a 4xx now, not a failed record later
        mode = parsed.submission_mode or SubmissionMode.SYNC
        split = str(episode.env.config["split"])
        rollout = Rollout(
            rollout_id, episode.cid, identity, mode.value, episode.env.seed or 0, split
        )
        store.add(rollout)
        store.start(rollout, lambda: play(cfg, episode))
        if mode is SubmissionMode.ASYNC:
            return JSONResponse(rollout.record(), 202)
        await rollout.done.wait()
        return rollout.record()

    def known(rollout_id: str) -> Rollout:
        found = store.get(rollout_id)
        if found is None:
            raise TaskAppError(404, "unknown_rollout", f"no rollout {rollout_id[:128]!r}")
        return found

    @app.get(ROLLOUT_PATH_TEMPLATE)
    async def get_rollout(rollout_id: str) -> dict[str, Any]:
        return known(rollout_id).record()

    @app.get(ROLLOUT_PATH_TEMPLATE + "/state")
    async def get_state(rollout_id: str) -> dict[str, Any]:
        return known(rollout_id).state()

    @app.post(ROLLOUT_PATH_TEMPLATE + "/terminate")
    async def terminate(rollout_id: str, request: Request) -> Any:
        rollout = known(rollout_id)
        parsed: Any = TerminateRequest()
        if await request.body():
            parsed = await _parse(request, TerminateRequest, cfg)
            if not isinstance(parsed, TerminateRequest):
                return parsed
        store.terminate(rollout, parsed.reason)
        return rollout.state()

    @app.get(COMPATIBILITY_PATH)
    async def compatibility(target: str | None = None) -> dict[str, Any]:
        caps = metadata["capabilities"]
        if target is None or not target.strip():
            return compatibility_matrix(caps)
        if target.strip() not in CONSUMER_REQUIREMENTS:
            raise TaskAppError(
                400,
                "invalid_compatibility_target",
                f"unknown target {target.strip()[:64]!r}; known: "
                + ", ".join(CONSUMER_REQUIREMENTS),
            )
        return compatibility_report(target.strip(), caps)

    install_error_handling(app)
    return app


async def _parse(request: Request, model: type[BaseModel], cfg: TaskAppConfig) -> Any:
    """The body as `model`, or FastAPI's own 422 response (as the package answers)."""
    body = await read_json_body(request, cfg.max_body_bytes)
    try:
        return model.model_validate_json(body, strict=True)
    except ValidationError as exc:
        return JSONResponse(fastapi_validation_body(exc), 422)


def _task_info(cfg: TaskAppConfig, seed: int | None) -> dict[str, Any]:
    """`/task_info` in the package's `task_info_to_http_payload` shape."""
    base = cfg.base_task_info
    body: dict[str, Any] = {
        "task": {
            "task_id": base.task.id,
            "task_name": base.task.name,
            "description": base.task.description or "",
            "version": base.task.version,
        },
        "dataset": {
            "dataset_id": base.dataset.id,
            "visible_splits": list(base.dataset.splits or []),
            "default_split": base.dataset.default_split,
        },
        "limits": base.limits.model_dump(mode="json", exclude_none=True),
        "inference": base.inference.model_dump(mode="json", exclude_none=True),
        "environment": base.environment,
        "task_metadata": {},
        "metadata": {},
    }
    if seed is not None:
        [instance] = cfg.provide_task_instances([seed])
        body["task_metadata"] = dict(instance.task_metadata)
    return body


def _row(problem: task.Problem) -> dict[str, Any]:
    """One dataset row: what a policy is asked (the answer stays in the container)."""
    return {
        "seed": problem.seed,
        "split": problem.split,
        "task_id": problem.task_id,
        "prompt": problem.prompt,
    }


def _seed(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_SEED <= value <= MAX_SEED:
        raise TaskAppError(
            422, "invalid_seed", f"{where} must be an integer from {MIN_SEED} to {MAX_SEED}"
        )
    return value


def _split(value: Any, where: str) -> str:
    split = task.DEFAULT_SPLIT if value is None else value
    if split not in task.SPLITS:
        raise TaskAppError(422, "unknown_split", f"{where} must be one of {', '.join(task.SPLITS)}")
    return str(split)


def _episode_request(request: RolloutRequest, rollout_id: str) -> EpisodeRequest:
    """The episode a rollout request asks for; 422 for what only this generation can get
    wrong (two different seeds, no policy).
    """
    env = request.env
    if request.seed is not None and "seed" in env and env["seed"] != request.seed:
        raise TaskAppError(422, "seed_conflict", "seed and env.seed name different seeds")
    seed = _seed(request.seed if request.seed is not None else env.get("seed", 0), "seed")
    split = _split(env.get("split"), "env.split")
    policy = request.policy
    if policy is None:
        raise TaskAppError(
            422, "missing_policy", "policy {provider, model, inference_url} is required"
        )
    config: dict[str, Any] = {**policy.config, "model": policy.model}
    url = policy.inference_url or policy.base_url
    if url:
        config["inference_url"] = url
    if policy.max_tokens is not None:
        config["max_tokens"] = policy.max_tokens
    cid = (request.trace_correlation_id or "").strip() or rollout_id
    return EpisodeRequest(
        run_id=rollout_id,
        cid=cid,
        env=RolloutEnvSpec(seed=seed, config={"split": split}),
        policy_config=config,
        policy_name=policy.provider,
    )


_URL_MESSAGES = {
    "missing_inference_url": "policy.inference_url (or policy.base_url) is required",
    "invalid_inference_url": "policy.inference_url must be an absolute http(s) URL",
}


def _check(cfg: TaskAppConfig, episode: EpisodeRequest) -> None:
    """The executor's own refusal, in this generation's field names."""
    try:
        check(cfg, episode)
    except TaskAppError as exc:
        if exc.code in _URL_MESSAGES:
            raise TaskAppError(exc.status, exc.code, _URL_MESSAGES[exc.code]) from None
        raise
