"""`taskapp-conformance filter`: curated SFT JSONL from a trace DB (spec §7).

The `[filter]` table is synth-ai's `FilterConfig` (§7.1) plus the CLI's
`min_created_at`/`max_created_at`, with synth-ai's own messages where it has one. What
differs, on purpose (D7-D9):

* `offset`, `shuffle` and `shuffle_seed` work: matches are shuffled (seeded), then
  `offset` are skipped, then at most `limit` are kept;
* a value of the wrong type (`min_official_score = "abc"`) and an unknown key are
  errors, not silently dropped;
* a missing database is an error; the filter never creates one;
* the export is written to a hidden temporary file, validated at the `strict` and
  `compat` levels with `min_messages=2`, and only then renamed onto `output`;
* an empty result says how many sessions each filter excluded.

Each line is `{"messages": [...], "metadata": {...}}`, built by
:mod:`conformance.sft.records` like the reference app's capture: the whole stored
conversation (system, user, assistant with `tool_calls`, tool results) up to the last
assistant turn, not synth-ai's single user/assistant pair. Sessions without messages
fall back to `metadata.prompt`/`metadata.completion` like synth-ai. Official scores are
read from `outcome_rewards.total_reward` (synth-ai's rule). Relative `db` and `output`
paths are resolved against the working directory, as synth-ai does.
"""

from __future__ import annotations

import contextlib
import math
import os
import random
import sqlite3
import sys
import tomllib
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from conformance.exitcodes import ExitCode
from conformance.redaction import redact_url
from conformance.sft.errors import ConfigError, DataError, SftToolError
from conformance.sft.records import (
    MIN_MESSAGES,
    conversation,
    jsonl_line,
    record_metadata,
    sft_record,
)
from conformance.sft.validation import validate_data
from conformance.tracedb import (
    DsnError,
    StoredSession,
    TraceDbError,
    TraceDbMissing,
    TraceDbUnreachable,
    TraceReader,
    connect_for_reading,
    parse_dsn,
)

FILTER_KEYS: tuple[str, ...] = (
    "db",
    "output",
    "splits",
    "task_ids",
    "models",
    "min_official_score",
    "max_official_score",
    "min_judge_scores",
    "max_judge_scores",
    "limit",
    "offset",
    "shuffle",
    "shuffle_seed",
    "min_created_at",
    "max_created_at",
)
"""Keys of the `[filter]` table: synth-ai's `FilterConfig` fields plus the created-at bounds."""


@dataclass(frozen=True)
class FilterConfig:
    """A validated `[filter]` table."""

    db: str
    output: Path
    splits: tuple[str, ...] = ()
    task_ids: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    min_official_score: float | None = None
    max_official_score: float | None = None
    min_judge_scores: Mapping[str, float] = field(default_factory=dict)
    max_judge_scores: Mapping[str, float] = field(default_factory=dict)
    limit: int | None = None
    offset: int | None = None
    shuffle: bool = False
    shuffle_seed: int | None = None
    min_created_at: datetime | None = None
    max_created_at: datetime | None = None

    @property
    def shown_db(self) -> str:
        """`db` as it may be printed: password and token-like query values replaced by `***`."""
        return redact_url(self.db)


@dataclass
class FilterResult:
    """What an export did."""

    output: Path
    written: int
    considered: int
    matched: int
    excluded: Counter[str] = field(default_factory=Counter)


class _Problems(list[str]):
    def wrong(self, key: str, expected: str, value: Any) -> None:
        self.append(f"{key} must be {expected}, got {value!r} (synth-ai would silently drop it)")


