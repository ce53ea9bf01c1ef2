"""Runs a selection of checks against a target: dependencies, concurrency, budget, outcomes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime

from conformance import __version__
from conformance.context import CheckContext, Settings, json_body
from conformance.contract import INFO_PATH, ROOT_PATH, TASK_INFO_PATH
from conformance.exitcodes import ExitCode
from conformance.inference import InferenceRecorder, MockInferenceServer
from conformance.loop import LoopThread
from conformance.outcomes import (
    CheckFailure,
    CheckSkipped,
    FailureDetail,
    HarnessError,
    Outcome,
    SkipKind,
)
from conformance.profile import TargetProfile
from conformance.redaction import Redactor, redact_url
from conformance.registry import CheckSpec, Severity
from conformance.target import Target


class TargetUnreachable(Exception):
    """The harness could not reach or talk to the target at all (exit code 3)."""


class ProfileConflict(Exception):
    """A user override (e.g. --split) that the target's own /info contradicts (exit code 2)."""


@dataclass
class CheckResult:
    check: CheckSpec
    outcome: Outcome
    duration_s: float
    detail: FailureDetail | None = None
    reason: str = ""
    baselined: bool = False
    unconfigured: bool = False
    """SKIP because the run lacked configuration the user can give (e.g. --inference-url)."""


@dataclass
class RunReport:
    """Everything reports render; already redacted."""

    target: str
    started_at: str
    duration_s: float
    results: list[CheckResult]
    requests_sent: int
    strict: bool
    inference: str
    profile: TargetProfile
    stale_baseline: list[str] = field(default_factory=list)
    tool_version: str = __version__

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome and not r.baselined)

    @property
    def unconfigured(self) -> list[CheckResult]:
        """Required checks that could not run for lack of configuration."""
        return [r for r in self.results if r.unconfigured and r.check.severity is Severity.MUST]

    @property
    def conforms(self) -> bool:
        return not (self.count(Outcome.FAIL) or self.count(Outcome.ERROR) or self.unconfigured)

    def exit_code(self) -> ExitCode:
        if self.count(Outcome.FAIL):
            return ExitCode.NOT_CONFORMING
        if self.count(Outcome.ERROR):
            return ExitCode.UNREACHABLE
        if self.unconfigured:  # a gate must not go green on checks it could not run
            return ExitCode.USAGE
        return ExitCode.OK


@dataclass
class RunOptions:
    settings: Settings = field(default_factory=Settings)
    strict: bool = False
    inference_url: str | None = None
    """A user-given inference endpoint the target can reach (no recordings then)."""
    concurrency: int = 4
    budget_s: float = 300.0
    baseline: frozenset[str] = frozenset()
    profile: TargetProfile = field(default_factory=TargetProfile)


ProgressCallback = Callable[[CheckResult, int, int], None]


class RunSession:
    """The live side of a run: event loop, client, recording mock, context, preflight.

    `with RunSession(target, options) as session: session.run(spec)`. Raises
    `TargetUnreachable` on entry when the target cannot be talked to at all.
    """

    def __init__(self, target: Target, options: RunOptions | None = None) -> None:
        self.target = target
        self.options = options or RunOptions()
        self.redactor = Redactor(
            [target.api_key], urls=[target.base_url, self.options.inference_url]
        )
        self.inference_label = "none"
        self._stack = ExitStack()

    def __enter__(self) -> RunSession:
        try:
            self._start()
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def _start(self) -> None:
        loop = LoopThread()
        self._stack.callback(loop.close)
        client = self.target.client()
        self._stack.callback(lambda: loop.run(client.aclose()))
        recorder: InferenceRecorder | None = None
        inference_url = self.options.inference_url
        if inference_url is not None:
            self.inference_label = f"user-given {redact_url(inference_url)}"
        elif self.target.is_local:
            mock = self._stack.enter_context(MockInferenceServer())
            recorder, inference_url = mock.recorder, mock.url
            self.inference_label = f"recording mock on {mock.url}"
        self.ctx = CheckContext(
            self.target,
            loop,
            client,
            profile=self.options.profile,
            recorder=recorder,
            inference_url=inference_url,
            settings=self.options.settings,
            redactor=self.redactor,
        )
        _preflight(self.ctx)
        if self.ctx.inference_url is None and self.options.profile.inference_url:
            self.ctx.inference_url = self.options.profile.inference_url
            self.redactor.add_url(self.ctx.inference_url)  # the target's own may carry a token
            self.inference_label = (
                f"the target's own /info inference_url {redact_url(self.ctx.inference_url)}"
            )

    def run(self, spec: CheckSpec) -> CheckResult:
        """Run one check (its dependencies are the caller's business)."""
        return _run_one(self.ctx, spec, self.options)


def run_checks(
    target: Target,
    checks: Iterable[CheckSpec],
    options: RunOptions | None = None,
    progress: ProgressCallback | None = None,
) -> RunReport:
    """Run `checks` against `target`; raise `TargetUnreachable` if it cannot be talked to."""
    opts = options or RunOptions()
    selected = list(checks)
    started = time.monotonic()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    with RunSession(target, opts) as session:
        results = _execute(session.ctx, selected, opts, started, progress)
    # Stale: the check ran and passed (a deselected, skipped or erroring one proves nothing).
    stale = sorted(
        r.check.id for r in results if r.check.id in opts.baseline and r.outcome is Outcome.PASS
    )
    return RunReport(
        target=session.redactor.text(target.label),
        started_at=started_at,
        duration_s=time.monotonic() - started,
        results=results,
        requests_sent=session.ctx.requests_sent,
        strict=opts.strict,
        inference=session.redactor.text(session.inference_label),
        profile=opts.profile,
        stale_baseline=stale,
    )


