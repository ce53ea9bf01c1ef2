"""The trace DB schema (spec §5.5): load the DDL, create it, compare a database against it.

`schema.sql` is an exact copy of `shared/spec/trace_db_schema.sql`, a `.schema` dump of a
real synth-ai 0.2.19 trace DB. synth-ai's filter and eval re-run that DDL on open, so a
database written by anyone else must have exactly these tables, columns, indexes and
views. :func:`ensure_schema` creates them with `IF NOT EXISTS` (SQLite drops that clause
from the stored text, so `sqlite_master` then holds the dump's statements verbatim). The
`libsql` client sends a remote server its own rendering of each statement instead
(`COUNT (*) AS n` for `COUNT(*) as n`), so comparisons ignore layout and the case of
keywords and names, which SQLite ignores too.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Protocol

SCHEMA_RESOURCE = "schema.sql"
INTERNAL_TABLES = frozenset({"sqlite_sequence"})
"""Tables SQLite creates itself (for AUTOINCREMENT); they cannot be created by DDL."""

REQUIRED_TABLES = ("session_traces", "messages", "outcome_rewards")
"""The tables `filter` reads; a database without them is not a trace DB."""

_COMMENT = re.compile(r"/\*.*?\*/|--[^\n]*", re.DOTALL)
_SPACES = re.compile(r"\s+")
_PUNCT_SPACE = re.compile(r"\s*([(),;])\s*")
_LITERAL = re.compile(r"('(?:[^']|'')*')")
"""A single-quoted SQL string literal (`''` escapes a quote); its case is significant."""
_CREATE = re.compile(
    r"^CREATE\s+(?P<unique>UNIQUE\s+)?(?P<type>TABLE|INDEX|VIEW|TRIGGER)\s+"
    r"(?:IF\s+NOT\s+EXISTS\s+)?(?P<name>\"[^\"]+\"|\S+?)(?=\s|\()",
    re.IGNORECASE,
)


class Executes(Protocol):
    """The part of a DB-API connection we use (sqlite3 and libsql both fit)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...


@dataclass(frozen=True, slots=True)
class DdlStatement:
    """One `CREATE` statement of the schema."""

    type: str
    name: str
    sql: str

    @property
    def normalised(self) -> str:
        """Whitespace-, comment- and `IF NOT EXISTS`-insensitive form used for comparison."""
        return normalise_statement(self.sql)


def normalise_statement(sql: str) -> str:
    """Canonical text of one DDL statement: no comments, single spaces, no `IF NOT EXISTS`.

    Keywords and names are lower-cased (SQLite ignores their case); string literals keep
    theirs, so `CHECK (x IN ('user'))` still differs from `CHECK (x IN ('User'))`.
    """
    text = _COMMENT.sub(" ", sql)
    text = _SPACES.sub(" ", text).strip().rstrip(";").strip()
    text = re.sub(r"\bIF NOT EXISTS\s+", "", text, flags=re.IGNORECASE)
    text = _PUNCT_SPACE.sub(r"\1", text)
    pieces = _LITERAL.split(text)  # odd indexes are the literals
    return "".join(p if i % 2 else p.lower() for i, p in enumerate(pieces))


def split_statements(script: str) -> list[str]:
    """Split an SQL script into complete statements (comments removed)."""
    statements: list[str] = []
    buffer = ""
    for line in _COMMENT.sub("", script).splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            if statement.rstrip(";").strip():
                statements.append(statement)
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def parse_ddl(script: str) -> list[DdlStatement]:
    """The `CREATE` statements of `script`, without SQLite's internal tables."""
    parsed: list[DdlStatement] = []
    for statement in split_statements(script):
        match = _CREATE.match(statement)
        if match is None:
            raise ValueError(f"not a CREATE statement: {statement[:60]!r}")
        name = match.group("name").strip('"')
        if name in INTERNAL_TABLES:
            continue
        parsed.append(DdlStatement(match.group("type").lower(), name, statement))
    return parsed


@cache
def schema_sql() -> str:
    """The shipped DDL, byte for byte as in the spec."""
    return resources.files(__package__).joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")


@cache
def schema_statements() -> tuple[DdlStatement, ...]:
    """The shipped DDL as statements, in creation order (tables, indexes, views)."""
    return tuple(parse_ddl(schema_sql()))


def _if_not_exists(statement: DdlStatement) -> str:
    return _CREATE.sub(
        lambda m: (
            f"CREATE {m.group('unique') or ''}{m.group('type')} IF NOT EXISTS {m.group('name')}"
        ),
        statement.sql.rstrip().rstrip(";"),
        count=1,
    )


def creation_script() -> str:
    """The DDL as one idempotent script (`CREATE ... IF NOT EXISTS`)."""
    return ";\n".join(_if_not_exists(s) for s in schema_statements()) + ";\n"


def ensure_schema(conn: Executes) -> None:
    """Create every missing table, index and view; existing objects are left as they are.

    Runs one statement at a time, so it works on sqlite3 and libsql connections alike.
    """
    for statement in schema_statements():
        conn.execute(_if_not_exists(statement))


def schema_of(conn: Executes) -> list[DdlStatement]:
    """The statements stored in `sqlite_master` of a live database."""
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
    ).fetchall()
    return [
        DdlStatement(str(kind), str(name), str(sql))
        for kind, name, sql in rows
        if name not in INTERNAL_TABLES and not str(name).startswith("sqlite_autoindex")
    ]


def schema_differences(
    actual: list[DdlStatement], expected: list[DdlStatement] | None = None
) -> list[str]:
    """Human-readable differences between two schemas (empty when they are equal).

    Statements are compared by (type, name) after :func:`normalise_statement`.
    """
    wanted = {(s.type, s.name): s.normalised for s in (expected or schema_statements())}
    found = {(s.type, s.name): s.normalised for s in actual}
    problems: list[str] = []
    for key in sorted(wanted.keys() - found.keys()):
        problems.append(f"missing {key[0]} {key[1]}")
    for key in sorted(found.keys() - wanted.keys()):
        problems.append(f"unexpected {key[0]} {key[1]}")
    for key in sorted(wanted.keys() & found.keys()):
        if wanted[key] != found[key]:
            problems.append(
                f"{key[0]} {key[1]} differs: expected {wanted[key]!r}, got {found[key]!r}"
            )
    return problems


def missing_tables(conn: Executes) -> list[str]:
    """Which of :data:`REQUIRED_TABLES` the database lacks."""
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    present = {str(row[0]) for row in rows}
    return [name for name in REQUIRED_TABLES if name not in present]
