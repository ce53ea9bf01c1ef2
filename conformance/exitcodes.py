"""Process exit codes shared by every `taskapp-conformance` subcommand."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """What the process exit status means; documented in `--help` and the README."""

    OK = 0
    """The target conforms (or the input is valid)."""
    NOT_CONFORMING = 1
    """At least one check failed (or the input has errors)."""
    USAGE = 2
    """Usage or configuration error: bad flag, missing file, invalid config."""
    UNREACHABLE = 3
    """The harness could not reach or talk to the target."""
    INCOMPLETE = 4
    """Nothing failed, but a required check did not run or could not prove its claim."""
    INTERNAL = 5
    """The harness itself broke (a bug of ours, never a verdict on the app); please report it."""
    INTERRUPTED = 130
    """Stopped with Ctrl-C (128 + SIGINT, as shells report it); a partial report is written."""
