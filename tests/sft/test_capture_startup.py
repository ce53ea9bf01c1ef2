"""Capture that cannot work fails at start-up in one line; capture that fails later is loud."""

from __future__ import annotations

import logging
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.inference import MockInferenceServer
from reference_app import build_config, create_app
from reference_app.errors import CaptureConfigError
from tests.conftest import TEST_KEY
from tests.helpers import sync_client
from tests.sft.conftest import capture_body

FIX = "; fix the trace DB location or set TASKAPP_TRACING_ENABLED=0"


def _garbage(path: Path) -> Path:
    path.write_bytes(b"this is not a database\n" * 100)
    return path


def _startup_cases(tmp: Path) -> dict[str, tuple[dict[str, str], str]]:
    """Environment -> the one-line error, for every way capture can be unusable."""
    a_file = tmp / "file.txt"
    a_file.write_text("x")
    corrupt = _garbage(tmp / "corrupt.db")
    traced = {"TASKAPP_TRACING_ENABLED": "1"}
    return {
        "sft-dir-is-a-file": (
            {"TASKAPP_SFT_OUTPUT_DIR": str(a_file)},
            f"TASKAPP_SFT_OUTPUT_DIR={str(a_file)!r} is a file, not a directory; "
            "point it at a directory (it is created if missing)",
        ),
        "sft-dir-under-a-file": (
            {"SFT_OUTPUT_DIR": str(a_file / "sub")},
            f"SFT_OUTPUT_DIR={str(a_file / 'sub')!r}: cannot create the SFT output directory "
            "(Not a directory)",
        ),
        "corrupt-trace-db": (
            {**traced, "SYNTH_TRACES_DB": str(corrupt)},
            f"cannot use the trace DB {corrupt}: file is not a database{FIX}",
        ),
        "trace-db-is-a-directory": (
            {**traced, "SYNTH_TRACES_DB": str(tmp)},
            f"the trace DB {tmp} (from SYNTH_TRACES_DB) is a directory, not a database file{FIX}",
        ),
        "sqld-path-through-a-file": (
            {**traced, "SQLD_DB_PATH": str(a_file / "db")},
            f"cannot open the trace DB {a_file / 'db'} (from SQLD_DB_PATH): "
            f"{a_file} is a file, not a directory{FIX}",
        ),
        "unsupported-scheme": (
            {**traced, "SYNTH_TRACES_DB": "ftp://host/traces.db"},
            f"unsupported trace DB scheme 'ftp' in SYNTH_TRACES_DB: ftp://host/traces.db{FIX}",
        ),
        "in-memory": (
            {**traced, "SYNTH_TRACES_DB": "sqlite:///:memory:"},
            f"an in-memory trace DB would be lost after each write; use a file{FIX}",
        ),
    }


CASES = [
    "sft-dir-is-a-file",
    "sft-dir-under-a-file",
    "corrupt-trace-db",
    "trace-db-is-a-directory",
    "sqld-path-through-a-file",
    "unsupported-scheme",
    "in-memory",
]


def test_every_case_is_run(tmp_path: Path) -> None:
    """The parametrisation lists every start-up case (they need a directory to be built)."""
    assert list(_startup_cases(tmp_path)) == CASES


@pytest.mark.parametrize("case", CASES)
def test_unusable_capture_fails_when_the_app_is_built(tmp_path: Path, case: str) -> None:
    """An unusable trace DB or SFT directory raises CaptureConfigError with one exact line."""
    environ, message = _startup_cases(tmp_path)[case]
    with pytest.raises(CaptureConfigError) as caught:
        build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY, **environ})
    assert str(caught.value) == message


def test_unwritable_sft_dir_fails_when_the_app_is_built(tmp_path: Path) -> None:
    """An existing directory nobody may write to is refused at start-up, not at each rollout."""
    if os.geteuid() != 0:
        target = tmp_path / "read-only"
        target.mkdir()
        target.chmod(0o500)
    elif Path("/sys/kernel").is_dir():
        target = Path("/sys/kernel")  # root ignores modes, but sysfs refuses new files to all
    else:
        pytest.skip("running as root without sysfs: no directory root cannot write to")
    with pytest.raises(CaptureConfigError, match="cannot write to the SFT output directory"):
        build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY, "SFT_OUTPUT_DIR": str(target)})


