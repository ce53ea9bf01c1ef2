"""Open a trace DB: SQLite files through `sqlite3`, remote libSQL through the optional client.

Writers get WAL mode and a 30 s busy timeout so concurrent rollouts (threads or
processes) queue instead of failing. Readers never create anything: a missing file is
an error, not a fresh empty database (synth-ai's D9).
"""

from __future__ import annotations

import importlib
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from conformance.tracedb.dsn import TraceDbTarget, redact_dsn

BUSY_TIMEOUT_MS = 30_000
LIBSQL_INSTALL_HINT = "pip install 'taskapp-conformance[libsql]' (the `libsql` package)"


class TraceDbError(Exception):
    """The trace DB cannot be used; `str()` is one line for the user."""


class TraceDbMissing(TraceDbError):
    """The database file does not exist (readers never create it)."""


class TraceDbUnreachable(TraceDbError):
    """A remote libSQL server did not answer."""


def _libsql() -> Any:
    try:
        return importlib.import_module("libsql")
    except ImportError as exc:
        raise TraceDbError(
            f"a libsql:// or http(s):// trace DB needs the libSQL client: {LIBSQL_INSTALL_HINT}"
        ) from exc


def _connect_remote(target: TraceDbTarget) -> Any:
    client = _libsql()
    try:
        return client.connect(target.url, auth_token=target.auth_token or "")
    except Exception as exc:  # the client raises its own untyped errors
        raise TraceDbUnreachable(
            f"cannot reach the libSQL server at {redact_dsn(target.url or '')}: "
            f"{type(exc).__name__}"
        ) from exc


def _tune(conn: sqlite3.Connection, *, write: bool) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    if write:
        conn.execute("PRAGMA journal_mode = WAL")
        # WAL + NORMAL never corrupts the DB; a power cut may lose the last commits only.
        conn.execute("PRAGMA synchronous = NORMAL")


def connect_for_writing(target: TraceDbTarget) -> Any:
    """A connection that may create the file (and its directory); autocommit mode."""
    if target.kind == "libsql":
        return _connect_remote(target)
    path = _path(target)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
    except (OSError, sqlite3.Error) as exc:
        raise TraceDbError(f"cannot open the trace DB {path}: {exc}") from exc
    _tune(conn, write=True)
    return conn


def connect_for_reading(target: TraceDbTarget) -> Any:
    """A connection to an existing database; raises :class:`TraceDbMissing` otherwise."""
    if target.kind == "libsql":
        return _connect_remote(target)
    path = _path(target)
    if not path.is_file():
        raise TraceDbMissing(f"trace database not found: {path}")
    try:
        conn = sqlite3.connect(
            f"file:{quote(str(path))}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_MS / 1000
        )
        _tune(conn, write=False)
    except sqlite3.Error as exc:
        raise TraceDbError(f"cannot open the trace DB {path}: {exc}") from exc
    return conn


def _path(target: TraceDbTarget) -> Path:
    if target.path is None:
        raise TraceDbError("a SQLite trace DB target needs a path")
    return target.path
