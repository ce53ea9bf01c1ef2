"""The errors of the SFT data tools; each carries the exit code the CLI ends with."""

from __future__ import annotations

from conformance.exitcodes import ExitCode


class SftToolError(Exception):
    """A failure the user must act on: `str()` is the message (plus a bullet per problem)."""

    exit_code: ExitCode = ExitCode.NOT_CONFORMING

    def __init__(
        self, message: str, problems: list[str] | None = None, *, exit_code: ExitCode | None = None
    ) -> None:
        self.problems = list(problems or [])
        bullets = "".join(f"\n  - {p}" for p in self.problems)
        super().__init__(message + bullets)
        if exit_code is not None:
            self.exit_code = exit_code


class ConfigError(SftToolError):
    """A config file is missing, unparsable or has invalid values (exit 2)."""

    exit_code = ExitCode.USAGE


class DataError(SftToolError):
    """The data or config content is invalid, or a selection is empty (exit 1)."""


class BackendError(SftToolError):
    """The training backend refused a request (exit 1) or could not be reached (exit 3)."""
