"""API-key authentication on every protected route, and without a configured key (spec §2,
§1.2, §10.1 items 2-4).
"""

from __future__ import annotations

import base64
import secrets

from conformance.checks._keyless import SOME_KEY, STILL_KEYED, keyless_answers, keyless_requests
from conformance.checks._support import has_error_envelope, protected_requests, require_api_key
from conformance.context import CheckContext
from conformance.contract import (
    API_KEY_HEADER,
    API_KEYS_HEADER,
    AUTHORIZATION_HEADER,
    HEALTH_PATH,
)
from conformance.contract.profiles import API_KEY_PROFILES
from conformance.outcomes import CheckFailure, CheckSkipped, SkipKind
from conformance.registry import Severity, check

_FIX_REJECT = "Validate the key before the handler runs and answer 401 when it does not match."


def _assert_rejected(ctx: CheckContext, what: str, headers: dict[str, str]) -> None:
    for route, response in protected_requests(ctx, headers):
        if not 400 <= response.status_code < 500:
            raise CheckFailure(
                sent=f"{route} with {what}",
                expected="a 4xx rejection (401 or 403 with the error envelope)",
                got=ctx.describe(response),
                fix=_FIX_REJECT,
                summary=f"{route} did not reject {what}",
            )


def _assert_accepted(ctx: CheckContext, what: str, headers: dict[str, str], fix: str) -> None:
    response = ctx.get(HEALTH_PATH, auth=headers)
    if response.status_code != 200:
        raise CheckFailure(
            sent=f"GET /health with {what}", expected="200", got=ctx.describe(response), fix=fix
        )


@check(
    "AUTH-1",
    profiles=API_KEY_PROFILES,
    severity=Severity.MUST,
    spec="auth-key-header",
    tags=("auth", "quick"),
)
def accepts_key_in_x_api_key(ctx: CheckContext) -> None:
    """A request carrying the key in `X-API-Key` is accepted."""
    _assert_accepted(
        ctx,
        "X-API-Key: <key>",
        {API_KEY_HEADER: require_api_key(ctx)},
        "Accept ENVIRONMENT_API_KEY in the X-API-Key header, as every synth-ai caller sends it.",
    )


@check(
    "AUTH-2",
    profiles=API_KEY_PROFILES,
    severity=Severity.MUST,
    spec="auth-rejects",
    tags=("auth", "quick"),
    depends_on=("AUTH-1",),
)
def rejects_missing_api_key(ctx: CheckContext) -> None:
    """Every protected route rejects a request that carries no API key."""
    _assert_rejected(ctx, "no key", {})


@check(
    "AUTH-3",
    profiles=API_KEY_PROFILES,
    severity=Severity.MUST,
    spec="auth-rejects",
    tags=("auth",),
    depends_on=("AUTH-1",),
)
def rejects_wrong_api_key(ctx: CheckContext) -> None:
    """Every protected route rejects a random wrong key in `X-API-Key`."""
    _assert_rejected(ctx, "a random wrong key", {API_KEY_HEADER: secrets.token_hex(16)})


def _near_misses(key: str) -> list[tuple[str, str]]:
    changed = key[:-1] + ("a" if key[-1] != "a" else "b")
    variants = [
        ("the key with its last character changed", changed),
        ("a prefix of the key", key[:-1]),
        ("the key with a character appended", key + "x"),
    ]
    if key.swapcase() != key:
        variants.append(("the key with its case changed", key.swapcase()))
    return [(what, v) for what, v in variants if v]


@check(
    "AUTH-4",
    profiles=API_KEY_PROFILES,
    severity=Severity.MUST,
    spec="auth-rejects",
    tags=("auth",),
    depends_on=("AUTH-1",),
)
def rejects_near_miss_keys(ctx: CheckContext) -> None:
    """Keys one edit away (a changed, missing or extra character, another case) are rejected."""
    for what, value in _near_misses(require_api_key(ctx)):
        _assert_rejected(ctx, what, {API_KEY_HEADER: value})


@check(
    "AUTH-5",
    profiles=API_KEY_PROFILES,
    severity=Severity.MUST,
    spec="auth-rejects",
    tags=("auth",),
    depends_on=("AUTH-1",),
)
def rejects_empty_and_basic_credentials(ctx: CheckContext) -> None:
    """An empty `X-API-Key`, an empty Bearer token and `Basic` auth with the key are rejected."""
    basic = base64.b64encode(f"{require_api_key(ctx)}:".encode()).decode()
    for what, headers in (
        ("an empty X-API-Key header", {API_KEY_HEADER: ""}),
        ("'Authorization: Bearer' with no token", {AUTHORIZATION_HEADER: "Bearer"}),
        ("the key as Basic auth", {AUTHORIZATION_HEADER: f"Basic {basic}"}),
    ):
        _assert_rejected(ctx, what, headers)


@check(
    "AUTH-6",
    profiles=API_KEY_PROFILES,
    severity=Severity.SHOULD,
    spec="auth-keys-header",
    tags=("auth",),
    depends_on=("AUTH-1",),
)
def accepts_key_in_x_api_keys_list(ctx: CheckContext) -> None:
    """The key inside a comma list in `X-API-Keys` is accepted, as `TaskAppClient` sends it."""
    value = f"{secrets.token_hex(8)}, {require_api_key(ctx)}"
    _assert_accepted(
        ctx,
        "X-API-Keys: <other>, <key>",
        {API_KEYS_HEADER: value},
        "Also read X-API-Keys, split on commas, and accept any listed key.",
    )


