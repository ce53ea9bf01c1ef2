"""The recording mock inference server (OpenAI-compatible) used to prove cids reach the model.

On loopback the harness runs it itself (`MockInferenceServer`); for deployed apps it runs
as the recording relay (`create_relay_app`), read over HTTP with `RemoteRecorder`.
"""

from __future__ import annotations

from conformance.inference.recorder import (
    InferenceRecorder,
    RecordedCall,
    RecordingLimits,
    Recordings,
)
from conformance.inference.relay import (
    RelayConfigError,
    RelaySettings,
    create_relay_app,
    relay_app_from_env,
)
from conformance.inference.remote import RecorderTokenRefused, RemoteRecorder
from conformance.inference.server import MockInferenceServer, create_mock_inference_app

__all__ = [
    "InferenceRecorder",
    "MockInferenceServer",
    "RecordedCall",
    "RecorderTokenRefused",
    "RecordingLimits",
    "Recordings",
    "RelayConfigError",
    "RelaySettings",
    "RemoteRecorder",
    "create_mock_inference_app",
    "create_relay_app",
    "relay_app_from_env",
]
