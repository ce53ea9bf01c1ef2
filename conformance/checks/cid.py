"""Trace correlation: the issued `?cid=` comes back everywhere and reaches the model
(§4.1, §4.6).
"""

from __future__ import annotations

import functools
from collections import Counter
from typing import Any
from urllib.parse import SplitResult, urlencode, urlsplit, urlunsplit

from conformance.checks._support import model_calls, nested, steps, validation_problem
from conformance.context import CheckContext, Rollout, json_body
from conformance.contract import (
    RolloutResponse,
    chat_completions_url,
    cid_of,
    query_params,
)
from conformance.contract.constants import CID_QUERY_PARAM, CID_QUERY_PARAMS
from conformance.outcomes import CheckFailure, CheckSkipped
from conformance.registry import Severity, check

_EXTRA_QUERY = "team=conformance&v=2"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_FIX_ECHO = (
    "Extract the cid from policy.config (or ?cid=) once and write it into every URL you return."
)


def cid_locations(body: dict[str, Any]) -> list[tuple[str, Any]]:
    """(location, cid found there) for every place a rollout response must echo the cid."""
    found: list[tuple[str, Any]] = [
        ("trace_correlation_id", body.get("trace_correlation_id")),
        (
            "pipeline_metadata.trace_correlation_id",
            nested(body, "pipeline_metadata", "trace_correlation_id"),
        ),
        (
            "pipeline_metadata.inference_url",
            _url_cid(nested(body, "pipeline_metadata", "inference_url")),
        ),
    ]
    for t, trajectory in enumerate(body.get("trajectories") or []):
        found.append(
            (f"trajectories[{t}].inference_url", _url_cid(nested(trajectory, "inference_url")))
        )
    for t, s, step in steps(body):
        url = nested(step, "info", "meta", "inference_url")
        found.append((f"trajectories[{t}].steps[{s}].info.meta.inference_url", _url_cid(url)))
    return found


def _url_cid(url: Any) -> str | None:
    return cid_of(url) if isinstance(url, str) else None


def cid_mismatch(body: dict[str, Any], cid: str, prefix: str = "") -> tuple[str, Any] | None:
    """(location, value) of the first location starting with `prefix` that lacks `cid`."""
    return next(((w, v) for w, v in cid_locations(body) if w.startswith(prefix) and v != cid), None)


def _assert_location(ctx: CheckContext, rollout: Rollout, prefix: str, fix: str) -> None:
    mismatch = cid_mismatch(rollout.json(), rollout.cid, prefix)
    if mismatch is not None:
        where, value = mismatch
        raise CheckFailure(
            sent=f"POST /rollout with cid {rollout.cid!r} in policy.config.inference_url",
            expected=f"{where} carrying exactly that cid",
            got=f"{where} carries {value!r}",
            fix=fix,
            summary=f"{where} does not carry the issued cid",
        )


@check(
    "CID-1",
    severity=Severity.MUST,
    spec="cid-pipeline-url",
    tags=("cid",),
    depends_on=("RO-1",),
)
def pipeline_inference_url_carries_cid(ctx: CheckContext) -> None:
    """`pipeline_metadata.inference_url` contains `?cid=<issued cid>` (the RL validator's test)."""
    rollout = ctx.baseline_rollout()
    url = nested(rollout.json(), "pipeline_metadata", "inference_url")
    if not isinstance(url, str) or f"?{CID_QUERY_PARAM}=" not in url:
        raise CheckFailure(
            sent="POST /rollout with a ?cid= inference URL",
            expected="pipeline_metadata.inference_url with '?cid=' as its first parameter",
            got=f"pipeline_metadata.inference_url = {url!r}",
            fix="Return the inference URL with cid as the first query parameter (§4.1).",
        )
    _assert_location(ctx, rollout, "pipeline_metadata.inference_url", _FIX_ECHO)


@check(
    "CID-2",
    severity=Severity.MUST,
    spec="cid-trajectory-urls",
    tags=("cid",),
    depends_on=("RO-3",),
)
def every_step_meta_url_carries_cid(ctx: CheckContext) -> None:
    """Every step's `info.meta.inference_url` carries the issued cid."""
    _assert_location(ctx, ctx.baseline_rollout(), "trajectories[", _FIX_ECHO)


