"""The policy's side of a rollout: one OpenAI-compatible chat-completions call per step.

The model is a peer the app does not control, so its answer is read with bounds: at
most `max_bytes` once decoded (a gzip counts inflated) and at most `total_timeout_s`
for the whole call, body included. A model answering gigabytes, or dribbling a byte at
a time, ends the rollout with a 502/504 in the error envelope, never exhausts the app.
"""

from __future__ import annotations

import asyncio
import json
import zlib
from typing import Any

import httpx

from reference_app.errors import TaskAppError

DEFAULT_MAX_INFERENCE_RESPONSE_BYTES = 4 * 1024 * 1024
"""4 MiB: a chat completion is a few KiB; far above any real answer, far below harm."""


async def chat_completion(
    client: httpx.AsyncClient,
    url: str,
    payload: dict[str, Any],
    *,
    max_bytes: int = DEFAULT_MAX_INFERENCE_RESPONSE_BYTES,
    total_timeout_s: float | None = None,
) -> dict[str, Any]:
    """POST `payload` to `url` and return `choices[0].message`.

    Every failure becomes a 4xx/5xx `TaskAppError`, never a silent zero reward.
    The URL is used exactly as given so `?cid=` and other parameters reach the model.
    """
    try:
        async with asyncio.timeout(total_timeout_s):
            status, body = await _post(client, url, payload, max_bytes)
    except TimeoutError:
        raise TaskAppError(
            504,
            "inference_timeout",
            f"the inference URL did not answer in full within {total_timeout_s:g} s",
        ) from None
    if status >= 400:
        raise TaskAppError(502, "inference_error", f"the inference URL answered {status}")
    try:
        message = json.loads(body)["choices"][0]["message"]
    except (ValueError, RecursionError, KeyError, IndexError, TypeError) as exc:
        raise TaskAppError(
            502, "inference_bad_response", "the inference response has no choices[0].message"
        ) from exc
    if not isinstance(message, dict):
        raise TaskAppError(502, "inference_bad_response", "choices[0].message is not an object")
    return message


async def _post(
    client: httpx.AsyncClient, url: str, payload: dict[str, Any], max_bytes: int
) -> tuple[int, bytes]:
    """(status, decoded body) of the call; the body of an error status is not read."""
    try:
        async with client.stream(
            "POST", url, json=payload, headers={"Accept-Encoding": _ACCEPTED_ENCODINGS}
        ) as response:
            if response.status_code >= 400:
                return response.status_code, b""
            if response.is_stream_consumed:  # a transport that read (and decoded) it already
                decoder = _BoundedDecoder("identity", max_bytes)
                decoder.feed(response.content)
            else:
                decoder = _BoundedDecoder(response.headers.get("content-encoding", ""), max_bytes)
                async for chunk in response.aiter_raw():
                    decoder.feed(chunk)
            return response.status_code, decoder.finish()
    except httpx.InvalidURL as exc:  # not an HTTPError: it fails before anything is sent
        raise TaskAppError(
            422, "invalid_inference_url", "policy.config.inference_url is not a usable URL"
        ) from exc
    except httpx.TimeoutException as exc:
        raise TaskAppError(504, "inference_timeout", "the inference URL timed out") from exc
    except httpx.HTTPError as exc:
        raise TaskAppError(
            502,
            "inference_unreachable",
            f"could not reach the inference URL ({type(exc).__name__})",
        ) from exc


_ACCEPTED_ENCODINGS = "gzip, deflate"
"""What :class:`_BoundedDecoder` can inflate with a bound (never br or zstd)."""


class _BoundedDecoder:
    """The decoded body, inflated at most `max_bytes` + 1 bytes at a time, then refused."""

    def __init__(self, content_encoding: str, max_bytes: int) -> None:
        encoding = content_encoding.strip().lower()
        if encoding not in ("", "identity", "gzip", "x-gzip", "deflate"):
            raise TaskAppError(
                502,
                "inference_bad_response",
                f"the inference response has an unsupported Content-Encoding {encoding[:40]!r}",
            )
        self.max_bytes = max_bytes
        self.body = bytearray()
        self._deflate = encoding == "deflate"
        self._inflater: Any = None
        if encoding in ("gzip", "x-gzip"):
            self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._deflate:
            self._inflater = zlib.decompressobj()

    def feed(self, data: bytes) -> None:
        if self._inflater is None:
            self._add(data)
            return
        try:
            while data:
                self._add(self._inflater.decompress(data, self.max_bytes - len(self.body) + 1))
                data = self._inflater.unconsumed_tail
        except zlib.error:
            if not (self._deflate and not self.body):
                raise _undecodable() from None
            # Some servers send raw deflate without the zlib header (httpx accepts it too).
            self._deflate, self._inflater = False, zlib.decompressobj(-zlib.MAX_WBITS)
            self.feed(data)

    def finish(self) -> bytes:
        if self._inflater is not None:
            try:
                self._add(self._inflater.flush())
            except zlib.error:
                raise _undecodable() from None
        return bytes(self.body)

    def _add(self, chunk: bytes) -> None:
        self.body += chunk
        if len(self.body) > self.max_bytes:
            raise TaskAppError(
                502,
                "inference_response_too_large",
                f"the inference response exceeds {self.max_bytes} bytes once decoded "
                "(max_inference_response_bytes)",
            )


def _undecodable() -> TaskAppError:
    return TaskAppError(
        502, "inference_bad_response", "the inference response could not be decoded"
    )
