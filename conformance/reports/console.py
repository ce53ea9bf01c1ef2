"""Console output: one live line per finished check, then failure blocks, totals and the verdict.

Works the same on a terminal and in a CI log: without a TTY (or with `no_color=True` or the
`NO_COLOR` environment variable) rich emits plain text, and the failure blocks are never
wrapped, so they read exactly as STYLE.md shows them whatever the width.
"""

from __future__ import annotations

import threading
from typing import TextIO

from rich.console import Console
from rich.text import Text

from conformance.detect import ProfileChoice
from conformance.outcomes import Outcome
from conformance.reports._common import (
    failure_block,
    headline,
    results_in,
    skip_label,
    totals,
    totals_line,
    verdict,
)
from conformance.reports.latency import text_lines as latency_lines
from conformance.runner import CheckResult, RunReport

OUTCOME_STYLES: dict[Outcome, str] = {
    Outcome.PASS: "green",
    Outcome.FAIL: "bold red",
    Outcome.WARN: "yellow",
    Outcome.SKIP: "cyan",
    Outcome.ERROR: "bold magenta",
}
_SECTION_STYLES = {**OUTCOME_STYLES, Outcome.SKIP: "bold cyan", Outcome.WARN: "bold yellow"}
_HEADLINE_STYLES = {"PASS": "bold green", "FAIL": "bold red", "INCOMPLETE": "bold magenta"}


class ConsoleReporter:
    """Prints progress while checks finish and a summary when the run ends.

    An instance is a `conformance.runner.ProgressCallback`: pass it (or its `on_result`) as
    `run_checks(..., progress=reporter)`. `console` wins over `file`, `no_color`, `width` and
    `force_terminal` (`True` for `--color=always`, `False` for plain text even on a TTY).
    """

    def __init__(
        self,
        console: Console | None = None,
        *,
        file: TextIO | None = None,
        no_color: bool = False,
        width: int | None = None,
        force_terminal: bool | None = None,
    ) -> None:
        self.console = console or Console(
            file=file,
            no_color=no_color or None,
            width=width,
            force_terminal=force_terminal,
            highlight=False,
            emoji=False,
        )
        self._lock = threading.Lock()
        self._hidden = 0
        """Rules of other generations seen so far: counted out of the progress numbers."""

    def profile(self, choice: ProfileChoice) -> None:
        """Say which generation the run judges and why, before the first result."""
        self._print(Text(f"Profile: {choice.profile} ({'; '.join(choice.evidence)})"))
        if choice.warning:
            self._print(Text(f"Warning: {choice.warning}", style="yellow"))

    def __call__(self, result: CheckResult, done: int, total: int) -> None:
        self.on_result(result, done, total)

    def on_result(self, result: CheckResult, done: int, total: int) -> None:
        """Print `[ 3/36] PASS  AUTH-1    <title>  0.12s` for a check that just finished
        (a rule of another generation is only counted: the summary names them in one line).
        """
        with self._lock:
            if result.other_generation:
                self._hidden += 1
                return
            done, total = done - self._hidden, total - self._hidden
        digits = len(str(total))
        line = Text(f"[{done:>{digits}}/{total}] ", style="dim")
        line.append_text(_badge(result))
        line.append(f"  {result.check.id:<8} ", style="bold")
        line.append(result.check.title)
        if result.baselined:
            line.append("  (baselined)", style="yellow")
        line.append(f"  {result.duration_s:.2f}s", style="dim")
        with self._lock:
            self._print(line, fit=True)

    def summary(self, report: RunReport) -> None:
        """Print failures, baselined failures, skips, warnings, errors, totals and the verdict."""
        sections = [
            ("Failures", "", Outcome.FAIL, False),
            ("Baselined failures", ": known, not failing the run", Outcome.FAIL, True),
            ("Skipped", "", Outcome.SKIP, False),
            ("Warnings", ": SHOULD requirements, not failing the run", Outcome.WARN, False),
            ("Errors", ": the harness broke, not the target", Outcome.ERROR, False),
        ]
        with self._lock:
            for title, note, outcome, baselined in sections:
                results = results_in(report, outcome, baselined=baselined)
                elsewhere = [r for r in results if r.other_generation]
                results = [r for r in results if not r.other_generation]
                if elsewhere:
                    self._print(Text(""))
                    ids = ", ".join(r.check.id for r in elsewhere)
                    line = f"Not applicable to {report.contract.profile} ({len(elsewhere)}), "
                    self._print(Text(f"{line}rules of other generations: {ids}", style="dim"))
                if not results:
                    continue
                self._print(Text(""))
                heading = f"{title} ({len(results)}){note}"
                self._print(Text(heading, style=_SECTION_STYLES[outcome]))
                for result in results:
                    if result.detail is not None:
                        self._print(Text(""))
                        self._print(Text(failure_block(result)))
                    else:
                        self._print(Text(_reason_line(result)))
            if report.latency_tables:
                self._print(Text(""))
                for line in latency_lines(report.latency_tables):
                    self._print(Text(line, style="" if line.startswith(" ") else "bold"))
            if report.stale_baseline:
                self._print(Text(""))
                stale = ", ".join(report.stale_baseline)
                note = f"Stale baseline entries (these checks no longer fail; remove them): {stale}"
                self._print(Text(note, style="yellow"))
            self._print(Text(""))
            self._print(Text(totals_line(report), style=_HEADLINE_STYLES[headline(report)]))
            self._print(Text(verdict(report), style="bold"))
            if totals(report).total == 0:
                self._print(Text("No checks ran: the selection was empty.", style="yellow"))

    def _print(self, text: Text, *, fit: bool = False) -> None:
        if fit and self.console.is_terminal:
            text.truncate(self.console.width, overflow="ellipsis")
        self.console.print(text, soft_wrap=True, highlight=False)


def _badge(result: CheckResult) -> Text:
    style = "dim red" if result.baselined else OUTCOME_STYLES[result.outcome]
    return Text(f"{result.outcome.upper():<5}", style=style)


def _reason_line(result: CheckResult) -> str:
    reason = (result.reason or "no reason given").replace("\n", "\n    ")
    label = f"[{skip_label(result)}] " if result.outcome is Outcome.SKIP else ""
    return f"{result.check.id} {result.check.name}: {label}{reason}"
