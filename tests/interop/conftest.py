"""Fixtures for the synth-ai interop tests (issue #8); see `tests/interop/synth.py` for the guard.

Nothing here imports synth-ai: each test module calls `require_synth_ai()` first, so the
normal test run (without synth-ai) skips this directory with the reason, and
`tox -e interop` (TASKAPP_REQUIRE_SYNTH_AI=1) fails instead of skipping.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from conformance.inference import MockInferenceServer
from conformance.serving import ServerThread
from reference_app import build_config, create_app

REPO = Path(__file__).resolve().parents[2]
# A fake key for the apps under test. synth-ai's own auth prints key prefixes to stdout
# on every rejection (spec §1.3), so never put a real key here.
INTEROP_KEY = "interop-fake-key-0b1c2d3e4f5a6b7c8d9e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """synth-ai's own code raises deprecation warnings (SQLAlchemy 2.0, asyncio); not ours."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning"))
            item.add_marker(pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"))


@pytest.fixture(scope="session")
def interop_key() -> Iterator[str]:
    """The fake key, also in os.environ: synth-ai's apps and `eval` read it from there."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENVIRONMENT_API_KEY", INTEROP_KEY)
        for name in (
            "ENVIRONMENT_API_KEY_ALIASES",
            "DEV_ENVIRONMENT_API_KEY",
            "dev_environment_api_key",
        ):
            patch.delenv(name, raising=False)
        yield INTEROP_KEY


@pytest.fixture(scope="session")
def mock_inference() -> Iterator[MockInferenceServer]:
    """The recording mock inference server on 127.0.0.1."""
    with MockInferenceServer() as server:
        yield server


@pytest.fixture(scope="session")
def reference_server(interop_key: str) -> Iterator[ServerThread]:
    """Our reference app on real uvicorn at 127.0.0.1, for synth-ai's HTTP clients."""
    app = create_app(build_config(environ={"ENVIRONMENT_API_KEY": interop_key}))
    with ServerThread(app) as server:
        yield server
