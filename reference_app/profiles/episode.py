"""One arithmetic episode for a later generation's request, played by the app's own executor.

Every generation serves the same task, so a `localapi`, `container` or `containers-2026-05`
request is restated as the `legacy-0.2` request it means (the cid as the run id and in
`policy.config`, a full trace asked for) and handed to `TaskAppConfig.rollout`: the policy
loop, the model calls (with the cid exactly where legacy puts it), the trace and the capture
listeners are the legacy app's, unchanged. This module then reads the generation-neutral
facts (reward, per-step rewards, trace, answer) back out of the legacy response.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from conformance.contract import (
    RolloutEnvSpec,
    RolloutMode,
    RolloutPolicySpec,
    RolloutRecordConfig,
    RolloutRequest,
    RolloutResponse,
    RolloutSafetyConfig,
)
from reference_app.config import TaskAppConfig
from reference_app.rollout import CAPTURE_ERRORS_KEY


@dataclass(frozen=True)
class EpisodeRequest:
    """What any generation's rollout asks of the task."""

    run_id: str
    cid: str
    env: RolloutEnvSpec
    policy_config: Mapping[str, Any]
    policy_name: str | None = None
    max_time_s: float = 3600.0
    training_session_id: str | None = None
    synth_base_url: str | None = None


@dataclass(frozen=True)
class Episode:
    """A finished episode, in the words every later generation uses."""

    cid: str
    outcome_reward: float
    event_rewards: list[float]
    trace: dict[str, Any]
    inference_url: str
    answer: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)

    def reward_info(self) -> dict[str, Any]:
        """`reward_info` as synth-ai 0.9 sends it (`outcome_objectives` filled in)."""
        return {
            "outcome_reward": self.outcome_reward,
            "event_rewards": self.event_rewards,
            "outcome_objectives": {"reward": self.outcome_reward},
            "details": self.details,
        }


def check(cfg: TaskAppConfig, request: EpisodeRequest) -> None:
    """Refuse now (4xx) what `play` would refuse, when the executor can tell without playing."""
    if cfg.check_rollout is not None:
        cfg.check_rollout(legacy_request(request))


async def play(cfg: TaskAppConfig, request: EpisodeRequest) -> Episode:
    """Run the episode; the executor's `TaskAppError`s (bad input 4xx, model 5xx) propagate."""
    return _episode(request.cid, await cfg.rollout(legacy_request(request)))


def legacy_request(request: EpisodeRequest) -> RolloutRequest:
    """The `legacy-0.2` request that means the same episode."""
    return RolloutRequest(
        run_id=request.run_id,
        env=request.env,
        policy=RolloutPolicySpec(
            policy_name=request.policy_name,
            # The generation's cid is the rollout's identity: it wins over any in the config.
            config={**request.policy_config, "trace_correlation_id": request.cid},
        ),
        ops=[],
        record=RolloutRecordConfig(return_trace=True, trace_format="full"),
        safety=RolloutSafetyConfig(max_time_s=request.max_time_s),
        training_session_id=request.training_session_id,
        synth_base_url=request.synth_base_url,
        mode=RolloutMode.RL,
    )


def _episode(cid: str, response: RolloutResponse) -> Episode:
    trajectory = response.trajectories[0]
    final = trajectory.final or {}
    metadata = response.pipeline_metadata
    details: dict[str, Any] = {
        key: metadata[key] for key in ("task_id", "task_split", "seed", "model") if key in metadata
    }
    details["num_steps"] = response.metrics.num_steps
    if CAPTURE_ERRORS_KEY in metadata:  # a capture listener failed: say so, as legacy does
        details[CAPTURE_ERRORS_KEY] = metadata[CAPTURE_ERRORS_KEY]
    return Episode(
        cid=cid,
        outcome_reward=response.metrics.mean_return,
        event_rewards=[step.reward or 0.0 for step in trajectory.steps],
        trace=response.trace or {},
        inference_url=str(metadata.get("inference_url") or trajectory.inference_url),
        answer=dict(final.get("observation") or {}),
        details=details,
    )
