"""What a valid rollout looks like for this target, learned from its own /info and /task_info."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from typing import Any

from conformance.contract.profiles import LEGACY, PROFILES, RolloutInputs


@dataclass
class TargetProfile:
    """Rollout defaults: learned from the target, overridden by the user's flags."""

    env_name: str | None = None
    split: str | None = None
    splits: list[str] = field(default_factory=list)
    model: str | None = None
    inference_url: str | None = None
    rollout_overrides: dict[str, Any] = field(default_factory=dict)
    conflict: str | None = None
    """A user override the target itself contradicts (a usage error, exit code 2)."""
    contract: str = LEGACY
    """The generation being judged (`conformance.contract.profiles`): its request shape."""

    def learn(self, info: Any, instance: Any) -> None:
        """Fill the gaps from an `/info` body and a `/task_info?seed=0` body (either may be
        junk).
        """
        info = info if isinstance(info, dict) else {}
        instance = instance if isinstance(instance, dict) else {}
        given_split = self.split
        dataset = _obj(instance.get("dataset")) or _obj(info.get("dataset"))
        inference = _obj(instance.get("inference")) or _obj(info.get("inference"))
        task = _obj(instance.get("task")) or _obj(_obj(info.get("service")).get("task"))
        if self.env_name is None:
            env = instance.get("environment") or task.get("id")
            self.env_name = env if isinstance(env, str) else None
        splits = dataset.get("splits")
        if isinstance(splits, list):
            self.splits = [s for s in splits if isinstance(s, str)]
        if self.split is None:
            default = dataset.get("default_split")
            self.split = (
                default if isinstance(default, str) else (self.splits[0] if self.splits else None)
            )
        if self.model is None and isinstance(inference.get("model"), str):
            self.model = inference["model"]
        if self.inference_url is None and isinstance(inference.get("inference_url"), str):
            self.inference_url = inference["inference_url"]
        if given_split is not None and self.splits and given_split not in self.splits:
            self.conflict = (
                f"--split {given_split!r} is not one of the target's splits "
                f"({', '.join(self.splits)}, from its dataset.splits): every rollout would be "
                "refused for the harness's mistake, not the app's"
            )

    def rollout_request(
        self, *, cid: str, inference_url: str, seed: int = 0, mode: str = "rl"
    ) -> dict[str, Any]:
        """A valid request of the judged generation, carrying `cid` (in the URL too), with
        the user's `--rollout-config` merged in.
        """
        inputs = RolloutInputs(
            cid=cid,
            inference_url=inference_url,
            seed=seed,
            env_name=self.env_name,
            split=self.split,
            model=self.model,
            mode=mode,
        )
        body = PROFILES[self.contract].rollout_request(inputs)
        return _deep_merge(body, copy.deepcopy(self.rollout_overrides))


def new_cid() -> str:
    """A fresh correlation id in the form real trainers use."""
    return f"trace_{uuid.uuid4().hex}"


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = _deep_merge(base[key], value)
        else:
            base[key] = value
    return base
