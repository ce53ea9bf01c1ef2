"""Deliberately broken variants of the reference app: each fault breaks one requirement.

`FAULTS` is the fault matrix: for each fault, the exact set of checks it makes
FAIL (or WARN, for `should`/`info` checks) when the suite runs with `--strict`.

Every fault misbehaves for the whole class of input it models (every seed, every
rollout, every header form, every prefix), never only for the value a check happens to
probe, and never by recognising the harness's own routes, cids or magic values: a check
passes the matrix by catching the bug, not by matching the fault.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from conformance.contract import error_envelope, extract_cid
from reference_app import build_config, create_app
from reference_app.auth import presented_keys
from tests.faults.asgi import Exchange, FaultyApp

KEY = "ref-key-0123456789abcdef"
"""The key every fault test configures; checks must never leak it."""


@dataclass(frozen=True)
class Fault:
    name: str
    breaks: frozenset[str]
    make: Callable[[Any], Any]
    """Wraps the reference app (an ASGI app) into the broken variant."""
    concurrency: int = 4
    """Checks run at once; 1 for faults whose symptoms depend on which requests overlap."""

    def app(self) -> Any:
        return self.make(create_app(build_config(environ={"ENVIRONMENT_API_KEY": KEY})))


def _after(
    path: str,
    edit: Callable[[Any, Exchange], Any],
    *,
    method: str | None = None,
    status: int | None = 200,
    query_has: str | None = None,
) -> Callable[[Any], FaultyApp]:
    """A fault that rewrites matching JSON responses with `edit(body, exchange)`."""

    def hook(ex: Exchange) -> None:
        if ex.path != path or (method and ex.method != method) or (status and ex.status != status):
            return
        if query_has is not None and query_has not in ex.query:
            return
        ex.set_json(edit(ex.json(), ex))

    return lambda app: FaultyApp(app, after=hook)


_KEEP = object()


def _answer(status: int, body: Any = _KEEP) -> Callable[[Any, Exchange], Any]:
    """An `_after` edit that sets the status and, unless kept, replaces the body."""

    def edit(kept: Any, ex: Exchange) -> Any:
        ex.status = status
        return kept if body is _KEEP else body

    return edit


def _before(edit: Callable[[Exchange], object]) -> Callable[[Any], FaultyApp]:
    """A fault that edits every request with `edit(exchange)` before the app sees it."""
    return lambda app: FaultyApp(app, before=edit)


def _set(body: Any, value: Any, *keys: Any) -> Any:
    target = body
    for key in keys[:-1]:
        target = target[key]
    if value is _DELETE:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value(target[keys[-1]]) if callable(value) else value
    return body


_DELETE = object()


def _steps(body: Any) -> list[dict[str, Any]]:
    return [s for t in body["trajectories"] for s in t["steps"]]


# --- request-side helpers -------------------------------------------------------------


def _inject_key_when_absent(ex: Exchange) -> None:
    if not any(h in ex.headers for h in ("x-api-key", "x-api-keys", "authorization")):
        ex.headers["x-api-key"] = KEY


def _accept_when(matches: Callable[[str], bool]) -> Callable[[Exchange], None]:
    """A lax key comparison: any presented key that `matches` is taken for the real one.

    Keys are read as the app reads them (X-API-Key, X-API-Keys, Bearer), so the bug holds
    for every header form on every route, not only for the header a check sends.
    """

    def hook(ex: Exchange) -> None:
        if any(matches(candidate) for candidate in presented_keys(httpx.Headers(ex.headers))):
            ex.headers["x-api-key"] = KEY

    return hook


def _basic_accepted(ex: Exchange) -> None:
    """`Authorization: Basic` is accepted when the key is its user name or its password."""
    scheme, _, token = ex.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return
    try:
        user, _, password = base64.b64decode(token, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return
    if KEY in (user, password):
        ex.headers["authorization"] = f"Bearer {KEY}"


def _lenient_seed(ex: Exchange) -> None:
    if ex.path == "/task_info":
        params = [
            (k, v if v.isdigit() else "0") for k, v in parse_qsl(ex.query, keep_blank_values=True)
        ]
        ex.query = urlencode(params)


def _policy_config(ex: Exchange) -> tuple[Any, dict[str, Any] | None]:
    """(the rollout request body, its `policy.config`), or (body, None) for anything else."""
    body = ex.request_json() if ex.path == "/rollout" else None
    policy = body.get("policy") if isinstance(body, dict) else None
    config = policy.get("config") if isinstance(policy, dict) else None
    return body, config if isinstance(config, dict) else None


def _cid_of_request(ex: Exchange) -> str | None:
    """The cid of a rollout request, found as the app finds it (policy.config, then ?cid=)."""
    _, config = _policy_config(ex)
    url = config.get("inference_url") if config is not None else None
    return extract_cid(config, url if isinstance(url, str) else None) if config else None


def _rewrite_inference_url(edit: Callable[[str], str]) -> Callable[[Exchange], None]:
    """The app calls the model at `edit(url)` instead of the inference URL it was given."""

    def hook(ex: Exchange) -> None:
        body, config = _policy_config(ex)
        if config is not None and isinstance(config.get("inference_url"), str):
            config["inference_url"] = edit(config["inference_url"])
            ex.set_request_json(body)

    return hook


_FIXED_COMPLETIONS_PATH = "/v1/chat/completions"


def _fixed_path(url: str) -> str:
    """`<scheme>://<host>/v1/chat/completions?<query>`, whatever path `url` had."""
    return urlunsplit(urlsplit(url)._replace(path=_FIXED_COMPLETIONS_PATH))


def _replace_query(url: str, keep: Callable[[str, str], tuple[str, str] | None]) -> str:
    parts = urlsplit(url)
    params = [p for k, v in parse_qsl(parts.query, keep_blank_values=True) if (p := keep(k, v))]
    return urlunsplit((*parts[:3], urlencode(params), parts.fragment))


def _eval_rejected(ex: Exchange) -> None:
    request = ex.request_json()
    if (
        ex.path == "/rollout"
        and ex.status == 200
        and isinstance(request, dict)
        and request.get("mode") == "eval"
    ):
        ex.set_json({"detail": {"error": {"code": "bad_mode", "message": "eval unsupported"}}}, 422)


def _global_cid_holder(app: Any) -> FaultyApp:
    """The classic bug: the cid lives in a global, so parallel rollouts echo each other's."""
    holder: dict[str, str] = {}

    def before(ex: Exchange) -> None:
        cid = _cid_of_request(ex)
        if cid is not None:
            holder["cid"] = ex.notes["cid"] = cid

    async def after(ex: Exchange) -> None:
        if ex.status == 200 and "cid" in ex.notes:
            await asyncio.sleep(0.2)  # every parallel request has started by now
            own = ex.notes["cid"]
            ex.response_body = ex.response_body.replace(own.encode(), holder["cid"].encode())

    return FaultyApp(app, before=before, after=after)


