"""`filter`: FilterConfig-compatible loading, selection, and synth-ai's D7-D9 fixed (spec §7)."""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.sft import (
    ConfigError,
    DataError,
    SftToolError,
    load_filter_config,
    parse_filter_table,
    run_filter,
)
from conformance.sft.cli import filter_command
from conformance.sft.filter import FilterConfig, write_validated
from tests.sft.conftest import make_trace_db, session

WriteConfig = Callable[..., Path]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A trace DB of 10 sessions: even ones rewarded 1, odd ones 0; 7-9 in split `val`."""
    sessions = [
        session(i, reward=float(i % 2 == 0), split="val" if i >= 7 else "train") for i in range(10)
    ]
    return make_trace_db(tmp_path / "traces.db", sessions)


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write a filter.toml whose [filter] table holds the given TOML lines."""

    def write(*lines: str) -> Path:
        path = tmp_path / "filter.toml"
        path.write_text("[filter]\n" + "\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write


def _config(db: Path, out: Path, **extra: Any) -> FilterConfig:
    return parse_filter_table({"db": str(db), "output": str(out), **extra})


def _seeds(out: Path) -> list[int]:
    return [json.loads(line)["metadata"]["seed"] for line in out.read_text().splitlines()]


def test_min_official_score_keeps_rewarded_sessions(db: Path, tmp_path: Path) -> None:
    """min_official_score reads outcome_rewards.total_reward."""
    out = tmp_path / "o.jsonl"
    result = run_filter(_config(db, out, min_official_score=1))
    assert _seeds(out) == [0, 2, 4, 6, 8]
    assert (result.written, result.matched, result.considered) == (5, 5, 10)


def test_splits_task_ids_models_and_max_score(db: Path, tmp_path: Path) -> None:
    """Metadata filters and the max bound combine."""
    out = tmp_path / "o.jsonl"
    run_filter(_config(db, out, splits=["val"], max_official_score=0))
    assert _seeds(out) == [7, 9]
    run_filter(_config(db, out, task_ids=["task-3", "task-4"], models="m1"))
    assert _seeds(out) == [3, 4]


def test_offset_and_limit_work(db: Path, tmp_path: Path) -> None:
    """offset skips, limit caps (synth-ai ignores offset, D8)."""
    out = tmp_path / "o.jsonl"
    run_filter(_config(db, out, offset=3, limit=4))
    assert _seeds(out) == [3, 4, 5, 6]


def test_shuffle_is_seeded_and_a_permutation(db: Path, tmp_path: Path) -> None:
    """shuffle with a seed gives the same order every time, and a different one than none."""
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    run_filter(_config(db, first, shuffle=True, shuffle_seed=3))
    run_filter(_config(db, second, shuffle=True, shuffle_seed=3))
    assert _seeds(first) == _seeds(second) != list(range(10))
    assert sorted(_seeds(first)) == list(range(10))


def test_export_is_the_whole_conversation_ending_with_the_assistant(
    db: Path, tmp_path: Path
) -> None:
    """Lines hold system, user and the assistant tool call, with filter metadata."""
    out = tmp_path / "o.jsonl"
    run_filter(_config(db, out, limit=1))
    record = json.loads(out.read_text())
    assert [m["role"] for m in record["messages"]] == ["system", "user", "assistant"]
    assert record["messages"][-1]["tool_calls"][0]["function"]["name"] == "submit_answer"
    assert record["metadata"]["total_reward"] == 1
    assert {"session_id", "env_name", "policy_name", "seed", "model", "created_at"} <= set(
        record["metadata"]
    )


def test_empty_result_says_why(db: Path, tmp_path: Path) -> None:
    """Nothing matched: the error counts what each filter excluded; output is not touched."""
    out = tmp_path / "o.jsonl"
    with pytest.raises(DataError) as caught:
        run_filter(_config(db, out, splits=["test"]))
    assert "10 sessions considered" in str(caught.value)
    assert "10 task_split not in ['test']" in str(caught.value)
    assert not out.exists()


def test_offset_past_the_end_says_so(db: Path, tmp_path: Path) -> None:
    """An offset beyond the matches is named in the empty-result message."""
    with pytest.raises(DataError, match="offset 50 skipped the rest"):
        run_filter(_config(db, tmp_path / "o.jsonl", offset=50))


def test_empty_database_is_no_traces(tmp_path: Path) -> None:
    """A trace DB without sessions reports 'No traces found'."""
    empty = make_trace_db(tmp_path / "e.db", [])
    with pytest.raises(DataError, match="No traces found in database"):
        run_filter(_config(empty, tmp_path / "o.jsonl"))


def test_missing_database_is_an_error_and_never_created(tmp_path: Path) -> None:
    """A mistyped db path fails with exit 2 and creates nothing (D9)."""
    missing = tmp_path / "typo" / "traces.db"
    with pytest.raises(ConfigError, match="trace database not found") as caught:
        run_filter(_config(missing, tmp_path / "o.jsonl"))
    assert caught.value.exit_code == 2
    assert not missing.parent.exists()


def test_invalid_export_is_not_written(tmp_path: Path) -> None:
    """A conversation failing strict validation aborts the export; the old output survives."""
    rows = session(0, reward=1.0)
    broken = json.dumps(
        {
            "content": None,
            "tool_calls": [{"type": "function", "function": {"name": "x", "arguments": "{"}}],
        }
    )
    rows.messages[-2] = dataclasses.replace(rows.messages[-2], content=broken)
    bad = make_trace_db(tmp_path / "bad.db", [rows])
    out = tmp_path / "o.jsonl"
    out.write_text("previous\n")
    with pytest.raises(DataError, match="failed strict validation"):
        run_filter(_config(bad, out))
    assert out.read_text() == "previous\n"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"db": ""}, "db (database path or URL) is required"),
        ({"output": ""}, "output (JSONL file path) is required"),
        ({"db": "t.db", "output": "o.csv"}, "output must be a .jsonl or .json file, got: o.csv"),
        ({"min_official_score": "abc"}, "min_official_score must be a finite number, got 'abc'"),
        ({"limit": "10"}, "limit must be an integer, got '10'"),
        ({"limit": 0}, "limit must be >= 1"),
        ({"offset": -1}, "offset must be >= 0"),
        ({"shuffle_seed": 1}, "shuffle_seed requires shuffle=true"),
        ({"shuffle": "yes"}, "shuffle must be true or false"),
        (
            {"min_official_score": 2, "max_official_score": 1},
            "min_official_score cannot be greater than max_official_score",
        ),
        ({"min_judge_scores": {"q": "high"}}, "min_judge_scores.q must be a finite number"),
        ({"min_official_score": float("nan")}, "must be a finite number"),
        ({"splits": {"a": 1}}, "splits must be a list of strings"),
        ({"sample_size": 3}, "unknown key 'sample_size'"),
    ],
)
def test_invalid_tables_are_clear_errors(table: dict[str, Any], message: str) -> None:
    """Wrong types, ranges and unknown keys are errors with synth-ai's wording where it has one."""
    full = {"db": "t.db", "output": "o.jsonl", **table}
    with pytest.raises(ConfigError) as caught:
        parse_filter_table(full)
    assert any(message in problem for problem in caught.value.problems), caught.value.problems


