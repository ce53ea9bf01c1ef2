"""Secret redaction for every output: reports, logs, recordings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "***"
SECRET_HEADERS = frozenset(
    {"x-api-key", "x-api-keys", "authorization", "cookie", "proxy-authorization"}
)
_SECRET_PARAM = re.compile(r"token|key|secret|pass|pwd|jwt|auth|sig|credential", re.IGNORECASE)
"""Query parameters whose value :func:`redact_url` hides (matched anywhere in the name)."""
MIN_PIECE = 6
"""A run of this many characters of a secret is already a leak (synth-ai echoes 15, D1)."""


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers with the values of secret-bearing ones replaced by `***`."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in items}


def _secret_pattern(secret: str) -> str:
    """A regex matching `secret`, or any run of its 6-character windows and a short tail.

    Linear in the key's length (a run of windows covers any longer piece), so a
    JWT-sized key costs nothing; a leaked 15-character prefix becomes one `***`.
    """
    if len(secret) <= MIN_PIECE:
        return re.escape(secret)
    n = len(secret)
    windows = {secret[i : i + MIN_PIECE] for i in range(n - MIN_PIECE + 1)}
    tails = {secret[i : i + k] for k in range(1, MIN_PIECE) for i in range(n - k + 1)}
    run = "|".join(map(re.escape, sorted(windows)))
    tail = "|".join(map(re.escape, sorted(tails, key=len, reverse=True)))
    return f"{re.escape(secret)}|(?:{run})+(?:{tail})?"


class Redactor:
    """Replaces every known secret, and every 6+-character piece of one, by `***`."""

    def __init__(
        self, secrets: Iterable[str | None] = (), *, urls: Iterable[str | None] = ()
    ) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)
        for url in urls:
            self.add_url(url)

    def add(self, secret: str | None) -> None:
        if not secret or secret in self._secrets:
            return
        self._secrets.add(secret)
        # Longest secret first, so a whole key is never split between two patterns.
        ordered = sorted(self._secrets, key=len, reverse=True)
        self._pattern = re.compile("|".join(_secret_pattern(s) for s in ordered))

    def add_url(self, url: str | None) -> None:
        """Also hide the password and token-like query values of `url` (see `redact_url`).

        Values under 4 characters are left out: replacing every `x` of a report would make
        it unreadable; the URL itself is always shown through `redact_url`.
        """
        for secret in url_secrets(url or ""):
            if len(secret) >= 4:
                self.add(secret)

    def text(self, value: str) -> str:
        return value if self._pattern is None else self._pattern.sub(REDACTED, value)

    def value(self, value: Any) -> Any:
        """Redact strings anywhere inside a JSON-like value."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(v) for v in value]
        return value


def _redacted_url(url: str) -> tuple[str, list[str]]:
    """`url` with its secrets replaced by `***`, and the secrets that were replaced."""
    secrets: list[str] = []
    head, has_query, query = url.partition("?")
    scheme, has_authority, rest = head.partition("://")
    if has_authority:
        authority, slash, path = rest.partition("/")
        if "@" in authority:
            userinfo, _, host = authority.rpartition("@")
            user, has_password, password = userinfo.partition(":")
            secrets.append(password if has_password else userinfo)
            authority = f"{user}:{REDACTED}@{host}" if has_password else f"{REDACTED}@{host}"
        head = f"{scheme}://{authority}{slash}{path}"
    if not has_query:
        return head, secrets
    pieces = []
    for piece in query.split("&"):
        key, has_value, value = piece.partition("=")
        if has_value and _SECRET_PARAM.search(key):
            secrets.append(value)
            piece = f"{key}={REDACTED}"
        pieces.append(piece)
    return f"{head}?{'&'.join(pieces)}", secrets


def redact_url(url: str) -> str:
    """`url` (or a DSN) with its password or bare userinfo and secret query values as `***`.

    Everything else is kept byte for byte (no URL normalisation), so a plain path or a
    `sqlite+aiosqlite:////abs.db` URL still reads exactly as the user wrote it.
    """
    return _redacted_url(url)[0]


def url_secrets(url: str) -> list[str]:
    """The values :func:`redact_url` hides (password, userinfo, token-like query values)."""
    return [secret for secret in _redacted_url(url)[1] if secret]