def _cid_sent_from_a_global(app: Any) -> FaultyApp:
    """The same bug on the way out: the model is called with the latest rollout's cid."""
    holder: dict[str, str] = {}

    async def before(ex: Exchange) -> None:
        body, config = _policy_config(ex)
        cid = _cid_of_request(ex)
        if config is None or cid is None:
            return
        holder["cid"] = cid
        await asyncio.sleep(0.2)  # every parallel rollout has registered by now
        config["inference_url"] = _replace_query(
            str(config.get("inference_url")), lambda k, v: (k, holder["cid"] if k == "cid" else v)
        )
        ex.set_request_json(body)

    return FaultyApp(app, before=before)


def _one_rollout_at_a_time(app: Any) -> FaultyApp:
    """An app that answers 503 while another rollout is in flight."""
    in_flight = {"n": 0}

    async def before(ex: Exchange) -> None:
        if ex.path == "/rollout":
            in_flight["n"] += 1
            await asyncio.sleep(0.1)

    def after(ex: Exchange) -> None:
        if ex.path == "/rollout":
            busy = in_flight["n"] > 1
            in_flight["n"] -= 1
            if busy and ex.status == 200:
                ex.set_json({"detail": {"error": {"code": "busy", "message": "busy"}}}, 503)

    return FaultyApp(app, before=before, after=after)


# --- task_info -------------------------------------------------------------------------


def _taskset_renamed(body: Any, _: Exchange) -> Any:
    """The taskset answer (no instance in it) is named `tasks`, whatever the query held."""
    if isinstance(body, dict) and "taskset" in body and "task" not in body:
        return {"tasks": body["taskset"]}
    return body


def _unseeded_instances(app: Any) -> FaultyApp:
    """Every instance carries a fresh draw, so no seed ever gives the same TaskInfo twice."""
    draws = itertools.count()

    def edit(body: Any, _: Exchange) -> Any:
        for instance in body if isinstance(body, list) else [body]:
            if isinstance(instance, dict) and isinstance(instance.get("task_metadata"), dict):
                instance["task_metadata"]["draw"] = next(draws)
        return body

    return _after("/task_info", edit)(app)


