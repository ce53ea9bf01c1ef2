"""Replay determinism (DET): the same seed and the same model answers give the same episode.

The harness plays seed 3 once, then again with the model replaying, in order, the answers
it gave the first time (`/r/<id>/replay/<first id>/`). Both answers are reduced to what a
trainer learns from, with what is volatile by nature left out (run ids, cids, inference
URLs, timestamps, durations, uuids), and compared; a difference names the first field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from conformance.checks._behaviour import (
    declarations,
    require_scripted_model,
    seed_of,
    succeeded,
)
from conformance.checks._support import nested, no_calls_recorded
from conformance.context import CheckContext, Rollout, json_body
from conformance.contract import SEED_PARAM, TASK_INFO_PATH
from conformance.contract.behaviour import DETERMINISTIC_FIELD
from conformance.inference.script import replay_of
from conformance.outcomes import CheckFailure, CheckSkipped, SkipKind
from conformance.registry import Severity, check

_SEED = 3
"""Not 0: an app that ignores the seed and always plays instance 0 shows here."""
_TAGS = ("behaviour", "determinism", "recorder")
_VOLATILE_WORDS = frozenset(
    {
        "time",
        "timestamp",
        "created",
        "started",
        "finished",
        "completed",
        "updated",
        "latency",
        "elapsed",
        "duration",
        "uuid",
        "cid",
        "nonce",
    }
)
_VOLATILE_KEYS = frozenset(
    {
        "run_id",
        "session_id",
        "request_id",
        "trace_id",
        "span_id",
        "trace_correlation_id",
        "inference_url",
    }
)
_WORDS = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")
_UUID = re.compile(
    r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
)
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
_DECLARE = (
    f"an app that cannot replay declares task.{DETERMINISTIC_FIELD} = false in /info "
    "(service.task) and /task_info (task)"
)


def original_rollout(ctx: CheckContext) -> tuple[Rollout, dict[str, Any]]:
    """The rollout of seed 3 the replay checks share, and its body; SKIP when it failed."""
    original = ctx.memo("det-original", lambda: ctx.rollout(seed=_SEED))
    body = succeeded(original)
    if body is None:
        raise CheckSkipped(
            f"the rollout of seed {_SEED} did not succeed ({ctx.describe(original.response)}); "
            "RO-1 and RO-3 say why"
        )
    return original, body


def replay_pair(ctx: CheckContext) -> tuple[Rollout, Rollout]:
    """Seed 3 played, then played again on the first run's answers (once per run)."""
    require_scripted_model(ctx)
    original, _ = original_rollout(ctx)
    assert original.route is not None  # routes exist whenever the recorder does
    replay = ctx.memo(
        "det-replay", lambda: ctx.rollout(seed=_SEED, script=replay_of(original.route or ""))
    )
    for rollout in (original, replay):
        if not ctx.recorded_calls(rollout):
            raise CheckSkipped(f"the replay is unproven: {no_calls_recorded(rollout)}")
    return original, replay


def _difference(
    ctx: CheckContext,
    reductions: tuple[Callable[[dict[str, Any]], Any], ...],
    what: str,
    fix: str,
) -> CheckFailure | None:
    original, replay = replay_pair(ctx)
    answers = len(ctx.recorded_calls(original))
    sent = (
        f"POST /rollout with seed {_SEED}, then the same request again while the model "
        f"replays the first run's {answers} answer(s) in order"
    )
    first, again = succeeded(original), succeeded(replay)
    assert first is not None  # replay_pair skips otherwise
    if again is None:
        return CheckFailure(
            sent=sent,
            expected=f"200 with a RolloutResponse and the same {what}",
            got=f"the replay got {ctx.describe(replay.response)}",
            fix=fix,
            summary=f"replaying seed {_SEED}'s model answers did not give a valid rollout",
        )
    was, now = _stable(first, _run_values(original)), _stable(again, _run_values(replay))
    found = next(
        (d for reduce in reductions if (d := first_difference(reduce(was), reduce(now)))), None
    )
    if found is None:
        return None
    where, was, now = found
    return CheckFailure(
        sent=sent,
        expected=f"the same {what} (run ids, cids, URLs, times and uuids aside)",
        got=f"{where}: {ctx.short_json(was)} in the first run, {ctx.short_json(now)} in the replay",
        fix=fix,
        summary=f"replaying seed {_SEED}'s model answers changed {where}",
    )


