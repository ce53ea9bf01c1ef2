"""Mint PASETO v4.public tokens from a throwaway Ed25519 key pair, as the `container` auth wants.

synth-ai 0.9.2-0.9.11 verify `X-Synth-Container-Authorization` in Rust (`synth_ai_py`,
crate `pasetors` 0.7): a v4.public token, optionally after `Bearer `, signed by a key listed in
SYNTH_CONTAINER_TRUSTED_PUBKEYS (comma list of standard base64 raw public keys, each optionally
`kid:`-prefixed and then matched against a footer `{"kid": ...}`), with `aud` =
"synth-container", `iss` = SYNTH_CONTAINER_AUTH_ISSUER or "synth-backend", `exp` and `nbf`
present and valid (RFC 3339), and the route's scope in `scopes` (list) or `scope` (one string).

This is the whole of PASETO v4.public (PAE + Ed25519, no implicit assertion): the harness mints
tokens for an app it configured to trust a throwaway key pair (or for a key the user gives), and
the reference app's `container` profile verifies them with the same rules.
`tests/generations/test_container.py` proves synth-ai's own verifier accepts these tokens.
"""

from __future__ import annotations

import base64
import json
import struct
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from conformance.contract.profiles import CONTAINER_AUDIENCE as AUDIENCE
from conformance.contract.profiles import CONTAINER_DEFAULT_ISSUER as DEFAULT_ISSUER
from conformance.contract.profiles import CONTAINER_TRUSTED_KEYS_ENV

HEADER = b"v4.public."
_SIGNATURE_BYTES = 64


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


def new_key() -> Ed25519PrivateKey:
    """A throwaway signing key for one run."""
    return Ed25519PrivateKey.generate()


def private_key_b64(key: Ed25519PrivateKey) -> str:
    """The 32-byte private seed in standard base64 (what `--container-signing-key` takes)."""
    raw = key.private_bytes_raw()
    return base64.b64encode(raw).decode("ascii")


def load_private_key(text: str) -> Ed25519PrivateKey:
    """A signing key from its base64 32-byte seed; ValueError naming the problem otherwise."""
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        raise ValueError("not standard base64") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 seed is 32 bytes, this is {len(raw)}")
    return Ed25519PrivateKey.from_private_bytes(raw)


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


class TokenRefused(Exception):
    """Why a token does not authorise the request; the message is the deny reason."""


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _parse_time(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise TokenRefused(f"claim {name} missing")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise TokenRefused(f"claim {name} is not an RFC 3339 time") from None
    if moment.tzinfo is None:  # RFC 3339 always has an offset; naive times cannot be compared
        raise TokenRefused(f"claim {name} has no UTC offset")
    return moment


def verify(
    header_value: str,
    trusted: dict[str | None, list[Ed25519PublicKey]],
    *,
    scope: str | None,
    issuer: str = DEFAULT_ISSUER,
) -> dict[str, Any]:
    """The claims of a valid token for `scope`, else TokenRefused.

    `trusted` maps a kid (None: keys listed without one) to public keys, as
    SYNTH_CONTAINER_TRUSTED_PUBKEYS lists them; a token with a kid footer is checked only
    against that kid's keys.
    """
    token = header_value.strip()
    if token[:7].lower() == "bearer ":
        token = token[7:].strip()
    if not token.startswith(HEADER.decode()):
        raise TokenRefused("not a v4.public token")
    body, _, footer_text = token[len(HEADER) :].partition(".")
    try:
        signed, footer = _b64url_decode(body), _b64url_decode(footer_text)
    except ValueError:
        raise TokenRefused("token is not base64url") from None
    message, signature = signed[:-_SIGNATURE_BYTES], signed[-_SIGNATURE_BYTES:]
    kid = None
    if footer:
        try:
            kid = json.loads(footer).get("kid")
        except (ValueError, AttributeError):
            raise TokenRefused("footer is not a JSON object") from None
        if kid is not None and not isinstance(kid, str):
            raise TokenRefused("footer kid is not a string")
    keys = trusted.get(kid, []) if kid is not None else [k for ks in trusted.values() for k in ks]
    signed_bytes = _pae(HEADER, message, footer, b"")
    if not any(_signed_by(k, signature, signed_bytes) for k in keys):
        raise TokenRefused("signature is not from a trusted key")
    try:
        payload = json.loads(message)
    except ValueError:
        raise TokenRefused("claims are not JSON") from None
    if not isinstance(payload, dict):
        raise TokenRefused("claims are not a JSON object")
    now = datetime.now(UTC)
    if payload.get("aud") != AUDIENCE:
        raise TokenRefused("audience mismatch")
    if payload.get("iss") != issuer:
        raise TokenRefused("issuer mismatch")
    if _parse_time(payload.get("exp"), "exp") <= now:
        raise TokenRefused("token expired")
    if _parse_time(payload.get("nbf"), "nbf") > now:
        raise TokenRefused("token not yet valid")
    _parse_time(payload.get("iat"), "iat")
    if scope is not None:
        scopes = payload.get("scopes")
        listed = scopes if isinstance(scopes, list) else [payload.get("scope")]
        granted = {s for s in listed if isinstance(s, str)}
        if scope not in granted:
            raise TokenRefused(f"missing scope {scope}")
    return payload


def _signed_by(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True


def trusted_keys(listing: str) -> dict[str | None, list[Ed25519PublicKey]]:
    """SYNTH_CONTAINER_TRUSTED_PUBKEYS parsed: `[kid:]base64` entries, comma-separated."""
    found: dict[str | None, list[Ed25519PublicKey]] = {}
    for entry in (e.strip() for e in listing.split(",")):
        if not entry:
            continue
        kid, sep, key = entry.rpartition(":") if ":" in entry else (None, "", entry)
        raw = base64.b64decode(key)
        found.setdefault(kid if sep else None, []).append(Ed25519PublicKey.from_public_bytes(raw))
    return found


def _print_key_pair() -> None:
    """`eval "$(python -m conformance.paseto)"`: a fresh key pair as the two exports that
    `serve --profile container` (the public half) and `check --profile container` (the
    signing half) read; meant for `eval`, so neither key is shown.
    """
    key = new_key()
    print(f"export {CONTAINER_TRUSTED_KEYS_ENV}={public_key_b64(key)}")
    print(f"export TASKAPP_CONTAINER_SIGNING_KEY={private_key_b64(key)}")


if __name__ == "__main__":
    _print_key_pair()
