"""Conforming apps of the newer generations, for the generation faults to break.

- `localapi_app(reference)`: the `legacy-0.2` reference app behind a translation layer that
  speaks synth-ai 0.6.6's RolloutResponse (the cid at the top level, `reward_info`, a trace
  with `event_history`); routes, keys and `/task_info` stay the reference app's own.
- `container_app(reference, public_key)`: that app behind PASETO auth as synth-ai 0.9.11's
  `require_api_key_dependency` does it: public `/health`, scopes per route, 401
  `auth_missing` / `auth_invalid`.
- `containers_app()`: a small synth-containers 0.4.6 app (no auth): discovery, sync and async
  rollouts with the lifecycle of `wire.py`, replay and 409, `/dataset/rows`, compatibility
  reports computed from its own metadata.

Every knob of `containers_app` is a choice the contract leaves open (the legal variants).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from conformance import paseto
from conformance.contract.containers import CONSUMER_REQUIREMENTS, unmet
from conformance.contract.profiles import (
    CONTAINER_AUTH_HEADER,
    CONTAINER_DEFAULT_ISSUER,
    CONTAINERS_CONTRACT_VERSION,
    ROLLOUT_IDENTITY_CONFLICT,
    SCOPE_ROLLOUT,
    SCOPE_TASK_INFO,
)
from tests.faults import KEY
from tests.faults.asgi import Exchange, FaultyApp, Receive, Scope, Send

NOW = "2026-05-28T00:00:00+00:00"
"""Every timestamp the containers app writes: failure blocks stay the same from run to run."""

# --- localapi: the reference app, answering 0.6.6's RolloutResponse ------------------------


def _legacy_request(ex: Exchange) -> None:
    body = ex.request_json()
    if ex.method != "POST" or ex.path != "/rollout" or not isinstance(body, dict):
        return
    ex.notes["cid"] = body.get("trace_correlation_id")
    body.setdefault("run_id", f"localapi-{uuid.uuid4().hex[:8]}")
    body.setdefault("mode", "rl")
    body.setdefault("ops", ["agent", "env"])
    ex.set_request_json(body)


def _localapi_response(ex: Exchange) -> None:
    body = ex.json()
    if ex.path != "/rollout" or ex.status != 200 or not isinstance(body, dict):
        return
    cid = ex.notes.get("cid") or body.get("trace_correlation_id")
    steps = [s for t in body.get("trajectories", []) for s in t.get("steps", [])]
    events = [{"type": "step", "obs": s.get("obs"), "reward": s.get("reward")} for s in steps]
    metrics = body.get("metrics") or {}
    ex.set_json(
        {
            "trace_correlation_id": cid,
            "reward_info": {"outcome_reward": metrics.get("outcome_score", 0.0)},
            "trace": {"event_history": events, "metadata": {"trace_correlation_id": cid}},
            "inference_url": (body.get("pipeline_metadata") or {}).get("inference_url"),
            "artifact": None,
            "success_status": "success",
            "status_detail": None,
            "override_application_results": None,
        }
    )


def localapi_app(reference: Any) -> FaultyApp:
    """The reference app (built with `KEY`) as a `localapi` app."""
    return FaultyApp(reference, before=_legacy_request, after=_localapi_response)


# --- container: PASETO tokens in front of the localapi app ------------------------------------

_ROUTE_SCOPES = {"/rollout": SCOPE_ROLLOUT, "/task_info": SCOPE_TASK_INFO, "/info": SCOPE_TASK_INFO}
_DROPPED = {b"x-api-key", b"x-api-keys", b"authorization", CONTAINER_AUTH_HEADER.lower().encode()}


@dataclass(frozen=True)
class AuthRules:
    """How `ContainerAuth` verifies; the defaults are synth-ai 0.9.11's, faults relax one."""

    mode: str = "required"
    issuer: str = CONTAINER_DEFAULT_ISSUER
    forgive: frozenset[str] = frozenset()
    """Deny reasons (`paseto.TokenRefused` messages) let through anyway."""
    scopes: bool = True
    api_key_ok: bool = False
    tokenless_ok: bool = False
    status: int = 401
    missing: str = "auth_missing"
    invalid: str = "auth_invalid"


