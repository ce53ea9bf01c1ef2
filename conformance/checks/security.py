"""Secrets and exposure: key material in responses and model calls, /health prefixes,
/debug/env, CORS, stack traces (§1.2, §1.3, D23).
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from collections.abc import Iterator
from typing import Any

import httpx

from conformance.checks._support import (
    CREDENTIAL,
    NON_OBJECT_BODIES,
    credential_name,
    model_calls,
    nested,
    post_raw_rollout,
    protected_requests,
    require_api_key,
)
from conformance.context import CheckContext, json_body
from conformance.contract import (
    API_KEY_HEADER,
    DEBUG_ENV_PATH,
    DOCS_PATHS,
    HEALTH_PATH,
    PROTECTED_GET_PATHS,
    ROLLOUT_PATH,
    ROOT_PATH,
    SEED_PARAM,
    TASK_INFO_PATH,
)
from conformance.contract.profiles import ALL_PROFILES, API_KEY_PROFILES
from conformance.inference import RecordedCall
from conformance.outcomes import CheckFailure, CheckSkipped
from conformance.redaction import Leak, Redactor
from conformance.registry import Severity, check

_EVIL_ORIGIN = "https://attacker.example"


def _leak(finder: Redactor, response: httpx.Response) -> tuple[str, str, Leak] | None:
    """(the part, the JSON path or "", how) of the first spelling of the key in `response`."""
    for name, value in response.headers.items():
        leak = finder.find(f"{name}: {value}")
        if leak is not None:
            return f"the header {name}", "", leak
    leak = finder.find(response.text)
    if leak is None:
        return None
    return "the body", _json_path(finder, json_body(response)) or "", leak


def _json_path(finder: Redactor, value: Any) -> str | None:
    """The JSON path (`debug[0]`, "" for the root) of the first string or name holding a
    spelling of the key; iterative, since a body may nest as deep as the parser allows.
    """
    stack: list[tuple[str, Any, Any]] = [("", None, value)]
    while stack:
        path, name, node = stack.pop()
        if isinstance(name, str) and finder.find(name) is not None:
            return path
        if isinstance(node, str) and finder.find(node) is not None:
            return path
        items = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        for child_name, child in reversed(list(items)):
            child_path = (
                f"{path}[{child_name}]"
                if isinstance(child_name, int)
                else f"{path}.{child_name}".lstrip(".")
            )
            stack.append((child_path, child_name, child))
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
    profiles=API_KEY_PROFILES,
    severity=Severity.MUST,
    spec="key-in-responses",
    tags=("security", "secrets"),
    depends_on=("AUTH-1",),
)
def never_echoes_key_material(ctx: CheckContext) -> None:
    """No response carries the key or a 6+-character piece of it, plain, escaped or encoded."""
    finder = Redactor([require_api_key(ctx)])
    for request, what, response in _key_probes(ctx):
        found = _leak(finder, response)
        if found is None:
            continue
        part, path, leak = found
        at = f", at {path}" if path else ""
        raise CheckFailure(
            sent=f"{request} with {what}",
            expected="no part of the API key in the headers or body, in any spelling",
            got=f"{response.status_code}; {leak.describe()} in {part}{at} (not shown)",
            fix="Never echo key material, plain or encoded: no prefixes, no allowed_first15, "
            "no debug dumps.",
            summary=f"{leak.describe()} in {part} of {request}{at}",
        )


@check(
    "SEC-2",
    profiles=API_KEY_PROFILES,
    severity=Severity.SHOULD,
    spec="health-key-prefix",
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


@check(
    "SEC-3",
    profiles=ALL_PROFILES,
    severity=Severity.SHOULD,
    spec="debug-env",
    tags=("security",),
    depends_on=CREDENTIAL,
)
def debug_env_not_exposed(ctx: CheckContext) -> None:
    """`/debug/env` is not served, even to an authenticated caller."""
    response = ctx.get(DEBUG_ENV_PATH)
    if response.status_code == 200:
        raise CheckFailure(
            sent=f"GET /debug/env with {credential_name(ctx)}",
            expected="404",
            got=ctx.describe(response),
            fix=(
                "Remove /debug/env (synth-ai: expose_debug_env=False);"
                " it reveals vendor key prefixes."
            ),
        )


@check(
    "SEC-4", profiles=ALL_PROFILES, severity=Severity.SHOULD, spec="cors", tags=("security", "cors")
)
def cors_does_not_reflect_any_origin(ctx: CheckContext) -> None:
    """CORS never allows an arbitrary origin together with credentials."""
    headers = {
        "Origin": _EVIL_ORIGIN,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": f"{API_KEY_HEADER.lower()},content-type",
    }
    for method in ("OPTIONS", "GET"):
        path = ROLLOUT_PATH if method == "OPTIONS" else ROOT_PATH
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


@check("SEC-5", profiles=ALL_PROFILES, severity=Severity.INFO, spec="api-docs", tags=("security",))
def api_schema_not_public(ctx: CheckContext) -> None:
    """`/openapi.json` and `/docs` are not served to unauthenticated callers."""
    for path in DOCS_PATHS:
        response = ctx.get(path, auth=False)
        if response.status_code == 200:
            raise CheckFailure(
                sent=f"GET {path} without X-API-Key",
                expected="401, 403 or 404",
                got=ctx.describe(response),
                fix="Create the app with docs_url=None, redoc_url=None, openapi_url=None (D23).",
            )


_HARNESS_IDS = re.compile(r"trace_[0-9a-f]{32}|/r/[0-9a-f]{16}|conformance-[0-9a-f]{12}")
"""Random ids the harness itself puts into every call (cids, routes, run ids): six of their
characters that happen to match a piece of a random key are chance, not a leak.
"""


def _call_leak(finder: Redactor, call: RecordedCall) -> tuple[str, Leak] | None:
    """(where, how) of the first spelling of the key in a recorded model call, found as
    SEC-1 finds it in a response.

    Values of secret-bearing headers (`Authorization`, `X-API-Key`, `*-key`, ...) are
    stored redacted, so a key sent there cannot be seen; the path, the query, every other
    header and the body are kept as the model received them.
    """

    def spelled(text: str) -> Leak | None:
        return finder.find(_HARNESS_IDS.sub("~", text))

    parts = [("the URL path", call.path)]
    parts += [(f"the URL query parameter {k!r}", f"{k}={v}") for k, v in call.query]
    parts += [(f"the header {k}", f"{k}: {v}") for k, v in call.headers.items()]
    for where, text in parts:
        leak = spelled(text)
        if leak is not None:
            return where, leak
    body = _HARNESS_IDS.sub("~", json.dumps(call.body, ensure_ascii=False))
    leak = finder.find(body)
    if leak is None:
        return None
    path = _json_path(finder, json.loads(body))
    return (f"the body, at {path}" if path else "the body"), leak


@check(
    "SEC-6",
    profiles=API_KEY_PROFILES,
    severity=Severity.MUST,
    spec="key-in-model-calls",
    tags=("security", "secrets", "recorder"),
    depends_on=("RO-1", "GEN-1"),  # the rollout check of the generation judged
)
def never_sends_key_to_the_model(ctx: CheckContext) -> None:
    """No model call carries the key or a 6+-character piece of it (URL, query, headers, body)."""
    finder = Redactor([require_api_key(ctx)])
    own = model_calls(ctx, ctx.baseline_rollout())
    seen = ctx.recorder.calls() if ctx.recorder is not None else []  # every rollout's, so far
    for call in [*own, *(c for c in seen if c not in own)]:
        found = _call_leak(finder, call)
        if found is not None:
            where, leak = found
            raise CheckFailure(
                sent="POST /rollout (valid requests); the recorder kept the model calls they made",
                expected="no part of the API key in any model call's URL, headers or body, in "
                "any spelling",
                got=ctx.redactor.text(
                    f"{call.method} {call.path}: {leak.describe()} in {where} (not shown)"
                ),
                fix="Never forward ENVIRONMENT_API_KEY to the model; the model gets only its own "
                "credential.",
                summary=f"a model call carries key material: {leak.describe()} in {where}",
            )


_STACK_TRACE = (
    ("a Python traceback", re.compile(r"Traceback \(most recent call last\)")),
    ("a Python stack frame", re.compile(r'File "[^"\n]+", line \d+')),
    ("a server source path", re.compile(r"[\\/](?:site-packages|lib[\\/]python3[.\d]*)[\\/]")),
    (
        "a JavaScript stack frame",
        re.compile(r"\bat \S+ \((?:file://|/|[A-Za-z]:\\)[^)\n]*:\d+:\d+\)"),
    ),
    ("a Go panic", re.compile(r"goroutine \d+ \[running\]")),
    (
        "a framework debug page",
        re.compile(r"Starlette Debugger|Werkzeug Debugger|you have <code>DEBUG = True</code>"),
    ),
)
"""What gives a stack trace or the server's source away, as shown in the failure."""


