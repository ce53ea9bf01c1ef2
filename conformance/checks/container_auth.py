"""PASETO tokens on a `container` app (synth-ai 0.9.2 - 0.9.11): public `/health`, per-route
scopes, and refusals of every token the backend would not have issued (CTR).

The harness mints v4.public tokens with the run's signing key (`--container-signing-key`, the
private half of a key pair whose public half the app lists in SYNTH_CONTAINER_TRUSTED_PUBKEYS):
every check but CTR-1 SKIPs, unproven, without it. The rules are those of
`synth_ai/sdk/container/_impl/auth.py` (0.9.11), whose verifier is the wheel's Rust extension.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx

from conformance.checks._support import nested
from conformance.context import CheckContext, json_body
from conformance.contract import (
    API_KEY_HEADER,
    AUTHORIZATION_HEADER,
    HEALTH_PATH,
    INFO_PATH,
    ROLLOUT_PATH,
    TASK_INFO_PATH,
)
from conformance.contract.profiles import (
    AUTH_INVALID,
    AUTH_MISSING,
    CONTAINER,
    CONTAINER_AUTH_HEADER,
    CONTAINER_OPEN_AUTH_MODES,
    SCOPE_ROLLOUT,
    SCOPE_TASK_INFO,
)
from conformance.outcomes import CheckFailure
from conformance.registry import Severity, check

_SCOPED_ROUTES = (
    ("GET", INFO_PATH, SCOPE_TASK_INFO),
    ("GET", TASK_INFO_PATH, SCOPE_TASK_INFO),
    ("POST", ROLLOUT_PATH, SCOPE_ROLLOUT),
)
"""The routes whose scope the package checks (`auth.py:33-37`), and that scope."""
_BOTH = (SCOPE_ROLLOUT, SCOPE_TASK_INFO)
_FIX_REFUSE = (
    "Verify X-Synth-Container-Authorization on every protected route (synth-ai's "
    "require_api_key_dependency) and answer 401 unless it holds a valid v4.public token from a "
    "trusted key, for audience synth-container and your issuer, inside its validity window."
)


def _send(ctx: CheckContext, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
    if method == "POST":
        return ctx.post(path, auth=headers, json_body=ctx.probe_body())
    return ctx.get(path, auth=headers)


def _token(ctx: CheckContext, scopes: tuple[str, ...]) -> dict[str, str]:
    return {CONTAINER_AUTH_HEADER: ctx.container_token(scopes)}


def _refused(response: httpx.Response) -> bool:
    return response.status_code in (401, 403)


@check(
    "CTR-1",
    profiles=(CONTAINER,),
    severity=Severity.MUST,
    spec="container-health",
    tags=("auth", "endpoints", "quick"),
)
def health_is_public_and_names_the_token_header(ctx: CheckContext) -> None:
    """`GET /health` without credentials answers 200 naming `x-synth-container-authorization`."""
    response = ctx.get(HEALTH_PATH, auth=False)
    header = nested(json_body(response), "auth", "required_header")
    named = isinstance(header, str) and header.lower() == CONTAINER_AUTH_HEADER.lower()
    if response.status_code != 200 or not named:
        raise CheckFailure(
            sent="GET /health without credentials",
            expected='200 {"healthy": true, "auth": {"required": true, "mode": ..., '
            '"required_header": "x-synth-container-authorization"}}',
            got=ctx.describe(response),
            fix="Serve /health to every caller, with auth.required_header naming the token "
            "header: backends probe it before they hold a token for the app.",
            summary="GET /health is not the public probe that names the token header",
        )


@check(
    "CTR-2",
    profiles=(CONTAINER,),
    severity=Severity.MUST,
    spec="container-token-accepted",
    tags=("auth", "quick"),
)
def accepts_tokens_scoped_for_the_route(ctx: CheckContext) -> None:
    """A token scoped `task_info` opens `/info` and `/task_info`; `rollout` opens `/rollout`."""
    for method, path, scope in _SCOPED_ROUTES:
        response = _send(ctx, method, path, _token(ctx, (scope,)))
        served = not _refused(response) if method == "POST" else response.status_code == 200
        if not served:
            raise CheckFailure(
                sent=f"{method} {path} with a valid token scoped {scope!r} from the trusted key",
                expected="200" if method == "GET" else "an answer other than 401 or 403",
                got=ctx.describe(response),
                fix="Trust the key the backend signs with (SYNTH_CONTAINER_TRUSTED_PUBKEYS) and "
                f"accept audience synth-container, issuer synth-backend and scope {scope!r} on "
                f"{path}.",
                summary=f"{method} {path} refused a valid token scoped {scope!r}",
            )


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class _Case:
    what: str
    headers: dict[str, str]
    code: str
    """The error code synth-ai answers it with (CTR-5)."""


def _cases(ctx: CheckContext, open_mode: bool) -> Iterator[_Case]:
    """Every credential CTR-3 sends; without a token ones left out when the app's /health
    declares a mode that serves tokenless calls.
    """
    from conformance import paseto  # cryptography loads only for this generation

    if not open_mode:
        yield _Case("no token", {}, AUTH_MISSING)
        yield _Case(
            f"{API_KEY_HEADER} instead", {API_KEY_HEADER: secrets.token_hex(16)}, AUTH_MISSING
        )
        bearer = {AUTHORIZATION_HEADER: f"Bearer {secrets.token_hex(16)}"}
        yield _Case("Authorization: Bearer instead", bearer, AUTH_MISSING)
    header = CONTAINER_AUTH_HEADER
    yield _Case("a malformed token", {header: "Bearer v4.public.not-a-token"}, AUTH_INVALID)
    untrusted = paseto.bearer(paseto.new_key(), list(_BOTH))
    ctx.redactor.add(untrusted.removeprefix("Bearer ").removeprefix(paseto.HEADER.decode()))
    yield _Case("a token signed by an untrusted key", {header: untrusted}, AUTH_INVALID)
    now = datetime.now(UTC)
    for what, claims in (
        (
            "an expired token",
            {
                "iat": _rfc3339(now - timedelta(hours=2)),
                "nbf": _rfc3339(now - timedelta(hours=2)),
                "exp": _rfc3339(now - timedelta(hours=1)),
            },
        ),
        (
            "a token not valid yet",
            {"nbf": _rfc3339(now + timedelta(hours=1)), "exp": _rfc3339(now + timedelta(hours=2))},
        ),
        ("a token for another audience", {"audience": "another-service"}),
        ("a token from another issuer", {"issuer": "another-issuer"}),
    ):
        yield _Case(what, {header: ctx.container_token(_BOTH, **claims)}, AUTH_INVALID)


def _auth_mode(ctx: CheckContext) -> str | None:
    mode = nested(json_body(ctx.get(HEALTH_PATH, auth=False)), "auth", "mode")
    return mode if isinstance(mode, str) else None


def _refusal_answers(ctx: CheckContext) -> list[tuple[_Case, str, httpx.Response]]:
    """(case, `METHOD /path`, answer) of every refusal probe, sent once per run."""

    def ask() -> list[tuple[_Case, str, httpx.Response]]:
        open_mode = _auth_mode(ctx) in CONTAINER_OPEN_AUTH_MODES
        return [
            (case, f"{method} {path}", _send(ctx, method, path, case.headers))
            for case in _cases(ctx, open_mode)
            for method, path, _ in _SCOPED_ROUTES
        ]

    return ctx.memo("container-refusals", ask)


@check(
    "CTR-3",
    profiles=(CONTAINER,),
    severity=Severity.MUST,
    spec="container-auth-matrix",
    tags=("auth",),
    depends_on=("CTR-2",),
)
def refuses_every_token_the_backend_did_not_issue(ctx: CheckContext) -> None:
    """No token, a key instead, and malformed, untrusted, expired, early, wrong-audience or
    wrong-issuer tokens are refused with 401 on `/info`, `/task_info` and `/rollout`.
    """
    mode = _auth_mode(ctx)
    exempt = (
        f" (tokenless requests not sent: /health says auth.mode {mode!r})"
        if mode in CONTAINER_OPEN_AUTH_MODES
        else ""
    )
    for case, route, response in _refusal_answers(ctx):
        if not _refused(response):
            raise CheckFailure(
                sent=f"{route} with {case.what}{exempt}",
                expected="401 (the request is refused before any handler runs)",
                got=ctx.describe(response),
                fix=_FIX_REFUSE
                + (" Never deploy with SYNTH_CONTAINER_AUTH_MODE=disabled." * (mode == "disabled")),
                summary=f"{route} served a request with {case.what}",
            )


@check(
    "CTR-4",
    profiles=(CONTAINER,),
    severity=Severity.MUST,
    spec="container-token-scopes",
    tags=("auth",),
    depends_on=("CTR-2",),
)
def enforces_token_scopes(ctx: CheckContext) -> None:
    """A token scoped only `task_info` is refused on `/rollout`; one scoped `rollout` on `/info`
    and `/task_info`.
    """
    for method, path, scope in _SCOPED_ROUTES:
        other = SCOPE_ROLLOUT if scope == SCOPE_TASK_INFO else SCOPE_TASK_INFO
        response = _send(ctx, method, path, _token(ctx, (other,)))
        if not _refused(response):
            raise CheckFailure(
                sent=f"{method} {path} with a valid token scoped only {other!r}",
                expected=f"401: {path} needs scope {scope!r}",
                got=ctx.describe(response),
                fix=f"Require scope {scope!r} in the token's scopes (or scope) on {path}, as "
                "synth-ai's _ROUTE_SCOPE_MAP does: a token issued for one job opens no other.",
                summary=f"{method} {path} served a token without scope {scope!r}",
            )


@check(
    "CTR-5",
    profiles=(CONTAINER,),
    severity=Severity.SHOULD,
    spec="container-auth-errors",
    tags=("auth", "errors"),
    depends_on=("CTR-3",),
)
def refusals_name_why(ctx: CheckContext) -> None:
    """Refusals are 401 with `detail.error.code` `auth_missing` (no token) or `auth_invalid`."""
    for case, route, response in _refusal_answers(ctx):
        code = nested(json_body(response), "detail", "error", "code")
        if response.status_code != 401 or code != case.code:
            raise CheckFailure(
                sent=f"{route} with {case.what}",
                expected=f'401 {{"detail": {{"error": {{"code": "{case.code}", ...}}}}}}',
                got=ctx.describe(response),
                fix="Answer refusals as synth-ai does: 401 with the error envelope, code "
                "auth_missing without a token and auth_invalid for a token that fails "
                "verification, so callers can tell a missing token from a bad one.",
                summary=f"{route} refused {case.what} with {response.status_code} and code "
                f"{code!r}, not 401 and {case.code!r}",
            )
