"""Faults for the contract's rules the first catalogue missed: key material sent to the
model, stack traces, non-object bodies, the pipeline URL, requests as synth-ai's tools send
them, metrics, trace formats, and an app with no key configured.

Each misbehaves for the whole class of input it models, never for a value only the
harness sends. Faults on the model side change the app's own calls through the reference
app's outbound `transport`; faults on an unconfigured app build on the config the app was
made from (`app.state.config`), so they show only when the app really has no key.
"""

from __future__ import annotations

import dataclasses
import json
import secrets
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from conformance.contract import error_envelope, extract_cid
from conformance.contract.constants import ENVIRONMENT_API_KEY_ENV
from conformance.target import Target, asgi_target
from reference_app import build_config, create_app
from reference_app.auth import allowed_keys
from tests.faults import KEY, Fault
from tests.faults.asgi import Exchange, FaultyApp


def rebuildable(make: Callable[[Any], Any], label: str) -> Target:
    """`make(reference app)` as a target that can be built again from any environment, as
    the embedded reference app can (AUTH-11 builds it with no key).
    """

    def build(environ: Mapping[str, str]) -> Any:
        return make(create_app(build_config(environ=environ)))

    return asgi_target(build({ENVIRONMENT_API_KEY_ENV: KEY}), KEY, label, rebuild=build)


# --- the model side: every call the app makes, edited ---------------------------------


class _Outbound(httpx.AsyncBaseTransport):
    """Sends every request the app makes to the model after `edit`, over the network."""

    def __init__(self, edit: Callable[[httpx.Request], httpx.Request]) -> None:
        self._edit = edit

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with httpx.AsyncClient() as network:
            response = await network.send(self._edit(request))
        dropped = ("content-encoding", "content-length", "transfer-encoding")
        headers = [(k, v) for k, v in response.headers.items() if k.lower() not in dropped]
        stream = httpx.ByteStream(response.content)  # unread, as the network's would be
        return httpx.Response(response.status_code, headers=headers, stream=stream)


def _model_calls(edit: Callable[[httpx.Request, str], httpx.Request]) -> Callable[[Any], Any]:
    """The reference app whose every model call is `edit(call, the app's own key)`."""

    def make(app: Any) -> Any:
        config = app.state.config
        key = config.environ.get(ENVIRONMENT_API_KEY_ENV, "")
        outbound = _Outbound(lambda request: edit(request, key))
        rollout = dataclasses.replace(config.rollout, transport=outbound)
        return create_app(dataclasses.replace(config, rollout=rollout))

    return make


def _rebuilt(request: httpx.Request, url: httpx.URL, content: bytes | None = None) -> httpx.Request:
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    body = request.content if content is None else content
    return httpx.Request(request.method, url, headers=headers, content=body)


def _key_as_user_id(request: httpx.Request, key: str) -> httpx.Request:
    """The app names itself to the model with its key as the OpenAI `user` field."""
    payload = {**json.loads(request.content), "user": key}
    return _rebuilt(request, request.url, json.dumps(payload).encode())


def _key_in_a_caller_header(request: httpx.Request, key: str) -> httpx.Request:
    request.headers["X-Caller"] = f"arithmetic/{key}"
    return request


def _key_in_the_query(request: httpx.Request, key: str) -> httpx.Request:
    return _rebuilt(request, request.url.copy_add_param("env_key", key))


def _another_url(request: httpx.Request, _: str) -> httpx.Request:
    """The app calls `/v1/chat/completions` on the given host, whatever path it was given."""
    return _rebuilt(request, request.url.copy_with(path="/v1/chat/completions"))


# --- stack traces ---------------------------------------------------------------------


_TRACEBACK = """Traceback (most recent call last):
  File "/srv/app/handlers.py", line 88, in rollout
    payload = body["policy"]
KeyError: 'policy'
"""
"""What a debug handler shows: the same frames whatever the request was."""


def _traceback_in_error_bodies(ex: Exchange) -> None:
    """A debug handler: every error envelope also carries the server's traceback."""
    body = ex.json()
    error = body.get("detail", {}).get("error") if isinstance(body, dict) else None
    if ex.status >= 400 and isinstance(error, dict):
        error["traceback"] = _TRACEBACK
        ex.set_json(body)


def _not_found_debug_page(ex: Exchange) -> None:
    """Debug mode on: every 404 is the framework's HTML page with the traceback."""
    if ex.status == 404:
        page = f"<html><title>Starlette Debugger</title><h1>404</h1><pre>{_TRACEBACK}</pre></html>"
        ex.response_body = page.encode()
        ex.response_headers = [(b"content-type", b"text/html; charset=utf-8")]


# --- bodies that are not a JSON object ------------------------------------------------


def _crash(ex: Exchange) -> None:
    ex.status, ex.response_body = 500, b"Internal Server Error"
    ex.response_headers = [(b"content-type", b"text/plain; charset=utf-8")]


