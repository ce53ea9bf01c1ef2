"""Auto-detection of the contract generation (`conformance.detect`): each signal alone, the
order they are asked in, the evidence printed, and `--profile` against the evidence.

The apps here are the smallest that show one signal each; apps built with the real packages
are detected in `tests/generations/` (their tox environments).
"""

from __future__ import annotations

from typing import Any

import pytest
from click.testing import CliRunner
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from conformance.cli import main
from conformance.contract.profiles import CONTAINER, CONTAINERS, LEGACY, LOCALAPI
from conformance.detect import Detection, choose, detect
from conformance.loop import LoopThread
from conformance.target import asgi_target
from tests.faults import KEY
from tests.faults.apps import reference
from tests.faults.legal import LEGAL_APPS, create_legal_app


class _LocalApiRequest(BaseModel):
    trace_correlation_id: str
    env: dict[str, Any]
    policy: dict[str, Any]


class _LegacyRequest(BaseModel):
    run_id: str
    env: dict[str, Any]
    policy: dict[str, Any]
    mode: str


class _TransitionalRequest(BaseModel):
    run_id: str
    env: dict[str, Any]
    policy: dict[str, Any]


def _keyed_app(request_model: type[BaseModel], *, openapi: bool) -> FastAPI:
    """An API-key app whose rollout request model is `request_model`."""
    app = FastAPI(openapi_url="/openapi.json" if openapi else None)

    @app.get("/health")
    async def health(request: Request) -> Any:
        if request.headers.get("x-api-key") != KEY:
            return JSONResponse(
                {"detail": {"error": {"code": "unauthorised", "message": "no"}}}, status_code=401
            )
        return {"healthy": True, "auth": {"required": True, "expected_prefix": "***"}}

    async def rollout(body: Any) -> dict[str, Any]:
        return {}

    rollout.__annotations__["body"] = request_model  # a real type, not the postponed name
    app.post("/rollout")(rollout)
    return app


def _containers_app() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "contract_version": "2026-05-28"}

    return app


def _container_app() -> FastAPI:
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, Any]:
        header = "x-synth-container-authorization"
        return {
            "healthy": True,
            "auth": {"required": True, "mode": "required", "required_header": header},
        }

    return app


def _metadata_only_app() -> FastAPI:
    """A synth-containers app that wrote its own /health: only /metadata names the protocol."""
    app = FastAPI()

    @app.get("/health")
    async def health() -> dict[str, Any]:
        return {"ok": True}

    @app.get("/metadata")
    async def metadata() -> dict[str, Any]:
        return {"capabilities": {"protocol": "synth.container.contract.v1"}}

    return app


def _detect(app: Any) -> Detection:
    target = asgi_target(app, KEY, "test app")
    loop = LoopThread()
    client = target.client()
    try:

        def get(path: str, *, auth: Any = True, **kwargs: Any) -> Any:
            headers = auth if isinstance(auth, dict) else {}
            return loop.run(client.get(path, headers=headers, **kwargs))

        def post(path: str, *, auth: Any = True, json_body: Any = None) -> Any:
            headers = auth if isinstance(auth, dict) else {}
            return loop.run(client.post(path, headers=headers, json=json_body))

        return detect(get, post, KEY)
    finally:
        loop.run(client.aclose())
        loop.close()


