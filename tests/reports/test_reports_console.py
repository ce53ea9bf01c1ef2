"""Console output: progress lines, the pinned failure block, totals and verdict."""

from __future__ import annotations

import io
import re

import pytest
from rich.console import Console

from conformance.outcomes import FailureDetail, Outcome
from conformance.reports import ConsoleReporter, failure_block, totals_line, verdict
from conformance.runner import CheckResult, RunReport
from tests.reports.reports_factory import AUTH1_BLOCK, make_report, make_spec

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _plain(report: RunReport, *, width: int = 80) -> str:
    buffer = io.StringIO()
    ConsoleReporter(file=buffer, width=width).summary(report)
    return buffer.getvalue()


def test_failure_block_matches_style_guide(report: RunReport) -> None:
    """The failure block reads exactly as STYLE.md shows it."""
    assert failure_block(report.results[1]) == AUTH1_BLOCK


def test_failure_block_indents_continuation_lines() -> None:
    """A multi-line value keeps its later lines aligned under the value column."""
    detail = FailureDetail(
        "s", "POST /rollout\nwith a body", "e", "g", "", "docs/contract.md#rollout"
    )
    result = CheckResult(make_spec("RO-1", "x", "t"), Outcome.FAIL, 0.0, detail=detail)
    assert failure_block(result).splitlines()[1:3] == [
        "  Sent:     POST /rollout",
        "            with a body",
    ]
    assert "  Fix:      -" in failure_block(result)


def test_summary_prints_the_block_verbatim_even_when_narrow(report: RunReport) -> None:
    """Failure blocks are never wrapped, so CI logs at any width show them intact."""
    assert AUTH1_BLOCK in _plain(report, width=30)


def test_summary_orders_sections_and_ends_with_totals_and_verdict(report: RunReport) -> None:
    """Failures, baselined failures, skips, warnings, errors, then totals and the verdict."""
    out = _plain(report)
    heads = [
        "Failures (1)\n",
        "Baselined failures (1): known, not failing the run",
        "Skipped (1)\n",
        "Warnings (1): SHOULD requirements, not failing the run",
        "Errors (1): the harness broke, not the target",
    ]
    positions = [out.index(h) for h in heads]
    assert positions == sorted(positions)
    assert "RO-3 evaluates_eval_split: [not applicable] the target declares no 'eval' split" in out
    assert "CID-1 echoes_issued_cid: harness error: ConnectTimeout" in out
    assert "Stale baseline entries (these checks no longer fail; remove them): AUTH-9" in out
    last_two = out.rstrip("\n").splitlines()[-2:]
    assert last_two == [
        "FAIL: 1 failed, 1 passed, 1 warned, 1 skipped, 1 error, 1 baselined in 2.31s "
        "(148 requests)",
        "Verdict: the target does NOT conform (1 required check failed); exit code 1.",
    ]


@pytest.mark.parametrize(
    ("outcomes", "line", "sentence"),
    [
        pytest.param(
            [Outcome.PASS, Outcome.PASS],
            "PASS: 0 failed, 2 passed, 0 warned, 0 skipped, 0 errors in 2.31s (1 request)",
            "Verdict: the target conforms; exit code 0.",
            id="all-pass",
        ),
        pytest.param(
            [Outcome.PASS, Outcome.WARN],
            "PASS: 0 failed, 1 passed, 1 warned, 0 skipped, 0 errors in 2.31s (1 request)",
            "Verdict: the target conforms with 1 warning; exit code 0.",
            id="warning",
        ),
        pytest.param(
            [Outcome.ERROR, Outcome.ERROR],
            "INCOMPLETE: 0 failed, 0 passed, 0 warned, 0 skipped, 2 errors in 2.31s (1 request)",
            "Verdict: incomplete, 2 required checks did not run or could not prove their claim "
            "(EP-0, EP-1; see the reasons above); exit code 4.",
            id="errors-only",
        ),
    ],
)
def test_totals_and_verdict_lines(outcomes: list[Outcome], line: str, sentence: str) -> None:
    """The totals line leads with PASS/FAIL/ERROR and the verdict names the exit code."""
    detail = FailureDetail("s", "a", "b", "c", "d", "e")
    results = [
        CheckResult(
            make_spec(f"EP-{i}", f"n{i}", "t"), o, 0.0, detail=detail if o is Outcome.WARN else None
        )
        for i, o in enumerate(outcomes)
    ]
    report = make_report(results, requests_sent=1)
    assert (totals_line(report), verdict(report)) == (line, sentence)


