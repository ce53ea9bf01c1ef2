"""Open a trace DB: SQLite files through `sqlite3`, remote libSQL through the optional client.

Writers get WAL mode and a 30 s busy timeout so concurrent rollouts (threads or
processes) queue instead of failing. Readers never create anything: a missing file is
an error, not a fresh empty database (synth-ai's D9).
"""

from __future__ import annotations

import contextlib
import importlib
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

from conformance.redaction import Redactor, redact_url
from conformance.tracedb.dsn import TraceDbTarget

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


def remote_failure(target: TraceDbTarget, exc: BaseException) -> TraceDbUnreachable:
    """A one-line, credential-free :class:`TraceDbUnreachable` for a libSQL client error.

    The client connects lazily and reports every failure (refused connection, bad token,
    HTTP error) as a plain `ValueError` on the first query, so callers wrap its calls.
    """
    url = target.url or ""
    text = str(exc).strip()
    detail = text.splitlines()[0] if text else ""
    if url:
        detail = detail.replace(url, redact_url(url))
    detail = Redactor([target.auth_token], urls=[url]).text(detail)[:200]
    return TraceDbUnreachable(
        f"cannot use the libSQL server at {redact_url(url)} ({type(exc).__name__}"
        + (f": {detail}" if detail else "")
        + "); check the URL, that the server is up, and the auth token"
    )


def _connect_remote(target: TraceDbTarget) -> Any:
    client = _libsql()
    try:
        return client.connect(target.url, auth_token=target.auth_token or "")
    except Exception as exc:  # the client raises its own untyped errors
        raise remote_failure(target, exc) from exc


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
    if path.is_dir():
        raise TraceDbError(
            f"the trace DB {path} (from {target.source}) is a directory, not a database file"
        )
    blocker = next((p for p in path.parents if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        raise TraceDbError(
            f"cannot open the trace DB {path} (from {target.source}): "
            f"{blocker} is a file, not a directory"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
    except (OSError, sqlite3.Error) as exc:
        raise TraceDbError(f"cannot open the trace DB {path}: {_reason(exc)}") from exc
    try:
        _tune(conn, write=True)  # the first read of the file: a corrupt one fails here
    except sqlite3.Error as exc:
        conn.close()
        raise TraceDbError(f"cannot use the trace DB {path}: {_reason(exc)}") from exc
    return conn


def _reason(exc: BaseException) -> str:
    """The one-line cause of an OS or SQLite error (`[Errno 20] Not a directory` -> its text)."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


class _GuardedCursor:
    """A libSQL cursor whose fetch errors become :class:`TraceDbUnreachable`."""

    def __init__(self, cursor: Any, target: TraceDbTarget) -> None:
        self._cursor = cursor
        self._target = target

    def fetchone(self) -> Any:
        try:
            return self._cursor.fetchone()
        except Exception as exc:  # the client raises untyped ValueErrors
            raise remote_failure(self._target, exc) from None

    def fetchall(self) -> Any:
        try:
            return self._cursor.fetchall()
        except Exception as exc:  # the client raises untyped ValueErrors
            raise remote_failure(self._target, exc) from None


class _GuardedConnection:
    """A read-only libSQL connection: query errors become :class:`TraceDbUnreachable`.

    The client connects lazily, so an unreachable server or a rejected token only shows
    up as a `ValueError` from the first `execute`; readers get one typed, redacted error.
    """

    def __init__(self, conn: Any, target: TraceDbTarget) -> None:
        self._conn = conn
        self._target = target

    def execute(self, sql: str, parameters: Any = (), /) -> _GuardedCursor:
        try:
            return _GuardedCursor(self._conn.execute(sql, parameters), self._target)
        except Exception as exc:  # the client raises untyped ValueErrors
            raise remote_failure(self._target, exc) from None

    def close(self) -> None:
        # A connection that never reached its server may fail to close; nothing is lost.
        with contextlib.suppress(Exception):
            self._conn.close()


def connect_for_reading(target: TraceDbTarget) -> Any:
    """A connection to an existing database; raises :class:`TraceDbMissing` otherwise.

    For a remote libSQL target, query and fetch failures raise :class:`TraceDbUnreachable`.
    """
    if target.kind == "libsql":
        return _GuardedConnection(_connect_remote(target), target)
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