@check("CID-3", severity=Severity.MUST, spec="cid-echo", tags=("cid",), depends_on=("RO-1",))
def trace_correlation_id_echoed(ctx: CheckContext) -> None:
    """`trace_correlation_id` at top level and in `pipeline_metadata` equals the issued cid."""
    rollout = ctx.baseline_rollout()
    _assert_location(ctx, rollout, "trace_correlation_id", _FIX_ECHO)
    _assert_location(ctx, rollout, "pipeline_metadata.trace_correlation_id", _FIX_ECHO)


def _fail_if_called_elsewhere(ctx: CheckContext, rollout: Rollout) -> None:
    """Calls with this rollout's cid that came in off its own route prove the app called a
    URL it was not given: evidence to fail, not a lack of evidence.
    """
    if ctx.recorder is None or ctx.recorded_calls(rollout):
        return
    elsewhere = [c for c in ctx.recorder.calls() if c.cid == rollout.cid]
    if elsewhere:
        raise CheckFailure(
            sent=f"POST /rollout with inference URL ...{rollout.route}/v1/chat/completions"
            f"?cid={rollout.cid}",
            expected="the model called at exactly that URL",
            got=f"{len(elsewhere)} call(s) with that cid at {elsewhere[0].path!r} instead",
            fix="Call the inference URL exactly as given (path and query); never rebuild it.",
            summary="the app called the model at a URL it was not given",
        )


@check(
    "CID-4",
    severity=Severity.MUST,
    spec="cid-model-calls",
    tags=("cid", "recorder"),
    depends_on=("RO-1",),
)
def inference_calls_carry_issued_cid(ctx: CheckContext) -> None:
    """The model received at least one call with the issued cid, and none with another cid."""
    rollout = ctx.baseline_rollout()
    _fail_if_called_elsewhere(ctx, rollout)
    wrong = [c.cid for c in model_calls(ctx, rollout) if c.cid != rollout.cid]
    if wrong:
        raise CheckFailure(
            sent=f"POST /rollout with cid {rollout.cid!r}",
            expected="every inference call carrying exactly that cid",
            got=f"calls carried cid {wrong[0]!r}",
            fix=(
                "Call the inference URL exactly as given, query string included;"
                " never cache one per process."
            ),
        )


@check(
    "CID-5",
    severity=Severity.MUST,
    spec="cid-concurrency",
    tags=("cid", "concurrency", "recorder"),
    depends_on=("CID-2",),
)
def parallel_rollouts_keep_their_own_cid(ctx: CheckContext) -> None:
    """K rollouts in parallel (default 8) never echo or send another rollout's cid (no cross-talk)."""  # noqa: E501 (the first docstring line is the check's catalogue title, pinned)
    k = ctx.settings.parallel_rollouts
    rollouts = ctx.gather_values([functools.partial(ctx.rollout, seed=seed) for seed in range(k)])
    refused = next((r for r in rollouts if r.response.status_code != 200), None)
    if refused is not None:  # an app that only copes one at a time proves nothing here
        raise CheckFailure(
            sent=f"{k} valid rollouts in parallel",
            expected="200 for every one of them",
            got=ctx.describe(refused.response),
            fix="Serve concurrent rollouts; keep per-rollout state per request.",
        )
    cids = {r.cid for r in rollouts}
    for rollout in rollouts:
        problem = _cross_talk(ctx, rollout, cids - {rollout.cid})
        if problem is not None:
            raise CheckFailure(
                sent=f"{k} rollouts in parallel, each with its own cid; this one {rollout.cid!r}",
                expected="every location and every inference call carrying only its own cid",
                got=problem,
                fix="Keep the cid in per-request state, never in a global or a shared client.",
            )
    for rollout in rollouts:  # no cross-talk seen; now every rollout needs its evidence
        model_calls(ctx, rollout, "every response carried only its own cid")