_SERVED_SEEDS = 5


def _seeds_stop_at_5(ex: Exchange) -> None:
    """/task_info serves seeds 0-4 only: any request naming a later seed, alone or in a
    list, gets 404.
    """
    if ex.path != "/task_info" or ex.status != 200:
        return
    asked = [v for k, v in parse_qsl(ex.query) if k in ("seed", "seeds")]
    unserved = next((s for s in asked if s.isdigit() and int(s) >= _SERVED_SEEDS), None)
    if unserved is not None:
        ex.set_json(error_envelope("unknown_seed", f"seed {unserved} is not served"), 404)


def _bare_validation_list(body: Any, _: Exchange) -> Any:
    """FastAPI's default 422 body, carrying the app's own message."""
    error = body.get("detail", {}).get("error", {}) if isinstance(body, dict) else {}
    return {"detail": [{"loc": ["body"], "msg": error.get("message"), "type": "value_error"}]}


def _cors_reflect(ex: Exchange) -> None:
    origin = ex.headers.get("origin")
    if origin:
        if ex.method == "OPTIONS":
            ex.status, ex.response_body = 200, b""
        ex.response_headers += [
            (b"access-control-allow-origin", origin.encode()),
            (b"access-control-allow-credentials", b"true"),
        ]


FAULTS: tuple[Fault, ...] = (
    Fault(
        "root_without_service",
        frozenset({"EP-1"}),
        _after("/", lambda b, _: {"status": "ok"}, method="GET"),
    ),
    Fault(
        "head_root_not_allowed",
        frozenset({"EP-2"}),
        lambda app: FaultyApp(app, routes={("HEAD", "/"): (405, {"detail": "Method Not Allowed"})}),
    ),
    Fault(
        "health_without_auth_object",
        frozenset({"EP-3"}),
        _after("/health", lambda b, _: {"healthy": True}),
    ),
    Fault(
        "info_circular_strings",
        frozenset({"EP-4"}),
        _after(
            "/info",
            lambda b, _: {**b, "dataset": "<circular type=dict>", "limits": "<circular type=dict>"},
        ),
    ),
    Fault("info_is_a_list", frozenset({"EP-4"}), _after("/info", lambda b, _: [b])),
    Fault("task_info_without_taskset", frozenset({"TI-1"}), _after("/task_info", _taskset_renamed)),
    Fault(
        "one_seed_returns_list",
        frozenset({"TI-2"}),
        _after("/task_info", lambda b, _: [b] if isinstance(b, dict) and "task" in b else b),
    ),
    Fault(
        "several_seeds_reversed",
        frozenset({"TI-3"}),
        _after("/task_info", lambda b, _: b[::-1] if isinstance(b, list) else b),
    ),
    # TI-3 compares a list with the single answers, so it sees the draws differ too.
    Fault("unseeded_instances", frozenset({"TI-3", "TI-4", "PROP-1"}), _unseeded_instances),
    Fault(
        "seeds_stop_at_5",
        frozenset({"TI-5"}),  # PROP-1 accepts a stable 4xx: the provider decides (§1.5)
        lambda app: FaultyApp(app, after=_seeds_stop_at_5),
    ),
    Fault("lenient_seed_parsing", frozenset({"TI-6", "PROP-3"}), _before(_lenient_seed)),
    Fault(
        "instances_without_taskset",
        frozenset({"TI-7"}),
        _after(
            "/task_info",
            lambda b, ex: (
                [{k: v for k, v in i.items() if k != "taskset"} for i in b]
                if isinstance(b, list)
                else ({k: v for k, v in b.items() if k != "taskset"} if "task" in b else b)
            ),
        ),
    ),
    Fault(
        "x_api_key_ignored",
        frozenset({"AUTH-1"}),
        _before(lambda ex: ex.headers.pop("x-api-key", None)),
    ),
    Fault("missing_key_accepted", frozenset({"AUTH-2"}), _before(_inject_key_when_absent)),
    Fault(
        "any_key_accepted", frozenset({"AUTH-3", "AUTH-4"}), _before(_accept_when(lambda _: True))
    ),
    Fault("key_prefix_accepted", frozenset({"AUTH-4"}), _before(_accept_when(KEY.startswith))),
    Fault(
        "key_case_ignored",
        frozenset({"AUTH-4"}),
        _before(_accept_when(lambda c: c.casefold() == KEY.casefold())),
    ),
    Fault(
        "key_compared_on_its_first_16_characters",
        frozenset({"AUTH-4"}),
        _before(_accept_when(lambda c: c[:16] == KEY[:16])),
    ),
    Fault("basic_auth_accepted", frozenset({"AUTH-5"}), _before(_basic_accepted)),
    Fault(
        "x_api_keys_ignored",
        frozenset({"AUTH-6"}),
        _before(lambda ex: ex.headers.pop("x-api-keys", None)),
    ),
    Fault(
        "bearer_ignored",
        frozenset({"AUTH-7"}),
        _before(lambda ex: ex.headers.pop("authorization", None)),
    ),
    Fault(
        "rejects_with_400",
        frozenset({"AUTH-8"}),
        lambda app: FaultyApp(
            app, after=lambda ex: setattr(ex, "status", 400) if ex.status == 401 else None
        ),
    ),
    Fault(
        "rollout_rejection_is_404",
        frozenset({"AUTH-8"}),
        _after("/rollout", _answer(404), status=401),
    ),
    Fault(
        "rejection_as_plain_text",
        frozenset({"AUTH-9"}),
        lambda app: FaultyApp(
            app,
            after=lambda ex: (
                setattr(ex, "response_body", b"Unauthorized") if ex.status == 401 else None
            ),
        ),
    ),
    Fault(
        "rejection_leaks_allowed_first15",
        frozenset({"SEC-1"}),
        lambda app: FaultyApp(
            app,
            after=lambda ex: (
                ex.set_json({**ex.json(), "allowed_first15": [KEY[:15]]})
                if ex.status == 401
                else None
            ),
        ),
    ),
    Fault(
        "root_header_names_the_key",
        frozenset({"SEC-1"}),
        lambda app: FaultyApp(
            app,
            after=lambda ex: (
                ex.response_headers.append((b"x-served-for", KEY[-8:].encode()))
                if ex.path == "/"
                else None
            ),
        ),
    ),
    Fault(
        "rollout_metadata_echoes_the_key",
        frozenset({"SEC-1"}),
        _after("/rollout", lambda b, _: _set(b, KEY, "pipeline_metadata", "debug_api_key")),
    ),
    Fault(
        "failed_rollout_dumps_the_key",
        frozenset({"RO-1", "SEC-1"}),
        _after(
            "/rollout",
            _answer(500, {"detail": "inference failed", "environ": {"KEY": KEY}}),
        ),
    ),
    Fault(
        "health_reveals_key_prefix",
        frozenset({"SEC-2"}),
        _after("/health", lambda b, _: _set(b, KEY[:4] + "...", "auth", "expected_prefix")),
    ),
    Fault(
        "debug_env_exposed",
        frozenset({"SEC-3"}),
        lambda app: FaultyApp(
            app, routes={("GET", "/debug/env"): (200, {"has_ENVIRONMENT_API_KEY": True})}
        ),
    ),
    Fault(
        "cors_reflects_any_origin",
        frozenset({"SEC-4"}),
        lambda app: FaultyApp(app, after=_cors_reflect),
    ),
    Fault(
        "openapi_public",
        frozenset({"SEC-5"}),
        lambda app: FaultyApp(app, routes={("GET", "/openapi.json"): (200, {"openapi": "3.1.0"})}),
    ),
    Fault(
        "rollout_500",
        frozenset({"RO-1"}),
        _after("/rollout", _answer(500, {"detail": "boom"})),
    ),
    Fault(
        "wrong_run_id",
        frozenset({"RO-2"}),
        _after("/rollout", lambda b, _: {**b, "run_id": "other"}),
    ),
    Fault(
        "empty_trajectories",
        frozenset({"RO-3"}),
        _after("/rollout", lambda b, _: _set({**b, "trajectories": []}, 0, "metrics", "num_steps")),
    ),
    Fault(
        "length_off_by_one",
        frozenset({"RO-4"}),
        _after("/rollout", lambda b, _: _set(b, lambda n: n + 1, "trajectories", 0, "length")),
    ),
    Fault(
        "num_steps_off_by_one",
        frozenset({"RO-5"}),
        _after("/rollout", lambda b, _: _set(b, lambda n: n + 1, "metrics", "num_steps")),
    ),
    Fault(
        "infinite_step_reward",
        frozenset({"RO-6"}),
        _after(
            "/rollout", lambda b, _: _set(b, float("inf"), "trajectories", 0, "steps", 0, "reward")
        ),
    ),
    Fault(
        "eval_mode_rejected", frozenset({"RO-7"}), lambda app: FaultyApp(app, after=_eval_rejected)
    ),
    Fault(
        "invalid_body_500",
        frozenset({"RO-8", "RO-12", "PROP-3", "PROP-4"}),
        _after(
            "/rollout",
            _answer(500, "Internal Server Error"),
            status=422,
        ),
    ),
    Fault(
        "validation_error_bare_list",
        frozenset({"RO-9", "PROP-3"}),
        _after("/rollout", _bare_validation_list, status=422),
    ),
    Fault(
        "steps_without_messages",
        frozenset({"RO-10"}),
        _after("/rollout", lambda b, _: [s["info"].pop("messages") for s in _steps(b)] and b),
    ),
    Fault(
        "trace_repr_datetimes",
        frozenset({"RO-11"}),
        _after(
            "/rollout",
            lambda b, _: (
                _set(b, "datetime.datetime(2025, 1, 1, 0, 0)", "trace", "created_at")
                if b.get("trace")
                else b
            ),
        ),
    ),
    Fault(
        "pipeline_cid_not_first",
        frozenset({"CID-1", "CID-7"}),
        _after(
            "/rollout",
            lambda b, _: _set(
                b,
                lambda u: u.replace("?cid=", "?app=arithmetic&cid="),
                "pipeline_metadata",
                "inference_url",
            ),
        ),
    ),
    Fault(
        "last_step_drops_cid",
        frozenset({"CID-2"}),
        _after(
            "/rollout",
            lambda b, _: _set(
                b,
                lambda u: u.split("?")[0],
                "trajectories",
                0,
                "steps",
                -1,
                "info",
                "meta",
                "inference_url",
            ),
        ),
    ),
    Fault(
        "no_top_level_trace_correlation_id",
        frozenset({"CID-3", "CID-8", "PROP-2"}),
        _after("/rollout", lambda b, _: {**b, "trace_correlation_id": None}),
    ),
    Fault(
        "stale_cid_sent_to_model",
        frozenset({"CID-4", "CID-8", "PROP-2"}),
        _before(
            _rewrite_inference_url(
                lambda u: _replace_query(u, lambda k, v: (k, "stale" if k == "cid" else v))
            )
        ),
    ),
    Fault("cid_in_a_global", frozenset({"CID-5"}), _global_cid_holder, concurrency=1),
    Fault(
        "model_called_with_a_global_cid",
        frozenset({"CID-5"}),
        _cid_sent_from_a_global,
        concurrency=1,
    ),
    Fault(
        "one_rollout_at_a_time",
        frozenset({"CID-5", "LOAD-1"}),
        _one_rollout_at_a_time,
        concurrency=1,
    ),
    # It calls, and reports, a path of its own. The recorder sees those calls off the
    # rollout's route: CID-4 fails on those calls (they carry the issued cid, off the route).
    Fault(
        "inference_path_replaced",
        frozenset({"CID-4", "CID-7"}),  # CID-4: its calls with the cid came in off the route
        _before(_rewrite_inference_url(_fixed_path)),
    ),
    Fault(
        "other_query_params_dropped",
        frozenset({"CID-6", "CID-7", "PROP-2"}),
        _before(
            _rewrite_inference_url(
                lambda u: _replace_query(u, lambda k, v: (k, v) if k == "cid" else None)
            )
        ),
    ),
)


def _with_fuzz_faults() -> tuple[Fault, ...]:
    from tests.faults.fuzz_faults import FUZZ_FAULTS

    return tuple(Fault(f.name, f.breaks, f.make) for f in FUZZ_FAULTS)


FAULTS += _with_fuzz_faults()


def _with_contract_faults() -> tuple[Fault, ...]:
    from tests.faults.contract_faults import CONTRACT_FAULTS

    return CONTRACT_FAULTS


FAULTS += _with_contract_faults()


def _with_leak_faults() -> tuple[Fault, ...]:
    from tests.faults.leak_faults import LEAK_FAULTS

    return LEAK_FAULTS


FAULTS += _with_leak_faults()


def _with_behaviour_faults() -> tuple[Fault, ...]:
    from tests.faults.behaviour_faults import BEHAVIOUR_FAULTS

    return BEHAVIOUR_FAULTS


FAULTS += _with_behaviour_faults()
