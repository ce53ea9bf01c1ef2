"""The one exception type handlers raise; the app turns it into the error envelope."""

from __future__ import annotations


class TaskAppError(Exception):
    """A request the app refuses, with its HTTP status and a stable error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
