"""The synth-ai v3 trace database: schema, location, connections and reading (spec §5)."""

from __future__ import annotations

from conformance.tracedb.connection import (
    TraceDbError,
    TraceDbMissing,
    TraceDbUnreachable,
    connect_for_reading,
    connect_for_writing,
)
from conformance.tracedb.dsn import (
    DEFAULT_TRACE_DB,
    DSN_VARIABLES,
    DsnError,
    TraceDbTarget,
    parse_dsn,
    resolve_trace_db,
)
from conformance.tracedb.reader import OutcomeReward, StoredMessage, StoredSession, TraceReader
from conformance.tracedb.schema import (
    DdlStatement,
    creation_script,
    ensure_schema,
    normalise_statement,
    parse_ddl,
    schema_differences,
    schema_of,
    schema_sql,
    schema_statements,
)

__all__ = [
    "DEFAULT_TRACE_DB",
    "DSN_VARIABLES",
    "DdlStatement",
    "DsnError",
    "OutcomeReward",
    "StoredMessage",
    "StoredSession",
    "TraceDbError",
    "TraceDbMissing",
    "TraceDbTarget",
    "TraceDbUnreachable",
    "TraceReader",
    "connect_for_reading",
    "connect_for_writing",
    "creation_script",
    "ensure_schema",
    "normalise_statement",
    "parse_ddl",
    "parse_dsn",
    "resolve_trace_db",
    "schema_differences",
    "schema_of",
    "schema_sql",
    "schema_statements",
]
