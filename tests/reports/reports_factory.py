"""Hand-built run reports covering every outcome, shared by the report tests."""

from __future__ import annotations

from collections.abc import Callable

from conformance.context import CheckContext
from conformance.outcomes import FailureDetail, Outcome, SkipKind
from conformance.profile import TargetProfile
from conformance.redaction import Redactor
from conformance.registry import CheckSpec, Severity
from conformance.runner import CheckResult, RunReport

SECRET = "sk-conformance-PLANTED-0123456789abcdef"
"""An API key planted in reports; it must never reach any output."""
ODD_SECRET = "tok<&>\"'|`*_PLANTED-42"
"""A key made of characters every format escapes differently."""

AUTH1_DETAIL = FailureDetail(
    summary="a protected route answered without a key",
    sent="GET /task_info without X-API-Key",
    expected="401 or 403 with the error envelope",
    got="200, body='{\"taskset\": ...}'",
    fix="Validate the key before the handler runs; answer 401 when it is absent.",
    spec="docs/contract.md#auth-rejects",
)

AUTH1_BLOCK = """\
AUTH-1 rejects_missing_api_key: a protected route answered without a key
  Sent:     GET /task_info without X-API-Key
  Expected: 401 or 403 with the error envelope
  Got:      200, body='{"taskset": ...}'
  Fix:      Validate the key before the handler runs; answer 401 when it is absent.
  Spec:     docs/contract.md#auth-rejects"""


def _noop(ctx: CheckContext) -> None:
    """Passes: reports only read the metadata (a run of these specs passes them all)."""


def make_spec(
    check_id: str,
    name: str,
    title: str,
    *,
    severity: Severity = Severity.MUST,
    spec: str = "root",
    tags: tuple[str, ...] = (),
    depends_on: tuple[str, ...] = (),
) -> CheckSpec:
    """A catalogue entry with a dummy function."""
    return CheckSpec(check_id, name, title, severity, spec, tags, depends_on, _noop)


def make_results(text: Callable[[str], str] = lambda s: s) -> list[CheckResult]:
    """One result per outcome plus a baselined failure; `text` decorates every free string."""
    warn_detail = FailureDetail(
        summary=text("the error body echoes a stack trace"),
        sent=text("POST /rollout with an invalid body"),
        expected=text("an error envelope without internals"),
        got=text("422, body='Traceback (most recent call last): ...'"),
        fix=text("Return the error envelope; log the traceback server-side."),
        spec="docs/contract.md#no-stack-traces",
    )
    baselined_detail = FailureDetail(
        summary=text("seed 3 is not deterministic"),
        sent=text("GET /task_info?seed=3 twice"),
        expected=text("the same instance both times"),
        got=text("two different prompts"),
        fix=text("Derive the instance from the seed alone."),
        spec="docs/contract.md#task-info-deterministic",
    )
    auth1 = FailureDetail(
        summary=text(AUTH1_DETAIL.summary),
        sent=text(AUTH1_DETAIL.sent),
        expected=text(AUTH1_DETAIL.expected),
        got=text(AUTH1_DETAIL.got),
        fix=text(AUTH1_DETAIL.fix),
        spec=AUTH1_DETAIL.spec,
    )
    return [
        CheckResult(
            make_spec(
                "EP-1",
                "root_answers_without_auth",
                "`GET /` answers 200 without a key.",
                tags=("endpoints", "quick"),
            ),
            Outcome.PASS,
            0.012,
        ),
        CheckResult(
            make_spec(
                "AUTH-1",
                "rejects_missing_api_key",
                "Every protected route rejects a request that carries no API key.",
                spec="auth-rejects",
                tags=("auth",),
            ),
            Outcome.FAIL,
            0.104,
            detail=auth1,
        ),
        CheckResult(
            make_spec(
                "SEC-2",
                "hides_stack_traces",
                "Error bodies never carry a stack trace.",
                severity=Severity.SHOULD,
                spec="no-stack-traces",
                depends_on=("AUTH-1",),
            ),
            Outcome.WARN,
            0.2,
            detail=warn_detail,
        ),
        CheckResult(
            make_spec("RO-3", "evaluates_eval_split", "Rollouts on the eval split succeed."),
            Outcome.SKIP,
            0.0,
            reason=text("the target declares no 'eval' split"),
            skip_kind=SkipKind.NOT_APPLICABLE,
        ),
        CheckResult(
            make_spec("CID-1", "echoes_issued_cid", "The rollout echoes the issued cid."),
            Outcome.ERROR,
            30.0,
            reason=text("harness error: ConnectTimeout: timed out after 30s"),
        ),
        CheckResult(
            make_spec(
                "TI-2",
                "task_info_is_deterministic",
                "Same seed, same instance.",
                spec="task-info-deterministic",
            ),
            Outcome.FAIL,
            0.05,
            detail=baselined_detail,
            baselined=True,
        ),
    ]


def make_report(
    results: list[CheckResult] | None = None,
    *,
    text: Callable[[str], str] = lambda s: s,
    requests_sent: int = 148,
) -> RunReport:
    """A report of `results` (default: one per outcome) as the runner would return it."""
    return RunReport(
        target=text("http://127.0.0.1:8123"),
        started_at="2025-01-02T03:04:05+00:00",
        duration_s=2.314,
        results=make_results(text) if results is None else results,
        requests_sent=requests_sent,
        strict=False,
        inference=text("recording mock on http://127.0.0.1:9999"),
        profile=TargetProfile(),
        stale_baseline=[text("AUTH-9")],
    )


def planted(value: str) -> str:
    """`value` with both secrets and some markup and control characters planted in it."""
    return f"{value} key={SECRET} alt={ODD_SECRET} <b>&amp;\x1b[31m\x00"


def as_found(text: Callable[[str], str], *secrets: str) -> Callable[[str], str]:
    """`text`, then redacted as the runner redacts each string where it is made: a report
    built with it is what renderers get, since they trust the report.
    """
    hide = Redactor(secrets).text
    return lambda value: hide(text(value))
