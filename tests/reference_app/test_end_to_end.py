"""One rollout over real uvicorn on 127.0.0.1 against the mock inference server on 127.0.0.1."""

from __future__ import annotations

import httpx
import pytest

from conformance.inference import MockInferenceServer
from conformance.serving import ServerThread
from reference_app import build_config, create_app
from tests.conftest import TEST_KEY, rollout_body


@pytest.mark.e2e
def test_rollout_over_loopback_records_exactly_the_issued_cid() -> None:
    """The mock records calls carrying exactly the issued cid, and nothing else."""
    app = create_app(build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY}))
    with MockInferenceServer() as mock, ServerThread(app) as server:
        response = httpx.post(
            f"{server.url}/rollout",
            headers={"X-API-Key": TEST_KEY},
            json=rollout_body(mock.url, "trace_e2e-1"),
            timeout=30,
        )
        calls = mock.recorder.calls()
    assert response.status_code == 200
    assert response.json()["trace_correlation_id"] == "trace_e2e-1"
    assert len(calls) == response.json()["metrics"]["num_steps"] >= 2
    assert {c.cid for c in calls} == {"trace_e2e-1"}
    assert {c.path for c in calls} == {"/v1/chat/completions"}
