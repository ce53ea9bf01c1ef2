"""The one exception type handlers raise; the app turns it into the error envelope."""

from __future__ import annotations

from typing import Any


class TaskAppError(Exception):
    """A request the app refuses, with its HTTP status and a stable error code."""

    def __init__(
        self, status: int, code: str, message: str, *, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.extra = dict(extra or {})
        """More fields of `detail.error` (the `container` generation's 401s carry a few)."""


class CaptureConfigError(ValueError):
    """The trace DB or the SFT output directory cannot be used; `str()` is one line.

    Raised while the app is built, so `taskapp-conformance serve` refuses to start
    (exit 2) instead of answering rollouts whose data is then lost.
    """
