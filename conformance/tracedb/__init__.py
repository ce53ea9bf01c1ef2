"""The synth-ai v3 trace database: schema, location, connections, reading and writing (spec §5).

The names below are the package's public API: the reference app and `filter` import
them from here, never from the modules behind it.
"""

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
from conformance.tracedb.reader import (
    OutcomeReward,
    StoredMessage,
    StoredSession,
    TraceReader,
    chat_messages,
)
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
from conformance.tracedb.writer import (
    MESSAGE_TYPES,
    MessageRow,
    SessionRows,
    StepRow,
    TraceWriter,
    message_content,
    message_row,
    message_type,
    utc_iso,
    write_session,
)

__all__ = [
    "DEFAULT_TRACE_DB",
    "DSN_VARIABLES",
    "MESSAGE_TYPES",
    "DdlStatement",
    "DsnError",
    "MessageRow",
    "OutcomeReward",
    "SessionRows",
    "StepRow",
    "StoredMessage",
    "StoredSession",
    "TraceDbError",
    "TraceDbMissing",
    "TraceDbTarget",
    "TraceDbUnreachable",
    "TraceReader",
    "TraceWriter",
    "chat_messages",
    "connect_for_reading",
    "connect_for_writing",
    "creation_script",
    "ensure_schema",
    "message_content",
    "message_row",
    "message_type",
    "normalise_statement",
    "parse_ddl",
    "parse_dsn",
    "resolve_trace_db",
    "schema_differences",
    "schema_of",
    "schema_sql",
    "schema_statements",
    "utc_iso",
    "write_session",
]