def _cross_talk(ctx: CheckContext, rollout: Rollout, others: set[str]) -> str | None:
    """How `rollout` shows another rollout's cid, in its response or its recorded calls."""
    body = json_body(rollout.response)
    for where, cid in cid_locations(body) if isinstance(body, dict) else []:
        if cid in others:
            return f"{where} carries {cid!r}, the cid of another rollout in flight"
    calls = ctx.recorded_calls(rollout) if ctx.recorder is not None else []
    foreign = next((c.cid for c in calls if c.cid in others), None)
    if foreign is not None:
        return f"an inference call carries {foreign!r}, the cid of another rollout in flight"
    return None


def _extra_query_rollout(ctx: CheckContext) -> Rollout:
    """One rollout whose inference URL carries parameters besides the cid (CID-6, CID-7)."""
    return ctx.memo("extra-query-rollout", lambda: ctx.rollout(seed=2, extra_query=_EXTRA_QUERY))


@check(
    "CID-6",
    severity=Severity.MUST,
    spec="cid-query-params",
    tags=("cid", "recorder"),
    depends_on=("RO-1",),
)
def other_query_parameters_survive(ctx: CheckContext) -> None:
    """Other query parameters of the inference URL survive, in the response and at the model."""
    rollout = _extra_query_rollout(ctx)
    url = nested(json_body(rollout.response), "pipeline_metadata", "inference_url")
    where = "pipeline_metadata.inference_url"
    shown = (
        f"{url!r}"
        if isinstance(url, str)
        else f"{url!r} (the answer: {ctx.describe(rollout.response)})"
    )
    _assert_extra_query(where, query_params(url) if isinstance(url, str) else [], shown)
    for call in model_calls(ctx, rollout, "pipeline_metadata.inference_url kept every parameter"):
        query = "&".join(f"{k}={v}" for k, v in call.query)
        _assert_extra_query("an inference call", list(call.query), repr(f"?{query}"))


def _assert_extra_query(where: str, params: list[tuple[str, str]], shown: str) -> None:
    if not set(query_params(f"?{_EXTRA_QUERY}")) <= set(params):
        raise CheckFailure(
            sent=f"POST /rollout with inference URL ...?cid=...&{_EXTRA_QUERY}",
            expected=f"{where} keeping {_EXTRA_QUERY}",
            got=f"{where}: {shown}",
            fix="Keep the query string verbatim; do not rebuild the URL from parts (D26).",
        )


@check(
    "CID-7",
    severity=Severity.MUST,
    spec="cid-pipeline-url",
    tags=("cid",),
    depends_on=("RO-1",),
)
def pipeline_url_is_the_given_url(ctx: CheckContext) -> None:
    """`pipeline_metadata.inference_url` is the request's URL: same origin, path and parameters."""
    rollout = _extra_query_rollout(ctx)
    if rollout.response.status_code != 200:
        raise CheckSkipped(
            "the rollout with extra URL parameters did not succeed"
            f" ({ctx.describe(rollout.response)}); see CID-6"
        )
    given = str(rollout.body["policy"]["config"]["inference_url"])
    returned = nested(json_body(rollout.response), "pipeline_metadata", "inference_url")
    difference = url_difference(given, returned)
    if difference is not None:
        raise CheckFailure(
            sent=f"POST /rollout with inference URL {given!r}",
            expected="pipeline_metadata.inference_url: that URL (the cid may move first; a base "
            "URL may gain /v1/chat/completions)",
            got=f"pipeline_metadata.inference_url = {returned!r}: {difference}",
            fix="Return the inference URL you were given and called, with every parameter; add "
            "nothing, drop nothing (§4.1).",
            summary=f"pipeline_metadata.inference_url is not the URL the rollout was given "
            f"({difference})",
        )