def _strings(value: Any) -> Iterator[str]:
    """Every string (keys too) inside a JSON value: escaped quotes and newlines undone."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for name, child in value.items():
            yield str(name)
            yield from _strings(child)
    elif isinstance(value, list):
        for child in value:
            yield from _strings(child)


def stack_trace_in(response: httpx.Response) -> tuple[str, str] | None:
    """(what, an excerpt around it) of the first stack trace or source path in the body."""
    for text in (response.text, *_strings(json_body(response))):
        for what, pattern in _STACK_TRACE:
            match = pattern.search(text)
            if match is not None:
                start = max(0, match.start() - 40)
                return what, text[start : match.end() + 80]
    return None


def _provocations(ctx: CheckContext) -> Iterator[tuple[str, httpx.Response]]:
    """(request, response) for requests that make a careless app raise, then the run's own."""
    for what, content, content_type in NON_OBJECT_BODIES:
        yield f"POST {ROLLOUT_PATH} with {what}", post_raw_rollout(ctx, content, content_type)
    yield (
        f"POST {ROLLOUT_PATH} with malformed JSON",
        post_raw_rollout(ctx, b'{"run_id": ', "application/json"),
    )
    probe = ctx.probe_body()
    for what, body in (
        ("env as a string", {**probe, "env": "arithmetic"}),
        ("policy.config as a list", {**probe, "policy": {"config": []}}),
        ("ops mixing objects and strings", {**probe, "ops": [{"op": "agent"}, "env"]}),
        ("record.trace_format 'xml'", {**probe, "record": {"trace_format": "xml"}}),
    ):
        yield f"POST {ROLLOUT_PATH} with {what}", ctx.post(ROLLOUT_PATH, json_body=body)
    for seed in ("abc", str(10**30), "-1"):
        sent = f"GET {TASK_INFO_PATH}?{SEED_PARAM}={seed}"
        yield sent, ctx.get(TASK_INFO_PATH, params={SEED_PARAM: seed})
    for method, path in (("GET", "/no/such/route"), ("DELETE", ROLLOUT_PATH), ("PUT", HEALTH_PATH)):
        yield f"{method} {path}", ctx.request(method, path)
    yield from ctx.responses_seen()


