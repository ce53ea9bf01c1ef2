"""Request values made safe for a log line: quoted, control characters escaped, cut short.

A `run_id` of `"x\\n2025-01-01 INFO forged"` or one holding ANSI escape codes must not
forge a line in the server log or repaint the operator's terminal. Every value that
comes from a request goes through :func:`shown` before it reaches a log call.
"""

from __future__ import annotations

MAX_LOGGED_CHARS = 200
"""Longest part of a request value written to the log; the rest is counted, not shown."""


def shown(value: object, limit: int = MAX_LOGGED_CHARS) -> str:
    """`value` as one inert token of a log line.

    Quoted like `repr`, so newlines, carriage returns, ESC (ANSI sequences), other
    control and format characters and Unicode line separators appear escaped
    (`\\n`, `\\x1b`, `\\u2028`); at most `limit` characters of it are kept.
    """
    text = value if isinstance(value, str) else str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}...(+{len(text) - limit} chars)"
