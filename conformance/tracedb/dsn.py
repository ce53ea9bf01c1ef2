"""Where the trace DB lives: environment precedence, DSN parsing, redaction (spec §5.3, §5.4).

Precedence (first non-empty wins), chosen to agree with synth-ai 0.2.19+ so that every
synth-ai tool reading the same environment finds the same database:

1. ``SYNTH_TRACES_DB`` -- an explicit DSN or path;
2. ``LIBSQL_URL``, then ``TURSO_DATABASE_URL`` -- a remote libSQL/sqld server;
3. ``TURSO_LOCAL_DB_URL`` -- what ``synth-ai serve --trace-db`` sets;
4. ``SQLD_DB_PATH`` -- a file, or a sqld directory (the file is ``dbs/default/data``);
5. ``SYNTH_TRACES_DIR`` -- a directory; the file is ``synth_traces.db`` inside it;
6. on Modal (``MODAL_IS_REMOTE=1``, ``MODAL_TASK_ID``, ``MODAL_ENVIRONMENT``,
   ``SERVICE=modal``): ``/tmp/synth_traces.db``;
7. otherwise :data:`DEFAULT_TRACE_DB` (``./traces/taskapp_traces.db``), created on demand.

Unlike synth-ai (D28) nothing is overridden silently: the variables that lost are listed
in :attr:`TraceDbTarget.shadowed` so callers can log them, and there is no fallback to a
sqld on ``127.0.0.1:8081``. Tokens come from an ``auth_token`` query parameter, else
``LIBSQL_AUTH_TOKEN``, else ``TURSO_AUTH_TOKEN``; splitting the token off keeps the rest of
the DSN intact (synth-ai mangles ``sqlite+aiosqlite:///x.db?auth_token=..``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from conformance.redaction import redact_url

DEFAULT_TRACE_DB = Path("traces") / "taskapp_traces.db"
"""The embedded default, relative to the working directory; its directory is created."""
MODAL_TRACE_DB = Path("/tmp/synth_traces.db")
"""synth-ai's location on Modal (spec §5.3); the container's disk is ephemeral."""
TRACES_DIR_FILE = "synth_traces.db"
SQLD_DIR_FILE = Path("dbs") / "default" / "data"

DSN_VARIABLES: tuple[str, ...] = (
    "SYNTH_TRACES_DB",
    "LIBSQL_URL",
    "TURSO_DATABASE_URL",
    "TURSO_LOCAL_DB_URL",
    "SQLD_DB_PATH",
    "SYNTH_TRACES_DIR",
)
"""The location variables, highest priority first."""
TOKEN_VARIABLES: tuple[str, ...] = ("LIBSQL_AUTH_TOKEN", "TURSO_AUTH_TOKEN")

Kind = Literal["sqlite", "libsql"]
_SQLITE_URL = re.compile(r"^sqlite(\+[a-z0-9_]+)?://", re.IGNORECASE)
_REMOTE_SCHEMES = ("libsql://", "http://", "https://", "ws://", "wss://")


class DsnError(ValueError):
    """A trace DB location that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class TraceDbTarget:
    """A resolved trace DB: a local SQLite file or a remote libSQL URL (never both)."""

    kind: Kind
    path: Path | None = None
    url: str | None = None
    auth_token: str | None = field(default=None, repr=False)
    source: str = "default"
    """The variable it came from (`SYNTH_TRACES_DB`, ...), `default`, `modal` or `argument`."""
    shadowed: tuple[str, ...] = ()
    """Lower-priority location variables that were also set and are therefore ignored."""

    def describe(self) -> str:
        """One log-safe line: where the DB is and which variable chose it (no credentials)."""
        where = str(self.path) if self.kind == "sqlite" else redact_url(self.url or "")
        line = f"{self.kind} {where} (from {self.source})"
        if self.auth_token:
            line += " with an auth token"
        if self.shadowed:
            line += f"; ignoring {', '.join(self.shadowed)}"
        return line