def _non_object_json_crashes(ex: Exchange) -> None:
    """`body.get(...)` on whatever JSON came: every array, string, number or null is a 500."""
    if ex.method != "POST" or ex.path != "/rollout":
        return
    try:
        body = json.loads(ex.body)
    except ValueError:
        return
    if not isinstance(body, dict):
        _crash(ex)


def _undecodable_body_crashes(ex: Exchange) -> None:
    """`body.decode()` before parsing: every body that is not UTF-8 is a 500."""
    if ex.method == "POST" and ex.path == "/rollout":
        try:
            ex.body.decode("utf-8")
        except UnicodeDecodeError:
            _crash(ex)


def _array_unwrapped(ex: Exchange) -> None:
    """A lenient parser: a JSON array is taken as its first element, whatever that is."""
    body = ex.request_json() if ex.path == "/rollout" else None
    if isinstance(body, list) and body:
        ex.set_request_json(body[0])


# --- the pipeline URL -----------------------------------------------------------------


def _pipeline_url(edit: Callable[[str], str]) -> Callable[[Exchange], None]:
    def hook(ex: Exchange) -> None:
        body = ex.json()
        metadata = body.get("pipeline_metadata") if isinstance(body, dict) else None
        if ex.path == "/rollout" and ex.status == 200 and isinstance(metadata, dict):
            metadata["inference_url"] = edit(metadata["inference_url"])
            ex.set_json(body)

    return hook


def _without_path(url: str) -> str:
    """The base-only form the 0.2.24 checker wants for trajectories, used for the pipeline."""
    return urlunsplit(urlsplit(url)._replace(path=""))


def _with_a_source(url: str) -> str:
    return f"{url}&source=taskapp"


# --- requests as synth-ai's tools send them -------------------------------------------


def _policy_config(ex: Exchange) -> tuple[Any, dict[str, Any] | None]:
    body = ex.request_json() if ex.path == "/rollout" else None
    policy = body.get("policy") if isinstance(body, dict) else None
    config = policy.get("config") if isinstance(policy, dict) else None
    return body, config if isinstance(config, dict) else None


def _cid_only_from_the_config(ex: Exchange) -> None:
    """The cid is read from policy.config alone: a `?cid=` in the URL is never looked at."""
    body, config = _policy_config(ex)
    if config is None or extract_cid(config) is not None:
        return
    url = config.get("inference_url")
    if isinstance(url, str):
        parts = urlsplit(url)
        kept = [p for p in parts.query.split("&") if p.split("=", 1)[0] != "cid"]
        config["inference_url"] = urlunsplit(parts._replace(query="&".join(kept)))
        ex.set_request_json(body)


def _cid_demanded(ex: Exchange) -> None:
    """The rl-mode rule applied to every mode: a request without any cid is refused."""
    _, config = _policy_config(ex) if ex.status == 200 else (None, None)
    if config is not None and extract_cid(config, config.get("inference_url")) is None:
        message = "policy.config.trace_correlation_id or ?cid= is required"
        ex.set_json(error_envelope("missing_trace_correlation_id", message), 422)


def _x_api_key_taken_whole(ex: Exchange) -> None:
    """`X-API-Key` is compared as one value: a comma list never matches."""
    value = ex.headers.get("x-api-key")
    if value is not None and "," in value:
        ex.headers["x-api-key"] = value.replace(",", ";")


# --- metrics and traces ---------------------------------------------------------------


def _rollout_body(edit: Callable[[dict[str, Any], Any], None]) -> Callable[[Any], Any]:
    """Every 200 rollout response, edited by `edit(body, the request body)`."""

    def hook(ex: Exchange) -> None:
        body = ex.json()
        if ex.path == "/rollout" and ex.status == 200 and isinstance(body, dict):
            edit(body, ex.request_json())
            ex.set_json(body)

    return lambda app: FaultyApp(app, after=hook)


def _drop_num_episodes(body: dict[str, Any], _: Any) -> None:
    body["metrics"].pop("num_episodes", None)


def _score_in_percent(body: dict[str, Any], _: Any) -> None:
    """The score as a percentage; the harness's mock answers correctly, so it is 100."""
    score = body["metrics"].get("outcome_score")
    if isinstance(score, int | float):
        body["metrics"]["outcome_score"] = score * 100


def _trace_only_for_full(body: dict[str, Any], request: Any) -> None:
    """Only `full` is honoured (as synth-ai's swe example): other formats get no trace."""
    record = request.get("record") if isinstance(request, dict) else None
    if not isinstance(record, dict) or record.get("trace_format", "compact") != "full":
        body["trace"] = None


def _bare_string_message_content(body: dict[str, Any], _: Any) -> None:
    """Message records carry their text as a bare string, in every trace that has them."""
    trace = body.get("trace") or {}
    steps = trace.get("session_time_steps") or []
    lists = [trace.get("markov_blanket_message_history") or []]
    lists += [s.get("markov_blanket_messages") or [] for s in steps]
    for message in (m for messages in lists for m in messages):
        content = message["content"]
        message["content"] = content.get("text") or content.get("json_payload") or ""


