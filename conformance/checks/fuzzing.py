"""Schema-driven fuzzing with Schemathesis against the judged generation's canonical document.

Every generation has one (`conformance.openapi.openapi_document(profile)`), so FUZZ-1 applies
to all of them, fuzzing with the credential the generation wants (`ctx.auth_headers()`). On by
default whenever the run records the model's calls (a local or in-process target,
or a relay): there every generated rollout reaches the harness's own mock. Against a
remote app with the user's real model (`--inference-url`, no recorder) each rollout may
cost money, so fuzzing there is opt-in and FUZZ-1 is "not selected" unless turned on.
"""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.contract.profiles import ALL_PROFILES

# Imported with the catalogue, in the main thread, never lazily inside the check: an import
# there parses source (pytest rewrites Schemathesis's modules) while an in-process app may be
# parsing too, and CPython 3.11.7 then raises "AST constructor recursion depth mismatch"
# in either thread (seen under pytest with the embedded reference app).
from conformance.fuzz import FuzzReport, run_fuzz
from conformance.outcomes import CheckFailure, CheckSkipped, SkipKind
from conformance.registry import Severity, check

_OFF = "fuzzing is off (--no-fuzz, pytest: --taskapp-no-fuzz)"
_OPT_IN = (
    "fuzzing is opt-in here: the app is remote and its model is yours (--inference-url), so "
    "every generated rollout may cost money; turn it on with --fuzz (pytest: --taskapp-fuzz)"
)


def _not_selected(ctx: CheckContext) -> str | None:
    """Why this run does not fuzz, or None when it does."""
    if ctx.settings.fuzz is False:
        return _OFF
    if ctx.settings.fuzz is None and ctx.recorder is None:
        return _OPT_IN
    return None


def _failure(report: FuzzReport) -> CheckFailure:
    first = report.failures[0]
    return CheckFailure(
        sent=(
            f"{report.cases} generated cases (seed {report.seed});"
            f" reproduce the first with:\n{first.curl}"
        ),
        expected="no 5xx, only documented statuses, 2xx bodies that match the canonical "
        "schema, and a 4xx for input the contract forbids",
        got="\n\n".join(f.render() for f in report.failures),
        fix=first.fix,
        summary=report.summary(),
    )


@check(
    "FUZZ-1",
    profiles=ALL_PROFILES,
    severity=Severity.MUST,
    spec="fuzzing",
    tags=("fuzz",),
    depends_on=("AUTH-1", "CTR-2"),  # the credential works: whichever the generation has
)
def generated_cases_find_no_failure(ctx: CheckContext) -> None:
    """Generated requests get no 5xx, only documented statuses, valid 2xx bodies, 4xx for forbidden input."""  # noqa: E501 (the first docstring line is the check's catalogue title, pinned)
    reason = _not_selected(ctx)
    if reason is not None:
        raise CheckSkipped(reason, kind=SkipKind.NOT_SELECTED)
    report = run_fuzz(
        ctx.target,
        examples=ctx.settings.fuzz_examples,
        seed=ctx.settings.fuzz_seed,
        budget_s=ctx.settings.fuzz_budget_s,
        inference_url=ctx.inference_url,
        max_response_bytes=ctx.settings.max_response_bytes,
        profile=ctx.contract.name,
        auth_headers=ctx.auth_headers(),
    )
    ctx.count_requests(report.cases)
    if report.failures:
        raise _failure(report)
    if report.budget_exhausted or report.skipped:
        unrun = "; ".join(report.skipped) or "raise --fuzz-budget or lower --fuzz-examples"
        raise CheckSkipped(f"{report.summary()}: not every case ran ({unrun})")