def _split_token(dsn: str) -> tuple[str, str | None]:
    """Remove an `auth_token` query parameter, keeping the rest of the DSN byte for byte."""
    head, sep, query = dsn.partition("?")
    if not sep:
        return dsn, None
    token: str | None = None
    kept: list[str] = []
    for piece in query.split("&"):
        key, _, value = piece.partition("=")
        if key == "auth_token":
            token = value or None
        elif piece:
            kept.append(piece)
    return (f"{head}?{'&'.join(kept)}" if kept else head), token


def _sqlite_path(dsn: str) -> Path:
    """The file of a SQLAlchemy-style `sqlite...:///path` URL (`////abs` is absolute)."""
    rest = _SQLITE_URL.sub("", dsn, count=1)
    if not rest.startswith("/"):
        raise DsnError(f"SQLite URL needs three slashes before the path: {redact_url(dsn)}")
    path = rest[1:].split("?", 1)[0]
    if not path:
        raise DsnError(f"SQLite URL missing database path: {redact_url(dsn)}")
    if path == ":memory:":
        raise DsnError("an in-memory trace DB would be lost after each write; use a file")
    return Path(path)


def parse_dsn(
    dsn: str,
    *,
    source: str = "argument",
    environ: Mapping[str, str] | None = None,
    base_dir: Path | None = None,
) -> TraceDbTarget:
    """Turn a DSN or path into a target, following synth-ai's rules (spec §5.4).

    Relative file paths are resolved against `base_dir` (default: the working directory).
    """
    text = dsn.strip()
    if not text:
        raise DsnError(f"{source} is empty")
    cleaned, token = _split_token(text)
    env = environ or {}
    lowered = cleaned.lower()
    if lowered.startswith("sqlite+libsql://"):
        raise DsnError("sqlite+libsql:// is not supported (synth-ai rejects it too); use libsql://")
    if lowered.startswith(_REMOTE_SCHEMES):
        token = token or next((env[v] for v in TOKEN_VARIABLES if env.get(v)), None)
        return TraceDbTarget("libsql", url=cleaned, auth_token=token, source=source)
    if lowered.startswith("file://"):
        path = Path(cleaned[len("file://") :])
    elif lowered.startswith("file:"):
        path = Path(cleaned[len("file:") :])
    elif _SQLITE_URL.match(cleaned):
        path = _sqlite_path(cleaned)
    elif "://" in cleaned:
        scheme = cleaned.split("://", 1)[0]
        raise DsnError(f"unsupported trace DB scheme {scheme!r} in {source}: {redact_url(cleaned)}")
    else:
        path = Path(cleaned)
    path = path.expanduser()
    if not path.is_absolute():
        path = (base_dir or Path.cwd()) / path
    return TraceDbTarget("sqlite", path=path, source=source)


def _is_modal(env: Mapping[str, str]) -> bool:
    if env.get("MODAL_IS_REMOTE") == "1" or env.get("SERVICE", "").lower() == "modal":
        return True
    return bool(env.get("MODAL_TASK_ID") or env.get("MODAL_ENVIRONMENT"))


def resolve_trace_db(environ: Mapping[str, str], *, base_dir: Path | None = None) -> TraceDbTarget:
    """The trace DB chosen by the environment (see the module docstring for the order)."""
    set_vars = [v for v in DSN_VARIABLES if environ.get(v, "").strip()]
    if not set_vars:
        if _is_modal(environ):
            return TraceDbTarget("sqlite", path=MODAL_TRACE_DB, source="modal")
        return TraceDbTarget("sqlite", path=(base_dir or Path.cwd()) / DEFAULT_TRACE_DB)
    winner, shadowed = set_vars[0], tuple(set_vars[1:])
    value = environ[winner].strip()
    if winner == "SQLD_DB_PATH":
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = (base_dir or Path.cwd()) / path
        if path.is_dir():
            path = path / SQLD_DIR_FILE
        target = TraceDbTarget("sqlite", path=path, source=winner)
    elif winner == "SYNTH_TRACES_DIR":
        directory = Path(value).expanduser()
        if not directory.is_absolute():
            directory = (base_dir or Path.cwd()) / directory
        target = TraceDbTarget("sqlite", path=directory / TRACES_DIR_FILE, source=winner)
    else:
        target = parse_dsn(value, source=winner, environ=environ, base_dir=base_dir)
    return TraceDbTarget(
        target.kind, target.path, target.url, target.auth_token, target.source, shadowed
    )