def test_all_problems_are_reported_at_once() -> None:
    """Several bad values give several problems in one error."""
    with pytest.raises(ConfigError) as caught:
        parse_filter_table({"limit": 0, "offset": -2, "bogus": 1})
    assert len(caught.value.problems) == 5


def test_config_file_errors(tmp_path: Path, write_config: WriteConfig) -> None:
    """Missing file, broken TOML and a missing [filter] table are one-line errors."""
    with pytest.raises(ConfigError, match="Filter config not found"):
        load_filter_config(tmp_path / "none.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[filter\n")
    with pytest.raises(ConfigError, match="Failed to parse TOML"):
        load_filter_config(broken)
    other = tmp_path / "other.toml"
    other.write_text("[eval]\nx = 1\n")
    with pytest.raises(ConfigError, match=r"Config must contain a \[filter\] table"):
        load_filter_config(other)


def test_created_at_bounds(db: Path, tmp_path: Path) -> None:
    """min/max_created_at accept TOML datetimes and ISO strings with Z."""
    out = tmp_path / "o.jsonl"
    run_filter(
        _config(
            db,
            out,
            min_created_at="2025-01-01T00:00:05Z",
            max_created_at="2025-01-01T00:00:06+00:00",
        )
    )
    assert _seeds(out) == [5, 6]


