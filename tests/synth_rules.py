"""A faithful port of synth-ai's `validate_rollout_response_for_rl` (spec §4.1), for tests."""

from __future__ import annotations

from typing import Any


def validate_rollout_response_for_rl(
    response_data: dict[str, Any], *, warn_only: bool = False
) -> list[str]:
    """The issues synth-ai would report, in its order and words (spec §4.1)."""
    issues: list[str] = []
    pipeline = response_data.get("pipeline_metadata")
    if not isinstance(pipeline, dict):
        issues.append("Missing or invalid 'pipeline_metadata' (required for RL training)")
    else:
        url = pipeline.get("inference_url")
        if not url:
            issues.append(
                "pipeline_metadata['inference_url'] is missing."
                " RL trainer requires this field to extract traces."
            )
        elif not isinstance(url, str):
            issues.append(
                f"pipeline_metadata['inference_url'] must be a string, got: {type(url).__name__}"
            )
        elif "?cid=" not in url:
            issues.append(
                "pipeline_metadata['inference_url'] should contain '?cid=' for trace correlation."
                f" Got: {url[:80]}..."
            )
    trajectories = response_data.get("trajectories", [])
    if not trajectories:
        issues.append("No trajectories found in response")
    for t, trajectory in enumerate(trajectories or []):
        if not isinstance(trajectory, dict):
            continue
        for s, step in enumerate(trajectory.get("steps", [])):
            if not isinstance(step, dict):
                continue
            info = step.get("info", {})
            if not isinstance(info, dict):
                issues.append(f"trajectory[{t}].steps[{s}].info is not a dict")
                continue
            meta = info.get("meta", {})
            if not isinstance(meta, dict):
                issues.append(
                    f"trajectory[{t}].steps[{s}].info.meta is missing or not a dict. "
                    "RL trainer expects nested structure: info.meta.inference_url"
                )
                continue
            step_url = meta.get("inference_url")
            if not step_url:
                issues.append(
                    f"trajectory[{t}].steps[{s}].info.meta['inference_url'] is missing. "
                    "RL trainer needs this for trace extraction (nested structure required!)"
                )
            elif not isinstance(step_url, str):
                issues.append(
                    f"trajectory[{t}].steps[{s}].info.meta['inference_url'] must be a string, "
                    f"got: {type(step_url).__name__}"
                )
    if issues and not warn_only:
        raise ValueError(
            "Task app response validation failed for RL training:\n"
            + "\n".join(f"  - {i}" for i in issues)
        )
    return issues
