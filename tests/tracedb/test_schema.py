"""The trace DB schema equals the spec's DDL (spec §5.5), and the comparison catches drift."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conformance.tracedb import (
    ensure_schema,
    normalise_statement,
    parse_ddl,
    schema_differences,
    schema_of,
    schema_sql,
    schema_statements,
)

SHARED_DDL = Path(__file__).resolve().parents[3] / "shared" / "spec" / "trace_db_schema.sql"


def _fresh() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    ensure_schema(conn)
    return conn


def test_shipped_ddl_is_a_byte_copy_of_the_spec() -> None:
    """conformance/tracedb/schema.sql is identical to ../shared/spec/trace_db_schema.sql."""
    if not SHARED_DDL.is_file():
        pytest.skip("../shared/spec is not checked out beside the repo")
    assert schema_sql() == SHARED_DDL.read_text(encoding="utf-8")


def test_created_schema_equals_spec_ddl_normalised() -> None:
    """A DB made by ensure_schema has exactly the spec's tables, indexes and views."""
    source = SHARED_DDL.read_text(encoding="utf-8") if SHARED_DDL.is_file() else schema_sql()
    with _fresh() as conn:
        assert schema_differences(schema_of(conn), parse_ddl(source)) == []


def test_schema_counts_match_the_dump() -> None:
    """The dump holds 10 tables (sqlite_sequence excluded), 27 indexes and 3 views."""
    kinds = [s.type for s in schema_statements()]
    assert (kinds.count("table"), kinds.count("index"), kinds.count("view")) == (10, 27, 3)


def test_ensure_schema_is_idempotent() -> None:
    """Running the DDL twice changes nothing (synth-ai re-runs it on every open)."""
    with _fresh() as conn:
        before = schema_of(conn)
        ensure_schema(conn)
        assert schema_of(conn) == before


def test_message_type_check_constraint_is_enforced() -> None:
    """Only the five standard message types can be stored."""
    with _fresh() as conn:
        conn.execute(
            "INSERT INTO session_traces VALUES ('s', '2025-01-01T00:00:00+00:00', 0, 0, 0, '{}', "
            "NULL, NULL)"
        )
        with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
            conn.execute(
                "INSERT INTO messages (session_id, message_type, content) "
                "VALUES ('s', 'policy_user_prompt', 'x')"
            )


def test_differences_name_a_missing_index_and_a_changed_column() -> None:
    """Drift is reported by object: missing index, differing table."""
    with sqlite3.connect(":memory:") as conn:
        ensure_schema(conn)
        conn.execute("DROP INDEX idx_outcome_rewards_total")
        conn.execute("DROP VIEW session_summary")
        conn.execute("DROP TABLE session_traces")
        conn.execute("CREATE TABLE session_traces (session_id VARCHAR PRIMARY KEY)")
        problems = schema_differences(schema_of(conn))
    assert "missing index idx_outcome_rewards_total" in problems
    assert "missing view session_summary" in problems
    assert any(p.startswith("table session_traces differs") for p in problems)


def test_normalisation_ignores_whitespace_comments_and_if_not_exists() -> None:
    """Layout, comments and IF NOT EXISTS do not count as differences."""
    a = "CREATE TABLE IF NOT EXISTS t (\n  a INTEGER ,\n  b TEXT\n) /* note */;"
    b = "CREATE TABLE t (a INTEGER, b TEXT)"
    assert normalise_statement(a) == normalise_statement(b)


def test_normalisation_ignores_keyword_case_but_not_literal_case() -> None:
    """The libsql client's rendering (`COUNT (*) AS n`) equals the dump's; literals still count."""
    dump = "CREATE VIEW v AS SELECT COUNT(*) as n FROM t WHERE k = 'cais'"
    rendered = "CREATE VIEW v AS SELECT count (*) AS n FROM t WHERE k = 'cais'"
    assert normalise_statement(dump) == normalise_statement(rendered)
    assert normalise_statement(dump) != normalise_statement(dump.replace("'cais'", "'CAIS'"))