@pytest.mark.parametrize(
    ("lines", "code", "text"),
    [
        (["min_official_score = 1"], 0, "Wrote 5 examples"),
        (['splits = ["nope"]'], 1, "No sessions matched"),
        (['limit = "ten"'], 2, "limit must be an integer"),
    ],
    ids=["ok", "empty", "bad-value"],
)
def test_cli_exit_codes(
    db: Path, tmp_path: Path, write_config: WriteConfig, lines: list[str], code: int, text: str
) -> None:
    """The command exits 0/1/2 with one clear line and no traceback."""
    config = write_config(f'db = "{db}"', f'output = "{tmp_path / "o.jsonl"}"', *lines)
    result = CliRunner().invoke(filter_command, ["--config", str(config)])
    assert result.exit_code == code
    assert text in result.output
    assert "Traceback" not in result.output


def test_cli_help_teaches() -> None:
    """--help shows an example config and the exit codes."""
    result = CliRunner().invoke(filter_command, ["--help"])
    assert result.exit_code == 0
    assert "[filter]" in result.output
    assert "Exit codes:" in result.output


def test_shipped_filter_config_is_valid() -> None:
    """reference_app/configs/filter.toml passes our loader (shuffle, seed, offset, limit)."""
    repo = Path(__file__).resolve().parents[2]
    config = load_filter_config(repo / "reference_app" / "configs" / "filter.toml")
    assert (config.shuffle, config.shuffle_seed, config.limit) == (True, 7, 1000)
    assert config.min_official_score == 1.0


TOKEN = "SECRETTOKEN123456"


def test_cli_never_prints_the_db_token(tmp_path: Path, write_config: WriteConfig) -> None:
    """A token in [filter].db is shown as *** in the echo and in the error (exit 2)."""
    plain = tmp_path / "plain.db"
    plain.touch()  # an empty SQLite file: no trace tables
    dsn = f"sqlite+aiosqlite:///{plain}?auth_token={TOKEN}"
    config = write_config(f'db = "{dsn}"', f'output = "{tmp_path / "o.jsonl"}"')
    result = CliRunner().invoke(filter_command, ["--config", str(config)])
    shown = f"sqlite+aiosqlite:///{plain}?auth_token=***"
    assert result.exit_code == 2
    assert result.stdout.startswith(f"Config validated: db={shown}, output=")
    assert result.stderr == (
        f"Error: {shown} is not a trace database "
        "(no table session_traces, messages, outcome_rewards)\n"
    )
    assert TOKEN not in result.output


def test_no_traces_message_hides_the_db_token(tmp_path: Path) -> None:
    """'No traces found' names the database with its token replaced by ***."""
    empty = make_trace_db(tmp_path / "e.db", [])
    config = parse_filter_table(
        {"db": f"{empty}?auth_token={TOKEN}", "output": str(tmp_path / "o.jsonl")}
    )
    with pytest.raises(DataError) as caught:
        run_filter(config)
    assert str(caught.value) == f"No traces found in database ({empty}?auth_token=***)."


class _LazyLibsql:
    """A stand-in for the `libsql` module: connects lazily, fails on the first query."""

    def __init__(self) -> None:
        self.tokens: list[str] = []

    def connect(self, url: str, auth_token: str = "") -> _LazyLibsql:
        self.tokens.append(auth_token)
        return self

    def execute(self, sql: str, parameters: Any = ()) -> Any:
        raise ValueError(f"Hrana: `http error: 401 Unauthorized (token {self.tokens[-1]})`")

    def close(self) -> None:
        raise ValueError("not connected")


