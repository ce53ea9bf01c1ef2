"""The tracing switch (§5.1), SFT file naming and atomic writes (§5.2), and env wiring."""

from __future__ import annotations

import json
import logging
import multiprocessing
import sqlite3
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.inference import MockInferenceServer
from conformance.jsonl import validate_record
from conformance.sft.records import sft_messages
from conformance.tracedb import SessionRows, parse_dsn
from reference_app.capture import listeners_from_env
from reference_app.sft import (
    SftCaptureError,
    SftJsonlListener,
    resolve_sft_output_dir,
    sanitise_run_id,
    unique_sft_path,
    write_atomically,
)
from reference_app.tracing import FALSY, TRUTHY, TraceDbListener, tracing_enabled
from tests.sft.conftest import capture_body, run_rollouts, session


@pytest.mark.parametrize("value", [*sorted(TRUTHY), " YES ", "On", "\tTrue\n"])
def test_truthy_values_enable_tracing(value: str) -> None:
    """1,true,t,yes,y,on (any case, surrounding space) turn tracing on."""
    assert tracing_enabled({"TASKAPP_TRACING_ENABLED": value}) is True


@pytest.mark.parametrize("value", [*sorted(FALSY), " NO ", "Off"])
def test_falsy_values_disable_tracing(value: str) -> None:
    """0,false,f,no,n,off turn tracing off even when the default is on."""
    assert tracing_enabled({"TASKAPP_TRACING_ENABLED": value}, default=True) is False


@pytest.mark.parametrize("default", [False, True])
def test_unset_or_empty_gives_default_silently(
    default: bool, caplog: pytest.LogCaptureFixture
) -> None:
    """Unset or blank gives the default without a warning."""
    assert tracing_enabled({}, default=default) is default
    assert tracing_enabled({"TASKAPP_TRACING_ENABLED": "  "}, default=default) is default
    assert not caplog.records


@pytest.mark.parametrize("value", ["2", "enabled", "tru", "yes please"])
def test_unknown_values_give_default_with_warning(
    value: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Anything else gives the default, and says so in one warning."""
    with caplog.at_level(logging.WARNING, logger="reference_app.tracing"):
        assert tracing_enabled({"TASKAPP_TRACING_ENABLED": value}) is False
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    assert "TASKAPP_TRACING_ENABLED" in caplog.records[0].getMessage()


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=12))
def test_switch_matches_synth_ai_for_any_string(value: str) -> None:
    """For any value the result is synth-ai's `tracing_env_enabled(default=False)`."""
    normalised = value.strip().lower()
    assert tracing_enabled({"TASKAPP_TRACING_ENABLED": value}) is (normalised in TRUTHY)


def test_traversal_run_id_stays_inside_the_directory(tmp_path: Path) -> None:
    """A run id like ../../etc/x cannot escape the output directory."""
    path = write_atomically(tmp_path, "../../etc/x", b"{}\n")
    assert path.parent == tmp_path
    assert path.name.startswith("etc_x_")
    assert not (tmp_path.parent.parent / "etc").exists()


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=100))
def test_any_run_id_gives_a_safe_name_in_the_directory(run_id: str) -> None:
    """Every run id maps to a non-empty [A-Za-z0-9_-] name directly inside the directory."""
    safe = sanitise_run_id(run_id)
    assert safe
    assert len(safe) <= 64
    assert all(c.isascii() and (c.isalnum() or c in "_-") for c in safe)
    directory = Path("/srv/sft")
    assert unique_sft_path(directory, run_id).parent == directory


def test_names_are_unique_within_one_second(tmp_path: Path) -> None:
    """The same run id at the same instant still gets distinct file names."""
    now = datetime(2025, 1, 1, tzinfo=UTC)
    names = {unique_sft_path(tmp_path, "run", now=now).name for _ in range(200)}
    assert len(names) == 200


