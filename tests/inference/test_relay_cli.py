"""`taskapp-conformance mock-inference`: the relay's options, its refusals and exit codes."""

from __future__ import annotations

from typing import Any

import pytest
import uvicorn
from click.testing import CliRunner

from conformance.cli import main
from conformance.inference import RecordingLimits

TOKEN = "7b6a5f4e3d2c1b0a9f8e7d6c5b4a3f2e"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What `uvicorn.run` was asked to serve, instead of serving it."""
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append({"app": app, **kwargs}))
    return calls


def _run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(main, ["mock-inference", *args], env=env or {})


def test_refuses_a_non_loopback_host_without_a_token(served: list[dict[str, Any]]) -> None:
    """Off loopback without a token: one line naming the fix, exit 2, nothing served."""
    result = _run("--host", "0.0.0.0", env={"TASKAPP_RECORDER_TOKEN": ""})
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: refusing to serve recordings on 0.0.0.0 without a token: pass --token or set "
        "TASKAPP_RECORDER_TOKEN (recordings are open only on a loopback host)\n"
    )
    assert served == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--token", "short"], "Error: the recorder token must be at least 16 printable ASCII"),
        (["--max-calls", "0"], "Error: Invalid value for '--max-calls'"),
        (["--max-bytes", "100"], "Error: the largest request body (4194304 bytes) cannot exceed"),
        (["--port", "x"], "Error: Invalid value for '--port'"),
    ],
    ids=["weak-token", "zero-calls", "body-over-store", "bad-port"],
)
def test_usage_errors_are_one_line_and_exit_2(
    served: list[dict[str, Any]], args: list[str], message: str
) -> None:
    """Each usage error prints one `Error:` line and exits 2."""
    result = _run(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert served == []


def test_serves_the_relay_with_the_token_from_the_environment(
    served: list[dict[str, Any]],
) -> None:
    """TASKAPP_RECORDER_TOKEN and the bounds reach the app; the token is never printed."""
    result = _run(
        "--host",
        "0.0.0.0",
        "--port",
        "9100",
        "--max-calls",
        "5",
        "--max-age",
        "30",
        env={"TASKAPP_RECORDER_TOKEN": TOKEN},
    )
    assert result.exit_code == 0, result.output
    (call,) = served
    assert (call["host"], call["port"]) == ("0.0.0.0", 9100)
    assert call["app"].state.recorder.limits == RecordingLimits(5, 64 * 1024 * 1024, 30.0)
    assert result.stderr == (
        "recording relay on http://0.0.0.0:9100: model side POST .../chat/completions, "
        "recordings API /_recorder/calls needs the bearer token\n"
    )
    assert TOKEN not in result.output


def test_loopback_without_a_token_serves_open_recordings(served: list[dict[str, Any]]) -> None:
    """The default (127.0.0.1, no token) is the harness's mock with open recordings."""
    result = _run(env={"TASKAPP_RECORDER_TOKEN": ""})
    assert result.exit_code == 0
    assert served[0]["host"] == "127.0.0.1"
    assert "recordings API /_recorder/calls open (loopback)" in result.stderr