# --- no key configured ----------------------------------------------------------------


def _unless_keyed(edit: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`edit(app)` when the app was built with no key; the app itself otherwise."""
    return lambda app: app if allowed_keys(app.state.config.environ) else edit(app)


def _open(app: Any) -> Any:
    """With no key configured, authentication is off: every request is let in."""
    token = secrets.token_hex(16)
    config = app.state.config
    opened = create_app(dataclasses.replace(config, environ={ENVIRONMENT_API_KEY_ENV: token}))

    def let_in(ex: Exchange) -> None:
        for header in ("x-api-key", "x-api-keys", "authorization"):
            ex.headers.pop(header, None)
        ex.headers["x-api-key"] = token

    return FaultyApp(opened, before=let_in)


def _when_unconfigured(edit: Callable[[Exchange], None]) -> Callable[[Any], Any]:
    return lambda app: FaultyApp(app, after=lambda ex: edit(ex) if ex.status == 503 else None)


def _as_401(ex: Exchange) -> None:
    ex.set_json(error_envelope("unauthorised", "API key missing or invalid"), 401)


CONTRACT_FAULTS: tuple[Fault, ...] = (
    Fault("model_call_body_carries_the_key", frozenset({"SEC-6"}), _model_calls(_key_as_user_id)),
    Fault(
        "model_call_header_carries_the_key",
        frozenset({"SEC-6"}),
        _model_calls(_key_in_a_caller_header),
    ),
    Fault(
        "model_call_query_carries_the_key", frozenset({"SEC-6"}), _model_calls(_key_in_the_query)
    ),
    Fault(
        "traceback_in_error_bodies",
        frozenset({"SEC-7"}),
        lambda app: FaultyApp(app, after=_traceback_in_error_bodies),
    ),
    Fault(
        "not_found_debug_page",
        frozenset({"SEC-7"}),
        lambda app: FaultyApp(app, after=_not_found_debug_page),
    ),
    Fault(
        "non_object_json_body_500",
        frozenset({"RO-12"}),
        lambda app: FaultyApp(app, after=_non_object_json_crashes),
    ),
    Fault(
        "undecodable_body_500",
        frozenset({"RO-12"}),
        lambda app: FaultyApp(app, after=_undecodable_body_crashes),
    ),
    Fault(
        "json_array_unwrapped",
        frozenset({"RO-12"}),
        lambda app: FaultyApp(app, before=_array_unwrapped),
    ),
    Fault(
        "pipeline_url_without_path",
        frozenset({"CID-7"}),
        lambda app: FaultyApp(app, after=_pipeline_url(_without_path)),
    ),
    Fault(
        "pipeline_url_adds_a_parameter",
        frozenset({"CID-7"}),
        lambda app: FaultyApp(app, after=_pipeline_url(_with_a_source)),
    ),
    Fault(
        "cid_in_url_ignored",
        frozenset({"CID-8"}),
        lambda app: FaultyApp(app, before=_cid_only_from_the_config),
    ),
    Fault(
        "rollout_without_cid_refused",
        frozenset({"CID-9"}),
        lambda app: FaultyApp(app, after=_cid_demanded),
    ),
    Fault(
        "x_api_key_list_not_split",
        frozenset({"AUTH-10"}),
        lambda app: FaultyApp(app, before=_x_api_key_taken_whole),
    ),
    Fault("num_episodes_left_at_default", frozenset({"RO-13"}), _rollout_body(_drop_num_episodes)),
    Fault("outcome_score_in_percent", frozenset({"RO-14"}), _rollout_body(_score_in_percent)),
    Fault("trace_only_for_full", frozenset({"RO-11"}), _rollout_body(_trace_only_for_full)),
    Fault(
        "trace_message_content_bare_string",
        frozenset({"RO-11"}),
        _rollout_body(_bare_string_message_content),
    ),
    Fault("open_without_a_configured_key", frozenset({"AUTH-11"}), _unless_keyed(_open)),
    Fault(
        "crashes_without_a_configured_key",
        frozenset({"AUTH-11"}),
        _unless_keyed(_when_unconfigured(_crash)),
    ),
    Fault(
        "unconfigured_key_answered_401",
        frozenset({"AUTH-11"}),
        _unless_keyed(_when_unconfigured(_as_401)),
    ),
)
"""Appended to `tests.faults.FAULTS`: each fails exactly its `breaks`."""

UNPROVEN_FAULTS: tuple[Fault, ...] = (
    Fault(
        "model_called_at_another_url",
        frozenset({"CID-4", "CID-5", "CID-6", "PROP-2", "SEC-6"}),
        _model_calls(_another_url),
    ),
)
"""Faults whose model-side checks must not pass: `breaks` lists them (CID-4 fails on the
calls that came in off the rollout's route; the rest have no call of their own and SKIP as
unproven), so they are judged by their own test, not by the fault matrix.
"""
