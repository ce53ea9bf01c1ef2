"""The reference app serves every contract generation, passes its own profile's catalogue, is
recognised for what it is, and `serve --profile` starts each generation on loopback.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from conformance import paseto
from conformance.contract.profiles import (
    CONTAINER,
    CONTAINERS,
    LEGACY,
    LOCALAPI,
    PROFILE_NAMES,
)
from conformance.options import build_target, resolve, run_options, selected_checks
from conformance.outcomes import Outcome, SkipKind
from conformance.registry import catalogue
from conformance.runner import RunReport, Verdict, run_checks
from conformance.target import Target, asgi_target
from reference_app import build_config, create_profile_app
from tests.conftest import TEST_KEY

LATER_GENERATIONS = (LOCALAPI, CONTAINER, CONTAINERS)


def _run(target: Target | None, profile: str, select: tuple[str, ...] = ()) -> RunReport:
    config = resolve({"profile": profile, "select": select}, {}, {})
    target = target or build_target(config)
    return run_checks(target, selected_checks(config), run_options(config, target))


@pytest.mark.parametrize("profile", LATER_GENERATIONS)
def test_embedded_app_passes_its_own_profile(profile: str) -> None:
    """`check --profile X` on the embedded app conforms: nothing fails, warns or is left
    unproven, and every check of X's catalogue ran (none is not applicable).
    """
    report = _run(None, profile)
    assert report.verdict is Verdict.CONFORMS
    bad = [
        (r.check.id, r.outcome.name, r.reason)
        for r in report.results
        if r.outcome in (Outcome.FAIL, Outcome.WARN, Outcome.ERROR) or r.unproven
    ]
    assert bad == []
    own = {c.id for c in catalogue() if c.applies_to(profile)}
    not_run = {
        r.check.id: r.reason
        for r in report.results
        if r.check.id in own and r.skip_kind not in (None, SkipKind.NOT_SELECTED)
    }
    assert not_run == {}
    assert report.contract.profile == profile


def test_embedded_default_stays_legacy() -> None:
    """Without `--profile`, the embedded app is the legacy-0.2 app, judged as legacy-0.2."""
    report = _run(None, "auto", select=("EP-1",))
    assert report.contract.profile == LEGACY
    assert [r.outcome for r in report.results if r.check.id == "EP-1"] == [Outcome.PASS]


def _in_process(profile: str) -> Target:
    """A profile's app as a user's in-process target: no embedded shortcut, no profile hint."""
    signing = paseto.new_key()
    environ = {
        "ENVIRONMENT_API_KEY": TEST_KEY,
        "SYNTH_CONTAINER_TRUSTED_PUBKEYS": paseto.public_key_b64(signing),
    }
    app = create_profile_app(profile, build_config(environ=environ))
    target = asgi_target(app, TEST_KEY, f"{profile} app (in-process)")
    target.container_signing_key = paseto.private_key_b64(signing)
    return target


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_auto_detection_recognises_each_generation(profile: str) -> None:
    """`--profile auto` on each generation's app, in-process, names that generation; the later
    ones for sure (the legacy app hides what would prove it, and legacy is the assumption).
    """
    report = _run(_in_process(profile), "auto", select=("SEC-5",))
    assert report.contract.profile == profile
    [evidence] = report.contract.evidence
    assert evidence.startswith("detected: ")
    assert ("assumed legacy-0.2" in evidence) is (profile == LEGACY)


# --- serve --profile ----------------------------------------------------------------------

_RUNNING = re.compile(r"Uvicorn running on (http://127\.0\.0\.1:\d+)")


@contextmanager
def _serving(profile: str, environ: dict[str, str]) -> Iterator[tuple[str, list[str]]]:
    """`taskapp-conformance serve --profile NAME --port 0` in a subprocess; yields its URL and
    the log so far, and stops it (it also stops by itself after 60 s).
    """
    env = {**os.environ, **environ}
    for name in ("TASKAPP_TRACING_ENABLED", "SYNTH_TRACES_DB", "TASKAPP_SFT_OUTPUT_DIR"):
        env[name] = ""
    command = [sys.executable, "-c", "from conformance.cli import main; main()"]
    process = subprocess.Popen(
        [*command, "serve", "--profile", profile, "--port", "0"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    watchdog = threading.Timer(60, process.kill)
    watchdog.start()
    log: list[str] = []
    try:
        assert process.stderr is not None
        for line in process.stderr:
            log.append(line.rstrip())
            found = _RUNNING.search(line)
            if found:
                yield found.group(1), log
                break
        else:
            raise AssertionError(f"serve --profile {profile} never started: {log}")
    finally:
        watchdog.cancel()
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            process.stderr.close()


HEALTH: dict[str, tuple[dict[str, str], Any]] = {
    LEGACY: ({"X-API-Key": TEST_KEY}, {"healthy": True, "auth": {"required": True,
                                                                  "expected_prefix": "***"}}),
    LOCALAPI: ({"X-API-Key": TEST_KEY}, {"healthy": True, "auth": {"required": True,
                                                                    "expected_prefix": "***"}}),
    CONTAINER: ({}, {"healthy": True, "auth": {
        "required": True, "mode": "required",
        "required_header": "x-synth-container-authorization"}}),
    CONTAINERS: ({}, {"status": "ok", "contract_version": "2026-05-28"}),
}  # fmt: skip


@pytest.mark.e2e
@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_serve_profile_starts_and_answers_health(profile: str) -> None:
    """`serve --profile X` logs the generation it serves and answers X's `/health` on 127.0.0.1."""
    environ = {
        "ENVIRONMENT_API_KEY": TEST_KEY,
        "SYNTH_CONTAINER_TRUSTED_PUBKEYS": paseto.public_key_b64(paseto.new_key()),
        "SYNTH_CONTAINER_AUTH_MODE": "",
    }
    headers, expected = HEALTH[profile]
    with _serving(profile, environ) as (url, log):
        response = httpx.get(f"{url}/health", headers=headers, timeout=10)
    assert response.status_code == 200
    assert response.json() == expected
    assert f"INFO:     serving the reference app as {profile}" in log


def _serve_error(profile: str, environ: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **environ}
    command = [sys.executable, "-c", "from conformance.cli import main; main()"]
    return subprocess.run(
        [*command, "serve", "--profile", profile, "--port", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("profile", "environ", "message"),
    [
        (CONTAINER, {"SYNTH_CONTAINER_TRUSTED_PUBKEYS": ""}, "Error: no trusted keys: set "),
        (
            CONTAINER,
            {"SYNTH_CONTAINER_TRUSTED_PUBKEYS": "abcd"},
            "Error: SYNTH_CONTAINER_TRUSTED_PUBKEYS must be a comma list",
        ),
        (LOCALAPI, {"ENVIRONMENT_API_KEY": ""}, "Error: no API key configured"),
    ],
    ids=["container-no-keys", "container-bad-keys", "localapi-no-key"],
)
def test_serve_profile_without_its_setting_is_a_usage_error(
    profile: str, environ: dict[str, str], message: str
) -> None:
    """A generation started without its credential setting exits 2 with one line, no server."""
    environ = {"SYNTH_CONTAINER_AUTH_MODE": "", "ENVIRONMENT_API_KEY_ALIASES": "", **environ}
    result = _serve_error(profile, environ)
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Uvicorn running" not in result.stderr
