"""The reference app speaking `container` (synth-ai 0.9.2 - 0.9.11; baseline 0.9.11).

`localapi`'s bodies behind synth-ai 0.9's token auth (`synth_ai/sdk/container/_impl/auth.py`):
a PASETO v4.public token in `X-Synth-Container-Authorization`, signed by a key listed in
SYNTH_CONTAINER_TRUSTED_PUBKEYS, scoped `rollout` for `/rollout` and `task_info` for `/info`
and `/task_info`; `X-API-Key` is not read. Refusals are 401 `auth_missing` (no token) or
`auth_invalid` (a bad one), with no key material. `/health` is public and names the header.
SYNTH_CONTAINER_AUTH_MODE is `required` (the default, also for unknown values),
`optional_local` (no token needed from a loopback caller not marked `x-synth-relay`) or
`disabled`, as in the package; `/health` reports the mode in force. No trusted keys: every
token is refused, as the package's verifier does. `/info` has no rubric and rollout answers
no `artifact`: 0.9.11 types both as Rust classes that no JSON validates as, so either would
make the package's own `InfoResponse` / `RolloutResponse` refuse the body.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request

from conformance import paseto
from conformance.contract import HEALTH_PATH
from conformance.contract.profiles import (
    AUTH_INVALID,
    AUTH_MISSING,
    CONTAINER_AUTH_HEADER,
    CONTAINER_AUTH_MODE_ENV,
    CONTAINER_DEFAULT_ISSUER,
    CONTAINER_ISSUER_ENV,
    CONTAINER_TRUSTED_KEYS_ENV,
)
from reference_app.config import TaskAppConfig
from reference_app.errors import TaskAppError
from reference_app.profiles.localapi import add_synth_rollout
from reference_app.profiles.synth_wire import ContainerRolloutRequest
from reference_app.routes import (
    Guard,
    add_root,
    add_task_routes,
    install_error_handling,
    new_app,
)

REQUIRED, OPTIONAL_LOCAL, DISABLED = "required", "optional_local", "disabled"
AUTH_MODES = (REQUIRED, OPTIONAL_LOCAL, DISABLED)
RELAY_MARKER_HEADER = "x-synth-relay"


def create_container_app(cfg: TaskAppConfig) -> FastAPI:
    """The arithmetic task app as synth-ai's Container framework serves one."""
    guard = token_guard(cfg.environ)
    app = new_app(cfg)
    add_root(app, cfg)

    @app.get(HEALTH_PATH)
    async def health() -> dict[str, Any]:
        auth = {
            "required": True,
            "mode": auth_mode(cfg.environ),
            "required_header": CONTAINER_AUTH_HEADER.lower(),
        }
        return {"healthy": True, "auth": auth}

    add_task_routes(app, cfg, guard, rubrics="none")
    # No `artifact`: 0.9.11 types it as its Rust `Artifact` (synth_ai/data/artifacts.py:86).
    add_synth_rollout(app, cfg, guard, ContainerRolloutRequest, artifacts=False)
    install_error_handling(app)
    return app


def auth_mode(environ: Mapping[str, str]) -> str:
    """SYNTH_CONTAINER_AUTH_MODE in force: unset or unknown values mean `required`."""
    raw = environ.get(CONTAINER_AUTH_MODE_ENV, "").strip().lower()
    return raw if raw in AUTH_MODES else REQUIRED


def trusted_keys(environ: Mapping[str, str]) -> dict[str | None, list[Any]]:
    """The keys SYNTH_CONTAINER_TRUSTED_PUBKEYS lists; ValueError when it is malformed."""
    listing = environ.get(CONTAINER_TRUSTED_KEYS_ENV, "")
    try:
        return paseto.trusted_keys(listing)
    except ValueError as exc:
        raise ValueError(
            f"{CONTAINER_TRUSTED_KEYS_ENV} must be a comma list of [kid:]base64 Ed25519 public "
            f"keys (32 bytes each): {exc}"
        ) from None


def trusted_keys_problem(environ: Mapping[str, str]) -> str | None:
    """Why a served `container` app would refuse every token, or None: what `serve` says
    before it starts (the app itself keeps refusing, as the package does).
    """
    if auth_mode(environ) == DISABLED:
        return None
    try:
        keys = trusted_keys(environ)
    except ValueError as exc:
        return str(exc)
    if not keys:
        return (
            f"no trusted keys: set {CONTAINER_TRUSTED_KEYS_ENV} to the base64 Ed25519 public "
            'key(s) whose tokens the app accepts, e.g. eval "$(python -m conformance.paseto)" '
            "(it exports a fresh pair; `check --profile container` signs with its other half)"
        )
    return None


def token_guard(environ: Mapping[str, str]) -> Guard:
    """The `routes.Guard` of `container`: the environment is read on every request."""

    def guard(request: Request, scope: str) -> None:
        mode = auth_mode(environ)
        if mode == DISABLED:
            return
        header = request.headers.get(CONTAINER_AUTH_HEADER, "")
        if header.strip():
            _verify(header, environ, scope)
            return
        if mode == OPTIONAL_LOCAL and _is_local(request):
            return
        raise TaskAppError(
            401,
            AUTH_MISSING,
            "Container token is required",
            extra={"required_header": CONTAINER_AUTH_HEADER.lower(), "auth_mode": mode},
        )

    return guard


def _verify(header: str, environ: Mapping[str, str], scope: str) -> None:
    issuer = environ.get(CONTAINER_ISSUER_ENV, "").strip() or CONTAINER_DEFAULT_ISSUER
    try:
        keys = trusted_keys(environ)
        if not keys:
            raise paseto.TokenRefused(f"no trusted keys: {CONTAINER_TRUSTED_KEYS_ENV} is unset")
        paseto.verify(header, keys, scope=scope, issuer=issuer)
    except (paseto.TokenRefused, ValueError) as exc:
        reason = str(exc) if isinstance(exc, paseto.TokenRefused) else "trusted keys unusable"
        raise TaskAppError(
            401,
            AUTH_INVALID,
            "Container token invalid or expired",
            extra={"required_scope": scope, "deny_reason": reason},
        ) from None


def _is_local(request: Request) -> bool:
    """A loopback caller that no relay marked as forwarding someone else's request."""
    marker = request.headers.get(RELAY_MARKER_HEADER, "").strip().lower()
    if marker not in ("", "0", "false", "no", "off"):
        return False
    host = request.client.host if request.client is not None else ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