def test_progress_line_per_finished_check(report: RunReport) -> None:
    """`on_result` prints one line with the counter, outcome, ID, title and time."""
    buffer = io.StringIO()
    reporter = ConsoleReporter(file=buffer)
    for done, result in enumerate(report.results, 1):
        reporter(result, done, len(report.results))
    lines = buffer.getvalue().splitlines()
    assert len(lines) == len(report.results)
    assert lines[1] == (
        "[2/6] FAIL   AUTH-1   Every protected route rejects a request that carries no API key."
        "  0.10s"
    )
    assert lines[5].endswith("Same seed, same instance.  (baselined)  0.05s")


def test_colour_on_a_terminal_and_none_with_no_color(
    report: RunReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A terminal gets colours; `NO_COLOR` or `no_color=True` gets plain text."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    buffer = io.StringIO()
    tty = Console(file=buffer, force_terminal=True, color_system="standard", width=200)
    ConsoleReporter(tty).on_result(report.results[1], 2, 6)
    assert ANSI.search(buffer.getvalue())
    assert "AUTH-1" in ANSI.sub("", buffer.getvalue())
    for no_color, env in ((True, None), (False, "1")):
        if env:
            monkeypatch.setenv("NO_COLOR", env)
        buffer = io.StringIO()
        reporter = ConsoleReporter(file=buffer, no_color=no_color, force_terminal=True)
        reporter.summary(report)
        assert not re.search(r"\x1b\[[0-9;]*[39][0-7]m", buffer.getvalue())
        assert AUTH1_BLOCK in ANSI.sub("", buffer.getvalue())


def test_progress_lines_fit_a_narrow_terminal(report: RunReport) -> None:
    """On a terminal, a long progress line is cut with an ellipsis instead of wrapping."""
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, no_color=True, width=40)
    ConsoleReporter(console).on_result(report.results[1], 2, 6)
    lines = ANSI.sub("", buffer.getvalue()).splitlines()
    assert len(lines) == 1
    assert len(lines[0]) <= 40
    assert lines[0].endswith("…")


def test_markup_in_target_text_is_printed_literally() -> None:
    """Rich markup inside a response body is shown as text, never interpreted."""
    detail = FailureDetail("[bold]s[/bold]", "a", "b", "200, body='[red]x[/red]'", "d", "e")
    result = CheckResult(make_spec("EP-9", "n", "[link]t"), Outcome.FAIL, 0.0, detail=detail)
    out = _plain(make_report([result]))
    assert "Got:      200, body='[red]x[/red]'" in out
    assert "EP-9 n: [bold]s[/bold]" in out


def test_empty_run_says_so() -> None:
    """A run with no checks says the selection was empty."""
    assert "No checks ran: the selection was empty." in _plain(make_report([]))


def test_rules_of_other_generations_are_one_line_not_a_list_of_skips() -> None:
    """A legacy run lists no progress line per CS check and names them once in the summary."""
    from conformance.registry import catalogue
    from conformance.runner import run_checks
    from conformance.target import embedded_target

    checks = [c for c in catalogue() if c.id in ("EP-1", "CS-1", "CS-2")]
    buffer = io.StringIO()
    reporter = ConsoleReporter(file=buffer, width=200)
    report = run_checks(embedded_target(), checks, progress=reporter.on_result)
    reporter.summary(report)
    out = ANSI.sub("", buffer.getvalue())
    assert "[1/1] PASS   EP-1" in out
    assert "CS-1 " not in out.split("Not applicable")[0]  # no progress line, no skip entry
    assert "Not applicable to legacy-0.2 (2), rules of other generations: CS-1, CS-2" in out
    assert "Skipped (" not in out
