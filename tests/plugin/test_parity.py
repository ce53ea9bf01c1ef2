"""The CLI and the pytest plugin are one front door: the same input, the same verdict.

Each case runs `taskapp-conformance check` and `pytest -m taskapp` with the same knobs
(`--x` and `--taskapp-x`), both writing the JSON report, and compares the verdict and the
outcome of every check; a usage error must be the same error in both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from conformance.cli import main
from conformance.exitcodes import ExitCode
from conformance.inference import MockInferenceServer
from conformance.options import KNOBS
from conformance.serving import ServerThread
from tests.faults import KEY
from tests.faults.apps import reference

ROOT = str(Path(__file__).resolve().parents[2])
APP = "tests.faults.apps:reference"
QUICK = {"fuzz_examples": "3"}


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    """A served reference app and a model that records nothing the harness can read."""
    with ServerThread(reference()) as app, MockInferenceServer() as model:
        yield {"url": app.url, "model": model.url}


def _cases(servers: dict[str, str]) -> dict[str, dict[str, str]]:
    return {
        "no-key": {"app": APP},
        "app": {"app": APP, "api_key": KEY, **QUICK},
        "url": {"url": servers["url"], "api_key": KEY, **QUICK},
        "url-inference-url": {
            "url": servers["url"],
            "api_key": KEY,
            "inference_url": servers["model"],
            "select": "RO,CID",
        },
        "accept-unproven": {
            "url": servers["url"],
            "api_key": KEY,
            "inference_url": servers["model"],
            "select": "CID-4",
            "accept_unproven": "CID-4",
        },
        "select": {"app": APP, "api_key": KEY, "select": "EP,AUTH"},
        "unknown-select": {"app": APP, "api_key": KEY, "select": "NOPE-9"},
        "failing-fault": {
            "app": "tests.faults.apps:last_step_drops_cid",
            "api_key": KEY,
            "select": "RO,CID",
        },
        "url-and-app": {"url": servers["url"], "app": APP, "api_key": KEY},
    }


CASES = [
    "no-key",
    "app",
    "url",
    "url-inference-url",
    "accept-unproven",
    "select",
    "unknown-select",
    "failing-fault",
    "url-and-app",
]


def _flag(name: str) -> str:
    return next(k.flag for k in KNOBS if k.name == name)


def _cli(knobs: dict[str, str], report: Path) -> tuple[int, str]:
    args = ["check", "--quiet", "--json", str(report)]
    for name, value in knobs.items():
        args += [value] if name == "url" else [_flag(name), value]
    result = CliRunner().invoke(main, args, env={"ENVIRONMENT_API_KEY": None})
    return result.exit_code, result.output


def _plugin(pytester: pytest.Pytester, knobs: dict[str, str], report: Path) -> tuple[int, str]:
    args = ["-m", "taskapp", "-p", "no:cacheprovider", "--taskapp-json", str(report)]
    for name, value in knobs.items():
        args += [_flag(name).replace("--", "--taskapp-", 1), value]
    result = pytester.runpytest(*args)
    return int(result.ret), result.stdout.str() + result.stderr.str()


def _summary(report: Path) -> dict[str, Any]:
    doc = json.loads(report.read_text())
    return {
        "verdict": doc["verdict"],
        "outcomes": {c["id"]: (c["outcome"], c["skip_kind"]) for c in doc["checks"]},
        "accepted_unproven": doc["accepted_unproven"],
    }


def _usage_message(output: str, prefix: str) -> str:
    line = next(line for line in output.splitlines() if prefix in line)
    return line.split(prefix, 1)[1].replace("--taskapp-", "--").strip()


@pytest.mark.parametrize("case", CASES)
def test_cli_and_plugin_give_the_same_verdict(
    case: str,
    servers: dict[str, str],
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    """The same knobs give the same verdict and outcomes, or the same usage error."""
    for knob in KNOBS:
        monkeypatch.delenv(knob.env, raising=False)
    monkeypatch.setenv("PYTHONPATH", ROOT)
    knobs = _cases(servers)[case]
    cli_code, cli_out = _cli(knobs, tmp_path / "cli.json")
    plugin_code, plugin_out = _plugin(pytester, knobs, tmp_path / "plugin.json")
    if cli_code == ExitCode.USAGE:
        assert plugin_code == pytest.ExitCode.USAGE_ERROR, plugin_out
        # The CLI's URL is positional; the plugin names it --taskapp-url.
        cli_message = _usage_message(cli_out, "Error: ").replace("a URL", "--url")
        assert cli_message == _usage_message(plugin_out, "taskapp-conformance: ")
        return
    cli, plugin = _summary(tmp_path / "cli.json"), _summary(tmp_path / "plugin.json")
    differ = {
        check: (outcome, plugin["outcomes"].get(check))
        for check, outcome in cli["outcomes"].items()
        if plugin["outcomes"].get(check) != outcome
    }
    assert differ == {}
    assert cli == plugin
    assert (plugin_code == pytest.ExitCode.OK) == (cli_code == ExitCode.OK), plugin_out
