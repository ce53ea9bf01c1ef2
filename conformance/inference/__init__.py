"""The recording mock inference server (OpenAI-compatible) used to prove cids reach the model."""

from __future__ import annotations

from conformance.inference.recorder import InferenceRecorder, RecordedCall
from conformance.inference.server import MockInferenceServer, create_mock_inference_app

__all__ = ["InferenceRecorder", "MockInferenceServer", "RecordedCall", "create_mock_inference_app"]
