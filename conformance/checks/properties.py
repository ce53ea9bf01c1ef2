"""Property checks: Hypothesis draws the inputs, the target must hold for all of them.

Each check runs a derandomized Hypothesis search (fixed examples, no database), so a
run is reproducible, and reports the minimal falsifying input Hypothesis shrank to.

Which generations each applies to, and why:

* PROP-1 (a seed's TaskInfo is stable) and PROP-2 (a cid round-trips): every synth-ai
  generation, whose `/task_info?seed=` maps a seed to an instance and whose rollout carries
  the cid to the model in `policy.config.inference_url`. Not `containers-2026-05`: its SDK
  ignores the `/task_info` query, and neither of its servers promises a cid at the model.
* PROP-3 (invalid input gets a 4xx with the envelope): `legacy-0.2` only. Its stance (strict
  parsing, range-checked seeds, the envelope) is the 0.2 contract's (§10.1) and the reference
  app's; the later packages parse laxly and answer FastAPI's own error body, so it would warn
  every app that does what its package does.
* PROP-4 (invalid input never gets a 5xx): every generation, each with the broken requests of
  its own request model (`strategies.invalid_rollout_requests(profile=...)`).
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Callable, Sequence
from typing import Any, Final
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from conformance import strategies
from conformance.checks._support import (
    NO_RECORDER,
    has_error_envelope,
    nested,
    unproven_at_the_model,
    validation_problem,
)
from conformance.context import CheckContext, Rollout, json_body
from conformance.contract import (
    MAX_SEED,
    SEED_PARAM,
    TASK_INFO_PATH,
    TaskInfo,
    url_with_cid_first,
)
from conformance.contract.models import LocalApiTaskInfo
from conformance.contract.profiles import ALL_PROFILES, LEGACY, SYNTH_AI_PROFILES
from conformance.hypothesis_lock import HYPOTHESIS_LOCK
from conformance.outcomes import CheckFailure, CheckSkipped
from conformance.registry import Severity, check

_EXAMPLES: Final = 25
_ROLLOUT_EXAMPLES: Final = 15
"""Used in invalid rollouts when no inference URL is known: they must fail before inference."""


class _Falsified(Exception):
    """Carries a falsifying value out of the Hypothesis search."""

    def __init__(self, value: Any, problem: str) -> None:
        super().__init__(problem)
        self.value = value
        self.problem = problem


def _falsify(
    strategy: st.SearchStrategy[Any],
    problem_of: Callable[[Any], str | None],
    *,
    max_examples: int = _EXAMPLES,
    explicit: Sequence[Any] = (),
) -> _Falsified | None:
    """The minimal drawn value `problem_of` objects to (with the objection), or None."""

    @settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=(Phase.explicit, Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(strategy)
    def search(value: Any) -> None:
        problem = problem_of(value)
        if problem is not None:
            raise _Falsified(value, problem)

    for value in explicit:
        search = example(value)(search)
    try:
        with HYPOTHESIS_LOCK:
            search()
    except _Falsified as found:
        return found
    return None


def _task_info_problem(ctx: CheckContext, seed: int) -> str | None:
    first, second = (ctx.get(TASK_INFO_PATH, params={SEED_PARAM: seed}) for _ in range(2))
    if 400 <= first.status_code < 500 and second.status_code == first.status_code:
        return None  # the provider decides which seeds exist (§1.5); refusing one is fine
    if first.status_code != 200:
        return ctx.describe(first)
    model = TaskInfo if ctx.contract.name == LEGACY else LocalApiTaskInfo
    problem = validation_problem(model, json_body(first))
    if problem is not None:
        return f"not a TaskInfo ({problem}): {ctx.short_json(json_body(first))}"
    if json_body(second) != json_body(first):
        return f"a different body the second time: {ctx.describe(second)}"
    return None


@check(
    "PROP-1",
    profiles=SYNTH_AI_PROFILES,
    severity=Severity.MUST,
    spec="task-info-deterministic",
    tags=("property", "task_info"),
    depends_on=("TI-2", "CTR-2"),
)
def task_info_is_stable_for_any_seed(ctx: CheckContext) -> None:
    """For drawn seeds, `/task_info?seed=N` is a valid TaskInfo the same twice, or a stable 4xx."""
    found = _falsify(
        strategies.seeds(), lambda seed: _task_info_problem(ctx, seed), explicit=(0, MAX_SEED)
    )
    if found is not None:
        raise CheckFailure(
            sent=f"GET /task_info?seed={found.value} twice (the falsifying seed)",
            expected="the same TaskInfo both times (or a stable 4xx for a seed not served)",
            got=found.problem,
            fix="Derive every instance purely from its seed and return all required sections.",
            summary=f"/task_info is unstable or invalid for seed {found.value}",
        )


def _cid_problem(
    ctx: CheckContext, cid: str, params: list[tuple[str, str]], unproven: list[str]
) -> str | None:
    """What is wrong with one drawn rollout; its cid joins `unproven` when no call was seen."""
    route = f"/r/{uuid.uuid4().hex[:16]}" if ctx.recorder is not None else None
    body = ctx.rollout_body(cid=cid, route=route)
    parts = urlsplit(body["policy"]["config"]["inference_url"])
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    body["policy"]["config"]["inference_url"] = url_with_cid_first(
        urlunsplit(parts._replace(query=query)), cid
    )
    rollout = Rollout(cid, route, body, ctx.post(ctx.contract.rollout_path, json_body=body))
    got = json_body(rollout.response)
    if rollout.response.status_code != 200 or not isinstance(got, dict):
        return ctx.describe(rollout.response)
    echoed = ["trace_correlation_id"]
    if ctx.contract.name == LEGACY:  # the later generations dropped pipeline_metadata
        echoed.append("pipeline_metadata.trace_correlation_id")
    for where in echoed:
        value = nested(got, *where.split("."))
        if value != cid:
            return f"{where} = {value!r}"
    calls = ctx.recorded_calls(rollout) if ctx.recorder is not None else []
    if ctx.recorder is not None and not calls:
        unproven.append(cid)
    wrong = [c.cid for c in calls if c.cid != cid]
    if wrong:
        return f"the model received cid={wrong[0]!r}, not cid={cid!r}"
    lost = sorted({p for c in calls for p in params if p not in c.query})
    if lost:
        return f"the model's URL lost the parameter(s) {lost}"
    return None


@check(
    "PROP-2",
    profiles=SYNTH_AI_PROFILES,
    severity=Severity.MUST,
    spec="cid-round-trip",
    tags=("property", "cid", "recorder"),
    depends_on=("RO-1", "GEN-1"),
)
def any_cid_round_trips_exactly(ctx: CheckContext) -> None:
    """Drawn cids (some needing URL encoding) come back exactly; other URL parameters survive."""
    ctx.require_inference_url()
    drawn = st.tuples(strategies.cids(needs_encoding=True), strategies.extra_query_params())
    unproven: list[str] = []
    found = _falsify(
        drawn,
        lambda pair: _cid_problem(ctx, pair[0], pair[1], unproven),
        max_examples=_ROLLOUT_EXAMPLES,
        explicit=(("100%-sure", [("api-version", "2024-06-01")]),),
    )
    if found is None:
        held = "every drawn cid came back exactly in the responses"
        if ctx.recorder is None:
            raise unproven_at_the_model(held, NO_RECORDER)
        if unproven:
            raise unproven_at_the_model(
                held,
                f"{len(unproven)} drawn rollout(s), the first with cid {unproven[0]!r}, made no "
                "model call the recorder saw through their own inference URL: the app called "
                "another URL, or none",
            )
        return
    cid, params = found.value
    raise CheckFailure(
        sent=f"POST {ctx.contract.rollout_path} with cid {cid!r} and inference URL parameters "
        f"{params}",
        expected="200; the same cid in the response and at the model; every parameter kept",
        got=found.problem,
        fix="Decode the cid once, never rewrite it, and rebuild URLs with every parameter.",
        summary=f"the cid {cid!r} did not round-trip exactly",
    )


def _send_invalid(ctx: CheckContext, drawn: tuple[str, strategies.Invalid]) -> httpx.Response:
    """Send a drawn invalid request once per run: PROP-3 and PROP-4 draw the same inputs."""
    method, bad = drawn

    def send() -> httpx.Response:
        if method == "GET":
            return ctx.get(TASK_INFO_PATH, params={bad.field: bad.value})
        return ctx.post(ctx.contract.rollout_path, json_body=bad.value)

    key = json.dumps([method, bad.field, bad.kind, bad.value], sort_keys=True, default=repr)
    return ctx.memo(f"invalid-request {key}", send)


def _not_refused(ctx: CheckContext, drawn: tuple[str, strategies.Invalid]) -> str | None:
    response = _send_invalid(ctx, drawn)
    if 400 <= response.status_code < 500 and has_error_envelope(response):
        return None
    return ctx.describe(response)


def _server_error(ctx: CheckContext, drawn: tuple[str, strategies.Invalid]) -> str | None:
    response = _send_invalid(ctx, drawn)
    if response.status_code < 500:
        return None
    if drawn[0] == "POST" and ctx.inference_url is None and response.status_code in (502, 504):
        # A lenient app tried the closed stand-in inference port: PROP-3's finding, not a crash.
        return None
    return ctx.describe(response)


def _valid_rollout_crashes(ctx: CheckContext) -> bool:
    """Whether the valid probe rollout gets a 5xx too (a failing model's 502/504 aside)."""
    response = ctx.memo(
        "property-valid-probe",
        lambda: ctx.post(ctx.contract.rollout_path, json_body=_probe_body(ctx)),
    )
    return response.status_code >= 500 and response.status_code not in (502, 504)


def _probe_body(ctx: CheckContext) -> dict[str, Any]:
    """One base body per run, so both searches draw (and send) identical requests."""
    return copy.deepcopy(ctx.memo("property-probe-body", ctx.probe_body))


def _invalid_requests(ctx: CheckContext) -> st.SearchStrategy[tuple[str, strategies.Invalid]]:
    base = _probe_body(ctx)
    bodies = strategies.invalid_rollout_requests(base, profile=ctx.contract.name).map(
        lambda bad: ("POST", bad)
    )
    queries = strategies.invalid_task_info_queries().map(lambda bad: ("GET", bad))
    return st.one_of(bodies, queries)


def _explicit_invalid(ctx: CheckContext) -> list[tuple[str, strategies.Invalid]]:
    base = _probe_body(ctx)
    drawn = []
    for value, kind in ((True, "bool_for_int"), (MAX_SEED + 1, "out_of_range")):
        body = copy.deepcopy(base)
        body["env"]["seed"] = value
        drawn.append(("POST", strategies.Invalid(body, "env.seed", kind)))
    if ctx.contract.name not in SYNTH_AI_PROFILES:  # containers: `env` is free-form
        body = copy.deepcopy(base)
        body["submission_mode"] = "later"
        drawn = [("POST", strategies.Invalid(body, "submission_mode", "not_in_enum"))]
    drawn.append(("GET", strategies.Invalid(str(10**20), SEED_PARAM, "invalid_seed")))
    return drawn


def _search_invalid(
    ctx: CheckContext,
    problem_of: Callable[[CheckContext, tuple[str, strategies.Invalid]], str | None],
) -> tuple[str, str, str] | None:
    """(what was sent, the invalid input, the answer) of the minimal input `problem_of` rejects."""
    found = _falsify(
        _invalid_requests(ctx),
        lambda drawn: problem_of(ctx, drawn),
        explicit=_explicit_invalid(ctx),
    )
    if found is None:
        return None
    method, bad = found.value
    target = f"{TASK_INFO_PATH}?{bad.field}=..." if method == "GET" else ctx.contract.rollout_path
    sent = f"{method} {target} with {bad.describe()} ({ctx.short_json(bad.value)})"
    return sent, bad.describe(), found.problem


@check(
    "PROP-3",
    # SHOULD: synth-ai's own models accept lax values (`true` as 1) and leave seed ranges
    # to the provider (§3, §1.5); §10.1 only requires 422 for a non-int seed or no mode.
    # A 5xx on the same inputs is PROP-4's, a MUST.
    severity=Severity.SHOULD,
    spec="invalid-requests",
    tags=("property", "input"),
    depends_on=("AUTH-1",),
)
def invalid_requests_get_4xx_with_envelope(ctx: CheckContext) -> None:
    """Drawn invalid requests (one field broken) get 4xx with the error envelope, never 2xx/5xx."""
    found = _search_invalid(ctx, _not_refused)
    if found is not None:
        sent, what, got = found
        raise CheckFailure(
            sent=sent,
            expected='4xx with {"detail": {"error": {"code", "message"}}}',
            got=got,
            fix="Parse strictly (no bools for ints, no coercion), range-check seeds, answer 4xx.",
            summary=f"an invalid request ({what}) was not refused with 4xx",
        )


@check(
    "PROP-4",
    profiles=ALL_PROFILES,
    severity=Severity.MUST,
    spec="invalid-requests",
    tags=("property", "input"),
    depends_on=("AUTH-1", "CTR-2"),
)
def invalid_requests_never_crash_the_app(ctx: CheckContext) -> None:
    """Drawn invalid requests (one field broken) never get a 5xx: bad input is not a crash."""
    found = _search_invalid(ctx, _server_error)
    if found is not None:
        sent, what, got = found
        if sent.startswith("POST") and _valid_rollout_crashes(ctx):
            raise CheckSkipped(
                f"an invalid request ({what}) got a 5xx, and so does a valid rollout: the crash "
                "is not the input's (see RO-1, GEN-1 or CS-3)"
            )
        raise CheckFailure(
            sent=sent,
            expected="a 4xx (or, for input the app tolerates, a 2xx), never a 5xx",
            got=got,
            fix="Validate the request before using it; turn every bad value into a 4xx.",
            summary=f"an invalid request ({what}) crashed the app with a 5xx",
        )
