"""API-key authentication (spec §2, Appendix A), without synth-ai's leaks.

Keys are re-read on every request from the configured environment mapping, never
written back to it, compared in constant time, and never echoed anywhere.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum

from fastapi import Request

from conformance.contract.constants import (
    API_KEY_HEADER,
    API_KEYS_HEADER,
    AUTHORIZATION_HEADER,
    DEV_ENVIRONMENT_API_KEY_ENVS,
    ENVIRONMENT_API_KEY_ALIASES_ENV,
    ENVIRONMENT_API_KEY_ENV,
    ERROR_MISSING_KEY_CONFIG,
    ERROR_UNAUTHORISED,
)
from reference_app.errors import TaskAppError


def allowed_keys(environ: Mapping[str, str]) -> tuple[str, ...]:
    """The primary key (or the first dev fallback) plus every alias (§2.1)."""
    keys: list[str] = []
    primary = environ.get(ENVIRONMENT_API_KEY_ENV, "").strip()
    if not primary:
        primary = next(
            (v.strip() for name in DEV_ENVIRONMENT_API_KEY_ENVS if (v := environ.get(name, ""))),
            "",
        )
    if primary:
        keys.append(primary)
    aliases = environ.get(ENVIRONMENT_API_KEY_ALIASES_ENV, "")
    keys.extend(a.strip() for a in aliases.split(",") if a.strip())
    return tuple(dict.fromkeys(keys))


def presented_keys(headers: Mapping[str, str]) -> list[str]:
    """Candidates from `X-API-Key`, `X-API-Keys` (comma lists) and `Authorization: Bearer`
    (§2.2).
    """
    candidates: list[str] = []
    for name in (API_KEY_HEADER, API_KEYS_HEADER):
        candidates.extend(headers.get(name, "").split(","))
    authorization = headers.get(AUTHORIZATION_HEADER, "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer":
        candidates.extend(token.split(","))
    return [c.strip() for c in candidates if c.strip()]


class AuthVerdict(Enum):
    OK = "ok"
    NOT_CONFIGURED = "not_configured"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Authenticator:
    """Decides whether a request's headers carry an accepted key."""

    environ: Mapping[str, str]

    def verdict(self, headers: Mapping[str, str]) -> AuthVerdict:
        allowed = allowed_keys(self.environ)
        if not allowed:
            return AuthVerdict.NOT_CONFIGURED
        matched = False
        # Compare every pair in constant time; never short-circuit on a match.
        for candidate in presented_keys(headers):
            for key in allowed:
                matched |= hmac.compare_digest(candidate.encode(), key.encode())
        return AuthVerdict.OK if matched else AuthVerdict.REJECTED


def api_key_guard(environ: Mapping[str, str]) -> Callable[[Request, str], None]:
    """The `routes.Guard` of the API-key generations (`legacy-0.2`, `localapi`): every
    protected route wants an accepted key, whatever its scope.
    """
    authenticator = Authenticator(environ)

    def require_key(request: Request, _scope: str) -> None:
        verdict = authenticator.verdict(request.headers)
        if verdict is AuthVerdict.NOT_CONFIGURED:
            raise TaskAppError(
                503, ERROR_MISSING_KEY_CONFIG, "ENVIRONMENT_API_KEY is not configured"
            )
        if verdict is AuthVerdict.REJECTED:
            raise TaskAppError(401, ERROR_UNAUTHORISED, "API key missing or invalid")

    return require_key
