"""synth-containers 0.4.6 works against our `containers-2026-05` reference app.

The reverse of `test_verdicts_containers.py`, beside `tests/reference_app/test_profiles_interop.py`
(the package's client runs a sync and an async rollout; its record, state and strict request
models; the whole `/compatibility` map): the reference app built for the profile runs in-process
and the package's own `HTTPContainerClient.from_app` drives what that test leaves out. The
capabilities are already in the package's normal form; each `?target=` report is the one the
package's `evaluate_consumer_support` computes; every polled state is its `RolloutStatePayload`
and every change one `wire.assert_valid_transition` allows, terminate included; and replay and
409 conflicts are the package's reference adapter's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from conformance.contract.profiles import CONTAINERS, PROFILES, RolloutInputs
from conformance.inference import MockInferenceServer
from reference_app import build_config, create_profile_app
from tests.generations.pins import require

require("containers-2026-05")

from synth_containers.capabilities import (  # noqa: E402
    RouteHints,
    RuntimeCapabilitySurface,
    TokenEmissionCapabilities,
    ToolRuntimeCapabilities,
)
from synth_containers.compatibility import ConsumerTarget, evaluate_consumer_support  # noqa: E402
from synth_containers.http_client import HTTPContainerClient  # noqa: E402
from synth_containers.sdk import RolloutStatePayload  # noqa: E402
from synth_containers.wire import (  # noqa: E402
    RolloutState,
    assert_valid_transition,
    state_from_status,
)

BASE = "http://reference-containers.test"
TERMINAL = {RolloutState.COMPLETED, RolloutState.FAILED, RolloutState.CANCELLED}
POLLS = 200
T = TypeVar("T")


def _drive(use: Callable[[HTTPContainerClient, httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run `use` with the package's client (its retries off) and a raw client, on our app."""
    app = create_profile_app(CONTAINERS, build_config(environ={}))

    async def run() -> T:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with (
            HTTPContainerClient.from_app(app, base_url=BASE, max_retries=0) as client,
            httpx.AsyncClient(transport=transport, base_url=BASE) as raw,
        ):
            return await use(client, raw)

    return asyncio.run(run())


def _request(mock: MockInferenceServer, cid: str, **changes: Any) -> dict[str, Any]:
    """The rollout request our harness sends for this profile."""
    inputs = RolloutInputs(cid=cid, inference_url=mock.completions_url, seed=3)
    return {**PROFILES[CONTAINERS].rollout_request(inputs), **changes}


def _surface(capabilities: dict[str, Any]) -> RuntimeCapabilitySurface:
    """The package's capability dataclass, built from the keys of ours that it knows."""
    nested = {
        "token_emission": TokenEmissionCapabilities,
        "tool_runtime": ToolRuntimeCapabilities,
        "route_hints": RouteHints,
    }
    known = {f.name for f in dataclasses.fields(RuntimeCapabilitySurface)}
    surface = RuntimeCapabilitySurface(
        **{
            key: nested[key](**value) if key in nested else value
            for key, value in capabilities.items()
            if key in known
        }
    )
    surface.validate()
    return surface


def test_capabilities_are_the_package_surface_in_normal_form() -> None:
    """`/metadata`'s capabilities rebuild the package's `RuntimeCapabilitySurface` (which
    validates them) and already read as its `to_dict` serves them: each value equal, each
    object's keys a subset (the package adds defaults: its own route hints, `metadata: {}`).
    """
    metadata = _drive(lambda client, _: client.metadata())
    capabilities = metadata["capabilities"]
    served = _surface(capabilities).to_dict()
    for key, value in capabilities.items():
        if key not in served:
            continue
        if isinstance(value, dict):
            assert value.items() <= served[key].items(), key
        else:
            assert value == served[key], key


def test_compatibility_reports_are_the_package_reports() -> None:
    """Each `/compatibility` report, whole or by `?target=`, is what synth-containers'
    `evaluate_consumer_support` computes from our `/metadata`.
    """

    async def use(client: HTTPContainerClient, _: httpx.AsyncClient) -> Any:
        one = {t.value: await client.compatibility(t.value) for t in ConsumerTarget}
        return await client.metadata(), await client.compatibility(), one

    metadata, reports, one_by_one = _drive(use)
    surface = _surface(metadata["capabilities"])
    expected = {t.value: evaluate_consumer_support(surface, t).to_dict() for t in ConsumerTarget}
    assert reports == expected
    assert one_by_one == expected


def test_async_rollout_moves_by_legal_transitions(mock_inference: MockInferenceServer) -> None:
    """An async submission is accepted queued or running and, polled with the package's
    client, reaches `completed` by transitions `wire.py` allows; terminating it afterwards
    leaves it completed.
    """
    body = _request(mock_inference, "trace_async-1", rollout_id="interop-async-1")
    body["submission_mode"] = "async"

    async def use(client: HTTPContainerClient, _: httpx.AsyncClient) -> Any:
        seen = [await client.rollouts(body)]
        for _ in range(POLLS):
            seen.append(await client.get_state("interop-async-1"))
            if state_from_status(seen[-1]["status"]) in TERMINAL:
                break
            await asyncio.sleep(0.02)
        terminated = await client.terminate("interop-async-1")
        return seen, terminated, await client.get_state("interop-async-1")

    seen, terminated, after = _drive(use)
    states = [state_from_status(s["status"]) for s in seen]
    assert states[0] in (RolloutState.QUEUED, RolloutState.RUNNING)
    assert states[-1] is RolloutState.COMPLETED, states
    for before, now in itertools.pairwise(states):
        assert_valid_transition(before, now)
    for state in seen[1:]:
        RolloutStatePayload.model_validate(state)
    assert_valid_transition(RolloutState.COMPLETED, state_from_status(terminated["status"]))
    assert state_from_status(after["status"]) is RolloutState.COMPLETED


def test_replay_and_conflict_are_the_reference_adapter_s(
    mock_inference: MockInferenceServer,
) -> None:
    """The same id and body replay the record (`replayed: true`); another body is the package's
    409 `rollout_identity_conflict` (`http_adapter.py:546-559`).
    """
    body = _request(mock_inference, "trace_replay-1", rollout_id="interop-replay-1")

    async def use(client: HTTPContainerClient, raw: httpx.AsyncClient) -> Any:
        first, again = await client.rollout(body), await client.rollout(body)
        other = await raw.post("/rollouts", json={**body, "seed": 4})
        return first, again, other

    first, again, other = _drive(use)
    assert again.pop("replayed") is True
    assert again == {k: v for k, v in first.items() if k != "replayed"}
    assert other.status_code == 409
    assert other.json() == {
        "detail": {"error": "rollout_identity_conflict", "rollout_id": "interop-replay-1"}
    }