def _preflight(ctx: CheckContext) -> None:
    """Prove the target talks JSON at `/`, then learn its rollout profile."""
    try:
        root = ctx.get(ROOT_PATH, auth=False)
    except HarnessError as exc:
        raise TargetUnreachable(ctx.redactor.text(f"{ctx.target.label}: {exc}")) from exc
    if json_body(root) is None:
        content_type = root.headers.get("content-type", "no content type")
        raise TargetUnreachable(
            f"{ctx.target.label} answered GET / with {root.status_code} and a non-JSON body "
            f"({content_type}); is this the base URL of a task app?"
        )
    try:
        info = json_body(ctx.get(INFO_PATH))
        instance = json_body(ctx.get(TASK_INFO_PATH, params={"seed": 0}))
    except HarnessError:
        info = instance = None
    ctx.profile.learn(info, instance)
    if ctx.profile.conflict is not None:
        raise ProfileConflict(ctx.profile.conflict)


def _execute(
    ctx: CheckContext,
    checks: list[CheckSpec],
    opts: RunOptions,
    started: float,
    progress: ProgressCallback | None,
) -> list[CheckResult]:
    by_id = {c.id: c for c in checks}
    done: dict[str, CheckResult] = {}
    pending = list(checks)
    running: dict[Future[CheckResult], CheckSpec] = {}

    def finish(result: CheckResult) -> None:
        done[result.check.id] = result
        if progress is not None:
            progress(result, len(done), len(checks))

    workers = max(1, opts.concurrency)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while pending or running:
            for spec in list(pending):
                deps = [d for d in spec.depends_on if d in by_id]
                if any(d not in done for d in deps):
                    continue
                skip = dependency_skip(spec, done)
                if skip is None and time.monotonic() - started > opts.budget_s:
                    skip = _out_of_budget(spec, opts.budget_s)
                if skip is not None:
                    pending.remove(spec)
                    finish(skip)
                elif len(running) < workers:  # submit only what starts now: the budget holds
                    pending.remove(spec)
                    running[pool.submit(_run_one, ctx, spec, opts)] = spec
            if not running:
                continue
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                running.pop(future)
                finish(future.result())
    return [done[c.id] for c in checks]


BLOCKING_OUTCOMES = (Outcome.FAIL, Outcome.ERROR, Outcome.SKIP)


def dependency_skip(spec: CheckSpec, done: dict[str, CheckResult]) -> CheckResult | None:
    """A SKIP result naming the first dependency of `spec` that did not pass, if any."""
    blocked = next(
        (done[d] for d in spec.depends_on if d in done and done[d].outcome in BLOCKING_OUTCOMES),
        None,
    )
    if blocked is None:
        return None
    reason = (
        f"depends on {blocked.check.id} ({blocked.check.title}), "
        f"which ended {blocked.outcome.upper()}"
    )
    return _skipped(spec, reason)


def _skipped(spec: CheckSpec, reason: str) -> CheckResult:
    return CheckResult(spec, Outcome.SKIP, 0.0, reason=reason)


def _out_of_budget(spec: CheckSpec, budget_s: float) -> CheckResult:
    """A SKIP that keeps the gate from going green: the check never ran (raise --budget)."""
    reason = f"the global time budget of {budget_s:g}s ran out before it started (raise --budget)"
    return CheckResult(spec, Outcome.SKIP, 0.0, reason=reason, unconfigured=True)


def _run_one(ctx: CheckContext, spec: CheckSpec, opts: RunOptions) -> CheckResult:
    started = time.monotonic()

    def result(outcome: Outcome, **kwargs: object) -> CheckResult:
        return CheckResult(spec, outcome, time.monotonic() - started, **kwargs)  # type: ignore[arg-type]

    try:
        spec.func(ctx)
    except CheckFailure as failure:
        detail = FailureDetail(
            summary=ctx.redactor.text(failure.summary or spec.title),
            sent=ctx.redactor.text(failure.sent),
            expected=ctx.redactor.text(failure.expected),
            got=ctx.redactor.text(failure.got),
            fix=ctx.redactor.text(failure.fix),
            spec=spec.spec_ref,
        )
        fails = spec.severity is Severity.MUST or (spec.severity is Severity.SHOULD and opts.strict)
        return result(
            Outcome.FAIL if fails else Outcome.WARN,
            detail=detail,
            baselined=fails and spec.id in opts.baseline,
        )
    except CheckSkipped as skip:
        return result(
            Outcome.SKIP,
            reason=ctx.redactor.text(skip.reason),
            unconfigured=skip.kind is SkipKind.UNPROVEN,
        )
    except HarnessError as exc:
        return result(Outcome.ERROR, reason=ctx.redactor.text(str(exc)))
    except Exception as exc:  # a bug in the check or the harness, never the target's fault
        return result(
            Outcome.ERROR, reason=ctx.redactor.text(f"harness error: {type(exc).__name__}: {exc}")
        )
    return result(Outcome.PASS)
