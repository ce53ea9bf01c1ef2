"""The reference app's endpoints follow spec Appendix A."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.contract import MAX_SEED, HealthResponse, InfoResponse, TaskInfo
from conformance.testing import TaskAppClient
from reference_app import build_config, create_app
from tests.conftest import TEST_KEY
from tests.helpers import sync_client


def test_root_answers_without_auth(client: TaskAppClient) -> None:
    """GET / answers 200 with status and service, no key needed."""
    response = client.get("/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "service": "arithmetic"}


def test_head_root_answers_without_body(client: TaskAppClient) -> None:
    """HEAD / answers 200 with an empty body."""
    response = client.head("/")
    assert (response.status_code, response.content) == (200, b"")


def test_health_reveals_no_key_prefix(client: TaskAppClient, auth: dict[str, str]) -> None:
    """/health has the contract shape and a constant expected_prefix."""
    body = client.get("/health", headers=auth).json()
    HealthResponse.model_validate(body)
    assert body["auth"] == {"required": True, "expected_prefix": "***"}


def test_info_sections_are_objects(client: TaskAppClient, auth: dict[str, str]) -> None:
    """/info returns real objects for every section, never '<circular ...>' strings."""
    body = client.get("/info", headers=auth).json()
    InfoResponse.model_validate(body)
    assert all(
        isinstance(body[k], dict) for k in ("service", "dataset", "inference", "limits", "rubrics")
    )
    assert body["dataset"]["splits"] == ["train", "val", "test"]


def test_task_info_without_seed_returns_taskset(
    client: TaskAppClient, auth: dict[str, str]
) -> None:
    """/task_info without seeds returns the taskset description."""
    body = client.get("/task_info", headers=auth).json()
    assert set(body) == {"taskset"}
    assert body["taskset"]["splits"] == ["train", "val", "test"]


def test_one_seed_returns_one_task_info_with_taskset(
    client: TaskAppClient, auth: dict[str, str]
) -> None:
    """One seed gives one TaskInfo object carrying the extra taskset key."""
    body = client.get("/task_info?seed=4", headers=auth).json()
    TaskInfo.model_validate(body)
    assert body["task_metadata"]["seed"] == 4
    assert "taskset" in body


def test_several_seeds_return_list_in_request_order(
    client: TaskAppClient, auth: dict[str, str]
) -> None:
    """Repeated seed and seeds parameters combine into a list, in request order, duplicates kept."""
    body = client.get("/task_info?seed=5&seeds=1&seed=9&seeds=5", headers=auth).json()
    assert [item["task_metadata"]["seed"] for item in body] == [5, 9, 1, 5]


@pytest.mark.parametrize("value", ["abc", "1.0", "-1", "1,2", "", "true", " 1", str(MAX_SEED + 1)])
def test_non_integer_or_out_of_range_seed_is_422(
    client: TaskAppClient, auth: dict[str, str], value: str
) -> None:
    """A seed that is not a plain integer in range is refused with 422 and the envelope."""
    response = client.get("/task_info", params={"seed": value}, headers=auth)
    assert response.status_code == 422
    assert response.json()["detail"]["error"]["code"] == "invalid_seed"


@given(seed=st.integers(min_value=0, max_value=MAX_SEED))
def test_task_info_is_deterministic_per_seed(seed: int) -> None:
    """The same seed always yields the same, valid TaskInfo, across app instances."""
    bodies = []
    for _ in range(2):
        app = create_app(build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY}))
        with sync_client(app) as client:
            bodies.append(
                client.get(f"/task_info?seed={seed}", headers={"X-API-Key": TEST_KEY}).json()
            )
    assert bodies[0] == bodies[1]
    TaskInfo.model_validate(bodies[0])


@pytest.mark.parametrize("path", ["/debug/env", "/docs", "/openapi.json", "/redoc"])
def test_no_debug_or_docs_routes(client: TaskAppClient, auth: dict[str, str], path: str) -> None:
    """No /debug/env and no unauthenticated API docs are served."""
    response = client.get(path, headers=auth)
    assert response.status_code == 404
    assert response.json()["detail"]["error"]["code"] == "not_found"
