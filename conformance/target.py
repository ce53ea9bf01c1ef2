"""How a target is reached: a base URL, an in-process ASGI app, or the embedded reference app."""

from __future__ import annotations

import importlib
import inspect
import ipaddress
import secrets
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from conformance.contract.constants import ENVIRONMENT_API_KEY_ENV
from conformance.contract.profiles import AUTO, CONTAINER, CONTAINER_TRUSTED_KEYS_ENV, LEGACY
from conformance.options import DEFAULTS
from conformance.redaction import Redactor, redact_url

IN_PROCESS_BASE_URL = "http://taskapp.in-process"


class TargetError(Exception):
    """The target cannot be built from what the user gave (bad URL, bad `module:attr`)."""


@dataclass(frozen=True)
class Timeouts:
    connect_s: float = DEFAULTS.connect_timeout
    read_s: float = DEFAULTS.timeout

    def httpx(self) -> httpx.Timeout:
        return httpx.Timeout(self.read_s, connect=self.connect_s)


@dataclass
class Target:
    """A task app under test and the key to use with it."""

    label: str
    base_url: str
    api_key: str | None = field(repr=False)
    app: Any = None
    """The ASGI app for in-process targets; None for URL targets."""
    verify_tls: bool = True
    timeouts: Timeouts = field(default_factory=Timeouts)
    rebuild: Callable[[Mapping[str, str]], Any] | None = field(default=None, repr=False)
    """Builds the same app afresh, in this process, from the given environment variables
    (the embedded reference app, a test's own app); None when the target cannot be rebuilt.
    """
    factory: str | None = None
    """`module:attr` of the factory an `--app` target was made by (see `app_target`): it can
    be called again in a subprocess whose environment is its own.
    """
    container_signing_key: str | None = field(default=None, repr=False)
    """`container` profile: the base64 Ed25519 seed whose public half the app trusts; the
    harness mints its PASETO tokens with it."""
    serves_profile: str | None = None
    """The profile the embedded reference app was built to serve; None for other targets."""

    @property
    def in_process(self) -> bool:
        return self.app is not None

    @property
    def is_local(self) -> bool:
        """True when the target can reach our loopback mock inference server."""
        if self.in_process:
            return True
        host = urlsplit(self.base_url).hostname or ""
        if host == "localhost":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    def client(self) -> httpx.AsyncClient:
        """A fresh async client bound to this target (caller closes it)."""
        if self.app is not None:
            # An exception inside the app is the app's 500, not a harness error.
            transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
            return httpx.AsyncClient(
                transport=transport, base_url=self.base_url, timeout=self.timeouts.httpx()
            )
        return httpx.AsyncClient(
            base_url=self.base_url, verify=self.verify_tls, timeout=self.timeouts.httpx()
        )


def url_target(
    url: str, api_key: str | None, *, verify_tls: bool = True, timeouts: Timeouts | None = None
) -> Target:
    """A deployed app at `url` (http or https); its label (the banner, the reports) hides
    the URL's secrets and the key, wherever in the URL it is.
    """
    example = "(example: https://my-app.modal.run)"
    hide = Redactor([api_key], urls=[url]).text
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError as exc:
        raise TargetError(hide(f"not a valid URL: {redact_url(url)!r}: {exc} {example}")) from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise TargetError(hide(f"not an http(s) URL: {redact_url(url)!r} {example}"))
    return Target(
        label=hide(redact_url(url.strip().rstrip("/"))),
        base_url=url.strip().rstrip("/"),
        api_key=api_key,
        verify_tls=verify_tls,
        timeouts=timeouts or Timeouts(),
    )


def _load(spec: str) -> tuple[Any, bool]:
    """(the app, whether `module:attr` was a factory that made it)."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise TargetError(f"--app must look like module:attr, got {spec!r}")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TargetError(f"cannot import {module_name!r}: {exc}") from exc
    except SystemExit as exc:  # a module that exits on import would end the harness silently
        raise TargetError(f"importing {module_name!r} called sys.exit({exc.code!r})") from None
    except Exception as exc:  # the user's module failed while importing: their bug, one line
        raise TargetError(f"importing {module_name!r} raised {type(exc).__name__}: {exc}") from exc
    try:
        obj = getattr(module, attr)
    except AttributeError as exc:
        raise TargetError(f"module {module_name!r} has no attribute {attr!r}") from exc
    factory = (inspect.isfunction(obj) or inspect.ismethod(obj)) and not _looks_like_asgi(obj)
    if factory:
        try:
            obj = obj()
        except SystemExit as exc:
            raise TargetError(f"the factory {spec} called sys.exit({exc.code!r})") from None
        except Exception as exc:  # the user's factory failed: report it, do not crash
            raise TargetError(f"the factory {spec} raised {type(exc).__name__}: {exc}") from exc
    if not callable(obj):
        raise TargetError(f"{spec} is not an ASGI app or a factory returning one")
    return obj, factory


def _looks_like_asgi(func: Any) -> bool:
    params = list(inspect.signature(func).parameters)
    return params[:3] == ["scope", "receive", "send"]


def asgi_target(
    app: Any,
    api_key: str | None,
    label: str,
    timeouts: Timeouts | None = None,
    *,
    rebuild: Callable[[Mapping[str, str]], Any] | None = None,
) -> Target:
    """An ASGI app driven in-process (no socket, no lifespan); `rebuild` builds it afresh
    from an environment (checks of an app configured otherwise, e.g. without a key).
    """
    return Target(
        label=label,
        base_url=IN_PROCESS_BASE_URL,
        api_key=api_key,
        app=app,
        timeouts=timeouts or Timeouts(),
        rebuild=rebuild,
    )


def app_target(spec: str, api_key: str | None, timeouts: Timeouts | None = None) -> Target:
    """`--app module:attr` in-process; a factory is remembered, so a check can call it again."""
    app, factory = _load(spec)
    target = asgi_target(app, api_key, f"{spec} (in-process)", timeouts)
    target.factory = spec if factory else None
    return target


def embedded_target(
    api_key: str | None = None, timeouts: Timeouts | None = None, *, profile: str = AUTO
) -> Target:
    """The reference app in-process, serving `profile` (`auto`: legacy-0.2); with no key
    given, a fresh random one is configured, and a `container` app trusts a fresh signing key.
    """
    # conformance imports reference_app only to serve it: here, and in `serve` (cli.py).
    from reference_app import build_config, create_profile_app

    served = LEGACY if profile == AUTO else profile

    def build(environ: Mapping[str, str]) -> Any:
        return create_profile_app(served, build_config(environ=environ))

    key = api_key or secrets.token_hex(16)
    environ = {ENVIRONMENT_API_KEY_ENV: key}
    signing_key = None
    if served == CONTAINER:
        from conformance import paseto  # cryptography loads only for this profile

        private = paseto.new_key()
        signing_key = paseto.private_key_b64(private)
        environ[CONTAINER_TRUSTED_KEYS_ENV] = paseto.public_key_b64(private)
    label = "embedded reference app (in-process)"
    if served != LEGACY:
        label = f"embedded reference app (in-process, {served})"
    target = asgi_target(build(environ), key, label, timeouts, rebuild=build)
    target.container_signing_key = signing_key
    target.serves_profile = served
    return target
