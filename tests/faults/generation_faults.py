"""Faults of the newer generations: each breaks one rule of `localapi`, `container` or
`containers-2026-05` in the conforming apps of `generation_apps`, for every request of the
class it models, never by recognising the harness's own ids or values.

`GENERATION_FAULTS` is their matrix, judged under the fault's own profile (a `container`
fault's target carries the signing key the app trusts): each fails exactly `breaks`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance import paseto
from conformance.context import Settings
from conformance.contract.constants import ENVIRONMENT_API_KEY_ENV
from conformance.contract.profiles import CONTAINER, CONTAINERS, LOCALAPI
from conformance.runner import RunOptions
from conformance.target import Target, asgi_target
from reference_app import build_config, create_app
from tests.faults import KEY
from tests.faults.asgi import Exchange, FaultyApp
from tests.faults.generation_apps import (
    AuthRules,
    _record,
    container_app,
    containers_app,
    localapi_app,
)

Wrap = Callable[[Any], Any]


def _same(app: Any) -> Any:
    return app


def localapi_target(wrap: Wrap = _same, label: str = "localapi app") -> Target:
    """The conforming `localapi` app under `wrap`; rebuildable from an environment (AUTH-11)."""

    def build(environ: Mapping[str, str]) -> Any:
        return wrap(localapi_app(create_app(build_config(environ=environ))))

    return asgi_target(build({ENVIRONMENT_API_KEY_ENV: KEY}), KEY, label, rebuild=build)


def container_target(
    wrap: Wrap = _same, rules: AuthRules | None = None, label: str = "container app"
) -> Target:
    """The conforming `container` app under `wrap`, trusting a fresh key the target signs with."""
    key = paseto.new_key()
    reference = create_app(build_config(environ={ENVIRONMENT_API_KEY_ENV: KEY}))
    app = wrap(container_app(reference, paseto.public_key_b64(key), rules))
    target = asgi_target(app, None, label)
    target.container_signing_key = paseto.private_key_b64(key)
    return target


def containers_target(wrap: Wrap = _same, label: str = "containers app", **knobs: Any) -> Target:
    """The conforming `containers-2026-05` app (with `knobs`) under `wrap`."""
    return asgi_target(wrap(containers_app(**knobs)), None, label)


@dataclass(frozen=True)
class GenerationFault:
    name: str
    profile: str
    breaks: frozenset[str]
    wrap: Wrap = _same
    rules: AuthRules | None = None
    knobs: Mapping[str, Any] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)

    def target(self) -> Target:
        if self.profile == LOCALAPI:
            return localapi_target(self.wrap, self.name)
        if self.profile == CONTAINER:
            return container_target(self.wrap, self.rules, self.name)
        return containers_target(self.wrap, self.name, **self.knobs)

    def options(self, *, strict: bool = True, concurrency: int = 4) -> RunOptions:
        return RunOptions(
            strict=strict,
            concurrency=concurrency,
            settings=dataclasses.replace(self.settings, fuzz=False),
            contract_profile=self.profile,
        )


def _after(
    matches: Callable[[Exchange], bool], edit: Callable[[Any], Any], status: int | None = None
) -> Wrap:
    """A wrap rewriting the JSON body (and maybe the status) of every matching 2xx answer."""

    def hook(ex: Exchange) -> None:
        body = ex.json()
        if 200 <= ex.status < 300 and body is not None and matches(ex):
            ex.set_json(edit(body), status)

    return lambda app: FaultyApp(app, after=hook)


def _rollout(ex: Exchange) -> bool:
    return ex.method == "POST" and ex.path == "/rollout"


def _edited(**changes: Any) -> Callable[[Any], Any]:
    """An edit setting top-level keys (a callable value is applied to the old one)."""

    def edit(body: Any) -> Any:
        for key, value in changes.items():
            body[key] = value(body.get(key)) if callable(value) else value
        return body

    return edit


def _without(*keys: str) -> Callable[[Any], Any]:
    return lambda body: {k: v for k, v in body.items() if k not in keys}


def _other_cid(body: Any) -> Any:
    other = f"trace_{uuid.uuid4().hex}"
    body["trace_correlation_id"] = other
    body["trace"]["metadata"]["trace_correlation_id"] = other
    return body


_ENVELOPE_500 = {"detail": {"error": {"code": "rollout_failed", "message": "rollout failed"}}}

LOCALAPI_FAULTS = (
    GenerationFault(
        "localapi_rollout_500",
        LOCALAPI,
        frozenset({"GEN-1"}),
        _after(_rollout, lambda _: _ENVELOPE_500, status=500),
    ),
    GenerationFault(
        "localapi_cid_only_in_trace_metadata",
        LOCALAPI,
        frozenset({"GEN-1"}),
        _after(_rollout, _without("trace_correlation_id")),
    ),
    GenerationFault(
        "localapi_cid_of_another_rollout",
        LOCALAPI,
        frozenset({"GEN-1", "GEN-3"}),
        _after(_rollout, _other_cid),
    ),
    GenerationFault(
        "localapi_reward_info_missing",
        LOCALAPI,
        frozenset({"GEN-2"}),
        _after(_rollout, _without("reward_info")),
    ),
    GenerationFault(
        "localapi_reward_nan",
        LOCALAPI,
        frozenset({"GEN-2"}),
        _after(_rollout, _edited(reward_info={"outcome_reward": math.nan})),
    ),
    GenerationFault(
        "localapi_empty_event_history",
        LOCALAPI,
        frozenset({"GEN-3"}),
        _after(_rollout, lambda b: {**b, "trace": {**b["trace"], "event_history": []}}),
    ),
    GenerationFault(
        "localapi_no_trace_only_cid_url",
        LOCALAPI,
        frozenset({"GEN-3"}),
        _after(_rollout, _edited(trace=None)),
    ),
    GenerationFault(
        "localapi_success_status_off_the_enum",
        LOCALAPI,
        frozenset({"GEN-4"}),
        _after(_rollout, _edited(success_status="completed")),
    ),
)


def _health_needs_a_token(ex: Exchange) -> None:
    if ex.path == "/health" and "x-synth-container-authorization" not in ex.headers:
        error = {"code": "auth_missing", "message": "Container token is required"}
        ex.set_json({"detail": {"error": error}}, 401)


def _circular(body: Any) -> Any:
    return {**body, **dict.fromkeys(("dataset", "inference", "limits"), "<circular type=dict>")}


CONTAINER_FAULTS = (
    GenerationFault(
        "container_health_needs_a_token",
        CONTAINER,
        frozenset({"CTR-1"}),
        lambda app: FaultyApp(app, after=_health_needs_a_token),
    ),
    GenerationFault(
        "container_health_of_localapi",
        CONTAINER,
        frozenset({"CTR-1"}),
        _after(
            lambda ex: ex.path == "/health", lambda _: {"healthy": True, "auth": {"required": True}}
        ),
    ),
    GenerationFault(
        "container_other_issuer_only",
        CONTAINER,
        frozenset({"CTR-2"}),
        rules=AuthRules(issuer="another-backend"),
    ),
    GenerationFault(
        "container_expiry_unchecked",
        CONTAINER,
        frozenset({"CTR-3"}),
        rules=AuthRules(forgive=frozenset({"token expired"})),
    ),
    GenerationFault(
        "container_audience_unchecked",
        CONTAINER,
        frozenset({"CTR-3"}),
        rules=AuthRules(forgive=frozenset({"audience mismatch"})),
    ),
    GenerationFault(
        "container_signature_unchecked",
        CONTAINER,
        frozenset({"CTR-3"}),
        rules=AuthRules(forgive=frozenset({"signature is not from a trusted key"})),
    ),
    GenerationFault(
        "container_api_key_accepted",
        CONTAINER,
        frozenset({"CTR-3"}),
        rules=AuthRules(api_key_ok=True),
    ),
    GenerationFault(
        "container_tokenless_served_in_required_mode",
        CONTAINER,
        frozenset({"CTR-3"}),
        rules=AuthRules(tokenless_ok=True),
    ),
    GenerationFault(
        "container_auth_disabled",
        CONTAINER,
        frozenset({"CTR-3", "CTR-4"}),
        rules=AuthRules(mode="disabled"),
    ),
    GenerationFault(
        "container_scopes_ignored", CONTAINER, frozenset({"CTR-4"}), rules=AuthRules(scopes=False)
    ),
    GenerationFault(
        "container_refusals_403", CONTAINER, frozenset({"CTR-5"}), rules=AuthRules(status=403)
    ),
    GenerationFault(
        "container_refusal_codes_swapped",
        CONTAINER,
        frozenset({"CTR-5"}),
        rules=AuthRules(missing="auth_invalid", invalid="auth_missing"),
    ),
    GenerationFault(
        "container_reward_served_as_null",
        CONTAINER,
        frozenset({"GEN-2"}),
        _after(_rollout, _edited(reward_info={"outcome_reward": None})),
    ),
    GenerationFault(
        "container_info_circular_strings",
        CONTAINER,
        frozenset({"EP-4"}),
        _after(lambda ex: ex.path == "/info", _circular),
    ),
)


def _records(ex: Exchange) -> bool:
    """Every answer that is a rollout record: submissions, polls, state, terminate."""
    return ex.path.startswith("/rollouts")


def _sync_submission(ex: Exchange) -> bool:
    body = ex.json()
    completed = isinstance(body, dict) and body.get("status") == "completed"
    return ex.method == "POST" and ex.path == "/rollouts" and completed


def _metadata(ex: Exchange) -> bool:
    return ex.path in ("/metadata", "/info")


def _capabilities(**changes: Any) -> Callable[[Any], Any]:
    return lambda body: {**body, "capabilities": {**body["capabilities"], **changes}}


def _status_done(body: Any) -> Any:
    return {**body, "status": "done"} if body.get("status") == "completed" else body


def _summary_only(body: Any) -> Any:
    reward = (body.pop("reward_info", None) or {}).get("outcome_reward")
    return {**body, "summary": {"reward": reward}} if reward is not None else body


async def _slow_start(rollout_id: str, records: dict[str, dict[str, Any]]) -> None:
    """Queued for half a second, then running, then completed."""
    await asyncio.sleep(0.5)
    records[rollout_id] = _record(rollout_id, "running")
    await asyncio.sleep(0.01)
    records[rollout_id] = _record(rollout_id, "completed", reward_info={"outcome_reward": 1.0})


def _async_submission(ex: Exchange) -> bool:
    return ex.method == "POST" and ex.path == "/rollouts" and ex.json().get("status") == "queued"


async def _never_ends(rollout_id: str, records: dict[str, dict[str, Any]]) -> None:
    records[rollout_id] = _record(rollout_id, "running")


def _hints(**more: Any) -> Callable[[Any], Any]:
    def edit(body: Any) -> Any:
        hints = {**body["capabilities"]["route_hints"], **more}
        return {**body, "capabilities": {**body["capabilities"], "route_hints": hints}}

    return edit


_GEPA = {
    "version": "synth_optimizers.gepa.v2",
    "program_route": "/program",
    "taskset_route": "/taskset",
    "rollout_route": "/rollouts",
}


def _compat(ex: Exchange) -> bool:
    return ex.path == "/compatibility"


def _single_report_flipped(ex: Exchange) -> bool:
    return _compat(ex) and "target=" in ex.query


def _flip(body: Any) -> Any:
    return {**body, "supported": not body["supported"]}


def _standard_evals_claimed(body: Any) -> Any:
    claimed = {"target": "standard_evals", "supported": True, "missing_features": []}
    if "standard_evals" in body:
        return {**body, "standard_evals": claimed}
    return claimed if body.get("target") == "standard_evals" else body


def _unknown_target_answered(ex: Exchange) -> None:
    if ex.path == "/compatibility" and ex.status == 400:
        ex.set_json({}, 200)


def _rows(edit: Callable[[list[Any]], list[Any]]) -> Wrap:
    return _after(lambda ex: ex.path == "/dataset/rows", lambda b: {**b, "rows": edit(b["rows"])})


CONTAINERS_FAULTS = (
    GenerationFault(
        "containers_health_without_version",
        CONTAINERS,
        frozenset({"CS-1"}),
        _after(lambda ex: ex.path == "/health", lambda _: {"status": "ok"}),
    ),
    GenerationFault(
        "containers_metadata_of_another_version",
        CONTAINERS,
        frozenset({"CS-2"}),
        _after(_metadata, _capabilities(contract_version="2025-01-01")),
    ),
    GenerationFault(
        "containers_foreign_protocol",
        CONTAINERS,
        frozenset({"CS-2"}),
        _after(_metadata, _capabilities(protocol="acme.rollouts.v1")),
    ),
    GenerationFault(
        "containers_info_not_metadata",
        CONTAINERS,
        frozenset({"CS-2"}),
        _after(lambda ex: ex.path == "/info", lambda b: {"runtime": b["runtime"]}),
    ),
    GenerationFault(
        "containers_sync_rollout_id_generated",
        CONTAINERS,
        frozenset({"CS-3"}),
        _after(_sync_submission, _edited(rollout_id=lambda _: f"rollout_{uuid.uuid4().hex[:8]}")),
    ),
    GenerationFault(
        "containers_status_done",
        CONTAINERS,
        frozenset({"CS-3", "CS-5"}),
        _after(_records, _status_done),
    ),
    GenerationFault(
        "containers_reward_in_summary_only",
        CONTAINERS,
        frozenset({"CS-4"}),
        _after(_records, _summary_only),
    ),
    GenerationFault(
        "containers_async_answers_running_while_queued",
        CONTAINERS,
        frozenset({"CS-5"}),
        _after(_async_submission, _edited(status="running", success_status="running")),
        knobs={"lifecycle": _slow_start},
    ),
    GenerationFault(
        "containers_async_never_ends",
        CONTAINERS,
        frozenset({"CS-5"}),
        knobs={"lifecycle": _never_ends},
        settings=Settings(request_timeout_s=1.0),
    ),
    GenerationFault(
        "containers_terminate_cancels_completed",
        CONTAINERS,
        frozenset({"CS-6"}),
        knobs={"finished_terminate": "cancel"},
    ),
    GenerationFault(
        "containers_terminate_answer_disagrees",
        CONTAINERS,
        frozenset({"CS-6"}),
        _after(lambda ex: ex.path.endswith("/terminate"), _edited(status="cancelled")),
    ),
    GenerationFault(
        "containers_rollout_id_runs_again", CONTAINERS, frozenset({"CS-7"}), knobs={"replay": False}
    ),
    GenerationFault(
        "containers_other_body_replayed",
        CONTAINERS,
        frozenset({"CS-7"}),
        knobs={"conflicts": False},
    ),
    GenerationFault(
        "containers_rows_one_short", CONTAINERS, frozenset({"CS-8"}), _rows(lambda rows: rows[:-1])
    ),
    GenerationFault(
        "containers_rows_sorted",
        CONTAINERS,
        frozenset({"CS-8"}),
        _rows(lambda rows: sorted(rows, key=lambda r: r["seed"])),
    ),
    GenerationFault(
        "containers_hints_unserved_program",
        CONTAINERS,
        frozenset({"CS-9"}),
        _after(_metadata, _hints(program_routes=["/program"])),
    ),
    GenerationFault(
        "containers_gepa_contract_unserved",
        CONTAINERS,
        frozenset({"CS-9"}),
        _after(_metadata, lambda b: {**b, "metadata": {"optimizer_contracts": {"gepa": _GEPA}}}),
    ),
    GenerationFault(
        "containers_single_report_differs",
        CONTAINERS,
        frozenset({"CS-10"}),
        _after(_single_report_flipped, _flip),
    ),
    GenerationFault(
        "containers_unknown_target_answered",
        CONTAINERS,
        frozenset({"CS-10"}),
        lambda app: FaultyApp(app, after=_unknown_target_answered),
    ),
    GenerationFault(
        "containers_unmet_target_claimed",
        CONTAINERS,
        frozenset({"CS-10"}),
        _after(_compat, _standard_evals_claimed),
    ),
)

GENERATION_FAULTS: tuple[GenerationFault, ...] = (
    *LOCALAPI_FAULTS,
    *CONTAINER_FAULTS,
    *CONTAINERS_FAULTS,
)
"""Every fault of the newer generations, with the checks it fails under its profile."""