@pytest.mark.parametrize(
    ("app", "profile", "certain", "evidence"),
    [
        (_containers_app(), CONTAINERS, True, "names contract_version '2026-05-28'"),
        (_container_app(), CONTAINER, True, "required_header 'x-synth-container-authorization'"),
        (_metadata_only_app(), CONTAINERS, True, "capabilities.protocol 'synth.container."),
        (
            _keyed_app(_LocalApiRequest, openapi=True),
            LOCALAPI,
            True,
            "GET /openapi.json says the rollout request requires env, policy, trace_correlation_id",
        ),
        (
            _keyed_app(_LocalApiRequest, openapi=False),
            LOCALAPI,
            True,
            "the 422 for POST /rollout {} says the rollout request requires env, policy, "
            "trace_correlation_id",
        ),
        (
            _keyed_app(_LegacyRequest, openapi=True),
            LEGACY,
            True,
            "requires env, mode, policy, run_id",
        ),
        (
            _keyed_app(_LegacyRequest, openapi=False),
            LEGACY,
            True,
            "the 422 for POST /rollout {}",
        ),
        (
            _keyed_app(_TransitionalRequest, openapi=True),
            LEGACY,
            False,
            "synth-ai 0.4.3-0.4.11's transitional request, which no profile describes",
        ),
        (reference(), LEGACY, False, "nothing separated the generations"),
    ],
    ids=[
        "containers-health",
        "container-health",
        "containers-metadata",
        "localapi-openapi",
        "localapi-422",
        "legacy-openapi",
        "legacy-422",
        "transitional",
        "reference-app-hides-everything",
    ],
)
def test_each_signal_decides_with_its_evidence(
    app: Any, profile: str, certain: bool, evidence: str
) -> None:
    detection = _detect(app)
    assert (detection.profile, detection.certain) == (profile, certain)
    assert evidence in detection.describe()


@pytest.mark.parametrize("choices", LEGAL_APPS, ids=lambda c: c.name)
def test_legal_legacy_apps_are_never_taken_for_a_newer_generation(choices: Any) -> None:
    """Apps written from scratch to the 0.2 contract: FastAPI's 422 names run_id and mode."""
    assert _detect(create_legal_app(choices, KEY)).profile == LEGACY


def test_an_api_key_app_seen_without_credentials_says_so() -> None:
    detection = _detect(_keyed_app(_LocalApiRequest, openapi=True))
    assert "GET /health wants an API key" in detection.describe()


def test_choose_takes_the_detection_the_served_profile_or_the_users_word() -> None:
    sure = Detection(LOCALAPI, ("GET /openapi.json says ...",), True)
    unsure = Detection(LEGACY, ("nothing separated the generations",), False)
    assert choose("auto", sure, None).profile == LOCALAPI
    assert choose("auto", sure, None).evidence == ("detected: GET /openapi.json says ...",)
    assert choose("auto", sure, CONTAINERS).profile == CONTAINERS  # the embedded app
    contradicted = choose(LEGACY, sure, None)
    assert contradicted.profile == LEGACY
    assert contradicted.warning is not None
    assert contradicted.warning.startswith(
        "--profile legacy-0.2, but the target's answers point to localapi"
    )
    assert choose(LOCALAPI, unsure, None).warning is None  # an assumption is no contradiction


def test_cli_prints_the_detected_profile_and_needs_no_key_for_a_keyless_generation() -> None:
    result = CliRunner().invoke(
        main, ["check", "--app", "tests.engine.test_detect:_containers_app", "--select", "SEC-4"]
    )
    assert "Profile: containers-2026-05 (detected: GET /health without credentials" in (
        result.output
    )
    assert "no API key" not in result.output


def test_cli_asks_for_the_key_once_the_target_shows_it_wants_one() -> None:
    result = CliRunner().invoke(
        main, ["check", "--app", "tests.engine.test_detect:_localapi_app", "--select", "EP-1"]
    )
    assert result.exit_code == 2, result.output
    assert (
        "no API key for the target: pass --api-key or set ENVIRONMENT_API_KEY "
        "(the target speaks localapi)" in result.output
    )
    assert "Traceback" not in result.output


def test_cli_warns_when_the_profile_given_contradicts_the_target() -> None:
    result = CliRunner().invoke(
        main,
        [
            "check",
            "--app",
            "tests.engine.test_detect:_containers_app",
            "--profile",
            "container",
            "--select",
            "SEC-4",
        ],
    )
    assert "Profile: container (--profile container)" in result.output
    assert (
        "Warning: --profile container, but the target's answers point to containers-2026-05"
        in result.output
    )


def _localapi_app() -> FastAPI:
    return _keyed_app(_LocalApiRequest, openapi=True)