@check("DET-1", severity=Severity.MUST, spec="determinism-replay", tags=_TAGS, depends_on=("RO-1",))
def replay_gives_the_same_rewards(ctx: CheckContext) -> None:
    """The same seed and the same model answers give the same rewards, flags and step counts."""
    _deterministic_only(ctx)
    failure = _difference(
        ctx,
        (training_signal,),
        "rewards, returns, done/truncated flags and step counts",
        "Make the episode a function of the seed and the model's answers: seed every random "
        f"generator from env.seed, never from the clock or a global; {_DECLARE}.",
    )
    if failure is not None:
        raise failure


@check(
    "DET-2", severity=Severity.SHOULD, spec="determinism-replay", tags=_TAGS, depends_on=("RO-1",)
)
def replay_gives_the_same_episode(ctx: CheckContext) -> None:
    """The same seed and the same model answers give the same observations and tool calls."""
    _deterministic_only(ctx)
    failure = _difference(
        ctx,
        (episode_content,),
        "observations, tool calls and final observation",
        "Build observations from the seed and the conversation only; keep wall-clock values "
        f"under keys named for time (created_at, elapsed_s) so they read as volatile; {_DECLARE}.",
    )
    if failure is not None:
        raise failure


@check(
    "DET-3", severity=Severity.MUST, spec="determinism-instance", tags=_TAGS, depends_on=("RO-1",)
)
def rollout_plays_the_described_instance(ctx: CheckContext) -> None:
    """A rollout with seed N plays the instance `/task_info?seed=N` describes (its `task_id`)."""
    original, body = original_rollout(ctx)
    instance = json_body(ctx.get(TASK_INFO_PATH, params={SEED_PARAM: seed_of(original)}))
    declared = nested(instance, "task_metadata", "task_id")
    places = [(w, v) for w, v in rollout_task_ids(body) if v is not None]
    if declared is None or not places:
        raise CheckSkipped(
            "the app does not name the instance both in /task_info (task_metadata.task_id) and "
            "in the rollout (obs, final or pipeline_metadata task_id)",
            kind=SkipKind.NOT_APPLICABLE,
        )
    if _splits_differ(instance, body):
        raise CheckSkipped(
            "the rollout played another split than /task_info describes (--split)",
            kind=SkipKind.NOT_APPLICABLE,
        )
    where, value = next(((w, v) for w, v in places if v != declared), (None, None))
    if where is not None:
        raise CheckFailure(
            sent=f"GET /task_info?seed={_SEED}, and POST /rollout with env.seed {_SEED}",
            expected=f"{where} = {declared!r}, as task_metadata.task_id of /task_info?seed={_SEED}",
            got=f"{where} = {ctx.short_json(value)}",
            fix="Choose the instance from env.seed (and env.config.split) alone, exactly as "
            "/task_info does; never from a counter, the clock or a random draw.",
            summary=f"the rollout of seed {_SEED} played another instance than /task_info names",
        )


@check("DET-4", severity=Severity.INFO, spec="determinism-replay", tags=_TAGS, depends_on=("RO-1",))
def declared_nondeterminism_is_reported(ctx: CheckContext) -> None:
    """An app declaring `task.deterministic: false`: where a replay differs (information)."""
    where = declarations(ctx).nondeterministic_at
    if where is None:  # DET-1 and DET-2 hold the app to replay: nothing to report here
        raise CheckSkipped(
            "the app does not declare itself nondeterministic (task.deterministic); DET-1 and "
            "DET-2 hold it to replay",
            kind=SkipKind.NOT_APPLICABLE,
        )
    failure = _difference(
        ctx,
        (training_signal, episode_content),
        "rewards, flags, step counts, observations and tool calls",
        f"Nothing is required: {where} is false. An episode that replays makes evals "
        "comparable across runs; if yours can, drop the declaration.",
    )
    if failure is not None:
        failure.summary = f"as declared ({where} = false), {failure.summary}"
        raise failure


def _deterministic_only(ctx: CheckContext) -> None:
    where = declarations(ctx).nondeterministic_at
    if where is not None:
        raise CheckSkipped(
            f"the app declares itself nondeterministic ({where} = false); DET-4 reports how a "
            "replay differs",
            kind=SkipKind.NOT_APPLICABLE,
        )


# --- what is compared ----------------------------------------------------------------------


