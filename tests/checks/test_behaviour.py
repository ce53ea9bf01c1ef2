"""Behaviour checks (DET, RWD, LOAD, MF): each fails against one of its faults with this exact
block (random rewards and timings normalised).
"""

from __future__ import annotations

import re

from conformance.outcomes import FailureDetail
from tests.checks._support import failure

NUMBERS = ((re.compile(r"\d+\.\d+"), "<n>"),)
"""Random rewards and measured times differ from run to run."""
_REPLAY = (
    "POST /rollout with seed 3, then the same request again while the model replays the first "
    "run's 2 answer(s) in order"
)
_DECLARE = (
    "an app that cannot replay declares task.deterministic = false in /info (service.task) and "
    "/task_info (task)."
)
_MARKED = (
    "within 5s: a RolloutResponse marking the failure (aborted, a step truncated, or a step's "
    "info.error), or a 4xx/502/503/504 with the error envelope"
)
_UNMARKED = "within 5s: a RolloutResponse, or a 4xx/502/503/504 with the error envelope"
_CRASHED = (
    '500, body=\'{"detail":{"error":{"code":"internal_error","message":"internal error"}}}\' '
    "(crashed: a 500 loses the episode, and synth-ai's client sends it again)"
)
_FIX_MODEL = (
    "Catch every failure of the model call (status, timeout, undecodable or empty answer) and "
    "end the rollout cleanly: mark the step or episode (truncated/aborted, info.error), or "
    "answer 502/503/504 with the error envelope. Bound every model call and the whole rollout "
    "by safety.max_time_s."
)
_FIX_TOOLS = (
    "Treat a tool call the model got wrong as the policy's mistake, not the app's: parse "
    "arguments defensively and answer an unknown tool with an error observation (or end the "
    "episode, marked), never an exception."
)
_MODEL_FAULTS = "docs/contract.md#model-faults"


def test_det_1_random_reward_term() -> None:
    """DET-1 names the first reward a replay of the same answers changed."""
    assert failure("DET-1", "random_reward_term", also=NUMBERS) == FailureDetail(
        summary="replaying seed 3's model answers changed trajectories[0].steps[1].reward",
        sent=_REPLAY,
        expected=(
            "the same rewards, returns, done/truncated flags and step counts (run ids, cids, "
            "URLs, times and uuids aside)"
        ),
        got="trajectories[0].steps[1].reward: <n> in the first run, <n> in the replay",
        fix=(
            "Make the episode a function of the seed and the model's answers: seed every random "
            f"generator from env.seed, never from the clock or a global; {_DECLARE}"
        ),
        spec="docs/contract.md#determinism-replay",
    )


def test_det_2_random_draw_in_observations() -> None:
    """DET-2 names the observation field a replay changed."""
    assert failure("DET-2", "random_draw_in_observations", also=NUMBERS) == FailureDetail(
        summary="replaying seed 3's model answers changed trajectories[0].steps[0].obs.noise",
        sent=_REPLAY,
        expected=(
            "the same observations, tool calls and final observation (run ids, cids, URLs, times "
            "and uuids aside)"
        ),
        got="trajectories[0].steps[0].obs.noise: <n> in the first run, <n> in the replay",
        fix=(
            "Build observations from the seed and the conversation only; keep wall-clock values "
            "under keys named for time (created_at, elapsed_s) so they read as volatile; "
            f"{_DECLARE}"
        ),
        spec="docs/contract.md#determinism-replay",
    )


def test_det_3_instance_chosen_without_the_seed() -> None:
    """DET-3 names the rollout's task_id and the one /task_info gives for the same seed."""
    assert failure("DET-3", "instance_chosen_without_the_seed") == FailureDetail(
        summary="the rollout of seed 3 played another instance than /task_info names",
        sent="GET /task_info?seed=3, and POST /rollout with env.seed 3",
        expected=(
            "pipeline_metadata.task_id = 'arith-train-3', as task_metadata.task_id of "
            "/task_info?seed=3"
        ),
        got='pipeline_metadata.task_id = "arith-train-10000"',
        fix=(
            "Choose the instance from env.seed (and env.config.split) alone, exactly as "
            "/task_info does; never from a counter, the clock or a random draw."
        ),
        spec="docs/contract.md#determinism-instance",
    )


def test_det_4_declared_nondeterminism_is_information() -> None:
    """DET-4 reports, as information, how a declared-nondeterministic app's replay differs."""
    declared = "/info service.task.deterministic"
    assert failure("DET-4", "declared_nondeterministic_random_reward", also=NUMBERS) == (
        FailureDetail(
            summary=(
                f"as declared ({declared} = false), replaying seed 3's model answers changed "
                "trajectories[0].steps[1].reward"
            ),
            sent=_REPLAY,
            expected=(
                "the same rewards, flags, step counts, observations and tool calls (run ids, "
                "cids, URLs, times and uuids aside)"
            ),
            got="trajectories[0].steps[1].reward: <n> in the first run, <n> in the replay",
            fix=(
                f"Nothing is required: {declared} is false. An episode that replays makes evals "
                "comparable across runs; if yours can, drop the declaration."
            ),
            spec="docs/contract.md#determinism-replay",
        )
    )


