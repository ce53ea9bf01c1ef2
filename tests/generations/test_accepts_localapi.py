"""synth-ai 0.6.6 accepts our `localapi` reference app: its client, its models, its validators.

The reverse of `test_verdicts_localapi.py`, beside the round trip of
`tests/reference_app/test_profiles_interop.py` (health, `InfoResponse`, one `TaskInfo`, a typed
rollout): the reference app built for the profile runs in-process and the package's own
`LocalAPIClient` reads several instances at once, and the rollout's wire body, not a re-dump of
the typed one, must pass the package's `RolloutResponse`, its RL validator, its cid check and
its artifact limits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx

from conformance.inference import MockInferenceServer
from reference_app import build_config, create_profile_app
from tests.generations.pins import require

require("localapi")

from synth_ai.sdk.localapi._impl.client import LocalAPIClient  # noqa: E402
from synth_ai.sdk.localapi._impl.contracts import (  # noqa: E402
    RolloutRequest,
    RolloutResponse,
    TaskInfo,
)
from synth_ai.sdk.localapi._impl.trace_correlation_helpers import (  # noqa: E402
    verify_trace_correlation_id_in_response,
)
from synth_ai.sdk.localapi._impl.validation import validate_artifacts_list  # noqa: E402
from synth_ai.sdk.localapi._impl.validators import validate_rollout_response_for_rl  # noqa: E402

KEY = "fake-4c8e2a6b0d9f1e3a5c7b9d"
BASE = "http://reference-localapi.test"
T = TypeVar("T")


def _drive(use: Callable[[LocalAPIClient, httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run `use` with the package's client and a raw one, both on our app in-process."""
    app = create_profile_app("localapi", build_config(environ={"ENVIRONMENT_API_KEY": KEY}))

    async def run() -> T:
        transport = httpx.ASGITransport(app=app)
        headers = {"X-API-Key": KEY}
        async with httpx.AsyncClient(transport=transport, base_url=BASE, headers=headers) as raw:
            client = LocalAPIClient(BASE, api_key=KEY)
            client._client = raw  # the package's client, on our in-process transport
            return await use(client, raw)

    return asyncio.run(run())


def test_several_seeds_are_a_list_of_package_task_infos() -> None:
    """Several seeds are a list of the package's `TaskInfo`, in the order asked."""

    async def use(client: LocalAPIClient, _: httpx.AsyncClient) -> Any:
        return await client.task_info([2, 0, 1])

    several = _drive(use)
    assert isinstance(several, list)
    assert [type(item) for item in several] == [TaskInfo] * 3
    assert [item.task_metadata.get("seed") for item in several] == [2, 0, 1]


def test_rollout_is_the_package_response_and_passes_its_rl_validator(
    mock_inference: MockInferenceServer,
) -> None:
    """The package's own request, sent by its client, comes back as a `RolloutResponse` that
    echoes the cid and passes the RL validator, the cid check and the artifact limits; the
    model was called with that cid.
    """
    cid = "trace_reference-localapi-1"
    request = RolloutRequest(
        trace_correlation_id=cid,
        env={"seed": 3},
        policy={
            "policy_name": "interop",
            "config": {"inference_url": f"{mock_inference.completions_url}?cid={cid}"},
        },
    )

    async def use(client: LocalAPIClient, raw: httpx.AsyncClient) -> Any:
        typed = await client.rollout(request)
        wire = await raw.post("/rollout", json=request.model_dump(mode="json", by_alias=True))
        return typed, wire.json()

    typed, wire = _drive(use)
    assert isinstance(typed, RolloutResponse)
    assert typed.trace_correlation_id == cid
    assert RolloutResponse.model_validate(wire).trace_correlation_id == cid
    assert validate_rollout_response_for_rl(wire, warn_only=True) == []
    assert verify_trace_correlation_id_in_response(wire, cid) is True
    validate_artifacts_list(typed.artifact or [])
    assert mock_inference.recorder.calls_for(cid), "the app called the model with the issued cid"
