"""The recording relay: the recording mock as a deployable service, for apps off loopback.

A deployed app (Modal, a VM) cannot reach the harness's loopback mock. The relay serves
the same model side to anyone (the app needs no credentials) and the recordings only to
the holder of a bearer token, within bounds that keep a public relay from filling up.
`create_relay_app` builds it; `deployment_app` is the factory for uvicorn and Modal:

    TASKAPP_RECORDER_TOKEN=... uvicorn --factory conformance.inference.relay:deployment_app
"""

from __future__ import annotations

import ipaddress
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass

from starlette.applications import Starlette

from conformance.inference.recorder import InferenceRecorder, RecordingLimits
from conformance.inference.server import create_mock_inference_app

TOKEN_ENV = "TASKAPP_RECORDER_TOKEN"
MIN_TOKEN_CHARS = 16
_MIB = 1024 * 1024


@dataclass(frozen=True)
class RelaySettings:
    """The relay's bounds; every one has an option of `mock-inference` and an env variable."""

    max_calls: int = 10_000
    """Calls kept; the oldest is evicted first (TASKAPP_RECORDER_MAX_CALLS)."""
    max_bytes: int = 64 * _MIB
    """Total size of the calls kept, as JSON (TASKAPP_RECORDER_MAX_BYTES)."""
    max_age_s: float = 3600.0
    """Seconds a call is kept (TASKAPP_RECORDER_MAX_AGE)."""
    max_body_bytes: int = 4 * _MIB
    """Largest request body; a larger one gets 413 and is not kept (TASKAPP_RECORDER_MAX_BODY)."""

    def limits(self) -> RecordingLimits:
        return RecordingLimits(self.max_calls, self.max_bytes, self.max_age_s)


ENV_NAMES = {
    "max_calls": "TASKAPP_RECORDER_MAX_CALLS",
    "max_bytes": "TASKAPP_RECORDER_MAX_BYTES",
    "max_age_s": "TASKAPP_RECORDER_MAX_AGE",
    "max_body_bytes": "TASKAPP_RECORDER_MAX_BODY",
}


class RelayConfigError(ValueError):
    """The relay cannot start as configured; the message is one line for the user."""


def is_loopback_host(host: str) -> bool:
    """True for `localhost` and loopback addresses (`127.0.0.1`, `::1`), which no one else
    can reach; False for `0.0.0.0` and every other name or address.
    """
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_token(token: str | None, host: str | None) -> None:
    """Refuse a missing token off loopback, and a token too weak to guard recordings.

    `host` is where the relay listens; None (unknown, a deployment) always needs a token.
    """
    if token is None:
        if host is None or not is_loopback_host(host):
            where = f"on {host}" if host is not None else "in a deployment"
            raise RelayConfigError(
                f"refusing to serve recordings {where} without a token: pass --token or set "
                f"{TOKEN_ENV} (recordings are open only on a loopback host)"
            )
        return
    if len(token) < MIN_TOKEN_CHARS or not token.isascii() or not token.isprintable():
        raise RelayConfigError(
            f"the recorder token must be at least {MIN_TOKEN_CHARS} printable ASCII characters; "
            "make one with: python -c 'import secrets; print(secrets.token_urlsafe(24))'"
        )
    if any(c.isspace() for c in token):
        raise RelayConfigError("the recorder token must not contain spaces")


def check_settings(settings: RelaySettings) -> None:
    """Refuse bounds that make no sense (non-positive, or a body larger than the store)."""
    for name, value in vars(settings).items():
        if value <= 0:
            raise RelayConfigError(f"{ENV_NAMES[name]} must be positive, got {value}")
    if settings.max_body_bytes > settings.max_bytes:
        raise RelayConfigError(
            f"the largest request body ({settings.max_body_bytes} bytes) cannot exceed what "
            f"the relay keeps in all ({settings.max_bytes} bytes)"
        )


def create_relay_app(
    *,
    token: str | None,
    settings: RelaySettings | None = None,
    accuracy: float = 1.0,
    host: str | None = None,
) -> Starlette:
    """The relay as an ASGI app; `RelayConfigError` when `token` or `settings` are unsafe.

    `host` is where it will be served: without a token, only a loopback host is allowed
    (None, unknown, needs a token).
    """
    settings = settings or RelaySettings()
    check_token(token, host)
    check_settings(settings)
    return create_mock_inference_app(
        InferenceRecorder(settings.limits()),
        accuracy=accuracy,
        token=token,
        max_body_bytes=settings.max_body_bytes,
        service="taskapp-conformance recording relay",
    )


def settings_from_env(environ: Mapping[str, str]) -> RelaySettings:
    """`RelaySettings` with each bound read from its environment variable, if set."""
    default = RelaySettings()

    def number(name: str, fallback: float) -> float:
        raw = environ.get(ENV_NAMES[name], "").strip()
        try:
            return float(raw) if raw else fallback
        except ValueError:
            raise RelayConfigError(f"{ENV_NAMES[name]} must be a number, got {raw!r}") from None

    def whole(name: str, fallback: int) -> int:
        value = float(number(name, fallback))
        if not value.is_integer():
            raise RelayConfigError(f"{ENV_NAMES[name]} must be a whole number, got {value:g}")
        return int(value)

    return RelaySettings(
        max_calls=whole("max_calls", default.max_calls),
        max_bytes=whole("max_bytes", default.max_bytes),
        max_age_s=number("max_age_s", default.max_age_s),
        max_body_bytes=whole("max_body_bytes", default.max_body_bytes),
    )


def relay_app_from_env(environ: Mapping[str, str] | None = None) -> Starlette:
    """The relay for a deployment (uvicorn `--factory`, Modal): the token is required.

    The token comes from TASKAPP_RECORDER_TOKEN, the bounds from TASKAPP_RECORDER_MAX_*.
    """
    env = os.environ if environ is None else environ
    token = env.get(TOKEN_ENV, "").strip() or None
    return create_relay_app(token=token, settings=settings_from_env(env))


def deployment_app() -> Starlette:
    """`relay_app_from_env` for uvicorn `--factory` and Modal: a configuration error is one
    line on stderr and exit code 2, not a traceback.
    """
    try:
        return relay_app_from_env()
    except RelayConfigError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
