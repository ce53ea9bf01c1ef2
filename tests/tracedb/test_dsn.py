"""Trace DB location: documented precedence, DSN forms, token handling and redaction."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.redaction import redact_url
from conformance.tracedb import (
    DsnError,
    TraceDbError,
    TraceDbMissing,
    connect_for_reading,
    connect_for_writing,
    parse_dsn,
    resolve_trace_db,
)
from conformance.tracedb.dsn import DEFAULT_TRACE_DB, MODAL_TRACE_DB, TraceDbTarget


@pytest.mark.parametrize(
    ("environ", "source"),
    [
        pytest.param(
            {"SYNTH_TRACES_DB": "a.db", "LIBSQL_URL": "libsql://h"},
            "SYNTH_TRACES_DB",
            id="explicit-beats-libsql",
        ),
        pytest.param(
            {"LIBSQL_URL": "libsql://h", "TURSO_LOCAL_DB_URL": "b.db"},
            "LIBSQL_URL",
            id="libsql-beats-local",
        ),
        pytest.param(
            {"TURSO_DATABASE_URL": "libsql://h", "SQLD_DB_PATH": "c.db"},
            "TURSO_DATABASE_URL",
            id="turso-beats-sqld",
        ),
        pytest.param(
            {"TURSO_LOCAL_DB_URL": "b.db", "SQLD_DB_PATH": "c.db"},
            "TURSO_LOCAL_DB_URL",
            id="local-beats-sqld",
        ),
        pytest.param(
            {"SQLD_DB_PATH": "c.db", "SYNTH_TRACES_DIR": "d"}, "SQLD_DB_PATH", id="sqld-beats-dir"
        ),
        pytest.param({"SYNTH_TRACES_DIR": "d"}, "SYNTH_TRACES_DIR", id="dir"),
        pytest.param({"MODAL_IS_REMOTE": "1"}, "modal", id="modal"),
        pytest.param({}, "default", id="default"),
    ],
)
def test_precedence(environ: dict[str, str], source: str, tmp_path: Path) -> None:
    """The first set variable in the documented order wins."""
    assert resolve_trace_db(environ, base_dir=tmp_path).source == source


def test_losers_are_listed_not_silently_dropped(tmp_path: Path) -> None:
    """Variables that lost are reported in `shadowed` and in the log line (D28)."""
    target = resolve_trace_db(
        {"LIBSQL_URL": "libsql://h", "TURSO_LOCAL_DB_URL": "x.db"}, base_dir=tmp_path
    )
    assert target.shadowed == ("TURSO_LOCAL_DB_URL",)
    assert "ignoring TURSO_LOCAL_DB_URL" in target.describe()


def test_default_and_modal_locations(tmp_path: Path) -> None:
    """No variable: ./traces/taskapp_traces.db; on Modal: /tmp/synth_traces.db."""
    assert resolve_trace_db({}, base_dir=tmp_path).path == tmp_path / DEFAULT_TRACE_DB
    assert resolve_trace_db({"SERVICE": "Modal"}).path == MODAL_TRACE_DB


def test_sqld_directory_and_traces_dir(tmp_path: Path) -> None:
    """A sqld directory means dbs/default/data; SYNTH_TRACES_DIR means synth_traces.db in it."""
    got = resolve_trace_db({"SQLD_DB_PATH": str(tmp_path)}).path
    assert got == tmp_path / "dbs" / "default" / "data"
    got = resolve_trace_db({"SYNTH_TRACES_DIR": str(tmp_path)}).path
    assert got == tmp_path / "synth_traces.db"


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("sqlite+aiosqlite:///rel/x.db", "BASE/rel/x.db"),
        ("sqlite+aiosqlite:////abs/x.db", "/abs/x.db"),
        ("sqlite:///x.db?auth_token=T&k=v", "BASE/x.db"),
        ("file:///abs/y.db", "/abs/y.db"),
        ("file:z.db", "BASE/z.db"),
        ("/abs/plain.db", "/abs/plain.db"),
        ("plain.db", "BASE/plain.db"),
    ],
)
def test_local_dsn_forms(dsn: str, expected: str, tmp_path: Path) -> None:
    """Local DSNs become files; relative ones resolve against the base directory."""
    target = parse_dsn(dsn, base_dir=tmp_path)
    assert target.kind == "sqlite"
    assert str(target.path) == expected.replace("BASE", str(tmp_path))


def test_remote_token_is_split_off_and_url_kept_intact() -> None:
    """`auth_token` leaves the URL (other params kept) and becomes the token."""
    target = parse_dsn("libsql://db.example.io?auth_token=SECRET&tls=1")
    assert (target.kind, target.url, target.auth_token) == (
        "libsql",
        "libsql://db.example.io?tls=1",
        "SECRET",
    )
    assert "SECRET" not in target.describe()
    assert "SECRET" not in repr(target)


def test_remote_token_falls_back_to_environment() -> None:
    """Without a URL token, LIBSQL_AUTH_TOKEN then TURSO_AUTH_TOKEN are used."""
    env = {"TURSO_AUTH_TOKEN": "t2", "LIBSQL_AUTH_TOKEN": "t1"}
    assert parse_dsn("https://h", environ=env).auth_token == "t1"


@pytest.mark.parametrize(
    ("dsn", "message"),
    [
        ("sqlite+libsql://x", "use libsql://"),
        ("postgres://h/db", "unsupported trace DB scheme 'postgres'"),
        ("sqlite:///:memory:", "in-memory"),
        ("sqlite://", "three slashes"),
        ("  ", "is empty"),
    ],
)
def test_unusable_dsns_are_clear_errors(dsn: str, message: str) -> None:
    """Bad DSNs raise DsnError with a message naming the problem."""
    with pytest.raises(DsnError, match=message):
        parse_dsn(dsn)


@settings(max_examples=50, deadline=None)
@given(
    token=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=6, max_size=40),
    password=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=6, max_size=20),
)
def test_redaction_hides_tokens_and_passwords(token: str, password: str) -> None:
    """No token or password survives redact_url."""
    redacted = redact_url(f"https://user:{password}@host.example/db?auth_token={token}&x=1")
    assert token not in redacted
    assert password not in redacted
    assert "host.example" in redacted


def test_reader_never_creates_a_database(tmp_path: Path) -> None:
    """Opening a missing file for reading fails and leaves nothing behind (D9)."""
    missing = tmp_path / "nope" / "t.db"
    with pytest.raises(TraceDbMissing, match="not found"):
        connect_for_reading(TraceDbTarget("sqlite", path=missing))
    assert not missing.parent.exists()


def test_writer_creates_directory_and_uses_wal(tmp_path: Path) -> None:
    """A writer creates the parent directory and switches the DB to WAL."""
    conn = connect_for_writing(TraceDbTarget("sqlite", path=tmp_path / "a" / "t.db"))
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        conn.close()


def test_missing_libsql_client_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A remote target without the optional client names the extra to install."""
    monkeypatch.setitem(sys.modules, "libsql", None)
    with pytest.raises(TraceDbError, match=r"taskapp-conformance\[libsql\]"):
        connect_for_writing(parse_dsn("libsql://db.example.io"))


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        (
            "sqlite+aiosqlite:////abs/t.db?auth_token=SECRET123",
            "sqlite+aiosqlite:////abs/t.db?auth_token=***",
        ),
        ("file:t.db?mode=ro&authToken=SECRET123", "file:t.db?mode=ro&authToken=***"),
        ("libsql://u:SECRET123@h/db?tls=1", "libsql://u:***@h/db?tls=1"),
        ("https://SECRET123@h/db", "https://***@h/db"),
        ("http://h/x?api_key=SECRET123&x=1", "http://h/x?api_key=***&x=1"),
        ("traces/a b.db", "traces/a b.db"),
    ],
    ids=["sqlite-url", "file-uri", "password", "bare-userinfo", "api-key", "plain-path"],
)
def test_redaction_keeps_the_rest_byte_for_byte(dsn: str, shown: str) -> None:
    """redact_url hides secrets without normalising the URL (four slashes stay four)."""
    assert redact_url(dsn) == shown
