"""Shared fixtures: the reference app in-process, its key, and the recording mock on loopback."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from conformance.inference import MockInferenceServer

pytest_plugins = ["pytester"]

settings.register_profile(
    "ci", deadline=None, max_examples=50, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TEST_KEY = "test-key-5f1e2d3c4b5a69788796a5b4"


@pytest.fixture(scope="session")
def mock_inference() -> Iterator[MockInferenceServer]:
    """The recording mock inference server on 127.0.0.1, shared by the session."""
    with MockInferenceServer() as server:
        yield server


def rollout_body(inference_url: str, cid: str, **overrides: Any) -> dict[str, Any]:
    """A valid rl rollout request for the reference app."""
    body: dict[str, Any] = {
        "run_id": "run-1",
        "env": {"env_name": "arithmetic", "seed": 7, "config": {"split": "train"}},
        "policy": {
            "policy_name": "test",
            "config": {"inference_url": f"{inference_url}?cid={cid}"},
        },
        "ops": ["agent", "env"],
        "mode": "rl",
    }
    body.update(overrides)
    return body
