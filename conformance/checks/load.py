"""Concurrency under load (LOAD): a batch of rollouts is served at once, not one by one.

Trainers send rollouts in batches. An app that blocks its event loop (a synchronous HTTP
client, `time.sleep`, CPU work in an async handler) or holds a global lock answers every
shape check and still serialises the batch, making training K times slower.

The model answers every call after a fixed latency L (`/r/<id>/latency/<ms>/`), so a
rollout is mostly waiting. The harness times one rollout alone, then K at once (`--load`,
default 8), and judges only the ratio of the two, against the same app's own serial run:
a concurrent app takes about 1x-2x, a serialising one about Kx; the limit, K/2, leaves a
factor of 2 either way for a loaded 2-core machine. A ratio over the limit is measured a
second time before it counts.
"""

from __future__ import annotations

import functools
import time

from conformance.checks._behaviour import load_window, require_scripted_model
from conformance.checks._support import no_calls_recorded
from conformance.context import CheckContext, Rollout
from conformance.inference.script import latency
from conformance.latency import LatencyRun, LatencyTable
from conformance.outcomes import CheckFailure, CheckSkipped
from conformance.registry import Severity, check

MODEL_TIME_PER_ROLLOUT_S = 1.0
"""L is chosen so that one rollout's model calls wait about this long in all: long enough
that waiting, not the CPU a rollout costs, decides how long a batch takes.
"""
MIN_LATENCY_S, MAX_LATENCY_S = 0.05, 0.5
_ATTEMPTS = 2


def model_latency_s(ctx: CheckContext) -> float:
    """L: 1 s over the model calls of the baseline rollout, within 50-500 ms."""
    calls = len(ctx.recorded_calls(ctx.baseline_rollout())) or 1
    return min(MAX_LATENCY_S, max(MIN_LATENCY_S, MODEL_TIME_PER_ROLLOUT_S / calls))


def _timed(ctx: CheckContext, seed: int, script: str) -> tuple[Rollout, float]:
    started = time.monotonic()
    rollout = ctx.rollout(seed=seed, script=script)
    return rollout, time.monotonic() - started


def timed_run(
    ctx: CheckContext, label: str, seeds: list[int], script: str
) -> tuple[LatencyRun, list[Rollout]]:
    """Send one rollout per seed, all at once; how long each and all of them took."""
    started = time.monotonic()
    results = ctx.gather_values([functools.partial(_timed, ctx, s, script) for s in seeds])
    wall = time.monotonic() - started
    errors = sum(1 for rollout, _ in results if rollout.response.status_code != 200)
    run = LatencyRun(label, tuple(d for _, d in results), errors, wall)
    return run, [rollout for rollout, _ in results]


def _figures(run: LatencyRun) -> str:
    return (
        f"{run.label}: {run.wall_s:.2f}s in all, p50 {run.p50_s:.2f}s, p95 {run.p95_s:.2f}s, "
        f"{run.throughput:.1f} rollouts/s, {run.errors} error(s)"
    )


@check(
    "LOAD-1",
    severity=Severity.SHOULD,
    spec="load-concurrency",
    tags=("behaviour", "load", "concurrency", "recorder", "slow"),
)
def batch_is_served_concurrently(ctx: CheckContext) -> None:
    """K rollouts at once (default 8) take under K/2 times one alone: the app serves them concurrently."""  # noqa: E501 (the first docstring line is the check's catalogue title, pinned)
    require_scripted_model(ctx)
    k, wait = ctx.settings.load_rollouts, model_latency_s(ctx)
    seeds = [i % ctx.settings.min_seeds for i in range(k)]
    with load_window(ctx).loading():
        for _ in range(_ATTEMPTS):  # a ratio over the limit is measured again before it counts
            alone, (single,) = timed_run(ctx, "1 rollout alone", seeds[:1], latency(wait))
            batch, _ = timed_run(ctx, f"{k} rollouts at once", seeds, latency(wait))
            ratio = batch.wall_s / max(alone.wall_s, 1e-6)
            if alone.errors or batch.errors or ratio <= k / 2:
                break
    if not ctx.recorded_calls(single):
        raise CheckSkipped(f"the model's latency never applied: {no_calls_recorded(single)}")
    note = f"{k} at once took {ratio:.1f}x one alone (limit {k / 2:g}x); model latency {wait:.2f}s"
    extra = {"ratio": ratio, "limit": k / 2, "model_latency_s": wait}
    ctx.record_latency(LatencyTable("LOAD-1", "Rollout latency", (alone, batch), note, extra))
    sent = (
        f"POST /rollout once alone, then {k} at once (seeds {seeds[0]}-{max(seeds)}), the model "
        f"answering every call after {wait * 1000:.0f} ms"
    )
    if alone.errors or batch.errors:
        raise _failed_under_load(sent, alone, batch)
    if ratio > k / 2:
        raise _serialised(sent, k, ratio, alone, batch)


def _failed_under_load(sent: str, alone: LatencyRun, batch: LatencyRun) -> CheckFailure:
    return CheckFailure(
        sent=sent,
        expected="200 for every rollout",
        got=f"{_figures(alone)}; {_figures(batch)}",
        fix="Serve concurrent rollouts: keep per-rollout state per request, and bound work "
        "with a queue that waits, not one that refuses.",
        summary=f"{alone.errors + batch.errors} rollout(s) failed under load",
    )


def _serialised(
    sent: str, k: int, ratio: float, alone: LatencyRun, batch: LatencyRun
) -> CheckFailure:
    return CheckFailure(
        sent=sent,
        expected=f"the {k} done in under {k / 2:g}x the time of one alone (a concurrent "
        f"app takes about 1x-2x)",
        got=f"{ratio:.1f}x: {_figures(alone)}; {_figures(batch)}",
        fix="Never block the event loop: await the model with an async client, "
        "asyncio.sleep rather than time.sleep, CPU work in asyncio.to_thread. synth-ai's "
        "server awaits your rollout executor on its event loop, so a blocking call anywhere "
        "in it serialises every rollout. Likely causes: time.sleep, requests or "
        "httpx.Client in the executor, a global lock, a single worker.",
        summary=f"{k} rollouts at once took {ratio:.1f}x as long as one alone: the app "
        "serialises them",
    )
