"""Runs a selection of checks against a target: dependencies, concurrency, budget, outcomes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from enum import StrEnum

from conformance import __version__
from conformance.context import CheckContext, Settings, json_body
from conformance.contract import (
    API_KEYS_HEADER,
    AUTHORIZATION_HEADER,
    INFO_PATH,
    ROOT_PATH,
    SEED_PARAM,
    TASK_INFO_PATH,
)
from conformance.contract.profiles import AUTO, LEGACY, AuthScheme
from conformance.detect import ProfileChoice, choose, detect
from conformance.exitcodes import ExitCode
from conformance.inference import (
    MockInferenceServer,
    RecorderTokenRefused,
    Recordings,
    RemoteRecorder,
)
from conformance.latency import LatencyTable
from conformance.loop import LoopThread
from conformance.options import DEFAULTS, ConfigError, missing_key_message
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


class Verdict(StrEnum):
    """What a run says about the target; each has its own exit code."""

    CONFORMS = "conforms"
    """Every selected required check passed, with evidence (exit 0)."""
    NOT_CONFORMING = "does_not_conform"
    """A required check failed (exit 1)."""
    INCOMPLETE = "incomplete"
    """Nothing failed, but a required check did not run or could not prove its claim (exit 4)."""


@dataclass
class CheckResult:
    check: CheckSpec
    outcome: Outcome
    duration_s: float
    detail: FailureDetail | None = None
    reason: str = ""
    baselined: bool = False
    skip_kind: SkipKind | None = None
    """Why a SKIP reached no verdict; None for every other outcome."""
    other_generation: bool = False
    """A rule of another contract generation than the one judged: not applicable."""

    @property
    def unproven(self) -> bool:
        """It did not run, broke, or could not prove its claim (not n/a, not unselected)."""
        return self.outcome is Outcome.ERROR or self.skip_kind is SkipKind.UNPROVEN


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
    accept_unproven: frozenset[str] = frozenset()
    """Check IDs the user knowingly accepted without proof (--accept-unproven)."""
    interrupted: bool = False
    """The user stopped the run (Ctrl-C): whatever it found, it proves nothing whole."""
    latency_tables: list[LatencyTable] = field(default_factory=list)
    """What checks measured (LOAD-1's rollout latencies), for the latency table and chart."""
    contract: ProfileChoice = field(default_factory=lambda: ProfileChoice(LEGACY, ()))
    """The generation judged, the evidence for it, and a warning if the user's choice
    contradicts the target's answers."""
    tool_version: str = __version__

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome and not r.baselined)

    def gates(self, result: CheckResult) -> bool:
        return gates(result.check, strict=self.strict)

    @property
    def unproven(self) -> list[CheckResult]:
        """Required checks that did not run or could not prove their claim, not accepted."""
        return [
            r
            for r in self.results
            if r.unproven and self.gates(r) and r.check.id not in self.accept_unproven
        ]

    @property
    def accepted_unproven(self) -> list[CheckResult]:
        """Required checks left unproven that the user accepted by name."""
        return [
            r
            for r in self.results
            if r.unproven and self.gates(r) and r.check.id in self.accept_unproven
        ]

    @property
    def not_selected(self) -> list[CheckResult]:
        """Opt-in checks this run did not turn on; they do not make a run incomplete."""
        return [r for r in self.results if r.skip_kind is SkipKind.NOT_SELECTED]

    @property
    def verdict(self) -> Verdict:
        if self.interrupted:
            return Verdict.INCOMPLETE
        if self.count(Outcome.FAIL):
            return Verdict.NOT_CONFORMING
        if self.unproven:  # a gate never goes green on checks it did not prove
            return Verdict.INCOMPLETE
        return Verdict.CONFORMS

    @property
    def conforms(self) -> bool:
        return self.verdict is Verdict.CONFORMS

    def exit_code(self) -> ExitCode:
        if self.interrupted:
            return ExitCode.INTERRUPTED
        return _VERDICT_EXIT_CODES[self.verdict]


def gates(check: CheckSpec, *, strict: bool) -> bool:
    """Whether `check` can decide the verdict: `must`, or `should` with --strict."""
    return check.severity is Severity.MUST or (strict and check.severity is Severity.SHOULD)


_VERDICT_EXIT_CODES = {
    Verdict.CONFORMS: ExitCode.OK,
    Verdict.NOT_CONFORMING: ExitCode.NOT_CONFORMING,
    Verdict.INCOMPLETE: ExitCode.INCOMPLETE,
}


