"""Apps that give the key away in one spelling: SEC-1 must catch each, and no output of
the harness may carry any of them.

`LEAK_FAULTS` join the fault matrix: each puts the key the app holds, spelled one way,
into every answer of one kind (every response, every rejection, every `/info`...), and
fails SEC-1 only. `SPELLINGS` are the ways an app can spell the key; `echo_<spelling>`
(`--app tests.faults.leak_faults:echo_base64`) is a noisier app that answers every
rejection with an HTML page quoting the key so spelled, so that other checks quote it too.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from reference_app import build_config, create_app
from reference_app.auth import allowed_keys
from tests.faults import Fault
from tests.faults.asgi import Exchange, FaultyApp

LEAK_KEY = "Leak~Key>>Zq7r?W2v9~xyz?ABC"
"""The key of the `echo_*` apps: mixed case, and base64 and base64url spell it differently."""


def _json_escaped(key: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in key)


def _percent_encoded(key: str) -> str:
    return "".join(f"%{b:02X}" for b in key.encode())


def _in_a_blob(prefix: str, encode: Callable[[bytes], bytes]) -> Callable[[str], str]:
    """The key inside a JSON document, encoded whole: the key's bytes start `len(prefix)`
    bytes in, so its base64 spelling is not the one of the key alone.
    """
    return lambda key: encode(json.dumps({prefix: key}).encode()).decode()


SPELLINGS: dict[str, Callable[[str], str]] = {
    "verbatim": lambda key: key,
    "uppercased": str.upper,
    "json_escaped": _json_escaped,
    "percent_encoded": _percent_encoded,
    "base64": lambda key: base64.b64encode(key.encode()).decode(),
    "base64url": lambda key: base64.urlsafe_b64encode(key.encode()).decode(),
    "base64_in_a_blob_at_1": _in_a_blob("auth", base64.b64encode),
    "base64url_in_a_blob_at_2": _in_a_blob("id", base64.urlsafe_b64encode),
    "hex": lambda key: key.encode().hex(),
    "hex_uppercased": lambda key: key.encode().hex().upper(),
    "reversed": lambda key: key[::-1],
    "first_15_base64": lambda key: base64.b64encode(key[:15].encode()).decode(),
}
"""How an app may spell the key; the base64 blobs put it at each of the 3 byte offsets."""


def _held_key(app: Any) -> str:
    """The key the app accepts (what a careless app would echo), or "" when it has none."""
    keys = allowed_keys(app.state.config.environ)
    return keys[0] if keys else ""


def _with_header(
    name: str, spell: Callable[[str], str], path: str | None = None
) -> Callable[[Any], FaultyApp]:
    """Every answer (on `path`, or every path) carries header `name`: the key, spelled."""

    def make(app: Any) -> FaultyApp:
        key = _held_key(app)

        def after(ex: Exchange) -> None:
            if key and (path is None or ex.path == path):
                ex.response_headers.append((name.encode(), spell(key).encode()))

        return FaultyApp(app, after=after)

    return make


def _with_raw_field(
    name: str, raw_json_string: Callable[[str], str], *, statuses: frozenset[int]
) -> Callable[[Any], FaultyApp]:
    """Every JSON answer with one of `statuses` gets `name`, written as exact JSON text (so a
    `\\u` escape reaches the client as the escape, not as the character).
    """

    def make(app: Any) -> FaultyApp:
        key = _held_key(app)

        def after(ex: Exchange) -> None:
            body = ex.response_body.rstrip()
            if key and ex.status in statuses and body.startswith(b"{") and body.endswith(b"}"):
                field = f'"{name}": "{raw_json_string(key)}"'.encode()
                ex.response_body = body[:-1] + (b", " if body != b"{}" else b"") + field + b"}"

        return FaultyApp(app, after=after)

    return make


def _with_field(
    path: str, spell: Callable[[str], str], *keys: str, method: str = "GET"
) -> Callable[[Any], FaultyApp]:
    """Every 200 JSON answer to `method path` gets the key, spelled, at `keys`."""

    def make(app: Any) -> FaultyApp:
        key = _held_key(app)

        def after(ex: Exchange) -> None:
            body = ex.json()
            if not key or ex.method != method or ex.path != path or ex.status != 200:
                return
            if isinstance(body, dict):
                target = body
                for name in keys[:-1]:
                    target = target.setdefault(name, {})
                target[keys[-1]] = spell(key)
                ex.set_json(body)

        return FaultyApp(app, after=after)

    return make


LEAK_FAULTS: tuple[Fault, ...] = (
    Fault(
        "every_answer_names_the_key_uppercased",
        frozenset({"SEC-1"}),
        _with_header("x-served-for", str.upper),
    ),
    Fault(
        "rejection_quotes_the_key_json_escaped",
        frozenset({"SEC-1"}),
        _with_raw_field("expected", _json_escaped, statuses=frozenset({401, 403})),
    ),
    Fault(
        "every_answer_links_the_key_percent_encoded",
        frozenset({"SEC-1"}),
        _with_header(
            "link",
            lambda key: f'<https://auth.example/verify?k={_percent_encoded(key)}>; rel="auth"',
        ),
    ),
    Fault(
        "info_signs_with_the_key_base64",
        frozenset({"SEC-1"}),
        _with_field("/info", SPELLINGS["base64"], "build", "signature"),
    ),
    Fault(
        "rollout_state_holds_the_key_base64url_in_a_blob",
        frozenset({"SEC-1"}),
        _with_field(
            "/rollout",
            SPELLINGS["base64url_in_a_blob_at_2"],
            "pipeline_metadata",
            "state",
            method="POST",
        ),
    ),
    Fault(
        "task_info_etag_is_the_key_hex",
        frozenset({"SEC-1"}),
        _with_header("etag", SPELLINGS["hex_uppercased"], path="/task_info"),
    ),
    Fault(
        "health_hints_the_key_reversed",
        frozenset({"SEC-1"}),
        _with_field("/health", SPELLINGS["reversed"], "auth", "hint"),
    ),
)


def _echo_everywhere(spell: Callable[[str], str]) -> Callable[[Any], FaultyApp]:
    """The key, spelled, in a header of every answer, in `/info`, and as the HTML page that
    replaces every rejection (which fails the AUTH checks, whose blocks quote the page).
    """

    def make(app: Any) -> FaultyApp:
        spelled = spell(_held_key(app))

        def after(ex: Exchange) -> None:
            ex.response_headers.append((b"x-echo", spelled.encode()))
            if ex.status in (401, 403):
                page = f"<html><body><h1>Unauthorized</h1><p>expected {spelled}</p></body></html>"
                ex.response_body = page.encode()
                ex.response_headers = [
                    (k, v) for k, v in ex.response_headers if k.lower() != b"content-type"
                ]
                ex.response_headers.append((b"content-type", b"text/html; charset=utf-8"))
            elif ex.path == "/info" and isinstance(body := ex.json(), dict):
                ex.set_json({**body, "echo": spelled})

        return FaultyApp(app, after=after)

    return make


def __getattr__(name: str) -> Callable[[], Any]:
    """`echo_<spelling>`: a factory of the reference app holding `LEAK_KEY` that echoes it."""
    spelling = name.removeprefix("echo_")
    if not name.startswith("echo_") or spelling not in SPELLINGS:
        raise AttributeError(name)
    make = _echo_everywhere(SPELLINGS[spelling])

    def factory() -> Any:
        return make(create_app(build_config(environ={"ENVIRONMENT_API_KEY": LEAK_KEY})))

    return factory