@check(
    "SEC-7",
    profiles=ALL_PROFILES,
    severity=Severity.SHOULD,
    spec="no-stack-traces",
    tags=("security",),
    depends_on=CREDENTIAL,
)
def no_stack_traces_in_responses(ctx: CheckContext) -> None:
    """No response body shows a stack trace or server source paths (2xx task data aside)."""
    # SHOULD: synth-ai's reference answers a crash with a plain 500 (§1.2), and no consumer
    # needs more; a trace is an exposure like those of §1.3/D23 (SEC-2..4), not a broken
    # workflow. Key material inside one is SEC-1's, a MUST, on the same bodies.
    for request, response in _provocations(ctx):
        path = request.split()[1].partition("?")[0]
        if response.is_success and path in (TASK_INFO_PATH, ROLLOUT_PATH):
            continue  # task data: a coding task's prompt or tool output may quote a traceback
        found = stack_trace_in(response)
        if found is not None:
            what, excerpt = found
            raise CheckFailure(
                sent=request,
                expected="an answer (any status) whose body shows no stack trace or source path",
                got=ctx.redactor.text(f"{response.status_code}, {what}: ...{excerpt}..."),
                fix="Log tracebacks on the server; answer unexpected errors with the error "
                "envelope, and never run with debug=True.",
                summary=f"{request} answers with {what}",
            )