@dataclass
class RunOptions:
    settings: Settings = field(default_factory=Settings)
    strict: bool = False
    inference_url: str | None = None
    """A user-given inference endpoint the target can reach (no recordings then)."""
    recorder_url: str | None = None
    """A recording relay the target can reach: its recordings prove the model's half."""
    recorder_token: str | None = field(default=None, repr=False)
    concurrency: int = DEFAULTS.concurrency
    budget_s: float = DEFAULTS.budget
    baseline: frozenset[str] = frozenset()
    accept_unproven: frozenset[str] = frozenset()
    profile: TargetProfile = field(default_factory=TargetProfile)
    contract_profile: str = AUTO
    """The generation to judge (`--profile`): a name, or auto to detect it."""
    missing_key_message: str = field(default_factory=missing_key_message)
    """The usage error when the judged generation wants a key and none was given."""


ProgressCallback = Callable[[CheckResult, int, int], None]


class RunSession:
    """The live side of a run: event loop, client, recording mock, context, preflight.

    `with RunSession(target, options) as session: session.run(spec)`. Raises
    `TargetUnreachable` on entry when the target (or the relay) cannot be talked to at all,
    and `ConfigError` when the relay refuses the recorder token.
    """

    def __init__(self, target: Target, options: RunOptions | None = None) -> None:
        self.target = target
        self.options = options or RunOptions()
        self.redactor = Redactor(
            [target.api_key, self.options.recorder_token, target.container_signing_key],
            urls=[target.base_url, self.options.inference_url, self.options.recorder_url],
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
        recorder: Recordings | None = None
        inference_url = self.options.inference_url
        if inference_url is not None:
            self.inference_label = f"user-given {redact_url(inference_url)}"
        elif self.options.recorder_url is not None:
            relay = RemoteRecorder(
                self.options.recorder_url,
                self.options.recorder_token,
                timeout_s=self.target.timeouts.read_s,
                verify_tls=self.target.verify_tls,
            )
            self._stack.callback(relay.close)
            try:
                relay.check()  # fail fast, once, on an unreachable relay or a refused token
            except RecorderTokenRefused as exc:  # the user's token, not the target: exit 2
                raise ConfigError(self.redactor.text(str(exc))) from None
            except HarnessError as exc:
                raise TargetUnreachable(self.redactor.text(str(exc))) from exc
            recorder, inference_url = relay, relay.base_url
            self.inference_label = f"recording relay on {relay.label}"
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
        _preflight(self.ctx, self.options)
        if self.ctx.inference_url is None and self.options.profile.inference_url:
            self.ctx.inference_url = self.options.profile.inference_url
            self.redactor.add_url(self.ctx.inference_url)  # the target's own may carry a token
            self.inference_label = (
                f"the target's own /info inference_url {redact_url(self.ctx.inference_url)}"
            )

    def run(self, spec: CheckSpec) -> CheckResult:
        """Run one check (its dependencies are the caller's business)."""
        return _run_one(self.ctx, spec, self.options)

    def report(self, results: list[CheckResult], started_at: str, duration_s: float) -> RunReport:
        """The report of `results`, every string in it redacted once: what the checks found
        was redacted where they found it (`_run_one`); the labels, the profile learned from
        the target, the latency tables and the catalogue's words are redacted here, as they
        join the report.
        """
        opts, hide = self.options, self.redactor.text
        # Stale: the check ran and passed (a deselected, skipped or erroring one proves nothing).
        stale = sorted(
            r.check.id for r in results if r.check.id in opts.baseline and r.outcome is Outcome.PASS
        )
        return RunReport(
            target=hide(self.target.label),
            started_at=started_at,
            duration_s=duration_s,
            results=[_shown_result(r, hide) for r in results],
            requests_sent=self.ctx.requests_sent,
            strict=opts.strict,
            inference=hide(self.inference_label),
            profile=_shown_profile(opts.profile, self.redactor),
            stale_baseline=[hide(s) for s in stale],
            accept_unproven=opts.accept_unproven,
            latency_tables=[_shown_table(t, hide) for t in self.ctx.latency_tables],
            contract=self.ctx.profile_choice,
        )


def _shown_result(result: CheckResult, hide: Callable[[str], str]) -> CheckResult:
    """`result` with the harness's words about it (the check's name, title and rule, and a
    reason the runner wrote: a dependency, the budget, another generation) redacted, should a
    secret share 6+ characters with them; its findings were redacted when they were made.
    """
    check, detail = result.check, result.detail
    words = (
        check.name,
        check.title,
        check.spec,
        "" if detail is None else detail.spec,
        result.reason,
    )
    shown = tuple(hide(word) for word in words)
    if shown == words:  # the usual case: no copy
        return result
    name, title, spec, rule, reason = shown
    return replace(
        result,
        check=replace(check, name=name, title=title, spec=spec),
        detail=detail if detail is None else replace(detail, spec=rule),
        reason=reason,
    )


def _shown_profile(profile: TargetProfile, redactor: Redactor) -> TargetProfile:
    """A redacted copy of `profile` for the report: it holds what the target's own answers
    said (a name, a split, a URL), which may quote the key. The checks keep the original,
    which they send back to the target as it gave it.
    """
    url = profile.inference_url
    shown = replace(profile, inference_url=None if url is None else redact_url(url))
    return replace(shown, **{f.name: redactor.value(getattr(shown, f.name)) for f in fields(shown)})


def _shown_table(table: LatencyTable, hide: Callable[[str], str]) -> LatencyTable:
    """`table` with its words redacted (its figures are numbers)."""
    runs = tuple(replace(run, label=hide(run.label)) for run in table.runs)
    return replace(table, title=hide(table.title), note=hide(table.note), runs=runs)


def run_checks(
    target: Target,
    checks: Iterable[CheckSpec],
    options: RunOptions | None = None,
    progress: ProgressCallback | None = None,
    on_profile: Callable[[ProfileChoice], None] | None = None,
    after: Callable[[CheckContext], None] | None = None,
) -> RunReport:
    """Run `checks` against `target`; raise `TargetUnreachable` if it cannot be talked to.

    `on_profile` hears which generation the run judges, and why, before any check starts;
    `after` reads the live context once the checks are done, before the target is closed
    (the migration report asks the app its questions there); not after a Ctrl-C.
    """
    opts = options or RunOptions()
    selected = list(checks)
    started = time.monotonic()
    started_at = datetime.now(UTC).isoformat(timespec="seconds")
    done: dict[str, CheckResult] = {}
    interrupted = False
    with RunSession(target, opts) as session:
        if on_profile is not None:
            on_profile(session.ctx.profile_choice)
        try:
            _execute(session.ctx, selected, opts, started, progress, done)
            if after is not None:
                after(session.ctx)
        except KeyboardInterrupt:
            interrupted = True
    results = [done.get(c.id) or _interrupted(c) for c in selected]
    report = session.report(results, started_at, time.monotonic() - started)
    report.interrupted = interrupted
    return report


def _preflight(ctx: CheckContext, options: RunOptions) -> None:
    """Prove the target talks JSON at `/`, decide the generation it is judged as, then learn
    its rollout defaults.
    """
    try:
        root = ctx.get(ROOT_PATH, auth=False)
    except HarnessError as exc:
        raise TargetUnreachable(ctx.redactor.text(f"{ctx.target.label}: {exc}")) from exc
    except CheckFailure as exc:  # an oversized answer: EP-1 would fail, but nothing can run
        raise TargetUnreachable(ctx.redactor.text(f"{ctx.target.label}: {exc.summary}")) from exc
    if json_body(root) is None:
        content_type = root.headers.get("content-type", "no content type")
        raise TargetUnreachable(
            ctx.redactor.text(
                f"{ctx.target.label} answered GET / with {root.status_code} and a non-JSON body "
                f"({content_type}); is this the base URL of a task app?"
            )
        )
    detection = detect(ctx.get, ctx.post, ctx.api_key)
    choice = choose(options.contract_profile, detection, ctx.target.serves_profile)
    ctx.profile.contract = choice.profile
    ctx.profile_choice = ProfileChoice(
        choice.profile,
        tuple(ctx.redactor.text(e) for e in choice.evidence),
        ctx.redactor.text(choice.warning) if choice.warning else None,
    )
    wants_key = ctx.contract.auth is AuthScheme.API_KEY
    if wants_key and not ctx.api_key:
        raise ConfigError(f"{options.missing_key_message} (the target speaks {choice.profile})")
    try:
        info_response = ctx.get(INFO_PATH)
        if wants_key:
            _refuse_a_key_the_app_does_not_know(ctx, info_response.status_code)
        info = json_body(info_response)
        instance = json_body(ctx.get(TASK_INFO_PATH, params={SEED_PARAM: 0}))
    except (HarnessError, CheckFailure):  # learned from nothing: the checks say what is wrong
        info = instance = None
    ctx.profile.learn(info, instance)
    if ctx.profile.conflict is not None:
        raise ProfileConflict(ctx.redactor.text(ctx.profile.conflict))


def _refuse_a_key_the_app_does_not_know(ctx: CheckContext, status: int) -> None:
    """A key the app refuses in every form synth-ai sends it is the user's mistake to fix
    (exit 2), not a list of failures whose fixes are addressed to the app.
    """
    key = ctx.api_key
    if key is None or status not in (401, 403):
        return
    other_forms = ({API_KEYS_HEADER: key}, {AUTHORIZATION_HEADER: f"Bearer {key}"})
    if any(ctx.get(INFO_PATH, auth=headers).status_code == 200 for headers in other_forms):
        return  # the app knows the key: not accepting X-API-Key is its defect (AUTH-1)
    raise ConfigError(
        f"{ctx.target.label} refused the key in every form synth-ai sends it (X-API-Key, "
        f"X-API-Keys, Authorization: Bearer; GET /info answered {status}): the key given with "
        "--api-key (or ENVIRONMENT_API_KEY) is most likely not the one the app reads; set it "
        "to the app's ENVIRONMENT_API_KEY and run again"
    )


def _execute(
    ctx: CheckContext,
    checks: list[CheckSpec],
    opts: RunOptions,
    started: float,
    progress: ProgressCallback | None,
    done: dict[str, CheckResult],
) -> None:
    """Run `checks` into `done` (by ID), dependencies first, at most `concurrency` at once.

    On Ctrl-C the pool is abandoned without waiting for the checks in flight (each is
    bounded by its request timeouts) and the KeyboardInterrupt goes to the caller, which
    reports what `done` holds.
    """
    by_id = {c.id: c for c in checks}
    # Checks that mostly wait (tagged `slow`: LOAD-1's timed batches, MF-3's stalled model)
    # start first, so their waiting overlaps the rest of the run instead of ending it.
    pending = sorted(checks, key=lambda c: SLOW_TAG not in c.tags)
    running: dict[Future[CheckResult], CheckSpec] = {}

    def finish(result: CheckResult) -> None:
        done[result.check.id] = result
        if progress is not None:
            progress(result, len(done), len(checks))

    workers = max(1, opts.concurrency)
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        while pending or running:
            for spec in list(pending):
                deps = [d for d in spec.depends_on if d in by_id]
                if any(d not in done for d in deps):
                    continue
                profile = ctx.profile.contract
                skip = not_applicable(spec, profile) or dependency_skip(spec, done, profile)
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
    finally:
        pool.shutdown(wait=not running, cancel_futures=True)


def _interrupted(spec: CheckSpec) -> CheckResult:
    reason = "the run was interrupted (Ctrl-C) before this check finished"
    return CheckResult(spec, Outcome.SKIP, 0.0, reason=reason, skip_kind=SkipKind.UNPROVEN)


BLOCKING_OUTCOMES = (Outcome.FAIL, Outcome.ERROR, Outcome.SKIP)
SLOW_TAG = "slow"
"""Checks with this tag start before the others (in catalogue order among themselves)."""


def not_applicable(spec: CheckSpec, profile: str) -> CheckResult | None:
    """A not-applicable SKIP when `spec` is no rule of the generation being judged."""
    if spec.applies_to(profile):
        return None
    reason = f"a rule of {', '.join(spec.profiles)}; this run judges {profile}"
    return CheckResult(
        spec,
        Outcome.SKIP,
        0.0,
        reason=reason,
        skip_kind=SkipKind.NOT_APPLICABLE,
        other_generation=True,
    )


def dependency_skip(
    spec: CheckSpec, done: dict[str, CheckResult], profile: str | None = None
) -> CheckResult | None:
    """A SKIP result naming the first dependency of `spec` that did not pass, if any.

    It inherits the dependency's kind of skip (a check after an n/a one is n/a too); after
    a FAIL or ERROR it is unproven, since nothing about it was shown. A dependency that is
    no rule of the judged `profile` is no precondition there (FUZZ-1 needs AUTH-1 under an
    API key, CTR-2 under a container token, neither without a credential).
    """
    blocked = next(
        (
            done[d]
            for d in spec.depends_on
            if d in done
            and done[d].outcome in BLOCKING_OUTCOMES
            and (profile is None or done[d].check.applies_to(profile))
        ),
        None,
    )
    if blocked is None:
        return None
    reason = (
        f"depends on {blocked.check.id} ({blocked.check.title}), "
        f"which ended {blocked.outcome.upper()}"
    )
    kind = blocked.skip_kind or SkipKind.UNPROVEN
    return CheckResult(spec, Outcome.SKIP, 0.0, reason=reason, skip_kind=kind)


def _out_of_budget(spec: CheckSpec, budget_s: float) -> CheckResult:
    """A SKIP that keeps the gate from going green: the check never ran (raise --budget)."""
    reason = f"the global time budget of {budget_s:g}s ran out before it started (raise --budget)"
    return CheckResult(spec, Outcome.SKIP, 0.0, reason=reason, skip_kind=SkipKind.UNPROVEN)


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
            skip_kind=skip.kind,
        )
    except HarnessError as exc:
        return result(Outcome.ERROR, reason=ctx.redactor.text(str(exc)))
    except Exception as exc:  # a bug in the check or the harness, never the target's fault
        return result(
            Outcome.ERROR, reason=ctx.redactor.text(f"harness error: {type(exc).__name__}: {exc}")
        )
    return result(Outcome.PASS)
