"""The bridge to the SFT JSONL validator (`conformance.jsonl`), used before any hand-off."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from conformance.jsonl import validate_file
from conformance.sft.records import MIN_MESSAGES

Level = Literal["strict", "compat"]


@dataclass(frozen=True)
class DataVerdict:
    """The validator's answer for one file at one level."""

    path: Path
    level: Level
    error_count: int
    records: int
    errors: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the file has no error at this level."""
        return self.error_count == 0


def validate_data(path: Path, *, level: Level = "strict", max_errors: int = 20) -> DataVerdict:
    """Validate an SFT JSONL file with `min_messages` = :data:`MIN_MESSAGES` at `level`."""
    report = validate_file(path, level=level, min_messages=MIN_MESSAGES, max_errors=max_errors)
    return DataVerdict(
        path=path,
        level=level,
        error_count=report.error_count,
        records=report.records_checked,
        errors=tuple(str(error) for error in report.errors),
    )
