"""Reports of a real run of the runner against the in-process reference app."""

from __future__ import annotations

import io
import json
from pathlib import Path

from conformance.context import CheckContext
from conformance.outcomes import CheckFailure, CheckSkipped
from conformance.registry import CheckSpec, Severity
from conformance.reports import ConsoleReporter, write_reports
from conformance.runner import RunOptions, run_checks
from conformance.target import asgi_target
from reference_app.app import create_app
from reference_app.config import build_config

KEY = "sk-report-run-0f1e2d3c4b5a69788796"


def _passes(ctx: CheckContext) -> None:
    """Reads /health."""
    ctx.get("/health")


def _fails_quoting_the_key(ctx: CheckContext) -> None:
    """A failure whose every field quotes the key."""
    response = ctx.get("/health")
    raise CheckFailure(
        sent=f"GET /health with X-API-Key: {KEY}",
        expected=f"never {KEY}",
        got=ctx.describe(response) + KEY,
        fix=f"Stop printing {KEY}.",
        summary=f"the key {KEY} leaked",
    )


def _skips(ctx: CheckContext) -> None:
    """Does not apply."""
    raise CheckSkipped(f"not applicable to {KEY}")


def _spec(check_id: str, func: object, depends_on: tuple[str, ...] = ()) -> CheckSpec:
    return CheckSpec(check_id, check_id.lower(), "t", Severity.MUST, "§1.1", (), depends_on, func)  # type: ignore[arg-type]


def test_reporter_as_progress_callback_and_every_file(tmp_path: Path) -> None:
    """The reporter follows a real run line by line, and no output carries the key."""
    app = create_app(build_config(environ={"ENVIRONMENT_API_KEY": KEY}))
    checks = [
        _spec("EP-1", _passes),
        _spec("EP-2", _fails_quoting_the_key),
        _spec("EP-3", _skips),
        _spec("EP-4", _passes, depends_on=("EP-2",)),
    ]
    buffer = io.StringIO()
    reporter = ConsoleReporter(file=buffer)
    report = run_checks(
        asgi_target(app, KEY, "reference app"), checks, RunOptions(), progress=reporter
    )
    reporter.summary(report)
    paths = {f"{k}_path": tmp_path / f"r.{k}" for k in ("json", "junit", "markdown", "html")}
    write_reports(report, **paths)
    console = buffer.getvalue()
    assert len([line for line in console.splitlines() if line.startswith("[")]) == 4
    assert "EP-2 ep-2: the key *** leaked" in console
    assert "FAIL: 1 failed, 1 passed, 0 warned, 2 skipped, 0 errors in " in console
    outputs = [console, *(p.read_text("utf-8") for p in paths.values())]
    assert all(KEY not in out for out in outputs)
    assert json.loads(outputs[1])["totals"]["fail"] == 1