def training_signal(body: dict[str, Any]) -> dict[str, Any]:
    """Rewards, flags and counts of a rollout response: what a trainer learns from."""
    trajectories = [t for t in body.get("trajectories") or [] if isinstance(t, dict)]
    metrics = _obj(body.get("metrics"))
    return {
        "aborted": body.get("aborted"),
        "trajectories": [
            {
                "length": t.get("length"),
                "steps": [
                    {k: s.get(k) for k in ("reward", "done", "truncated")}
                    for s in t.get("steps") or []
                    if isinstance(s, dict)
                ],
                "final.reward": nested(t, "final", "reward"),
            }
            for t in trajectories
        ],
        "metrics": {
            k: metrics.get(k)
            for k in (
                "episode_returns",
                "mean_return",
                "num_steps",
                "num_episodes",
                "outcome_score",
                "events_score",
            )
        },
    }


def episode_content(body: dict[str, Any]) -> dict[str, Any]:
    """Observations and actions of a rollout response: what the episode was."""
    return {
        "trajectories": [
            {
                "steps": [
                    {"obs": s.get("obs"), "tool_calls": s.get("tool_calls")}
                    for s in t.get("steps") or []
                    if isinstance(s, dict)
                ],
                "final.observation": nested(t, "final", "observation"),
            }
            for t in body.get("trajectories") or []
            if isinstance(t, dict)
        ]
    }


def rollout_task_ids(body: dict[str, Any]) -> list[tuple[str, Any]]:
    """(place, value) of every conventional `task_id` of a rollout response (§3.3)."""
    found = [("pipeline_metadata.task_id", nested(body, "pipeline_metadata", "task_id"))]
    for t, trajectory in enumerate(body.get("trajectories") or []):
        steps = nested(trajectory, "steps")
        first = steps[0] if isinstance(steps, list) and steps else None
        found += [
            (f"trajectories[{t}].steps[0].obs.task_id", nested(first, "obs", "task_id")),
            (
                f"trajectories[{t}].final.observation.task_id",
                nested(trajectory, "final", "observation", "task_id"),
            ),
            (
                f"trajectories[{t}].final.info.task_id",
                nested(trajectory, "final", "info", "task_id"),
            ),
        ]
    return found


def _splits_differ(instance: Any, body: dict[str, Any]) -> bool:
    meta = nested(instance, "task_metadata") or {}
    described = meta.get("split", meta.get("task_split")) if isinstance(meta, dict) else None
    played = nested(body, "pipeline_metadata", "task_split")
    return described is not None and played is not None and described != played


def _run_values(rollout: Rollout) -> dict[str, str]:
    """Values that differ between two runs by design, and the placeholder each becomes."""
    values = {rollout.cid: "<cid>", str(rollout.body.get("run_id")): "<run_id>"}
    if rollout.route is not None:
        values[rollout.route.split("/")[2]] = "<route>"
    return values


def _volatile(key: str) -> bool:
    words = {w.lower() for w in _WORDS.findall(key)}
    return key.lower() in _VOLATILE_KEYS or bool(words & _VOLATILE_WORDS)


def _stable(value: Any, run_values: dict[str, str]) -> Any:
    """`value` without what is volatile by nature: keys named for times, ids, cids and URLs;
    this run's own cid, run id and route; uuids and ISO timestamps inside strings.
    """
    if isinstance(value, dict):
        return {
            k: _stable(v, run_values)
            for k, v in value.items()
            if not (isinstance(k, str) and _volatile(k))
        }
    if isinstance(value, list):
        return [_stable(v, run_values) for v in value]
    if isinstance(value, str):
        for raw, placeholder in run_values.items():
            value = value.replace(raw, placeholder)
        return _ISO_TIME.sub("<time>", _UUID.sub("<uuid>", value))
    return value


def first_difference(a: Any, b: Any, where: str = "") -> tuple[str, Any, Any] | None:
    """(path, value in `a`, value in `b`) of the first place two JSON values differ."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            path = f"{where}.{key}" if where else str(key)
            if key not in a or key not in b:
                return path, a.get(key, "<absent>"), b.get(key, "<absent>")
            found = first_difference(a[key], b[key], path)
            if found is not None:
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b, strict=False)):
            found = first_difference(x, y, f"{where}[{i}]")
            if found is not None:
                return found
        if len(a) != len(b):
            return f"{where} (length)", len(a), len(b)
        return None
    same = (a == b and type(a) is type(b)) or (_number(a) and _number(b) and a == b)
    return None if same else (where, a, b)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
