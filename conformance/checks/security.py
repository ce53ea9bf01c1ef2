"""Secrets and exposure: key material in responses, /health prefixes, /debug/env, CORS
(§1.3, D23).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Iterable, Iterator
from typing import Any

import httpx

from conformance.checks._support import nested, protected_requests, require_api_key
from conformance.context import CheckContext, json_body
from conformance.contract import (
    API_KEY_HEADER,
    DEBUG_ENV_PATH,
    HEALTH_PATH,
    PROTECTED_GET_PATHS,
    ROLLOUT_PATH,
    ROOT_PATH,
)
from conformance.outcomes import CheckFailure, CheckSkipped
from conformance.registry import Severity, check

_MIN_LEAK = 6
_EVIL_ORIGIN = "https://attacker.example"


def _leaked_piece(key: str, text: str) -> str | None:
    """A piece of `key` of 6+ characters (or the whole key if shorter) that occurs in `text`."""
    size = min(_MIN_LEAK, len(key))
    return next(
        (key[i : i + size] for i in range(len(key) - size + 1) if key[i : i + size] in text), None
    )


def _leak(key: str, response: httpx.Response) -> tuple[str, str | None] | None:
    """(where, the header line) of the first 6+-character piece of `key` in `response`."""
    for name, value in response.headers.items():
        if _leaked_piece(key, f"{name}: {value}") is not None:
            return f"header {name}", f"{name}: {value}"
    if _leaked_piece(key, response.text) is None:
        return None
    path = _json_path_of_leak(key, json_body(response))
    return (f"the body at {path}" if path else "the body"), None


def _json_path_of_leak(key: str, value: Any, path: str = "") -> str | None:
    """The JSON path (`pipeline_metadata.debug[0]`) of the first string holding a piece."""
    if isinstance(value, str):
        return path if _leaked_piece(key, value) is not None else None
    items: Iterable[tuple[Any, Any]] = (
        value.items()
        if isinstance(value, dict)
        else enumerate(value)
        if isinstance(value, list)
        else ()
    )
    for name, child in items:
        child_path = f"{path}[{name}]" if isinstance(name, int) else f"{path}.{name}".lstrip(".")
        if isinstance(name, str) and _leaked_piece(key, name) is not None:
            return child_path
        found = _json_path_of_leak(key, child, child_path)
        if found is not None:
            return found
    return None


def _key_probes(ctx: CheckContext) -> Iterator[tuple[str, str, httpx.Response]]:
    """(request, credential sent, response) for every request SEC-1 scans, cheapest first."""
    yield f"GET {ROOT_PATH}", "no key", ctx.get(ROOT_PATH, auth=False)
    yield f"HEAD {ROOT_PATH}", "no key", ctx.request("HEAD", ROOT_PATH, auth=False)
    for what, auth in (("no key", {}), ("a wrong key", {API_KEY_HEADER: secrets.token_hex(16)})):
        for route, response in protected_requests(ctx, auth):
            yield route, what, response
        yield f"GET {DEBUG_ENV_PATH}", what, ctx.get(DEBUG_ENV_PATH, auth=auth)
    for path in (*PROTECTED_GET_PATHS, DEBUG_ENV_PATH):
        yield f"GET {path}", "the key", ctx.get(path)
    # Whatever the rollout answered, even an error (skipped only without --inference-url).
    with contextlib.suppress(CheckSkipped):
        yield f"POST {ROLLOUT_PATH}", "the key", ctx.baseline_attempt().response


@check(
    "SEC-1",
    severity=Severity.MUST,
    spec="§1.3",
    tags=("security", "secrets"),
    depends_on=("AUTH-1",),
)
def never_echoes_key_material(ctx: CheckContext) -> None:
    """No response, header or error body contains the key or any 6+-character piece of it."""
    key = require_api_key(ctx)
    for request, what, response in _key_probes(ctx):
        leak = _leak(key, response)
        if leak is None:
            continue
        where, header_line = leak
        shown = (
            ctx.describe(response)
            if header_line is None
            else ctx.redactor.text(f"{response.status_code}, {header_line}")
        )
        raise CheckFailure(
            sent=f"{request} with {what}",
            expected="no part of the API key in the headers or body",
            got=f"{shown} ({where} holds a piece of the key, shown here as ***)",
            fix="Never echo key material: no prefixes, no allowed_first15, no debug dumps.",
            summary=f"{request} leaks key material in {where}",
        )


@check(
    "SEC-2",
    severity=Severity.SHOULD,
    spec="§1.3",
    tags=("security", "secrets"),
    depends_on=("EP-3",),
)
def health_hides_key_prefix(ctx: CheckContext) -> None:
    """`/health` does not reveal a prefix of the key in `auth.expected_prefix`."""
    key = require_api_key(ctx)
    prefix = nested(json_body(ctx.get(HEALTH_PATH)), "auth", "expected_prefix")
    shown = prefix.rstrip(".…") if isinstance(prefix, str) else ""
    if len(shown) >= 2 and key.startswith(shown):
        raise CheckFailure(
            sent="GET /health with X-API-Key",
            expected="auth.expected_prefix that reveals nothing of the key (e.g. '***')",
            got=f"expected_prefix reveals the first {len(shown)} character(s) of the key",
            fix=(
                "Return a constant such as '***' as expected_prefix;"
                " a prefix narrows guessing (D23)."
            ),
        )


@check("SEC-3", severity=Severity.SHOULD, spec="§1.7", tags=("security",), depends_on=("AUTH-1",))
def debug_env_not_exposed(ctx: CheckContext) -> None:
    """`/debug/env` is not served, even to an authenticated caller."""
    response = ctx.get(DEBUG_ENV_PATH)
    if response.status_code == 200:
        raise CheckFailure(
            sent="GET /debug/env with X-API-Key",
            expected="404",
            got=ctx.describe(response),
            fix=(
                "Remove /debug/env (synth-ai: expose_debug_env=False);"
                " it reveals vendor key prefixes."
            ),
        )


@check("SEC-4", severity=Severity.SHOULD, spec="§1.9", tags=("security", "cors"))
def cors_does_not_reflect_any_origin(ctx: CheckContext) -> None:
    """CORS never allows an arbitrary origin together with credentials."""
    headers = {
        "Origin": _EVIL_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-api-key,content-type",
    }
    for method in ("OPTIONS", "GET"):
        path = ROLLOUT_PATH if method == "OPTIONS" else "/"
        response = ctx.request(method, path, auth=False, headers=headers)
        allowed = response.headers.get("access-control-allow-origin")
        credentials = response.headers.get("access-control-allow-credentials", "").lower() == "true"
        if allowed in (_EVIL_ORIGIN, "*") and credentials:
            raise CheckFailure(
                sent=f"{method} {path} with Origin: {_EVIL_ORIGIN}",
                expected=(
                    "no Access-Control-Allow-Origin for an unknown origin"
                    " when credentials are allowed"
                ),
                got=(
                    f"Access-Control-Allow-Origin: {allowed},"
                    " Access-Control-Allow-Credentials: true"
                ),
                fix="List the exact origins you trust in cors_origins; never [] or ['*'] (D23).",
            )


@check("SEC-5", severity=Severity.INFO, spec="§1.1", tags=("security",))
def api_schema_not_public(ctx: CheckContext) -> None:
    """`/openapi.json` and `/docs` are not served to unauthenticated callers."""
    for path in ("/openapi.json", "/docs"):
        response = ctx.get(path, auth=False)
        if response.status_code == 200:
            raise CheckFailure(
                sent=f"GET {path} without X-API-Key",
                expected="401, 403 or 404",
                got=ctx.describe(response),
                fix="Create the app with docs_url=None, redoc_url=None, openapi_url=None (D23).",
            )
