"""Secret redaction for every output: reports, logs, recordings."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "***"
SECRET_HEADERS = frozenset(
    {"x-api-key", "x-api-keys", "authorization", "cookie", "proxy-authorization"}
)
MIN_PIECE = 6
"""A run of this many characters of a secret is already a leak (synth-ai echoes 15, D1)."""


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers with the values of secret-bearing ones replaced by `***`."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in items}


def _pieces(secret: str) -> set[str]:
    """Every substring of `secret` of MIN_PIECE characters or more (the whole if shorter)."""
    if len(secret) <= MIN_PIECE:
        return {secret}
    return {secret[i:j] for i in range(len(secret)) for j in range(i + MIN_PIECE, len(secret) + 1)}


class Redactor:
    """Replaces every known secret, and every 6+-character piece of one, by `***`."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if not secret or secret in self._secrets:
            return
        self._secrets.add(secret)
        pieces = sorted({p for s in self._secrets for p in _pieces(s)}, key=len, reverse=True)
        # Longest first, so a whole leaked run becomes one `***`, not a tail of fragments.
        self._pattern = re.compile("|".join(map(re.escape, pieces)))

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
