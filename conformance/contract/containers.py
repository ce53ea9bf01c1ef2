"""What a `containers-2026-05` app's `/compatibility` report promises, as data.

synth-containers 0.4.6 computes each consumer target's report from the capabilities its
`/metadata` declares (`synth_containers/compatibility.py:95-260` the requirements, `:280-388`
the evaluation). A report saying `supported: true` is a promise to that consumer; CS-10 reads
the same capabilities and checks that each requirement below really holds, and the reference
app answers `/compatibility` with `compatibility_report`, the same evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

LEVEL_RANK: Final = {"unsupported": 0, "approximate": 1, "derived": 2, "native": 3}
"""`CapabilityLevel.rank` (`synth_containers/ontology.py:167-189`)."""
MINIMUM_LEVEL: Final = 2
"""Every requirement asks for at least `derived` (`ConsumerRequirement.minimum_level`)."""
STATEFULNESS_RANK: Final = {"stateless": 0, "episodic": 1, "stateful": 2, "long_horizon": 3}
"""`_STATEFULNESS_RANK` (`synth_containers/compatibility.py:87-92`)."""

_FLAGS: Final = {
    "checkpoint": "checkpoint_support",
    "resume": "resume_support",
    "branching": "supports_branching",
    "state": "state_support",
    "trace": "trace_support",
    "reward": "reward_support",
    "verifier": "verifier_support",
    "token_ids": "token_emission.token_ids",
    "logprobs": "token_emission.logprobs",
    "logits": "token_emission.logits",
    "proxied": "proxied_inference",
}
"""The `requires_*` flags of a requirement -> the capability (a dotted path) that must be true,
in the order the package reports them (`tool_runtime` goes before `token_ids`)."""


@dataclass(frozen=True)
class ConsumerRequirement:
    """What one consumer target needs from `/metadata`'s capabilities."""

    profiles: tuple[str, ...] = ()
    protocols: tuple[str, ...] = ()
    any_protocols: tuple[tuple[str, ...], ...] = ()
    rollout_modes: tuple[str, ...] = ()
    statefulness: str | None = None
    flags: tuple[str, ...] = ()
    tool_runtime: bool = False


_PIPELINE_RL_TOKENS: Final = ConsumerRequirement(
    profiles=("token_level_rl_environment",),
    protocols=(
        "resettable",
        "steppable",
        "reward_emitting",
        "trace_emitting",
        "token_trace_emitting",
        "proxied_inference_backed",
    ),
    statefulness="episodic",
    flags=("trace", "reward", "token_ids", "proxied"),
)

CONSUMER_REQUIREMENTS: Final[dict[str, ConsumerRequirement]] = {
    "go_ex": ConsumerRequirement(
        profiles=("checkpointable_long_horizon_environment",),
        protocols=("checkpointable", "restorable", "trace_emitting"),
        any_protocols=(
            ("steppable", "rollout_runnable", "async_rollout_runnable"),
            ("reward_emitting", "verifier_backed"),
        ),
        rollout_modes=("async",),
        statefulness="long_horizon",
        flags=("checkpoint", "resume", "branching", "state", "trace"),
    ),
    "miprov2": ConsumerRequirement(
        any_protocols=(
            ("rollout_runnable", "async_rollout_runnable"),
            ("reward_emitting", "verifier_backed"),
        ),
        statefulness="stateless",
    ),
    "standard_evals": ConsumerRequirement(
        profiles=("harness_managed_benchmark_environment",),
        protocols=("catalog_backed", "verifier_backed"),
        statefulness="stateless",
        flags=("verifier",),
    ),
    "pipeline_rl": ConsumerRequirement(
        profiles=("rl_trajectory_emitter",),
        protocols=("resettable", "steppable", "reward_emitting", "trace_emitting"),
        statefulness="episodic",
        flags=("trace", "reward"),
    ),
    "pipeline_rl_token_ids": _PIPELINE_RL_TOKENS,
    "pipeline_rl_logprobs": ConsumerRequirement(
        **{**_PIPELINE_RL_TOKENS.__dict__, "flags": (*_PIPELINE_RL_TOKENS.flags, "logprobs")}
    ),
    "pipeline_rl_logits": ConsumerRequirement(
        **{**_PIPELINE_RL_TOKENS.__dict__, "flags": (*_PIPELINE_RL_TOKENS.flags, "logits")}
    ),
    "harbor_proxy": ConsumerRequirement(
        profiles=("harness_managed_benchmark_environment",),
        protocols=("catalog_backed", "async_rollout_runnable", "verifier_backed"),
        rollout_modes=("async",),
        statefulness="stateless",
        flags=("verifier",),
    ),
    "openenv_proxy": ConsumerRequirement(
        profiles=("gym_style_environment",),
        protocols=("resettable", "steppable", "observable", "state_readable"),
        statefulness="episodic",
        flags=("state",),
    ),
    "archipelago_proxy": ConsumerRequirement(
        profiles=("sandboxed_mcp_world",),
        protocols=("async_rollout_runnable", "tool_callable", "trace_emitting"),
        rollout_modes=("async",),
        statefulness="episodic",
        flags=("trace",),
        tool_runtime=True,
    ),
}
"""Every consumer target of synth-containers 0.4.6 (`ConsumerTarget`, `compatibility.py:12-22`)."""


