"""Mint PASETO v4.public tokens from a throwaway Ed25519 key pair, as the `container` auth wants.

synth-ai 0.9.2-0.9.11 verify `X-Synth-Container-Authorization` in Rust (`synth_ai_py`,
crate `pasetors` 0.7): a v4.public token, optionally after `Bearer `, signed by a key listed in
SYNTH_CONTAINER_TRUSTED_PUBKEYS (comma list of standard base64 raw public keys, each optionally
`kid:`-prefixed and then matched against a footer `{"kid": ...}`), with `aud` =
"synth-container", `iss` = SYNTH_CONTAINER_AUTH_ISSUER or "synth-backend", `exp` and `nbf`
present and valid (RFC 3339), and the route's scope in `scopes` (list) or `scope` (one string).

This is the whole of PASETO v4.public signing (PAE + Ed25519, no implicit assertion), so a test
or a harness can mint tokens for an app it configured to trust the key pair, without a PASETO
library. `tests/generations/test_container.py` proves the package's verifier accepts them.
"""

from __future__ import annotations

import base64
import json
import struct
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

HEADER = b"v4.public."
AUDIENCE = "synth-container"
DEFAULT_ISSUER = "synth-backend"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _pae(*pieces: bytes) -> bytes:
    """Pre-Authentication Encoding: the piece count, then each piece's length and bytes."""
    out = struct.pack("<Q", len(pieces))
    for piece in pieces:
        out += struct.pack("<Q", len(piece)) + piece
    return out


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def public_key_b64(key: Ed25519PrivateKey) -> str:
    """The raw public key in standard base64, as SYNTH_CONTAINER_TRUSTED_PUBKEYS lists it."""
    raw = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def claims(
    scopes: list[str] | None,
    *,
    issuer: str | None = DEFAULT_ISSUER,
    audience: str | None = AUDIENCE,
    ttl: timedelta = timedelta(minutes=5),
    **extra: Any,
) -> dict[str, Any]:
    """Registered claims the verifier checks (None leaves one out), plus `scopes` and `extra`."""
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "iat": _rfc3339(now),
        "nbf": _rfc3339(now),
        "exp": _rfc3339(now + ttl),
        "scopes": scopes,
    }
    body.update(extra)
    return {name: value for name, value in body.items() if value is not None}


def sign(key: Ed25519PrivateKey, payload: dict[str, Any], *, kid: str | None = None) -> str:
    """A v4.public token carrying `payload`, with a `{"kid"}` footer when `kid` is given."""
    message = json.dumps(payload, separators=(",", ":")).encode()
    footer = json.dumps({"kid": kid}, separators=(",", ":")).encode() if kid else b""
    signature = key.sign(_pae(HEADER, message, footer, b""))
    token = HEADER.decode() + _b64url(message + signature)
    return f"{token}.{_b64url(footer)}" if footer else token


def bearer(key: Ed25519PrivateKey, scopes: list[str] | None, **options: Any) -> str:
    """The header value a synth backend sends: `Bearer <token>` with the given scopes."""
    kid = options.pop("kid", None)
    return f"Bearer {sign(key, claims(scopes, **options), kid=kid)}"