@check(
    "AUTH-7",
    profiles=API_KEY_PROFILES,
    severity=Severity.SHOULD,
    spec="auth-bearer",
    tags=("auth",),
    depends_on=("AUTH-1",),
)
def accepts_bearer_token(ctx: CheckContext) -> None:
    """The key as `Authorization: Bearer <key>` is accepted."""
    _assert_accepted(
        ctx,
        "Authorization: Bearer <key>",
        {AUTHORIZATION_HEADER: f"Bearer {require_api_key(ctx)}"},
        "Also accept the key as a Bearer token in the Authorization header.",
    )


@check(
    "AUTH-8",
    profiles=API_KEY_PROFILES,
    severity=Severity.SHOULD,
    spec="auth-rejection-status",
    tags=("auth",),
    depends_on=("AUTH-2", "AUTH-3"),  # judge the status of rejections only
)
def rejection_status_is_401_or_403(ctx: CheckContext) -> None:
    """A missing or wrong key is answered 401 or 403 on every protected route, not 400."""
    wrong = {API_KEY_HEADER: secrets.token_hex(16)}
    for what, headers in (("no key", {}), ("a random wrong key", wrong)):
        for route, response in protected_requests(ctx, headers):
            if response.status_code not in (401, 403):
                raise CheckFailure(
                    sent=f"{route} with {what}",
                    expected="401 (or 403)",
                    got=ctx.describe(response),
                    fix="Answer 401 for a missing or wrong key; 400 reads as a malformed request "
                    "(D1).",
                    summary=f"{route} answers {what} with {response.status_code}",
                )


@check(
    "AUTH-9",
    profiles=API_KEY_PROFILES,
    severity=Severity.SHOULD,
    spec="error-envelope",
    tags=("auth",),
    depends_on=("AUTH-2",),
)
def rejection_uses_error_envelope(ctx: CheckContext) -> None:
    """The auth rejection body is the error envelope `{"detail": {"error": {"code", "message"}}}`."""  # noqa: E501 (the first docstring line is the check's catalogue title, pinned)
    response = ctx.get(HEALTH_PATH, auth={})
    if not has_error_envelope(response):
        raise CheckFailure(
            sent="GET /health without X-API-Key",
            expected='{"detail": {"error": {"code": "unauthorised", "message": "..."}}}',
            got=ctx.describe(response),
            fix="Raise the rejection through the error envelope so clients can read its code.",
        )


@check(
    "AUTH-10",
    profiles=API_KEY_PROFILES,
    severity=Severity.SHOULD,
    spec="auth-key-list",
    tags=("auth",),
    depends_on=("AUTH-1",),
)
def accepts_key_in_x_api_key_list(ctx: CheckContext) -> None:
    """The key inside a comma list in `X-API-Key` is accepted, as synth-ai's server splits it."""
    # SHOULD (§10.1 item 4): synth-ai's own tools send one key in X-API-Key; a list there
    # comes from hand-made clients and proxies that merge headers.
    value = f"{secrets.token_hex(8)}, {require_api_key(ctx)}"
    _assert_accepted(
        ctx,
        "X-API-Key: <other>, <key>",
        {API_KEY_HEADER: value},
        "Split X-API-Key on commas, trim each part, and accept any listed key (§2.2).",
    )


@check(
    "AUTH-11",
    profiles=API_KEY_PROFILES,
    severity=Severity.MUST,
    spec="auth-no-key-configured",
    tags=("auth", "config"),
)
def unconfigured_key_answers_503(ctx: CheckContext) -> None:
    """An in-process app built without a key answers 503 with the error envelope, not 200 or 500."""
    requests = keyless_requests(ctx.probe_body(), ctx.api_key)
    answers = keyless_answers(ctx.target, requests, ctx.settings.request_timeout_s * 4)
    if isinstance(answers, str):
        return  # it refuses to start without a key: it fails closed, which is the point
    status = {r.label: a.status_code for r, a in zip(requests, answers, strict=True)}
    if status.get(STILL_KEYED) == 200 and status[SOME_KEY] != 200:
        raise CheckSkipped(
            "built with no key variable set, the app still accepts the run's key: it takes its "
            "key from elsewhere (a file, a secret store), so it cannot be built without one here",
            kind=SkipKind.NOT_APPLICABLE,
        )
    for request, response in zip(requests, answers, strict=True):
        if response.status_code != 503 or not has_error_envelope(response):
            raise CheckFailure(
                sent=f"{request.label}, to the app built with no ENVIRONMENT_API_KEY (nor an "
                "alias or a dev fallback)",
                expected='503 {"detail": {"error": {"code": "missing_environment_api_key", '
                '"message": ...}}}',
                got=ctx.describe(response),
                fix="With no key configured, answer every protected route 503 with the error "
                "envelope: never serve it open, never crash (§1.2).",
                summary=f"without a configured key, {request.label} got {response.status_code}",
            )