class _UnreachableLibsql:
    """A libSQL client whose first query fails quoting the URL and token, as real ones may."""

    def connect(self, url: str, auth_token: str = "") -> _UnreachableLibsql:
        self.leak = f"{url}?authToken={auth_token}"
        return self

    def execute(self, *_: object) -> None:
        raise ValueError(f"Hrana: error trying to connect to {self.leak}")

    def close(self) -> None:
        pass


def test_unreachable_libsql_fails_at_start_up_without_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A libSQL server that does not answer stops start-up; neither password nor token shows."""
    monkeypatch.setattr("conformance.tracedb.connection._libsql", _UnreachableLibsql)
    environ = {
        "TASKAPP_TRACING_ENABLED": "1",
        "LIBSQL_URL": "libsql://writer:pw-hunter22@db.internal:8080",
        "LIBSQL_AUTH_TOKEN": "tok-0123456789abcdef",
    }
    with pytest.raises(CaptureConfigError) as caught:
        build_config(environ=environ)
    message = str(caught.value)
    assert message.startswith("cannot use the libSQL server at libsql://writer:***@db.internal")
    assert "pw-hunter22" not in message
    assert "tok-0123456789abcdef" not in message


def test_tracing_creates_the_schema_at_start_up(tmp_path: Path) -> None:
    """A usable trace DB is created with its schema when the app is built, before any rollout."""
    db = tmp_path / "deep" / "traces.db"
    build_config(environ={"TASKAPP_TRACING_ENABLED": "1", "SYNTH_TRACES_DB": str(db)})
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"session_traces", "messages", "outcome_rewards"} <= tables


def _serve(environ: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ENVIRONMENT_API_KEY": TEST_KEY, **environ}
    for name in ("TASKAPP_TRACING_ENABLED", "SYNTH_TRACES_DB", "TASKAPP_SFT_OUTPUT_DIR"):
        env.setdefault(name, "")
    command = [sys.executable, "-c", "from conformance.cli import main; main()", "serve"]
    return subprocess.run(
        [*command, "--port", "0"], env=env, cwd=cwd, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("case", ["sft-dir-is-a-file", "corrupt-trace-db", "unsupported-scheme"])
def test_serve_refuses_unusable_capture_in_one_line(tmp_path: Path, case: str) -> None:
    """`serve` exits 2 with `Error: <the cause>` and no traceback, before it listens."""
    environ, message = _startup_cases(tmp_path)[case]
    result = _serve(environ, tmp_path)
    assert result.returncode == 2, result.stderr
    errors = [line for line in result.stderr.splitlines() if not line.startswith("INFO:")]
    assert errors == [f"Error: {message}"]
    assert "Uvicorn running" not in result.stderr


def test_capture_failing_after_start_up_is_loud(
    tmp_path: Path, flaky_inference: MockInferenceServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A trace DB corrupted while serving: the rollout still answers 200, but an ERROR line
    names the rollout and the response lists the failed capture.
    """
    db = tmp_path / "traces.db"
    sft = tmp_path / "sft"
    config = build_config(
        environ={
            "ENVIRONMENT_API_KEY": TEST_KEY,
            "TASKAPP_TRACING_ENABLED": "1",
            "SYNTH_TRACES_DB": str(db),
            "TASKAPP_SFT_OUTPUT_DIR": str(sft),
        }
    )
    listener: Any = config.rollout.listeners[0]  # type: ignore[attr-defined]
    listener.close()  # the start-up check left a connection open; a write reopens it
    _garbage(db)
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    body = {**capture_body(flaky_inference.url, 3, "lost-run"), "run_id": "lost-run\n\x1b[31m"}
    with caplog.at_level(logging.ERROR), sync_client(create_app(config)) as client:
        response = client.post("/rollout", json=body, headers={"X-API-Key": TEST_KEY})
    assert response.status_code == 200
    assert response.json()["pipeline_metadata"]["capture_errors"] == [
        {
            "capture": "trace_db",
            "error": "TraceDbError",
            "message": "this rollout was not stored; the task app's log has the details",
        }
    ]
    [line] = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert line == (
        r"rollout 'lost-run\n\x1b[31m': capture trace_db FAILED, this rollout is not stored there: "
        f"TraceDbError: 'cannot use the trace DB {db}: file is not a database'"
    )
    assert len(list(sft.glob("*.jsonl"))) == 1  # the other capture still worked
