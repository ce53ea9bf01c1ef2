"""Faults misbehave for the whole class of input they model, not only for what a check sends.

Each test drives a fault with inputs the checks never send (other seeds, other header
forms, other URL paths and cids), so a check cannot pass the matrix by matching a fault.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import httpx
import pytest

from conformance.inference import MockInferenceServer
from tests.conftest import rollout_body
from tests.faults import FAULTS, KEY
from tests.helpers import sync_client


def _app(name: str) -> Any:
    return next(f for f in FAULTS if f.name == name).app()


def _get(name: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    with sync_client(_app(name)) as client:
        return client.get(path, headers={"X-API-Key": KEY} if headers is None else headers)


def test_unseeded_instances_differ_for_any_seed() -> None:
    """An unseeded app gives two different TaskInfo for seed 7, alone or twice in one list."""
    with sync_client(_app("unseeded_instances")) as client:
        auth = {"X-API-Key": KEY}
        first, second = (client.get("/task_info?seed=7", headers=auth).json() for _ in range(2))
        pair = client.get("/task_info?seeds=8&seeds=8", headers=auth).json()
    assert first != second
    assert pair[0] != pair[1]


@pytest.mark.parametrize("query", ["seeds=7", "seed=1&seed=6", "seed=123456"])
def test_seeds_stop_at_5_refuses_every_later_seed(query: str) -> None:
    """Any request naming a seed from 5 on gets 404, whichever parameter carries it."""
    assert _get("seeds_stop_at_5", f"/task_info?{query}").status_code == 404
    assert _get("seeds_stop_at_5", "/task_info?seeds=4").status_code == 200


def test_taskset_is_renamed_whatever_the_query_holds() -> None:
    """The seedless answer lacks `taskset` even when the query carries other parameters."""
    body = _get("task_info_without_taskset", "/task_info?verbose=1").json()
    assert "taskset" not in body
    assert "tasks" in body


@pytest.mark.parametrize(
    ("fault", "headers"),
    [
        ("key_prefix_accepted", {"X-API-Key": KEY[:3]}),
        ("key_prefix_accepted", {"Authorization": f"Bearer {KEY[:10]}"}),
        ("key_case_ignored", {"X-API-Keys": f"other, {KEY.upper()}"}),
        ("key_case_ignored", {"X-API-Key": KEY.title()}),
        ("key_compared_on_its_first_16_characters", {"X-API-Key": KEY[:16] + "-anything"}),
        ("key_compared_on_its_first_16_characters", {"Authorization": f"Bearer {KEY[:16]}"}),
        (
            "basic_auth_accepted",
            {"Authorization": "Basic " + base64.b64encode(b"u:" + KEY.encode()).decode()},
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else next(iter(v)),
)
def test_lax_key_comparisons_accept_their_whole_class(fault: str, headers: dict[str, str]) -> None:
    """A lax comparison accepts every key of its class, in every header the app reads."""
    assert _get(fault, "/info", headers).status_code == 200
    assert _get(fault, "/info", {"X-API-Key": "x" * len(KEY)}).status_code == 401


def test_basic_auth_fault_rejects_garbage_instead_of_crashing() -> None:
    """Undecodable Basic credentials are rejected, not turned into a 500."""
    assert _get("basic_auth_accepted", "/info", {"Authorization": "Basic %%%"}).status_code == 401


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/info"), ("GET", "/task_info?seed=9"), ("POST", "/rollout")]
)
def test_rejects_with_400_on_every_route(method: str, path: str) -> None:
    """Every rejected key is answered 400, not only on the route a check probes first."""
    with sync_client(_app("rejects_with_400")) as client:
        response = client.request(method, path, headers={"X-API-Key": "wrong"}, json={})
    assert response.status_code == 400


def test_bare_validation_list_reports_the_field_actually_missing() -> None:
    """The bare 422 list carries the app's message for any invalid body, here a missing run_id."""
    body = rollout_body("http://127.0.0.1:9/v1/chat/completions", "c")
    del body["run_id"]
    with sync_client(_app("validation_error_bare_list")) as client:
        response = client.post("/rollout", headers={"X-API-Key": KEY}, json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["msg"].startswith("run_id: Field required")


def test_inference_path_replaced_for_any_path(mock_inference: MockInferenceServer) -> None:
    """A proxy path the harness never uses is replaced, at the model and in the response."""
    url = f"{mock_inference.url}/tenant-7/openai/v1/chat/completions"
    body = rollout_body(url, "smoke-1234")
    before = len(mock_inference.recorder.calls())
    with sync_client(_app("inference_path_replaced")) as client:
        response = client.post("/rollout", headers={"X-API-Key": KEY}, json=body)
    calls = [c for c in mock_inference.recorder.calls()[before:] if c.cid == "smoke-1234"]
    assert response.status_code == 200, response.text
    assert calls
    assert {c.path for c in calls} == {"/v1/chat/completions"}
    echoed = response.json()["pipeline_metadata"]["inference_url"]
    assert echoed == f"{mock_inference.url}/v1/chat/completions?cid=smoke-1234"


@pytest.mark.parametrize("fault", ["cid_in_a_global", "model_called_with_a_global_cid"])
def test_global_cid_faults_cross_talk_for_any_cids(
    fault: str, mock_inference: MockInferenceServer
) -> None:
    """Two parallel rollouts with cids the harness never issues still swap a cid."""
    app = _app(fault)
    cids = ["alpha-1", "beta-2"]

    async def both() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await asyncio.gather(
                *(
                    client.post(
                        "/rollout",
                        headers={"X-API-Key": KEY},
                        json=rollout_body(mock_inference.completions_url, cid, run_id=cid),
                    )
                    for cid in cids
                )
            )

    before = len(mock_inference.recorder.calls())
    responses = asyncio.run(both())
    echoed = [r.json()["trace_correlation_id"] for r in responses]
    sent = {c.cid for c in mock_inference.recorder.calls()[before:]}
    assert echoed != cids if fault == "cid_in_a_global" else sent != set(cids)