class ContainerAuth:
    """synth-ai 0.9.11's container auth (`auth.py`) in front of an app keyed with `KEY`."""

    def __init__(self, app: Any, public_key: str, rules: AuthRules) -> None:
        self.app, self.rules = app, rules
        self.trusted = paseto.trusted_keys(public_key)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/health":
            await _json(send, 200, self.health())
            return
        refusal = None if scope["path"] == "/" else self.refusal(scope)
        if refusal is not None:
            await _json(send, self.rules.status, {"detail": {"error": refusal}})
            return
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _DROPPED]
        headers.append((b"x-api-key", KEY.encode()))
        await self.app({**scope, "headers": headers}, receive, send)

    def health(self) -> dict[str, Any]:
        header = CONTAINER_AUTH_HEADER.lower()
        auth = {"required": True, "mode": self.rules.mode, "required_header": header}
        return {"healthy": True, "auth": auth}

    def refusal(self, scope: Scope) -> dict[str, Any] | None:
        """The error of a refused request (None: served), as `require_api_key_dependency`."""
        rules, headers = self.rules, dict(scope["headers"])
        if rules.mode == "disabled" or (rules.api_key_ok and headers.get(b"x-api-key")):
            return None
        sent = headers.get(CONTAINER_AUTH_HEADER.lower().encode(), b"").decode()
        if sent.strip():
            needed = _ROUTE_SCOPES.get(scope["path"]) if rules.scopes else None
            try:
                paseto.verify(sent, self.trusted, scope=needed, issuer=rules.issuer)
            except paseto.TokenRefused as exc:
                if str(exc) in rules.forgive:
                    return None
                return {"code": rules.invalid, "message": "Container token invalid or expired"}
            return None
        loopback = (scope.get("client") or ("",))[0] in ("127.0.0.1", "::1", "localhost")
        local = rules.mode == "optional_local" and loopback and scope["path"] in _ROUTE_SCOPES
        if local or rules.tokenless_ok:
            return None
        return {"code": rules.missing, "message": "Container token is required"}


async def _json(send: Send, status: int, body: Any) -> None:
    data = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})


def container_app(reference: Any, public_key: str, rules: AuthRules | None = None) -> ContainerAuth:
    """The reference app (built with `KEY`) as a `container` app trusting `public_key`."""
    return ContainerAuth(localapi_app(reference), public_key, rules or AuthRules())


# --- containers-2026-05: a small synth-containers app --------------------------------------


def _record(rollout_id: str, status: str, **extra: Any) -> dict[str, Any]:
    success = {"queued": "pending", "completed": "success"}.get(status, status)
    return {
        "rollout_id": rollout_id,
        "status": status,
        "success_status": success,
        "created_at": NOW,
        "updated_at": NOW,
        **extra,
    }


def _metadata(async_mode: bool, protocol: str | None) -> dict[str, Any]:
    capabilities: dict[str, Any] = {
        "contract_version": CONTAINERS_CONTRACT_VERSION,
        "rollout_modes": ["blocking", "async"] if async_mode else ["blocking"],
        "statefulness_tier": "episodic",
        "profiles": [],
        "protocol_fidelity": {
            "rollout_runnable": "native",
            "async_rollout_runnable": "native" if async_mode else "unsupported",
            "reward_emitting": "native",
        },
        "reward_support": True,
        "terminate_support": True,
        "route_hints": {
            "metadata_routes": ["/metadata", "/info"],
            "task_info_routes": ["/task_info"],
            "rollout_routes": ["/rollouts"],
            "state_routes": ["/rollouts/{rollout_id}/state"],
            "terminate_routes": ["/rollouts/{rollout_id}/terminate"],
        },
    }
    if protocol is not None:
        capabilities["protocol"] = protocol
    return {
        "runtime": {"runtime_id": "arith", "name": "Arithmetic", "description": "Adds numbers."},
        "capabilities": capabilities,
        "metadata": {},
    }


def _report(target: str, capabilities: dict[str, Any]) -> dict[str, Any]:
    missing = unmet(CONSUMER_REQUIREMENTS[target], capabilities)
    return {"target": target, "supported": not missing, "missing_features": missing, "issues": []}


Step = Callable[[str, dict[str, dict[str, Any]]], Coroutine[Any, Any, None]]


async def _lifecycle(rollout_id: str, records: dict[str, dict[str, Any]]) -> None:
    """queued -> running -> completed, a few milliseconds apart."""
    for status in ("running", "completed"):
        await asyncio.sleep(0.01)
        records[rollout_id] = {**records[rollout_id], **_record(rollout_id, status)}
    records[rollout_id]["reward_info"] = {"outcome_reward": 1.0}


