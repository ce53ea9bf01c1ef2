"""End to end: the app, the relay and the harness as three processes on 127.0.0.1.

The harness sees the app only over HTTP and the recordings only through the relay's
recordings API, as it would a deployed app and a relay on another host.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest

CLI = str(Path(sys.executable).with_name("taskapp-conformance"))
MODEL_SIDE = ("CID-4", "CID-5", "CID-6", "PROP-2")
_READY_S = 30.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serving(args: list[str], env: dict[str, str], log: Path) -> Iterator[str]:
    """Run `taskapp-conformance <args>` until its `GET /` answers; always stop it after."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [CLI, *args, "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + _READY_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"{args[0]} exited with {process.returncode}: {log.read_text()}")
            try:
                if httpx.get(url, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{args[0]} did not answer within {_READY_S:g}s: {log.read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.mark.e2e
def test_model_side_checks_pass_through_a_separate_relay(tmp_path: Path) -> None:
    """Against the served reference app, a model that records nothing for the harness
    (`--inference-url`) leaves the run incomplete (exit 4) naming the unproven checks; the
    same run with `--recorder RELAY` proves CID-4/5/6 and PROP-2 from the relay's
    recordings and conforms (exit 0).
    """
    key, token = secrets.token_hex(16), secrets.token_hex(16)
    base = {k: v for k, v in os.environ.items() if not k.startswith("TASKAPP_")}
    report_path = tmp_path / "out.json"
    with ExitStack() as stack:
        app = stack.enter_context(
            _serving(["serve"], {**base, "ENVIRONMENT_API_KEY": key}, tmp_path / "app.log")
        )
        relay = stack.enter_context(
            _serving(["mock-inference", "--token", token], base, tmp_path / "relay.log")
        )
        unrecorded = subprocess.run(
            [CLI, "check", app, "--inference-url", relay, "--quiet"],
            env={**base, "ENVIRONMENT_API_KEY": key},
            capture_output=True,
            text=True,
            timeout=300,
        )
        check = [CLI, "check", app, "--recorder", relay, "--json", str(report_path)]
        harness = subprocess.run(
            check,
            env={**base, "ENVIRONMENT_API_KEY": key, "TASKAPP_RECORDER_TOKEN": token},
            capture_output=True,
            text=True,
            timeout=300,
        )
        recorded = httpx.get(
            f"{relay}/_recorder/calls", headers={"Authorization": f"Bearer {token}"}, timeout=10
        ).json()
    assert unrecorded.returncode == 4, unrecorded.stdout + unrecorded.stderr
    verdict = unrecorded.stdout.strip().splitlines()[-1]
    assert verdict.startswith("Verdict: incomplete"), verdict
    assert all(check in verdict for check in MODEL_SIDE), verdict
    report = json.loads(report_path.read_text())
    outcomes = {c["id"]: c["outcome"] for c in report["checks"]}
    assert harness.returncode == 0, harness.stdout + harness.stderr
    assert {check: outcomes[check] for check in MODEL_SIDE} == dict.fromkeys(MODEL_SIDE, "pass")
    assert report["inference"] == f"recording relay on {relay}"
    assert any(call["path"].startswith("/r/") for call in recorded)  # the evidence was there
    relay_log = (tmp_path / "relay.log").read_text()
    assert "GET /_recorder/calls?prefix=%2Fr%2F" in relay_log  # read over HTTP, per rollout
    outputs = harness.stdout + harness.stderr + report_path.read_text() + relay_log
    assert token not in outputs
    assert key not in outputs
