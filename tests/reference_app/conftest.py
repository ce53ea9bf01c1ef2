"""Fixtures for the reference app's own tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from conformance.testing import TaskAppClient
from reference_app import build_config, create_app
from tests.conftest import TEST_KEY
from tests.helpers import sync_client


@pytest.fixture
def client() -> Iterator[TaskAppClient]:
    """A sync client for the reference app configured with `TEST_KEY`."""
    app = create_app(build_config(environ={"ENVIRONMENT_API_KEY": TEST_KEY}))
    with sync_client(app) as test_client:
        yield test_client


@pytest.fixture
def auth() -> dict[str, str]:
    """The X-API-Key header carrying `TEST_KEY`."""
    return {"X-API-Key": TEST_KEY}
