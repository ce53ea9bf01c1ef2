"""The libSQL client path: a `libsql` target is written through the real `libsql` package.

Here the client is pointed at a local database file: the same `libsql.connect(url,
auth_token=...)` call and the same DB-API the remote path uses, minus the transport.
test_libsql_server.py runs the same path over Hrana-over-HTTP against a real sqld.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conformance.inference import MockInferenceServer
from conformance.tracedb.dsn import TraceDbTarget
from reference_app import build_config, create_app
from reference_app.tracing import TraceDbListener
from tests.conftest import TEST_KEY
from tests.helpers import sync_client
from tests.sft.conftest import capture_body

pytest.importorskip("libsql", reason="the libsql extra is not installed")


def test_rollouts_are_written_through_the_libsql_client(
    tmp_path: Path, flaky_inference: MockInferenceServer
) -> None:
    """Three rollouts traced through the libSQL client land as three sessions with rewards."""
    listener = TraceDbListener(
        TraceDbTarget(kind="libsql", url=str(tmp_path / "r.db"), auth_token="t")
    )
    app = create_app(build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY}, listeners=[listener]))
    with sync_client(app) as client:
        for seed in range(3):
            body = capture_body(flaky_inference.url, seed, f"libsql-{seed}")
            assert (
                client.post("/rollout", json=body, headers={"X-API-Key": TEST_KEY}).status_code
                == 200
            )
    listener.close()
    with sqlite3.connect(tmp_path / "r.db") as conn:
        sessions = conn.execute("SELECT COUNT(*) FROM session_traces").fetchone()[0]
        rewards = conn.execute("SELECT COUNT(*) FROM outcome_rewards").fetchone()[0]
        messages = conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0]
    assert (sessions, rewards) == (3, 3)
    assert messages > 3 * 4


class _LeakyClient:
    """A libSQL client stand-in whose errors quote the URL and the token, as real ones may."""

    def __init__(self, leak: str) -> None:
        self.leak = leak

    def connect(self, url: str, auth_token: str = "") -> _LeakyClient:
        return self

    def execute(self, *_: object) -> None:
        raise ValueError(f"Hrana: stream error for {self.leak}")

    def close(self) -> None:
        pass


def test_a_failing_write_logs_no_credentials(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    flaky_inference: MockInferenceServer,
) -> None:
    """A libSQL write error is logged redacted: neither the token nor the URL password shows."""
    url, token = "libsql://writer:pw-hunter22@db.internal:8080", "tok-0123456789abcdef"
    monkeypatch.setattr(
        "conformance.tracedb.connection._libsql", lambda: _LeakyClient(f"{url}?authToken={token}")
    )
    listener = TraceDbListener(TraceDbTarget(kind="libsql", url=url, auth_token=token))
    app = create_app(build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY}, listeners=[listener]))
    with sync_client(app) as client:
        body = capture_body(flaky_inference.url, 1, "leaky-1")
        response = client.post("/rollout", json=body, headers={"X-API-Key": TEST_KEY})
    assert response.status_code == 200  # capture is best effort: the rollout still succeeds
    assert "capture trace_db FAILED" in caplog.text
    assert "cannot use the libSQL server at" in caplog.text
    assert "db.internal" in caplog.text
    assert "pw-hunter22" not in caplog.text
    assert token not in caplog.text
