"""synth-ai 0.9.11 accepts our `container` reference app, and the app guards as the package does.

The reverse of `test_verdicts_container.py`, beside `tests/reference_app/test_profiles_interop.py`
(the package's request and response models, its RL validator, its verifier token by token):
the reference app built for the profile (trusting a throwaway key) runs in-process beside the
package's own app (`container_app.py`, trusting the same key). The package's `TaskInfo`, its cid
and artifact checks must accept what ours answers, and for every auth mode, caller address and
credential the two apps must answer each protected route with the same status and refusal
code, and `/health` with the same body. (That the package's verifier accepts the tokens our
harness mints is pinned in `test_container.py`.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import httpx
import pytest

from conformance import paseto
from conformance.inference import MockInferenceServer
from reference_app import build_config, create_profile_app
from tests.generations.pins import require

require("container")

import synth_ai_py  # noqa: E402
from synth_ai.sdk.container._impl.contracts import (  # noqa: E402
    RolloutRequest,
    RolloutResponse,
    TaskInfo,
)
from synth_ai.sdk.container._impl.trace_correlation_helpers import (  # noqa: E402
    verify_trace_correlation_id_in_response,
)
from synth_ai.sdk.container._impl.validation import validate_artifacts_list  # noqa: E402
from synth_ai.sdk.container._impl.validators import (  # noqa: E402
    validate_rollout_response_for_rl,
)

from tests.generations import container_app  # noqa: E402

AUTH = "X-Synth-Container-Authorization"
BASE = "http://reference-container.test"
LOOPBACK = ("127.0.0.1", 50000)
REMOTE = ("203.0.113.9", 50000)
ROUTES = (("GET", "/info"), ("GET", "/task_info"), ("POST", "/rollout"))
KEY = paseto.new_key()
OTHER_KEY = paseto.new_key()
T = TypeVar("T")


def _environ(mode: str | None = "required") -> dict[str, str]:
    environ = {"SYNTH_CONTAINER_TRUSTED_PUBKEYS": paseto.public_key_b64(KEY)}
    return environ if mode is None else {**environ, "SYNTH_CONTAINER_AUTH_MODE": mode}


def _reference(mode: str | None = "required") -> Any:
    return create_profile_app("container", build_config(environ=_environ(mode)))


def _package(monkeypatch: pytest.MonkeyPatch, mode: str | None = "required") -> Any:
    """The package's app, configured by os.environ as it reads it (on every request)."""
    monkeypatch.delenv("SYNTH_CONTAINER_AUTH_MODE", raising=False)
    monkeypatch.delenv("SYNTH_CONTAINER_AUTH_ISSUER", raising=False)
    for name, value in _environ(mode).items():
        monkeypatch.setenv(name, value)
    return container_app.create_app()


