"""The migration report as Markdown, and its way into the run and onto disk."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from conformance.context import CheckContext
from conformance.contract.migration import Change, Migration, Scope, is_older, migration
from conformance.contract.profiles import PROFILES
from conformance.contract.spec import SPEC_DOCUMENT
from conformance.migration.answers import Answers, observe
from conformance.migration.evidence import EVIDENCE


def migration_report(ctx: CheckContext, new: str) -> str:
    """The Markdown report for the app behind `ctx`, judged as `ctx`'s profile, to `new`."""
    old, target = ctx.profile_choice.profile, ctx.target.label
    if not is_older(old, new):
        return ctx.redactor.text(nothing_to_migrate(target, old, new))
    answers = observe(ctx, new)
    shown = render(migration(old, new), answers, target=target, why=ctx.profile_choice.evidence)
    return ctx.redactor.text(shown)


def nothing_to_migrate(target: str, old: str, new: str) -> str:
    """The one-line answer for a target already on `new` or a newer generation."""
    return f"Nothing to migrate: {target} is judged as {old}, which is not older than {new}.\n"


class MigrationCollector:
    """Reads the report inside a run (`run_checks(after=...)`), for the caller to write."""

    def __init__(self, new: str) -> None:
        self.new = new
        self.markdown: str | None = None
        """None until the run has finished (it stays None after an interrupted run)."""

    def __call__(self, ctx: CheckContext) -> None:
        self.markdown = migration_report(ctx, self.new)


def write_migration_report(markdown: str, path: Path) -> None:
    """Write the report whole or not at all; `ReportWriteError` names the path."""
    from conformance.reports import ReportWriteError, atomic_write_text

    try:
        atomic_write_text(path, markdown)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ReportWriteError(f"cannot write the migration report to {path}: {reason}") from exc


def render(m: Migration, answers: Answers, *, target: str, why: Sequence[str] = ()) -> str:
    """The report: the changes this app needs, with what it answered, then the rest."""
    old, new = PROFILES[m.old], PROFILES[m.new]
    rules = f"{SPEC_DOCUMENT}#{new.chapter}"
    shown = [(c, EVIDENCE[c.id](answers) if c.id in EVIDENCE else None) for c in m.changes]
    rows = [(c, seen) for c, seen in shown if _listed(c, seen)]
    unseen = [c for c, seen in shown if c.scope is Scope.IF_USED and not seen]
    optional = [c for c in m.changes if c.scope is Scope.OPTIONAL]
    judged = f": {'; '.join(why)}" if why else ""
    lines = [
        f"# Migrating from {m.old} to {m.new}",
        "",
        f"Target: {target}, judged as **{m.old}** ({old.releases}){judged}.",
        f"Goal: **{m.new}** ({new.releases}); its rules: [{rules}]({rules}); the facts behind "
        f"this list: [{m.source}]({m.source}).",
        "",
        f"| Kind | {m.old} | {m.new} | Your app | Note |",
        "|---|---|---|---|---|",
        *(_row(c, seen) for c, seen in rows),
        *_section(
            "Also changed, for an app that uses it (your app's answers did not show it)",
            [f"{c.kind}: {c.old} -> {c.new}" for c in unseen],
        ),
        *_section(f"New in {m.new}, optional", [f"{c.new}. {c.note}" for c in optional]),
        "",
        m.unchanged,
        "",
        f"When the app is migrated, `taskapp-conformance check <URL> --profile {m.new}` judges "
        "it by the new rules.",
    ]
    return "\n".join(lines) + "\n"


def _listed(change: Change, seen: str | None) -> bool:
    """Every app makes an EVERY_APP change; an IF_USED one only when its answers show it."""
    return change.scope is Scope.EVERY_APP or (change.scope is Scope.IF_USED and bool(seen))


def _row(change: Change, seen: str | None) -> str:
    cells = (change.kind, change.old, change.new, seen or "-", change.note)
    return "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"


def _section(title: str, items: list[str]) -> list[str]:
    return ["", f"## {title}", "", *(f"- {item}" for item in items)] if items else []
