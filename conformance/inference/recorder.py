"""Thread-safe record of every call the mock inference server receives."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

from conformance.contract.cid import query_params
from conformance.contract.constants import CID_QUERY_PARAM


@dataclass(frozen=True)
class RecordedCall:
    """One inference request as received: secrets in headers already redacted."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    body: Any
    headers: dict[str, str]
    received_at: float = field(default_factory=time.time)

    @property
    def cid(self) -> str | None:
        """The decoded `cid` query parameter, exactly as the model saw it."""
        return next((v for k, v in self.query if k == CID_QUERY_PARAM), None)

    @property
    def url_query(self) -> list[tuple[str, str]]:
        return list(self.query)

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "query": [list(p) for p in self.query],
            "cid": self.cid,
            "headers": self.headers,
            "body": self.body,
            "received_at": self.received_at,
        }


class InferenceRecorder:
    """Collects `RecordedCall`s; safe to read from any thread while the server runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[RecordedCall] = []

    def record(self, call: RecordedCall) -> None:
        with self._lock:
            self._calls.append(call)

    def calls(self) -> list[RecordedCall]:
        with self._lock:
            return list(self._calls)

    def calls_for(self, cid: str) -> list[RecordedCall]:
        return [c for c in self.calls() if c.cid == cid]

    def cids(self) -> set[str | None]:
        return {c.cid for c in self.calls()}

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()


def call_from_url(
    method: str, url_path: str, raw_query: str, body: Any, headers: dict[str, str]
) -> RecordedCall:
    """Build a `RecordedCall` from the parts of an incoming request."""
    return RecordedCall(
        method=method,
        path=url_path,
        query=tuple(query_params(f"?{raw_query}")),
        body=body,
        headers=headers,
    )