def _level(value: Any) -> int:
    return LEVEL_RANK.get(str(value or "unsupported").strip().lower().replace("-", "_"), 0)


def _dotted(capabilities: dict[str, Any], path: str) -> Any:
    value: Any = capabilities
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _missing_features(requirement: ConsumerRequirement, capabilities: dict[str, Any]) -> list[str]:
    missing: list[str] = []
    tier = STATEFULNESS_RANK.get(str(capabilities.get("statefulness_tier") or "episodic"), -1)
    if requirement.statefulness and tier < STATEFULNESS_RANK[requirement.statefulness]:
        missing.append(f"minimum_statefulness:{requirement.statefulness}")
    modes = capabilities.get("rollout_modes")
    missing += [
        f"rollout_mode:{m}"
        for m in requirement.rollout_modes
        if not isinstance(modes, list) or m not in modes
    ]
    for flag, path in _FLAGS.items():
        if flag == "token_ids" and requirement.tool_runtime:
            kind = _dotted(capabilities, "tool_runtime.runtime_kind")
            if str(kind or "none").lower() == "none":
                missing.append("tool_runtime")
        if flag in requirement.flags and _dotted(capabilities, path) is not True:
            missing.append(path.rpartition(".")[2])
    return missing


_ISSUES: Final = (
    ("missing_profiles", "missing_profile", "missing profile", ["profile_fidelity", "profiles"]),
    ("missing_protocols", "missing_protocol", "missing protocol", ["protocol_fidelity"]),
    (
        "missing_protocol_groups",
        "missing_protocol_group",
        "missing one of protocol group",
        ["protocol_fidelity"],
    ),
    ("missing_features", "missing_feature", "missing feature", ["capabilities"]),
)
"""A report's lists -> their issues' code, message prefix, fields (`compatibility.py:336-371`)."""


def _shortfall(requirement: ConsumerRequirement, capabilities: dict[str, Any]) -> dict[str, Any]:
    """The report's four `missing_*` lists and its `issues`, as the package computes them."""
    profile_levels = _mapping(capabilities.get("profile_fidelity"))
    declared_profiles = capabilities.get("profiles")
    declared = declared_profiles if isinstance(declared_profiles, list) else []
    protocol_levels = _mapping(capabilities.get("protocol_fidelity"))
    lists: dict[str, list[str]] = {
        "missing_profiles": [
            p
            for p in requirement.profiles
            if (_level(profile_levels[p]) if p in profile_levels else 3 * (p in declared))
            < MINIMUM_LEVEL
        ],
        "missing_protocols": [
            p for p in requirement.protocols if _level(protocol_levels.get(p)) < MINIMUM_LEVEL
        ],
        "missing_protocol_groups": [
            "|".join(group)
            for group in requirement.any_protocols
            if all(_level(protocol_levels.get(p)) < MINIMUM_LEVEL for p in group)
        ],
        "missing_features": _missing_features(requirement, capabilities),
    }
    issues = [
        {"code": code, "message": f"{prefix}: {item}", "fields": list(fields)}
        for key, code, prefix, fields in _ISSUES
        for item in lists[key]
    ]
    return {**lists, "issues": issues}


def unmet(requirement: ConsumerRequirement, capabilities: dict[str, Any]) -> list[str]:
    """What `capabilities` (from `/metadata`) lacks of `requirement`, as the package words it
    (`missing profile: x`, `missing feature: rollout_mode:async`); empty when all holds.
    """
    return [issue["message"] for issue in _shortfall(requirement, capabilities)["issues"]]


def compatibility_report(target: str, capabilities: dict[str, Any]) -> dict[str, Any]:
    """The package's `CompatibilityReport.to_dict()` of `target` (a key of
    `CONSUMER_REQUIREMENTS`, else KeyError) for `/metadata`'s `capabilities`.
    """
    shortfall = _shortfall(CONSUMER_REQUIREMENTS[target], capabilities)
    notes = _mapping(capabilities.get("metadata")).get("compatibility_notes")
    return {
        "target": target,
        "supported": not shortfall["issues"],
        **shortfall,
        "notes": sorted({n.strip() for n in map(str, notes or []) if n.strip()}),
    }


def compatibility_matrix(capabilities: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`GET /compatibility` without a target: every target's report, in the package's order."""
    return {target: compatibility_report(target, capabilities) for target in CONSUMER_REQUIREMENTS}
