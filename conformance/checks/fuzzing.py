"""Schema-driven fuzzing with Schemathesis against the canonical OpenAPI document (opt-in)."""

from __future__ import annotations

from conformance.context import CheckContext
from conformance.outcomes import CheckFailure, CheckSkipped
from conformance.registry import Severity, check


@check("FUZZ-1", severity=Severity.MUST, spec="§1.2", tags=("fuzz",), depends_on=("AUTH-1",))
def generated_cases_find_no_failure(ctx: CheckContext) -> None:
    """Generated valid and invalid requests get no 5xx, no undocumented status, no schema drift."""
    if not ctx.settings.fuzz:
        raise CheckSkipped("fuzzing is off: enable it with --fuzz (pytest: --taskapp-fuzz)")
    from conformance.fuzz import run_fuzz  # Schemathesis is only loaded when fuzzing

    report = run_fuzz(
        ctx.target,
        examples=ctx.settings.fuzz_examples,
        seed=ctx.settings.fuzz_seed,
        budget_s=ctx.settings.fuzz_budget_s,
        inference_url=ctx.inference_url,
    )
    ctx.count_requests(report.cases)
    if report.failures:
        first = report.failures[0]
        raise CheckFailure(
            sent=(
                f"{report.cases} generated cases (seed {report.seed});"
                f" reproduce the first with:\n{first.curl}"
            ),
            expected="no 5xx, only documented statuses, bodies that match the canonical schema",
            got="\n\n".join(f.render() for f in report.failures),
            fix=first.fix,
            summary=report.summary(),
        )