def containers_app(
    *,
    async_mode: bool = True,
    async_status: int = 200,
    dataset: bool = True,
    compatibility: bool = True,
    protocol: str | None = "synth.container.contract.v1",
    keep_sync: bool = True,
    finished_terminate: str = "keep",
    replay: bool = True,
    conflicts: bool = True,
    lifecycle: Step = _lifecycle,
) -> FastAPI:
    """A conforming `containers-2026-05` app; each knob is a choice the contract leaves open,
    except `finished_terminate="cancel"`, `replay=False`, `conflicts=False` and a `lifecycle`
    of the faults'.
    """
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    records: dict[str, dict[str, Any]] = {}
    requests: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    tasks: set[asyncio.Task[None]] = set()
    metadata = _metadata(async_mode, protocol)

    @app.get("/")
    async def root() -> dict[str, Any]:
        return {"status": "ok", "contract_version": CONTAINERS_CONTRACT_VERSION}

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "contract_version": CONTAINERS_CONTRACT_VERSION}

    @app.get("/metadata")
    @app.get("/info")
    async def info() -> dict[str, Any]:
        return metadata

    @app.get("/task_info")
    async def task_info() -> dict[str, Any]:
        return {"task": {"task_id": "arith", "task_name": "Arithmetic"}, "metadata": {}}

    @app.post("/rollouts")
    async def rollout(request: Request) -> Any:
        body = await request.json()
        if not isinstance(body, dict):
            raise HTTPException(422, "rollout request must be an object")
        rollout_id = str(body.get("rollout_id") or f"rollout_{uuid.uuid4().hex[:12]}")
        if replay and rollout_id in requests:
            first, answer = requests[rollout_id]
            if conflicts and first != body:
                raise HTTPException(
                    409, {"error": ROLLOUT_IDENTITY_CONFLICT, "rollout_id": rollout_id}
                )
            return {**answer, "replayed": True}
        if body.get("submission_mode") == "async" and async_mode:
            records[rollout_id] = _record(rollout_id, "queued")
            task = asyncio.create_task(lifecycle(rollout_id, records))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            answer = dict(records[rollout_id])
            requests[rollout_id] = (body, answer)
            return JSONResponse(answer, status_code=async_status)
        answer = _record(rollout_id, "completed", reward_info={"outcome_reward": 1.0})
        if keep_sync:
            records[rollout_id] = answer
        requests[rollout_id] = (body, answer)
        return answer

    def known(rollout_id: str) -> dict[str, Any]:
        if rollout_id not in records:
            raise HTTPException(404, f"unknown_rollout:{rollout_id}")
        return records[rollout_id]

    @app.get("/rollouts/{rollout_id}")
    async def get_rollout(rollout_id: str) -> dict[str, Any]:
        return known(rollout_id)

    @app.get("/rollouts/{rollout_id}/state")
    async def get_state(rollout_id: str) -> dict[str, Any]:
        record = known(rollout_id)
        return {k: record[k] for k in ("rollout_id", "status", "success_status")}

    @app.post("/rollouts/{rollout_id}/terminate")
    async def terminate(rollout_id: str) -> dict[str, Any]:
        record = known(rollout_id)
        finished = record["status"] in ("completed", "failed", "cancelled")
        if finished and finished_terminate == "conflict":
            raise HTTPException(409, f"rollout_already_finished:{rollout_id}")
        if finished and finished_terminate == "keep":
            return record
        records[rollout_id] = {**record, **_record(rollout_id, "cancelled")}
        return records[rollout_id]

    if dataset:

        @app.get("/dataset")
        async def dataset_info() -> dict[str, Any]:
            return {"dataset_id": "arith", "splits": {"train": 100, "test": 20}}

        @app.post("/dataset/rows")
        async def dataset_rows(request: Request) -> dict[str, Any]:
            body = await request.json()
            split = str(body.get("split") or "train")
            rows = [
                {"seed": int(s), "split": split, "question": f"{s} + {s}"} for s in body["seeds"]
            ]
            return {"rows": rows}

    if compatibility:

        @app.get("/compatibility")
        async def compatibility_report(target: str | None = None) -> dict[str, Any]:
            capabilities = metadata["capabilities"]
            if target is None:
                return {t: _report(t, capabilities) for t in CONSUMER_REQUIREMENTS}
            if target not in CONSUMER_REQUIREMENTS:
                raise HTTPException(400, f"invalid_compatibility_target:{target}")
            return _report(target, capabilities)

    return app