def _drive(
    app: Any, use: Callable[[httpx.AsyncClient], Awaitable[T]], client: tuple[str, int] = LOOPBACK
) -> T:
    async def run() -> T:
        transport = httpx.ASGITransport(app=app, client=client, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as raw:
            return await use(raw)

    return asyncio.run(run())


def _body(cid: str, inference_url: str | None = None) -> dict[str, Any]:
    """The request as the package's client prepares it (every default field included)."""
    config = {"inference_url": f"{inference_url}?cid={cid}"} if inference_url else {}
    request = RolloutRequest(trace_correlation_id=cid, env={"seed": 3}, policy={"config": config})
    return request.model_dump(mode="json", by_alias=True)


def test_task_info_validates_as_the_package_task_info() -> None:
    """`/task_info?seed=0`, with a `task_info` token, validates as the package's `TaskInfo`."""
    headers = {AUTH: paseto.bearer(KEY, ["task_info"])}
    response = _drive(_reference(), lambda raw: raw.get("/task_info?seed=0", headers=headers))
    assert response.status_code == 200, response.text
    TaskInfo.model_validate(response.json())


def test_rollout_passes_the_package_models_and_validators(
    mock_inference: MockInferenceServer,
) -> None:
    """The package's own request, with a `rollout` token, answers a `RolloutResponse` that its
    RL validator, cid check and artifact limits accept; the model saw the cid. Artifacts are
    read with the package's own `synth_ai_py.Artifact.from_dict`: its model takes nothing else
    (see the next test).
    """
    cid = "trace_reference-container-1"
    headers = {AUTH: paseto.bearer(KEY, ["rollout"])}
    body = _body(cid, mock_inference.completions_url)
    response = _drive(_reference(), lambda raw: raw.post("/rollout", json=body, headers=headers))
    assert response.status_code == 200, response.text
    wire = response.json()
    artifacts = [synth_ai_py.Artifact.from_dict(item) for item in wire.get("artifact") or []]
    typed = RolloutResponse.model_validate({**wire, "artifact": artifacts})
    assert typed.trace_correlation_id == cid
    assert validate_rollout_response_for_rl(wire, warn_only=True) == []
    assert verify_trace_correlation_id_in_response(wire, cid) is True
    validate_artifacts_list(artifacts)
    assert mock_inference.recorder.calls_for(cid), "the app called the model with the issued cid"


def test_package_model_refuses_every_json_artifact() -> None:
    """Package defect: with the wheel's extension `synth_ai.data.artifacts.Artifact` is the Rust
    class (`artifacts.py:94-101`), so `RolloutResponse` (arbitrary types) refuses any JSON
    artifact, its own wire form included, and `create_container` answers an executor's mapping
    that carries one with 422 `invalid_rollout_response`.
    """
    body = {"trace_correlation_id": "c", "reward_info": {"outcome_reward": 1.0}}
    with pytest.raises(ValueError, match="Input should be an instance of Artifact"):
        RolloutResponse.model_validate({**body, "artifact": [{"content": "x"}]})


@pytest.mark.parametrize("mode", ["required", "optional_local", "disabled"])
def test_health_is_the_package_health(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    """`/health` without a token is the package's body, mode for mode."""

    def health(app: Any) -> Any:
        response = _drive(app, lambda raw: raw.get("/health"), REMOTE)
        return response.status_code, response.json()

    assert health(_reference(mode)) == health(_package(monkeypatch, mode))


def test_health_names_the_mode_in_force_for_an_unknown_mode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unknown SYNTH_CONTAINER_AUTH_MODE is `required` in both; only the package's /health
    echoes the unknown value (docs/generations.md), ours names the mode it enforces.
    """
    ours = _drive(_reference("sometimes"), lambda raw: raw.get("/health")).json()
    theirs = _drive(_package(monkeypatch, "sometimes"), lambda raw: raw.get("/health")).json()
    assert (ours["auth"]["mode"], theirs["auth"]["mode"]) == ("required", "sometimes")


CREDENTIALS: dict[str, Callable[[], dict[str, str]]] = {
    "none": dict,
    "x-api-key": lambda: {"X-API-Key": "any-key-at-all"},
    "garbage-token": lambda: {AUTH: "Bearer junk"},
    "rollout-token": lambda: {AUTH: paseto.bearer(KEY, ["rollout"])},
    "task_info-token": lambda: {AUTH: paseto.bearer(KEY, ["task_info"])},
    "both-scopes": lambda: {AUTH: paseto.bearer(KEY, ["rollout", "task_info"])},
    "untrusted-key": lambda: {AUTH: paseto.bearer(OTHER_KEY, ["rollout", "task_info"])},
    "wrong-audience": lambda: {AUTH: paseto.bearer(KEY, ["rollout"], audience="other")},
    "wrong-issuer": lambda: {AUTH: paseto.bearer(KEY, ["rollout"], issuer="someone")},
}


async def _answers(
    raw: httpx.AsyncClient, headers: dict[str, str], model: str
) -> list[tuple[int, Any]]:
    """(status, refusal code) for each protected route."""
    got = []
    for method, path in ROUTES:
        body = _body("trace_auth-probe", model) if path == "/rollout" else None
        response = await raw.request(method, path, headers=headers, json=body)
        detail = response.json().get("detail") if response.status_code == 401 else None
        code = detail.get("error", {}).get("code") if isinstance(detail, dict) else None
        got.append((response.status_code, code))
    return got


@pytest.mark.parametrize("credential", list(CREDENTIALS))
@pytest.mark.parametrize(
    ("mode", "client"),
    [
        pytest.param("required", REMOTE, id="required-remote"),
        pytest.param("required", LOOPBACK, id="required-loopback"),
        pytest.param(None, REMOTE, id="unset-is-required"),
        pytest.param("optional_local", LOOPBACK, id="optional_local-loopback"),
        pytest.param("optional_local", REMOTE, id="optional_local-remote"),
        pytest.param("disabled", REMOTE, id="disabled"),
    ],
)
def test_guards_every_route_as_the_package_does(
    monkeypatch: pytest.MonkeyPatch,
    mock_inference: MockInferenceServer,
    mode: str | None,
    client: tuple[str, int],
    credential: str,
) -> None:
    """Each mode, caller and credential gets the package's status and refusal code, per route."""
    headers, model = CREDENTIALS[credential](), mock_inference.completions_url
    ours = _drive(_reference(mode), lambda raw: _answers(raw, headers, model), client)
    theirs = _drive(_package(monkeypatch, mode), lambda raw: _answers(raw, headers, model), client)
    assert ours == theirs
