"""What the `containers-2026-05` reference app declares about itself, and the compatibility
reports that follow from it.

`/metadata` declares only what the app does: blocking and async rollouts that emit a reward and
a trace, `/state` and `/terminate`, nothing else (no checkpoints, pause, resume, branching,
token traces, verifier or catalog; every execution profile `unsupported`). `/compatibility`
evaluates each consumer target's requirements against that declaration with synth-containers
0.4.6's own rule (`synth_containers/compatibility.py`: a protocol or profile counts from
`derived` up; the tier ranks stateless < episodic < stateful < long_horizon), so a report that
says `supported: true` claims only what `/metadata` declares.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from conformance.contract.profiles import CONTAINERS_CONTRACT_VERSION

PROTOCOL: Final = "synth.container.contract.v1"
"""`synth_containers/metadata.py:49`."""

_LEVEL_RANK: Final = {"unsupported": 0, "approximate": 1, "derived": 2, "native": 3}
_TIER_RANK: Final = {"stateless": 0, "episodic": 1, "stateful": 2, "long_horizon": 3}
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


@dataclass(frozen=True)
class Requirement:
    """What one consumer needs (`compatibility.py:96-272`, `CONSUMER_REQUIREMENTS`)."""

    profiles: tuple[str, ...] = ()
    protocols: tuple[str, ...] = ()
    protocol_groups: tuple[tuple[str, ...], ...] = ()
    rollout_modes: tuple[str, ...] = ()
    minimum_tier: str | None = None
    features: tuple[str, ...] = ()
    """Capability flags it needs true; `token_ids`, `logprobs`, `logits` are read from
    `token_emission`, `tool_runtime` from `tool_runtime.runtime_kind`."""


_RL: Final = ("resettable", "steppable", "reward_emitting", "trace_emitting")
_TOKEN_RL: Final = (*_RL, "token_trace_emitting", "proxied_inference_backed")
_RUNNABLE: Final = ("rollout_runnable", "async_rollout_runnable")
_SCORED: Final = ("reward_emitting", "verifier_backed")

REQUIREMENTS: Final = {
    "go_ex": Requirement(
        profiles=("checkpointable_long_horizon_environment",),
        protocols=("checkpointable", "restorable", "trace_emitting"),
        protocol_groups=(("steppable", *_RUNNABLE), _SCORED),
        rollout_modes=("async",),
        minimum_tier="long_horizon",
        features=(
            "checkpoint_support",
            "resume_support",
            "supports_branching",
            "state_support",
            "trace_support",
        ),
    ),
    "miprov2": Requirement(protocol_groups=(_RUNNABLE, _SCORED), minimum_tier="stateless"),
    "standard_evals": Requirement(
        profiles=("harness_managed_benchmark_environment",),
        protocols=("catalog_backed", "verifier_backed"),
        minimum_tier="stateless",
        features=("verifier_support",),
    ),
    "pipeline_rl": Requirement(
        profiles=("rl_trajectory_emitter",),
        protocols=_RL,
        minimum_tier="episodic",
        features=("trace_support", "reward_support"),
    ),
    **{
        target: Requirement(
            profiles=("token_level_rl_environment",),
            protocols=_TOKEN_RL,
            minimum_tier="episodic",
            features=("trace_support", "reward_support", "token_ids", *extra, "proxied_inference"),
        )
        for target, extra in (
            ("pipeline_rl_token_ids", ()),
            ("pipeline_rl_logprobs", ("logprobs",)),
            ("pipeline_rl_logits", ("logits",)),
        )
    },
    "harbor_proxy": Requirement(
        profiles=("harness_managed_benchmark_environment",),
        protocols=("catalog_backed", "async_rollout_runnable", "verifier_backed"),
        rollout_modes=("async",),
        minimum_tier="stateless",
        features=("verifier_support",),
    ),
    "openenv_proxy": Requirement(
        profiles=("gym_style_environment",),
        protocols=("resettable", "steppable", "observable", "state_readable"),
        minimum_tier="episodic",
        features=("state_support",),
    ),
    "archipelago_proxy": Requirement(
        profiles=("sandboxed_mcp_world",),
        protocols=("async_rollout_runnable", "tool_callable", "trace_emitting"),
        rollout_modes=("async",),
        minimum_tier="episodic",
        features=("trace_support", "tool_runtime"),
    ),
}
"""Every consumer target, in the package's order (`compatibility.py:12-22`)."""


def report(caps: dict[str, Any], target: str) -> dict[str, Any]:
    """The package's `CompatibilityReport.to_dict()` for `target`; KeyError if unknown."""
    need = REQUIREMENTS[target]
    protocols = caps.get("protocol_fidelity", {})
    supported_at = _LEVEL_RANK["derived"]

    def level(name: str) -> int:
        return _LEVEL_RANK.get(str(protocols.get(name, "unsupported")), 0)

    missing_profiles = [p for p in need.profiles if _profile_level(caps, p) < supported_at]
    missing_protocols = [p for p in need.protocols if level(p) < supported_at]
    missing_groups = [
        "|".join(group)
        for group in need.protocol_groups
        if not any(level(p) >= supported_at for p in group)
    ]
    missing_features = _missing_features(caps, need)
    notes = caps.get("metadata", {}).get("compatibility_notes", [])
    issues = [
        *({"code": "missing_profile", "message": f"missing profile: {p}",
           "fields": ["profile_fidelity", "profiles"]} for p in missing_profiles),
        *({"code": "missing_protocol", "message": f"missing protocol: {p}",
           "fields": ["protocol_fidelity"]} for p in missing_protocols),
        *({"code": "missing_protocol_group", "message": f"missing one of protocol group: {g}",
           "fields": ["protocol_fidelity"]} for g in missing_groups),
        *({"code": "missing_feature", "message": f"missing feature: {f}",
           "fields": ["capabilities"]} for f in missing_features),
    ]  # fmt: skip
    return {
        "target": target,
        "supported": not issues,
        "missing_profiles": missing_profiles,
        "missing_protocols": missing_protocols,
        "missing_protocol_groups": missing_groups,
        "missing_features": missing_features,
        "issues": issues,
        "notes": sorted({n.strip() for n in map(str, notes) if n.strip()}),
    }


def matrix(caps: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`GET /compatibility` without a target: every target's report."""
    return {target: report(caps, target) for target in REQUIREMENTS}


def _profile_level(caps: dict[str, Any], profile: str) -> int:
    explicit = caps.get("profile_fidelity", {}).get(profile)
    if explicit is not None:
        return _LEVEL_RANK.get(str(explicit), 0)
    return _LEVEL_RANK["native"] if profile in caps.get("profiles", []) else 0


def _missing_features(caps: dict[str, Any], need: Requirement) -> list[str]:
    missing: list[str] = []
    tier = _TIER_RANK.get(str(caps.get("statefulness_tier")), 0)
    if need.minimum_tier is not None and tier < _TIER_RANK[need.minimum_tier]:
        missing.append(f"minimum_statefulness:{need.minimum_tier}")
    missing.extend(
        f"rollout_mode:{m}" for m in need.rollout_modes if m not in caps.get("rollout_modes", [])
    )
    tokens = caps.get("token_emission", {})
    tool_kind = str(caps.get("tool_runtime", {}).get("runtime_kind") or "none")
    for feature in need.features:
        if feature in ("token_ids", "logprobs", "logits"):
            held = bool(tokens.get(feature))
        elif feature == "tool_runtime":
            held = tool_kind != "none"
        else:
            held = bool(caps.get(feature))
        if not held:
            missing.append(feature)
    return missing