def url_difference(given: str, returned: Any) -> str | None:
    """How `returned` differs from the inference URL a request `given`, or None.

    Equal means: the same scheme, host and port (80/443 when omitted), the same path, or
    the path with the completions suffix synth-ai's `normalize_inference_url` appends to
    a base URL (§4.2), and the same query parameters with the same decoded values, in any
    order (the cid may be re-placed first, §4.1). The fragment is ignored.
    """
    if not isinstance(returned, str):
        return f"not a string but {type(returned).__name__}"
    g, r = urlsplit(given), urlsplit(returned)
    for part, want, got in (
        ("scheme", g.scheme.lower(), r.scheme.lower()),
        ("host", g.hostname, r.hostname),
        ("port", _port(g), _port(r)),
    ):
        if want != got:
            return f"the {part} is {got!r}, not {want!r}"
    paths = {g.path, urlsplit(chat_completions_url(given)).path}
    if r.path not in paths:
        return f"the path is {r.path!r}, not {g.path!r}"
    want_q, got_q = Counter(query_params(given)), Counter(query_params(returned))
    dropped, added = sorted((want_q - got_q).elements()), sorted((got_q - want_q).elements())
    if dropped or added:
        return "; ".join(
            f"{what} {', '.join(f'{k}={v}' for k, v in pairs)}"
            for what, pairs in (("dropped", dropped), ("added", added))
            if pairs
        )
    return None


def _port(parts: SplitResult) -> int | str | None:
    try:
        return parts.port or _DEFAULT_PORTS.get(parts.scheme.lower())
    except ValueError:
        return parts.netloc  # not a valid port: compared as written


def _cid_only_in_url(body: dict[str, Any]) -> None:
    config = body["policy"]["config"]
    config.pop("trace_correlation_id", None)
    config.pop("trace", None)


def _no_cid_at_all(body: dict[str, Any]) -> None:
    config = body["policy"]["config"]
    _cid_only_in_url(body)
    parts = urlsplit(config["inference_url"])
    kept = [(k, v) for k, v in query_params(config["inference_url"]) if k not in CID_QUERY_PARAMS]
    config["inference_url"] = urlunsplit(parts._replace(query=urlencode(kept)))


def _assert_served(
    ctx: CheckContext, rollout: Rollout, sent: str, expected: str, summary: str
) -> None:
    body = json_body(rollout.response)
    problem = (
        validation_problem(RolloutResponse, body)
        if rollout.response.status_code == 200
        else "not 200"
    )
    if problem is not None:
        raise CheckFailure(
            sent=sent,
            expected=expected,
            got=f"{ctx.describe(rollout.response)} ({problem})",
            fix="Read the cid as synth-ai does: policy.config.trace_correlation_id, then ?cid= "
            "(or trace_correlation_id, trace) in the inference URL; without one, mint a cid or "
            "go on without (§4.6).",
            summary=summary,
        )


@check("CID-8", severity=Severity.MUST, spec="cid-sources", tags=("cid",), depends_on=("RO-1",))
def cid_only_in_url_is_served(ctx: CheckContext) -> None:
    """A rollout whose cid is only in `?cid=` (no `trace_correlation_id`) is served and echoed."""
    rollout = ctx.rollout(seed=4, edit=_cid_only_in_url)
    sent = f"POST /rollout with cid {rollout.cid!r} only in the inference URL's ?cid="
    expected = "200 with a RolloutResponse echoing that cid"
    _assert_served(ctx, rollout, sent, expected, "a rollout with its cid only in ?cid= failed")
    for where in ("trace_correlation_id", "pipeline_metadata.trace_correlation_id"):
        value = nested(rollout.json(), *where.split("."))
        if value != rollout.cid:
            raise CheckFailure(
                sent=sent,
                expected=f"{where} = {rollout.cid!r}, the cid of the inference URL",
                got=f"{where} = {value!r}",
                fix="Without policy.config.trace_correlation_id, take the cid from ?cid= in "
                "policy.config.inference_url (§4.6).",
                summary=f"{where} does not echo the cid given only in the URL",
            )


@check("CID-9", severity=Severity.MUST, spec="cid-sources", tags=("cid",), depends_on=("RO-7",))
def rollout_without_cid_is_served(ctx: CheckContext) -> None:
    """An eval rollout with no cid anywhere, as `synth-ai eval` sends it, gets 200 and a valid body."""  # noqa: E501 (the first docstring line is the check's catalogue title, pinned)
    rollout = ctx.rollout(seed=5, mode="eval", edit=_no_cid_at_all)
    _assert_served(
        ctx,
        rollout,
        "POST /rollout, mode 'eval', with no trace_correlation_id and no ?cid= (as synth-ai "
        "eval sends it)",
        "200 with a RolloutResponse (the app mints a cid or goes on without one)",
        "a rollout with no cid, as synth-ai eval sends it, failed",
    )
