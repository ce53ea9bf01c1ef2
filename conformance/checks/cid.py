"""Trace correlation: the issued `?cid=` comes back everywhere and reaches the model
(§4.1, §4.6).
"""

from __future__ import annotations

import functools
from typing import Any

from conformance.checks._support import nested, steps, unproven_at_the_model
from conformance.context import CheckContext, Rollout, json_body
from conformance.contract import cid_of
from conformance.outcomes import CheckFailure
from conformance.registry import Severity, check

_EXTRA_QUERY = "team=conformance&v=2"
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


@check("CID-1", severity=Severity.MUST, spec="§4.1", tags=("cid",), depends_on=("RO-1",))
def pipeline_inference_url_carries_cid(ctx: CheckContext) -> None:
    """`pipeline_metadata.inference_url` contains `?cid=<issued cid>` (the RL validator's test)."""
    rollout = ctx.baseline_rollout()
    url = nested(rollout.json(), "pipeline_metadata", "inference_url")
    if not isinstance(url, str) or "?cid=" not in url:
        raise CheckFailure(
            sent="POST /rollout with a ?cid= inference URL",
            expected="pipeline_metadata.inference_url with '?cid=' as its first parameter",
            got=f"pipeline_metadata.inference_url = {url!r}",
            fix="Return the inference URL with cid as the first query parameter (§4.1).",
        )
    _assert_location(ctx, rollout, "pipeline_metadata.inference_url", _FIX_ECHO)


@check("CID-2", severity=Severity.MUST, spec="§4.1", tags=("cid",), depends_on=("RO-3",))
def every_step_meta_url_carries_cid(ctx: CheckContext) -> None:
    """Every step's `info.meta.inference_url` carries the issued cid."""
    _assert_location(ctx, ctx.baseline_rollout(), "trajectories[", _FIX_ECHO)


@check("CID-3", severity=Severity.MUST, spec="§4.6", tags=("cid",), depends_on=("RO-1",))
def trace_correlation_id_echoed(ctx: CheckContext) -> None:
    """`trace_correlation_id` at top level and in `pipeline_metadata` equals the issued cid."""
    rollout = ctx.baseline_rollout()
    _assert_location(ctx, rollout, "trace_correlation_id", _FIX_ECHO)
    _assert_location(ctx, rollout, "pipeline_metadata.trace_correlation_id", _FIX_ECHO)


def _assert_recorded(ctx: CheckContext, rollout: Rollout) -> None:
    calls = ctx.recorded_calls(rollout)
    wrong = [c.cid for c in calls if c.cid != rollout.cid]
    if not calls or wrong:
        raise CheckFailure(
            sent=f"POST /rollout with cid {rollout.cid!r}",
            expected="at least one inference call, every one carrying exactly that cid",
            got="no inference call reached the mock"
            if not calls
            else f"calls carried cid {wrong[0]!r}",
            fix=(
                "Call the inference URL exactly as given, query string included;"
                " never cache one per process."
            ),
        )


@check("CID-4", severity=Severity.MUST, spec="§4.6", tags=("cid", "recorder"), depends_on=("RO-1",))
def inference_calls_carry_issued_cid(ctx: CheckContext) -> None:
    """The model received at least one call with the issued cid, and none with another cid."""
    _assert_recorded(ctx, ctx.baseline_rollout())


@check(
    "CID-5", severity=Severity.MUST, spec="§4.6", tags=("cid", "concurrency"), depends_on=("CID-2",)
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
    unproven_at_the_model(ctx, "every response carried only its own cid")


def _cross_talk(ctx: CheckContext, rollout: Rollout, others: set[str]) -> str | None:
    """How `rollout` shows another rollout's cid (or, recorded, reached no model), if it does."""
    body = json_body(rollout.response)
    for where, cid in cid_locations(body) if isinstance(body, dict) else []:
        if cid in others:
            return f"{where} carries {cid!r}, the cid of another rollout in flight"
    if ctx.recorder is None:
        return None
    calls = ctx.recorded_calls(rollout)
    if not calls:
        return "no inference call of this rollout reached the model"
    foreign = next((c.cid for c in calls if c.cid in others), None)
    if foreign is not None:
        return f"an inference call carries {foreign!r}, the cid of another rollout in flight"
    return None


@check("CID-6", severity=Severity.MUST, spec="§4.2", tags=("cid",), depends_on=("RO-1",))
def other_query_parameters_survive(ctx: CheckContext) -> None:
    """Other query parameters of the inference URL survive, in the response and at the model."""
    rollout = ctx.rollout(seed=2, extra_query=_EXTRA_QUERY)
    url = nested(json_body(rollout.response), "pipeline_metadata", "inference_url")
    seen = [str(url)] + (
        [f"?{'&'.join(f'{k}={v}' for k, v in c.query)}" for c in ctx.recorded_calls(rollout)]
        if ctx.recorder is not None
        else []
    )
    for where, value in zip(
        ["pipeline_metadata.inference_url", *["an inference call"] * len(seen)], seen, strict=False
    ):
        if not all(p in value for p in _EXTRA_QUERY.split("&")):
            raise CheckFailure(
                sent=f"POST /rollout with inference URL ...?cid=...&{_EXTRA_QUERY}",
                expected=f"{where} keeping {_EXTRA_QUERY}",
                got=f"{where}: {value!r}",
                fix="Keep the query string verbatim; do not rebuild the URL from parts (D26).",
            )
    unproven_at_the_model(ctx, "pipeline_metadata.inference_url kept every parameter")
