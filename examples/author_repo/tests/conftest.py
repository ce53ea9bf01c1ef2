"""Point the taskapp-conformance fixtures at my app, in-process, with a test key."""

from __future__ import annotations

import os

import pytest
from my_task_app import create_app

from conformance import Target, asgi_target

TEST_KEY = "example-test-key-0123456789"


@pytest.fixture(scope="session")
def taskapp_target() -> Target:
    """My app in-process; the plugin's fixtures use this instead of --taskapp-url."""
    os.environ["ENVIRONMENT_API_KEY"] = TEST_KEY  # my app reads its key from the environment
    return asgi_target(create_app(), TEST_KEY, "my_task_app (in-process)")
