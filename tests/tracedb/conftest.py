"""The trace DB tests share the SFT tests' mock model (rollouts are what fill a trace DB)."""

from tests.sft.conftest import flaky_inference

__all__ = ["flaky_inference"]