def test_lazy_libsql_failure_is_one_line_exit_3(
    tmp_path: Path, write_config: WriteConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The libSQL client's first-query ValueError exits 3 with one line and no token."""
    fake = _LazyLibsql()
    monkeypatch.setitem(sys.modules, "libsql", fake)
    monkeypatch.setenv("LIBSQL_AUTH_TOKEN", TOKEN)
    config = write_config('db = "libsql://db.example"', f'output = "{tmp_path / "o.jsonl"}"')
    result = CliRunner().invoke(filter_command, ["--config", str(config)])
    assert result.exit_code == 3
    assert result.stderr == (
        "Error: cannot use the libSQL server at libsql://db.example (ValueError: Hrana: "
        "`http error: 401 Unauthorized (token ***)`); check the URL, that the server is up, "
        "and the auth token\n"
    )
    assert fake.tokens == [TOKEN]
    assert TOKEN not in result.output


def test_filter_reads_the_token_from_the_given_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """run_filter passes `environ` to parse_dsn, so TURSO_AUTH_TOKEN reaches the client (§5.3)."""
    fake = _LazyLibsql()
    monkeypatch.setitem(sys.modules, "libsql", fake)
    config = parse_filter_table({"db": "https://db.example", "output": str(tmp_path / "o.jsonl")})
    with pytest.raises(SftToolError) as caught:
        run_filter(config, environ={"TURSO_AUTH_TOKEN": TOKEN})
    assert caught.value.exit_code == 3
    assert fake.tokens == [TOKEN]


def test_real_libsql_client_unreachable_server_exits_3(
    tmp_path: Path, write_config: WriteConfig
) -> None:
    """With the real client, a refused connection is one line, exit 3 (not a traceback)."""
    pytest.importorskip("libsql", reason="the libsql extra is not installed")
    config = write_config(
        f'db = "libsql://127.0.0.1:9?auth_token={TOKEN}"', f'output = "{tmp_path / "o.jsonl"}"'
    )
    result = CliRunner().invoke(filter_command, ["--config", str(config)])
    assert result.exit_code == 3
    assert result.stderr.startswith(
        "Error: cannot use the libSQL server at libsql://127.0.0.1:9 (ValueError: "
    )
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert TOKEN not in result.output


@pytest.mark.parametrize("value", ["1e20", "-1e20", "inf"], ids=["huge", "negative", "inf"])
def test_out_of_range_timestamp_is_a_config_error(
    tmp_path: Path, write_config: WriteConfig, value: str
) -> None:
    """A Unix timestamp outside years 1-9999 is a config problem (exit 2), not OverflowError."""
    config = write_config('db = "t.db"', 'output = "o.jsonl"', f"min_created_at = {value}")
    result = CliRunner().invoke(filter_command, ["--config", str(config)])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: Invalid filter config:\n  - min_created_at must be an ISO-8601 date-time or a "
        f"Unix timestamp within years 1-9999, got {float(value)!r}\n"
    )


def test_output_that_is_a_directory_is_a_config_error(db: Path, tmp_path: Path) -> None:
    """An existing directory as output exits 2 with one line before the DB is read."""
    out = tmp_path / "dir.jsonl"
    out.mkdir()
    with pytest.raises(ConfigError) as caught:
        run_filter(_config(db, out))
    assert str(caught.value) == (
        f"Invalid filter config: output {out} is a directory; give a .jsonl file path"
    )
    assert caught.value.exit_code == 2


def test_output_under_a_file_is_a_config_error(
    db: Path, tmp_path: Path, write_config: WriteConfig
) -> None:
    """An output whose parent is a file exits 2 with one line, not FileExistsError."""
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "sub" / "o.jsonl"
    config = write_config(f'db = "{db}"', f'output = "{out}"')
    result = CliRunner().invoke(filter_command, ["--config", str(config)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: Invalid filter config: output {out} cannot be created: "
        f"{tmp_path / 'afile'} is a file, not a directory\n"
    )


def test_write_failure_is_a_config_error_and_leaves_no_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OSError while writing the export is one line (exit 2); the .part file is removed."""
    out = tmp_path / "o.jsonl"

    def refuse(src: Any, dst: Any) -> None:
        raise PermissionError(13, "Permission denied", str(dst))

    monkeypatch.setattr("conformance.sft.filter.os.replace", refuse)
    record = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]}
    with pytest.raises(ConfigError) as caught:
        write_validated([record], out)
    assert str(caught.value) == f"cannot write the export to {out}: Permission denied"
    assert list(tmp_path.iterdir()) == []
