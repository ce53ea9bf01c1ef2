"""`RemoteRecorder`: reads a recording relay's calls over HTTP, as the harness reads its own.

Every failure (network, TLS, timeout, an answer too large or of the wrong shape) raises
`HarnessError`, and a refused token `RecorderTokenRefused` (a usage error for the harness),
with a message that names the relay by its redacted URL and never carries the token.
"""

from __future__ import annotations

import json
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

import httpx

from conformance.inference.recorder import RecordedCall
from conformance.inference.server import CALLS_PATH
from conformance.outcomes import HarnessError
from conformance.redaction import Redactor, redact_url

DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024 * 1024
"""Twice the relay's default store: a prefix-less listing of a full relay still fits."""
_PING_PREFIX = "/_ping/"
_BODY_PREVIEW = 160


class RecorderTokenRefused(HarnessError):
    """The relay refused the recorder token: the user's configuration, not the network."""


class RemoteRecorder:
    """The calls a recording relay received, read through its authenticated recordings API.

    `RemoteRecorder("https://relay.example", token).calls(prefix="/r/0123456789abcdef/")`
    has the read interface of `InferenceRecorder`. It is thread-safe; `close()` it (or use
    it as a context manager) when done.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout_s: float = 30.0,
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        verify_tls: bool = True,
    ) -> None:
        parts = urlsplit(base_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
            raise ValueError(
                f"the recorder URL must be the relay's http(s) base URL without a query, "
                f"got {redact_url(base_url)!r} (example: https://my-org--relay.modal.run)"
            )
        self.base_url = base_url.strip().rstrip("/")
        self.label = redact_url(self.base_url)
        self.max_response_bytes = max_response_bytes
        self._redactor = Redactor([token], urls=[self.base_url])
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(
            headers=headers, timeout=httpx.Timeout(timeout_s), verify=verify_tls
        )

    def calls(self, prefix: str | None = None) -> list[RecordedCall]:
        """The relay's calls, oldest first; with `prefix`, only those under that path."""
        listed = self._request("GET", prefix)
        if not isinstance(listed, list):
            raise self._error(f"answered a {type(listed).__name__} where a list of calls belongs")
        try:
            return [RecordedCall.from_dict(item) for item in listed]
        except ValueError as exc:
            raise self._error(f"answered a call of the wrong shape ({exc})") from None

    def calls_for(self, cid: str) -> list[RecordedCall]:
        return [c for c in self.calls() if c.cid == cid]

    def cids(self) -> set[str | None]:
        return {c.cid for c in self.calls()}

    def clear(self, prefix: str | None = None) -> int:
        """Delete the relay's calls (those under `prefix`, or all); return how many."""
        answer = self._request("DELETE", prefix)
        deleted = answer.get("deleted") if isinstance(answer, dict) else None
        if not isinstance(deleted, int):
            raise self._error("answered a DELETE without a count of deleted calls")
        return deleted

    def check(self) -> None:
        """Prove the relay is reachable and accepts the token (a listing of no calls)."""
        self.calls(_PING_PREFIX)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _message(self, problem: str) -> str:
        return self._redactor.text(f"the recording relay at {self.label} {problem}")

    def _error(self, problem: str) -> HarnessError:
        return HarnessError(self._message(problem))

    def _request(self, method: str, prefix: str | None) -> Any:
        """Send one recordings API request; the decoded JSON answer, read within the bound."""
        params = {"prefix": prefix} if prefix is not None else None
        try:
            with self._client.stream(
                method, f"{self.base_url}{CALLS_PATH}", params=params
            ) as response:
                raw = self._read(response)
        except httpx.TimeoutException:
            raise self._error("did not answer in time") from None
        except httpx.HTTPError as exc:
            raise self._error(f"could not be reached: {type(exc).__name__}: {exc}") from None
        if response.status_code in (401, 403):
            raise RecorderTokenRefused(
                self._message(
                    f"refused the recorder token ({response.status_code}): pass the token the "
                    "relay was started with (--recorder-token or TASKAPP_RECORDER_TOKEN)"
                )
            )
        if response.status_code != 200:
            preview = raw[:_BODY_PREVIEW].decode(errors="replace")
            raise self._error(
                f"answered {method} {CALLS_PATH} with {response.status_code}, body={preview!r}; "
                "is this the base URL of a taskapp-conformance relay?"
            )
        try:
            return json.loads(raw)
        except ValueError:
            raise self._error(f"answered {method} {CALLS_PATH} with a non-JSON body") from None

    def _read(self, response: httpx.Response) -> bytes:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_response_bytes:
            raise self._too_large()
        chunks: list[bytes] = []
        size = 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > self.max_response_bytes:
                raise self._too_large()
            chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self) -> HarnessError:
        return self._error(
            f"answered more than {self.max_response_bytes} bytes of recordings; "
            "lower the relay's --max-bytes or raise the client's max_response_bytes"
        )