def test_rwd_1_rewards_above_the_declared_range() -> None:
    """RWD-1 names the reward outside the range and where the range was declared."""
    assert failure("RWD-1", "rewards_above_the_declared_range") == FailureDetail(
        summary="trajectories[0].steps[1].reward lies outside the declared reward_range",
        sent="POST /rollout with env.seed 0",
        expected="every reward and return within [0, 0.5], as /info limits.reward_range declares",
        got="trajectories[0].steps[1].reward = 1.0",
        fix=(
            "Clip or scale rewards into the range you declare, or declare the range your rewards "
            "really take (returns included)."
        ),
        spec="docs/contract.md#reward-range",
    )


def test_load_1_synchronous_model_client() -> None:
    """LOAD-1 fails a blocking client with both runs' figures and the likely causes."""
    run = "{label}: <n>s in all, p50 <n>s, p95 <n>s, <n> rollouts/s, 0 error(s)"
    assert failure("LOAD-1", "synchronous_model_client", also=NUMBERS) == FailureDetail(
        summary="8 rollouts at once took <n>x as long as one alone: the app serialises them",
        sent=(
            "POST /rollout once alone, then 8 at once (seeds 0-7), the model answering every "
            "call after 500 ms"
        ),
        expected="the 8 done in under 4x the time of one alone (a concurrent app takes about "
        "1x-2x)",
        got=(
            f"<n>x: {run.format(label='1 rollout alone')}; {run.format(label='8 rollouts at once')}"
        ),
        fix=(
            "Never block the event loop: await the model with an async client, asyncio.sleep "
            "rather than time.sleep, CPU work in asyncio.to_thread. synth-ai's server awaits "
            "your rollout executor on its event loop, so a blocking call anywhere in it "
            "serialises every rollout. Likely causes: time.sleep, requests or httpx.Client in "
            "the executor, a global lock, a single worker."
        ),
        spec="docs/contract.md#load-concurrency",
    )


def test_mf_1_crash_on_a_model_500() -> None:
    """MF-1 fails a handler that crashes when the model answers 500."""
    assert failure("MF-1", "crash_on_model_error_status") == FailureDetail(
        summary="/rollout crashed when the model answers 500",
        sent="POST /rollout with safety.max_time_s = 1, the model answers 500",
        expected=_MARKED,
        got=_CRASHED,
        fix=_FIX_MODEL,
        spec=_MODEL_FAULTS,
    )


def test_mf_2_crash_on_a_rate_limit() -> None:
    """MF-2 fails a handler that crashes on a 429."""
    assert failure("MF-2", "crash_on_model_error_status").summary == (
        "/rollout crashed when the model answers 429 with Retry-After: 1"
    )


def test_mf_3_hang_on_a_stalled_model() -> None:
    """MF-3 fails an app that waits for a stalled model past its rollout's time budget."""
    assert failure("MF-3", "hang_on_a_stalled_model") == FailureDetail(
        summary="/rollout hung when the model stalls 6s on every call",
        sent="POST /rollout with safety.max_time_s = 1, the model stalls 6s on every call",
        expected=_MARKED,
        got="no answer within 5s",
        fix=_FIX_MODEL,
        spec=_MODEL_FAULTS,
    )


def test_mf_4_and_5_unchecked_model_answer() -> None:
    """MF-4 and MF-5 fail a handler that indexes an answer that is not JSON, or has no choice."""
    assert failure("MF-4", "unchecked_model_answer").summary == (
        "/rollout crashed when the model answers 200 with a body that is not JSON"
    )
    assert failure("MF-5", "unchecked_model_answer").summary == (
        "/rollout crashed when the model answers a completion with no choices"
    )


def test_mf_6_tool_arguments_parsed_unguarded() -> None:
    """MF-6 fails a handler that parses tool arguments without a guard."""
    assert failure("MF-6", "tool_arguments_parsed_unguarded") == FailureDetail(
        summary="/rollout crashed when the model calls a tool with arguments that are not JSON",
        sent=(
            "POST /rollout with safety.max_time_s = 1, the model calls a tool with arguments "
            "that are not JSON"
        ),
        expected=_UNMARKED,
        got=_CRASHED,
        fix=_FIX_TOOLS,
        spec=_MODEL_FAULTS,
    )


def test_mf_7_unknown_tool_crashes() -> None:
    """MF-7 names the tool the app was never offered."""
    assert failure("MF-7", "unknown_tool_crashes").summary == (
        "/rollout crashed when the model calls 'tool_the_app_never_offered', a tool it was "
        "never offered"
    )


def test_mf_8_crash_on_a_large_answer() -> None:
    """MF-8 fails a handler that crashes on an 8 MiB answer, with the size-bound fix."""
    detail = failure("MF-8", "crash_on_a_large_answer")
    assert (detail.summary, detail.expected, detail.got, detail.fix) == (
        "/rollout crashed when the model answers 8 MiB of content",
        _UNMARKED,
        _CRASHED,
        "Read the model's answer with a size bound (a few MiB, counted decoded) and end the "
        "rollout with a 502 past it, or keep a truncated copy of the content.",
    )
