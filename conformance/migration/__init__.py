"""`check --migration-report PROFILE`: what one app must change to speak a newer generation.

The changes are data (`conformance.contract.migration`). After the run, while the target is
still open, the report asks the app a few questions (`answers`), keeps the changes its
answers show it needs, each with what it said (`evidence`), and renders them as Markdown,
redacted by the run's redactor before anyone sees it (`report`).
"""

from __future__ import annotations

from conformance.migration.answers import Answers, Reply, observe
from conformance.migration.evidence import EVIDENCE
from conformance.migration.report import (
    MigrationCollector,
    migration_report,
    nothing_to_migrate,
    render,
    write_migration_report,
)

__all__ = [
    "EVIDENCE",
    "Answers",
    "MigrationCollector",
    "Reply",
    "migration_report",
    "nothing_to_migrate",
    "observe",
    "render",
    "write_migration_report",
]
