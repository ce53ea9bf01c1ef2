"""Which package each contract generation is judged against, and the guard its tests call first.

Each generation's interop baseline runs in its own tox environment (`tox -e gen-localapi`,
`gen-container`, `gen-containers`), which installs the pinned package with `--no-deps` plus
the few modules it actually imports (see docs/generations.md, "Install recipes"), and sets
TASKAPP_REQUIRE_GENERATION to the profile so that a missing package fails the run instead of
skipping it. Everywhere else these tests skip with the reason.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from dataclasses import dataclass
from functools import cache
from importlib.metadata import PackageNotFoundError, version

import pytest

REQUIRE_ENV = "TASKAPP_REQUIRE_GENERATION"


@dataclass(frozen=True)
class Pin:
    """One generation's package, the version its baseline was taken from, and what it imports."""

    profile: str
    distribution: str
    version: str
    modules: tuple[str, ...]
    tox_env: str


PINS: dict[str, Pin] = {
    pin.profile: pin
    for pin in (
        Pin(
            "localapi",
            "synth-ai",
            "0.6.6",
            (
                "synth_ai.sdk.localapi",
                "synth_ai.sdk.localapi._impl.server",
                "synth_ai.sdk.localapi._impl.client",
                "synth_ai.sdk.localapi._impl.validators",
            ),
            "gen-localapi",
        ),
        Pin(
            "container",
            "synth-ai",
            "0.9.11",
            (
                "synth_ai_py",
                "synth_ai.sdk.container",
                "synth_ai.sdk.container._impl.validators",
                "cryptography.hazmat.primitives.asymmetric.ed25519",
            ),
            "gen-container",
        ),
        Pin(
            "containers-2026-05",
            "synth-containers",
            "0.4.6",
            ("synth_containers", "synth_containers.http_client"),
            "gen-containers",
        ),
    )
}


@cache
def problem(profile: str) -> str | None:
    """Why the profile's pinned package cannot be used here, or None when it can."""
    pin = PINS[profile]
    try:
        installed = version(pin.distribution)
    except PackageNotFoundError:
        return f"{pin.distribution} is not installed (run `tox -e {pin.tox_env}`)"
    if installed != pin.version:
        return f"{pin.distribution} {installed} is installed; this baseline pins {pin.version}"
    for name in pin.modules:
        if importlib.util.find_spec(name.partition(".")[0]) is None:
            return f"cannot import {name}: not installed (run `tox -e {pin.tox_env}`)"
        try:
            importlib.import_module(name)
        except ImportError as exc:
            return f"cannot import {name}: {exc}"
    return None


def require(profile: str) -> None:
    """Skip the calling module without the profile's package; fail when the env demands it."""
    found = problem(profile)
    if found is None:
        return
    pin = PINS[profile]
    if os.environ.get(REQUIRE_ENV) == profile:
        recipe = f"see the [testenv:{pin.tox_env}] recipe in tox.ini"
        raise RuntimeError(f"{REQUIRE_ENV}={profile} but {found}: {recipe}")
    pytest.skip(f"needs {pin.distribution}=={pin.version}: {found}", allow_module_level=True)