def test_concurrent_writers_never_clobber_or_leave_partials(tmp_path: Path) -> None:
    """40 writers with one run id produce 40 complete files and no .part files."""
    threads = [
        threading.Thread(
            target=write_atomically, args=(tmp_path, "same", f'{{"i":{i}}}\n'.encode())
        )
        for i in range(40)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    files = sorted(tmp_path.iterdir())
    assert len(files) == 40
    assert all(f.suffix == ".jsonl" for f in files)
    assert sorted(json.loads(f.read_text())["i"] for f in files) == list(range(40))


def test_record_ends_with_the_assistant_turn() -> None:
    """Tool results and nudges after the last assistant message are dropped."""
    chat: list[dict[str, Any]] = [
        {"role": "system", "content": "s"},
        {"role": "user", "content": "u"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "submit_answer", "arguments": '{"answer": 1}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c1", "content": "correct"},
    ]
    kept = sft_messages(chat)
    assert [m["role"] for m in kept] == ["system", "user", "assistant"]
    assert validate_record({"messages": kept}, level="strict") == []


def test_sft_dir_precedence_and_creation(tmp_path: Path) -> None:
    """TASKAPP_SFT_OUTPUT_DIR wins over SFT_OUTPUT_DIR; the directory is created."""
    env = {"TASKAPP_SFT_OUTPUT_DIR": str(tmp_path / "a"), "SFT_OUTPUT_DIR": str(tmp_path / "b")}
    assert resolve_sft_output_dir(env) == tmp_path / "a"
    assert (tmp_path / "a").is_dir()
    assert not (tmp_path / "b").exists()
    assert resolve_sft_output_dir({"TASKAPP_SFT_OUTPUT_DIR": " ", "SFT_OUTPUT_DIR": ""}) is None


def test_uncreatable_sft_dir_is_a_clear_error(tmp_path: Path) -> None:
    """A directory that cannot be created is an error, not silently no capture."""
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SftCaptureError, match="cannot create the SFT output directory"):
        resolve_sft_output_dir({"SFT_OUTPUT_DIR": str(blocker / "sub")})


class _LocalLibsql:
    """A libSQL client stand-in that opens a local SQLite file, whatever the URL."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def connect(self, url: str, auth_token: str = "") -> sqlite3.Connection:
        return sqlite3.connect(self.path, check_same_thread=False)


def test_listeners_from_env(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No variables: no listeners; tracing and SFT dir: one of each, target logged redacted."""
    monkeypatch.setattr(
        "conformance.tracedb.connection._libsql", lambda: _LocalLibsql(tmp_path / "remote.db")
    )
    assert listeners_from_env({}) == []
    env = {
        "TASKAPP_TRACING_ENABLED": "1",
        "LIBSQL_URL": "libsql://db.example.io?auth_token=SECRET-TOKEN",
        "SFT_OUTPUT_DIR": str(tmp_path),
    }
    with caplog.at_level(logging.INFO, logger="reference_app.capture"):
        listeners = listeners_from_env(env)
    assert [type(x) for x in listeners] == [TraceDbListener, SftJsonlListener]
    assert "libsql://db.example.io" in caplog.text
    assert "SECRET-TOKEN" not in caplog.text


def test_parallel_listener_writes_lose_no_rows(
    tmp_path: Path, flaky_inference: MockInferenceServer
) -> None:
    """Many threads writing sessions through one listener store every one of them."""
    db = tmp_path / "t.db"
    listener = TraceDbListener(parse_dsn(str(db)))
    run_rollouts(
        {"TASKAPP_TRACING_ENABLED": "1", "SYNTH_TRACES_DB": str(db)},
        [capture_body(flaky_inference.url, 0, "seed-run")],
    )
    with sqlite3.connect(db) as conn:
        session_id, created, meta = conn.execute(
            "SELECT session_id, created_at, metadata FROM session_traces"
        ).fetchone()
    template = SessionRows(session_id, created, json.loads(meta), [], [], 1.0, 0)
    rows = [
        SessionRows(f"s-{i}", created, template.metadata, [], [], float(i % 2), 0)
        for i in range(60)
    ]
    threads = [threading.Thread(target=listener.write, args=(r,)) for r in rows]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    listener.close()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM session_traces").fetchone()[0] == 61
        assert conn.execute("SELECT COUNT(*) FROM outcome_rewards").fetchone()[0] == 61


def _write_many(db: str, prefix: str, count: int) -> None:
    listener = TraceDbListener(parse_dsn(db))
    for i in range(count):
        rows = session(i % 60, reward=1.0)
        rows.session_id = f"{prefix}-{i}"
        listener.write(rows)
    listener.close()


def test_two_processes_writing_lose_no_rows(tmp_path: Path) -> None:
    """Two processes (like two uvicorn workers) writing one DB store every session."""
    db = str(tmp_path / "shared.db")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_many, args=(db, f"p{k}", 40)) for k in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM session_traces").fetchone()[0] == 80
        assert conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 80 * 4


def test_failed_fsync_leaves_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the write or fsync fails, the hidden .part file is removed and the error raised."""

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("reference_app.sft.os.fsync", full_disk)
    with pytest.raises(OSError, match="No space left on device"):
        write_atomically(tmp_path, "run", b'{"i":1}\n')
    assert list(tmp_path.iterdir()) == []


def _no_hard_links(src: Any, dst: Any) -> None:
    raise PermissionError(1, "Operation not permitted")


def test_without_hard_links_an_existing_file_is_never_overwritten(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The no-hard-link fallback reserves the name with O_EXCL, so a taken name is skipped."""
    monkeypatch.setattr("reference_app.sft.os.link", _no_hard_links)
    taken = tmp_path / "run_2025-01-01T00-00-00-000000Z_00000000.jsonl"
    taken.write_bytes(b"theirs\n")
    fresh = tmp_path / "run_2025-01-01T00-00-00-000000Z_11111111.jsonl"
    names = iter([taken, fresh])
    monkeypatch.setattr("reference_app.sft.unique_sft_path", lambda d, r: next(names))
    # The check-then-replace race made deterministic: every existence check misses `taken`,
    # as if another writer created it just after the check.
    monkeypatch.setattr(Path, "exists", lambda self, **kwargs: False)
    assert write_atomically(tmp_path, "run", b"ours\n") == fresh
    monkeypatch.undo()
    assert taken.read_bytes() == b"theirs\n"
    assert fresh.read_bytes() == b"ours\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [taken.name, fresh.name]


def test_without_hard_links_concurrent_writers_keep_every_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 writers on a file system without hard links give 20 complete files, no partials."""
    monkeypatch.setattr("reference_app.sft.os.link", _no_hard_links)
    threads = [
        threading.Thread(target=write_atomically, args=(tmp_path, "r", f'{{"i":{i}}}\n'.encode()))
        for i in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    files = sorted(tmp_path.iterdir())
    assert all(not f.name.startswith(".") for f in files)
    assert sorted(json.loads(f.read_text())["i"] for f in files) == list(range(20))
