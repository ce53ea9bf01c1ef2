"""Thread-safe record of every call the mock inference server receives."""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, StrictFloat, StrictStr, ValidationError

from conformance.contract.cid import query_params
from conformance.contract.constants import CID_QUERY_PARAM
from conformance.redaction import REDACTED, redact_headers

_SECRET_HEADER = re.compile(r"key|token|secret|auth|cookie|session|credential|signature", re.I)
"""Header names, beyond `redact_headers`' list, whose values are never stored (`api-key`, ...)."""


@dataclass(frozen=True)
class RecordedCall:
    """One inference request as received: secrets in headers already redacted."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: Any
    headers: dict[str, str]
    received_at: float = field(default_factory=time.time)
    answer: Any = None
    """The assistant message the mock answered with (what a replay serves again); None
    when it answered an error, a fault or nothing.
    """

    @property
    def cid(self) -> str | None:
        """The decoded `cid` query parameter, exactly as the model saw it."""
        return next((v for k, v in self.query if k == CID_QUERY_PARAM), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": [list(p) for p in self.query],
            "cid": self.cid,
            "headers": self.headers,
            "body": self.body,
            "received_at": self.received_at,
            "answer": self.answer,
        }

    @classmethod
    def from_dict(cls, value: Any) -> RecordedCall:
        """The call `as_dict()` described; `ValueError` naming the field when it is malformed."""
        try:
            wire = _WireCall.model_validate(value)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "the call"
            raise ValueError(f"{where}: {first['msg']}") from None
        return cls(
            method=wire.method,
            path=wire.path,
            query=tuple(wire.query),
            body=wire.body,
            headers=wire.headers,
            received_at=wire.received_at,
            answer=wire.answer,
        )


class _WireCall(BaseModel):
    """A recorded call as the recordings API sends it (`cid` is derived, so not read)."""

    model_config = ConfigDict(extra="ignore")

    method: StrictStr
    path: StrictStr
    query: list[tuple[StrictStr, StrictStr]]  # strict types: JSON lists still become tuples
    headers: dict[StrictStr, StrictStr]
    body: Any = None
    received_at: StrictFloat
    answer: Any = None  # absent from relays older than the behaviour checks


class Recordings(Protocol):
    """What the harness reads: the local `InferenceRecorder` and the relay's client alike."""

    def calls(self, prefix: str | None = None) -> list[RecordedCall]:
        """Every recorded call, oldest first; with `prefix`, those whose path starts with it."""
        ...


@dataclass(frozen=True)
class RecordingLimits:
    """Bounds of what a recorder keeps; the oldest calls are evicted first.

    None means unbounded (the harness's own loopback mock); the relay always sets all three.
    """

    max_calls: int | None = None
    max_bytes: int | None = None
    """Total size of the calls kept, each measured as its JSON in the recordings API."""
    max_age_s: float | None = None


class InferenceRecorder:
    """Collects `RecordedCall`s; safe to read from any thread while the server runs."""

    def __init__(
        self,
        limits: RecordingLimits | None = None,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limits = limits or RecordingLimits()
        self._clock = clock
        self._lock = threading.Lock()
        self._calls: deque[tuple[RecordedCall, int]] = deque()
        self._bytes = 0
        self.evicted = 0
        """How many calls the limits have evicted so far."""

    def record(self, call: RecordedCall) -> None:
        size = len(json.dumps(call.as_dict(), default=str)) if self.limits.max_bytes else 0
        with self._lock:
            if self.limits.max_bytes is not None and size > self.limits.max_bytes:
                self.evicted += 1  # too large to keep at all: evict nothing else for it
                return
            self._calls.append((call, size))
            self._bytes += size
            self._evict()

    def calls(self, prefix: str | None = None) -> list[RecordedCall]:
        with self._lock:
            self._evict()
            return [c for c, _ in self._calls if prefix is None or c.path.startswith(prefix)]

    def calls_for(self, cid: str) -> list[RecordedCall]:
        return [c for c in self.calls() if c.cid == cid]

    def cids(self) -> set[str | None]:
        return {c.cid for c in self.calls()}

    def clear(self, prefix: str | None = None) -> int:
        """Forget every call (or those whose path starts with `prefix`); return how many."""
        with self._lock:
            kept = deque(e for e in self._calls if prefix is not None and not _under(e, prefix))
            removed = len(self._calls) - len(kept)
            self._calls = kept
            self._bytes = sum(size for _, size in kept)
            return removed

    def _evict(self) -> None:
        """Drop the oldest calls until every limit holds (the lock is held)."""
        limits = self.limits
        oldest_kept = None if limits.max_age_s is None else self._clock() - limits.max_age_s
        while self._calls and (
            (limits.max_calls is not None and len(self._calls) > limits.max_calls)
            or (limits.max_bytes is not None and self._bytes > limits.max_bytes)
            or (oldest_kept is not None and self._calls[0][0].received_at < oldest_kept)
        ):
            _, size = self._calls.popleft()
            self._bytes -= size
            self.evicted += 1


def _under(entry: tuple[RecordedCall, int], prefix: str) -> bool:
    return entry[0].path.startswith(prefix)


def stored_headers(headers: Mapping[str, str] | list[tuple[str, str]]) -> dict[str, str]:
    """Headers as a recording keeps them: the value of every secret-bearing one is `***`."""
    return {
        name: REDACTED if _SECRET_HEADER.search(name) else value
        for name, value in redact_headers(headers).items()
    }


def call_from_url(
    method: str,
    url_path: str,
    raw_query: str,
    body: Any,
    headers: dict[str, str],
    *,
    received_at: float | None = None,
) -> RecordedCall:
    """Build a `RecordedCall` from the parts of an incoming request."""
    return RecordedCall(
        method=method,
        path=url_path,
        query=tuple(query_params(f"?{raw_query}")),
        body=body,
        headers=headers,
        received_at=time.time() if received_at is None else received_at,
    )
