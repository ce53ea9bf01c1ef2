"""What every report format shares: the failure block, totals and the verdict."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from conformance.contract.spec import is_link
from conformance.exitcodes import ExitCode
from conformance.outcomes import Outcome, SkipKind
from conformance.runner import CheckResult, RunReport, Verdict

TOOL_NAME = "taskapp-conformance"


def spec_href(spec: str) -> str | None:
    """`spec` (a `Spec:` value, `docs/contract.md#auth-key-header`) when it is a link a
    report may render as one, else None: plain text, it is then shown as text.
    """
    return spec if is_link(spec) else None


def failure_block(result: CheckResult) -> str:
    """The failure block of STYLE.md for a FAIL or WARN result (no trailing newline).

    The first line is `{id} {name}: {summary}`; each field follows on its own line, labels
    aligned, continuation lines of multi-line values indented under the value. The layout is
    `FailureDetail.render`, so the console, JUnit and the pytest plugin show the same block.
    """
    check = result.check
    if result.detail is None:
        return f"{check.id} {check.name}: {' '.join((result.reason or check.title).splitlines())}"
    return result.detail.render(f"{check.id} {check.name}")


@dataclass(frozen=True)
class Totals:
    """How many checks ended in each outcome; baselined failures are counted apart."""

    passed: int
    failed: int
    warned: int
    skipped: int
    errors: int
    baselined: int

    @property
    def total(self) -> int:
        return self.passed + self.failed + self.warned + self.skipped + self.errors + self.baselined

    def by_outcome(self) -> dict[str, int]:
        """`{"pass": n, "fail": n, "warn": n, "skip": n, "error": n, "baselined": n}`."""
        return {
            Outcome.PASS.value: self.passed,
            Outcome.FAIL.value: self.failed,
            Outcome.WARN.value: self.warned,
            Outcome.SKIP.value: self.skipped,
            Outcome.ERROR.value: self.errors,
            "baselined": self.baselined,
        }


def totals(report: RunReport) -> Totals:
    """Count the results of `report` (a baselined FAIL is not a failure)."""
    return Totals(
        passed=report.count(Outcome.PASS),
        failed=report.count(Outcome.FAIL),
        warned=report.count(Outcome.WARN),
        skipped=report.count(Outcome.SKIP),
        errors=report.count(Outcome.ERROR),
        baselined=sum(1 for r in report.results if r.baselined),
    )


def headline(report: RunReport) -> str:
    """`PASS`, `FAIL` or `INCOMPLETE`: the one word a CI log line or page title leads with."""
    return _HEADLINES[report.verdict]


_HEADLINES = {
    Verdict.CONFORMS: "PASS",
    Verdict.NOT_CONFORMING: "FAIL",
    Verdict.INCOMPLETE: "INCOMPLETE",
}


def plural(n: int, one: str, many: str) -> str:
    """`1 request`, `2 requests`."""
    return f"{n} {one if n == 1 else many}"


def totals_line(report: RunReport) -> str:
    """`FAIL: 2 failed, 30 passed, 1 warned, 3 skipped, 0 errors in 2.31s (148 requests)`."""
    c = totals(report)
    parts = [
        f"{c.failed} failed",
        f"{c.passed} passed",
        f"{c.warned} warned",
        f"{c.skipped} skipped",
        plural(c.errors, "error", "errors"),
    ]
    if c.baselined:
        parts.append(f"{c.baselined} baselined")
    requests = plural(report.requests_sent, "request", "requests")
    return f"{headline(report)}: {', '.join(parts)} in {report.duration_s:.2f}s ({requests})"


def verdict(report: RunReport) -> str:
    """One sentence: does the target conform, why not, and the exit code that says so.

    Checks accepted unproven (--accept-unproven) and opt-in checks not selected are named
    here, so nothing is left out of the verdict silently.
    """
    c = totals(report)
    code = int(report.exit_code())
    notes = []
    if report.verdict is Verdict.NOT_CONFORMING:
        why = plural(c.failed, "required check failed", "required checks failed")
        sentence = f"Verdict: the target does NOT conform ({why})"
    elif report.interrupted:
        sentence = "Verdict: incomplete, the run was interrupted (Ctrl-C) before it finished"
    elif report.verdict is Verdict.INCOMPLETE:
        n = len(report.unproven)
        why = plural(n, "required check", "required checks")
        sentence = (
            f"Verdict: incomplete, {why} did not run or could not prove "
            f"{'its' if n == 1 else 'their'} claim "
            f"({id_list(report.unproven)}; see the reasons above)"
        )
    else:
        sentence = "Verdict: the target conforms"
        if c.warned:
            notes.append(plural(c.warned, "warning", "warnings"))
        if c.baselined:
            notes.append(plural(c.baselined, "baselined failure", "baselined failures"))
    if report.accepted_unproven:
        notes.append(f"accepted unproven: {id_list(report.accepted_unproven)}")
    if report.not_selected:
        notes.append(f"not selected: {id_list(report.not_selected)}")
    extra = f" with {'; '.join(notes)}" if notes else ""
    return f"{sentence}{extra}; exit code {ExitCode.INTERRUPTED if report.interrupted else code}."


def id_list(results: Iterable[CheckResult]) -> str:
    """`CID-4, CID-5`: the IDs of `results`, in catalogue order."""
    return ", ".join(r.check.id for r in results)


def skip_label(result: CheckResult) -> str:
    """How a SKIP counts for the verdict: `unproven`, `not applicable` or `not selected`."""
    return (result.skip_kind or SkipKind.UNPROVEN).value.replace("_", " ")


def results_in(
    report: RunReport, outcome: Outcome, *, baselined: bool = False
) -> list[CheckResult]:
    """The results that ended in `outcome` (FAIL: only baselined ones when `baselined`)."""
    return [r for r in report.results if r.outcome is outcome and r.baselined is baselined]