def _number(problems: _Problems, key: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        problems.wrong(key, "a finite number", value)
        return None
    return float(value)


def _integer(problems: _Problems, key: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        problems.wrong(key, "an integer", value)
        return None
    return value


def _strings(problems: _Problems, key: str, value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str | int) and not isinstance(value, bool) else value
    if not isinstance(items, list) or not all(
        isinstance(i, str | int) and not isinstance(i, bool) for i in items
    ):
        problems.wrong(key, "a list of strings", value)
        return ()
    return tuple(s for s in (str(i).strip() for i in items) if s)


def _scores(problems: _Problems, key: str, value: Any) -> dict[str, float]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        problems.wrong(key, "a table of judge name = number", value)
        return {}
    scores: dict[str, float] = {}
    for name, score in value.items():
        number = _number(problems, f"{key}.{name}", score)
        if number is not None:
            scores[str(name).strip()] = number
    return scores


def _moment(problems: _Problems, key: str, value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            moment = datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            problems.append(
                f"{key} must be an ISO-8601 date-time or a Unix timestamp within years 1-9999, "
                f"got {value!r}"
            )
            return None
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            problems.wrong(key, "an ISO-8601 date-time", value)
            return None
    else:
        problems.wrong(key, "an ISO-8601 date-time", value)
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _required_text(problems: _Problems, table: Mapping[str, Any], key: str, missing: str) -> str:
    value = table.get(key)
    if value is None or value == "":
        problems.append(missing)
        return ""
    if not isinstance(value, str):
        problems.wrong(key, "a string", value)
        return ""
    return value.strip()


def parse_filter_table(table: Mapping[str, Any]) -> FilterConfig:
    """Validate a `[filter]` table; every problem is reported at once (:class:`ConfigError`)."""
    problems = _Problems()
    unknown = sorted(set(table) - set(FILTER_KEYS))
    for key in unknown:
        problems.append(
            f"unknown key {key!r} (synth-ai would ignore it); allowed: {', '.join(FILTER_KEYS)}"
        )
    db = _required_text(problems, table, "db", "db (database path or URL) is required")
    output = _required_text(problems, table, "output", "output (JSONL file path) is required")
    if output and Path(output).suffix.lower() not in (".jsonl", ".json"):
        problems.append(f"output must be a .jsonl or .json file, got: {output}")
    low = _number(problems, "min_official_score", table.get("min_official_score"))
    high = _number(problems, "max_official_score", table.get("max_official_score"))
    if low is not None and high is not None and low > high:
        problems.append("min_official_score cannot be greater than max_official_score")
    limit = _integer(problems, "limit", table.get("limit"))
    if limit is not None and limit < 1:
        problems.append("limit must be >= 1")
    offset = _integer(problems, "offset", table.get("offset"))
    if offset is not None and offset < 0:
        problems.append("offset must be >= 0")
    shuffle = table.get("shuffle", False)
    if not isinstance(shuffle, bool):
        problems.wrong("shuffle", "true or false", shuffle)
        shuffle = False
    seed = _integer(problems, "shuffle_seed", table.get("shuffle_seed"))
    if seed is not None and not shuffle:
        problems.append("shuffle_seed requires shuffle=true")
    config = FilterConfig(
        db=db,
        output=Path(output).expanduser().absolute() if output else Path(),
        splits=_strings(problems, "splits", table.get("splits")),
        task_ids=_strings(problems, "task_ids", table.get("task_ids")),
        models=_strings(problems, "models", table.get("models")),
        min_official_score=low,
        max_official_score=high,
        min_judge_scores=_scores(problems, "min_judge_scores", table.get("min_judge_scores")),
        max_judge_scores=_scores(problems, "max_judge_scores", table.get("max_judge_scores")),
        limit=limit,
        offset=offset,
        shuffle=shuffle,
        shuffle_seed=seed,
        min_created_at=_moment(problems, "min_created_at", table.get("min_created_at")),
        max_created_at=_moment(problems, "max_created_at", table.get("max_created_at")),
    )
    if problems:
        raise ConfigError("Invalid filter config:", problems)
    return config


def read_toml(path: Path, what: str) -> dict[str, Any]:
    """Parse a TOML file or raise :class:`ConfigError` with one clear line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {what} {path}: {exc}") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"Failed to parse TOML '{path}': {exc}") from None
    except ValueError:  # tomllib's int() of an integer over Python's int_max_str_digits
        raise ConfigError(
            f"Failed to parse TOML '{path}': an integer longer than "
            f"{sys.get_int_max_str_digits():,} digits, which Python (and so synth-ai) "
            "refuses to read; write it as a string"
        ) from None


def load_filter_config(path: Path) -> FilterConfig:
    """Read and validate the `[filter]` table of a TOML file."""
    data = read_toml(path, "Filter config")
    table = data.get("filter")
    if not isinstance(table, dict):
        raise ConfigError(f"Config must contain a [filter] table: {path}")
    return parse_filter_table(table)


# --- export ------------------------------------------------------------------------------


@dataclass
class _Candidate:
    session: StoredSession
    messages: list[dict[str, Any]]
    total_reward: int | None
    achievements: int | None


def _in(values: tuple[str, ...], actual: Any) -> bool:
    return not values or (actual is not None and str(actual) in values)


def _created(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _exclusion(config: FilterConfig, session: StoredSession) -> str | None:
    meta = session.metadata
    if not _in(config.splits, meta.get("task_split")):
        return f"task_split not in {list(config.splits)}"
    if not _in(config.task_ids, meta.get("task_id")):
        return f"task_id not in {list(config.task_ids)}"
    if not _in(config.models, meta.get("model")):
        return f"model not in {list(config.models)}"
    if config.min_created_at or config.max_created_at:
        created = _created(session.created_at)
        if created is None:
            return "created_at unparsable"
        if config.min_created_at and created < config.min_created_at:
            return "created before min_created_at"
        if config.max_created_at and created > config.max_created_at:
            return "created after max_created_at"
    raw_judges = meta.get("judge_scores")
    judges: dict[str, Any] = raw_judges if isinstance(raw_judges, dict) else {}
    for name, bound in config.min_judge_scores.items():
        score = judges.get(name)
        if not isinstance(score, int | float) or score < bound:
            return f"judge score {name!r} below {bound} or missing"
    for name, bound in config.max_judge_scores.items():
        score = judges.get(name)
        if isinstance(score, int | float) and score > bound:
            return f"judge score {name!r} above {bound}"
    return None


def _score_exclusion(config: FilterConfig, total: int | None) -> str | None:
    if total is None:
        return "no outcome_rewards row" if config.min_official_score is not None else None
    if config.min_official_score is not None and total < config.min_official_score:
        return f"total_reward below min_official_score {config.min_official_score:g}"
    if config.max_official_score is not None and total > config.max_official_score:
        return f"total_reward above max_official_score {config.max_official_score:g}"
    return None


def _candidates(
    config: FilterConfig, reader: TraceReader, excluded: Counter[str]
) -> Iterator[_Candidate]:
    for session in reader.sessions():
        reason = _exclusion(config, session)
        outcome = reader.outcome(session.session_id) if reason is None else None
        total = outcome.total_reward if outcome else None
        reason = reason or _score_exclusion(config, total)
        if reason is not None:
            excluded[reason] += 1
            continue
        messages = conversation(reader.messages(session.session_id))
        meta = session.metadata
        if not messages and meta.get("prompt") and meta.get("completion"):
            messages = [
                {"role": "user", "content": str(meta["prompt"])},
                {"role": "assistant", "content": str(meta["completion"])},
            ]
        if len(messages) < MIN_MESSAGES:
            excluded["no conversation ending with an assistant turn"] += 1
            continue
        yield _Candidate(session, messages, total, outcome.achievements_count if outcome else None)


def _record(candidate: _Candidate) -> dict[str, Any]:
    session = candidate.session
    created = _created(session.created_at)
    metadata = record_metadata(
        session.session_id,
        session.metadata,
        total_reward=candidate.total_reward,
        achievements_count=candidate.achievements,
        created_at=created.isoformat() if created else session.created_at,
    )
    return sft_record(candidate.messages, metadata)


def select(config: FilterConfig, matched: list[_Candidate]) -> list[_Candidate]:
    """Apply shuffle (seeded), then offset, then limit."""
    chosen = list(matched)
    if config.shuffle:
        random.Random(config.shuffle_seed).shuffle(chosen)
    start = config.offset or 0
    stop = None if config.limit is None else start + config.limit
    return chosen[start:stop]


def _empty_reason(considered: int, excluded: Counter[str], config: FilterConfig) -> str:
    parts = [f"{n} {reason}" for reason, n in excluded.most_common()]
    detail = f"{considered} sessions considered"
    if parts:
        detail += "; excluded: " + "; ".join(parts)
    if config.offset:
        detail += f"; offset {config.offset} skipped the rest"
    return (
        f"No sessions matched the provided filters ({detail}). "
        "Adjust the filter thresholds or choose a different dataset."
    )


def _open(config: FilterConfig, environ: Mapping[str, str]) -> Any:
    try:
        return connect_for_reading(parse_dsn(config.db, source="[filter].db", environ=environ))
    except DsnError as exc:
        raise ConfigError(f"Invalid filter config: db: {exc}") from None
    except TraceDbMissing as exc:
        raise ConfigError(f"{exc} (filter never creates a database; check [filter].db)") from None
    except TraceDbUnreachable as exc:
        raise SftToolError(str(exc), exit_code=ExitCode.UNREACHABLE) from None
    except TraceDbError as exc:
        raise ConfigError(str(exc)) from None


def check_output(output: Path) -> None:
    """Raise :class:`ConfigError` when `output` cannot be a file: it is a directory, or an
    ancestor is a file (checked before the database is read; writing checks again)."""
    if output.is_dir():
        raise ConfigError(
            f"Invalid filter config: output {output} is a directory; give a .jsonl file path"
        )
    for parent in output.parents:
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(
                    f"Invalid filter config: output {output} cannot be created: "
                    f"{parent} is a file, not a directory"
                )
            return


def _write_error(output: Path, exc: OSError) -> ConfigError:
    reason = exc.strerror or type(exc).__name__
    where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(output) else ""
    return ConfigError(f"cannot write the export to {output}: {reason}{where}")


def write_validated(records: list[dict[str, Any]], output: Path) -> None:
    """Write JSONL next to `output`, validate it (strict + compat), then rename it into place."""
    check_output(output)
    partial = output.with_name(f".{output.name}.{os.getpid()}.part")
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with partial.open("w", encoding="utf-8", newline="\n") as handle:
            handle.writelines(jsonl_line(record) for record in records)
        for level in ("compat", "strict"):
            verdict = validate_data(partial, level=level)
            if not verdict.ok:
                shown = "\n".join(f"  - {e}" for e in verdict.errors[:10])
                raise DataError(
                    f"the export failed {level} validation ({verdict.error_count} errors); "
                    f"nothing was written to {output}:\n{shown}"
                )
        os.replace(partial, output)
    except OSError as exc:
        raise _write_error(output, exc) from None
    finally:
        with contextlib.suppress(OSError):  # e.g. the parent is a file: no partial exists
            partial.unlink(missing_ok=True)


def run_filter(config: FilterConfig, *, environ: Mapping[str, str] | None = None) -> FilterResult:
    """Export the sessions `config` selects; raises :class:`SftToolError` subclasses.

    `environ` (default: the process environment) supplies `LIBSQL_AUTH_TOKEN` /
    `TURSO_AUTH_TOKEN` for a remote `db` without an `auth_token` (spec §5.3).
    """
    check_output(config.output)
    conn = _open(config, os.environ if environ is None else environ)
    db = config.shown_db
    try:
        reader = TraceReader(conn)
        missing = reader.missing_tables()
        if missing:
            raise ConfigError(f"{db} is not a trace database (no table {', '.join(missing)})")
        considered = reader.session_count()
        if considered == 0:
            raise DataError(f"No traces found in database ({db}).")
        excluded: Counter[str] = Counter()
        matched = list(_candidates(config, reader, excluded))
    except TraceDbUnreachable as exc:  # a remote libSQL query failed (lazy connection)
        raise SftToolError(str(exc), exit_code=ExitCode.UNREACHABLE) from None
    except TraceDbError as exc:
        raise ConfigError(str(exc)) from None
    except sqlite3.DatabaseError as exc:
        raise ConfigError(f"{db} is not a readable trace database: {exc}") from None
    finally:
        conn.close()
    chosen = select(config, matched)
    if not chosen:
        raise DataError(_empty_reason(considered, excluded, config))
    write_validated([_record(c) for c in chosen], config.output)
    return FilterResult(config.output, len(chosen), considered, len(matched), excluded)
