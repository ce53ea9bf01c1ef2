"""What the `containers-2026-05` reference app declares about itself, and the compatibility
reports that follow from it.

`/metadata` declares only what the app does: blocking and async rollouts that emit a reward and
a trace, `/state` and `/terminate`, nothing else (no checkpoints, pause, resume, branching,
token traces, verifier or catalog; every execution profile `unsupported`). `/compatibility`
evaluates each consumer target's requirements against that declaration with
`conformance.contract.containers.compatibility_report` (synth-containers 0.4.6's own rule, the
one CS-10 holds reports to), so a report that says `supported: true` claims only what
`/metadata` declares.
"""

from __future__ import annotations

from typing import Any, Final

from conformance.contract.profiles import CONTAINERS_CONTRACT_VERSION

PROTOCOL: Final = "synth.container.contract.v1"
"""`synth_containers/metadata.py:49`."""

_EXECUTION_PROFILES: Final = (
    "stateless_evaluator",
    "gym_style_environment",
    "checkpointable_stateful_environment",
    "checkpointable_long_horizon_environment",
    "multi_agent_long_horizon_environment",
    "sandboxed_mcp_world",
    "rl_trajectory_emitter",
    "token_level_rl_environment",
    "harness_managed_benchmark_environment",
)


def capabilities(hints: dict[str, list[str]]) -> dict[str, Any]:
    """`capabilities` of `/metadata`: every claim the compatibility reports rest on, explicit."""
    return {
        "protocol": PROTOCOL,
        "contract_version": CONTAINERS_CONTRACT_VERSION,
        "live_frames": "unsupported",
        "metadata": {"policy_ready": True, "program_ready": False},
        "rollout_modes": ["blocking", "async"],
        "statefulness_tier": "episodic",
        "profiles": [],
        "profile_fidelity": dict.fromkeys(_EXECUTION_PROFILES, "unsupported"),
        "protocol_fidelity": {
            "rollout_runnable": "native",
            "async_rollout_runnable": "native",
            "reward_emitting": "native",
            "trace_emitting": "native",
        },
        "checkpoint_semantics": "none",
        "resume_semantics": "unsupported",
        "checkpoint_support": False,
        "pause_support": False,
        "resume_support": False,
        "terminate_support": True,
        "state_support": False,
        "trace_support": True,
        "reward_support": True,
        "verifier_support": False,
        "artifact_support": False,
        "token_emission": dict.fromkeys(
            ("token_ids", "tokens", "logprobs", "logits", "top_logprobs", "old_logprobs"), False
        ),
        "multi_actor": False,
        "proxied_inference": False,
        "supports_branching": False,
        "true_environment_snapshot": False,
        "route_hints": hints,
    }


def metadata(runtime: dict[str, str], hints: dict[str, list[str]]) -> dict[str, Any]:
    """The body of `GET /metadata` (and its alias `/info`)."""
    return {"runtime": runtime, "capabilities": capabilities(hints), "metadata": {}}
