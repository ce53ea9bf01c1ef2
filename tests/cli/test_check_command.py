"""The `taskapp-conformance` command: exit codes, messages, reports, configuration."""

from __future__ import annotations

import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from conformance.catalogue_doc import (
    OPTIONS_BEGIN,
    OPTIONS_END,
    PROFILES_BEGIN,
    PROFILES_END,
    README_BEGIN,
    README_END,
    catalogue_markdown,
    options_markdown,
    profiles_markdown,
    sync_readme,
)
from conformance.cli import main
from conformance.contract.profiles import LEGACY, PROFILE_NAMES
from conformance.registry import catalogue, select_checks
from conformance.serving import ServerThread
from reference_app import build_config, create_app
from tests.faults import FAULTS, KEY

ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, list(args), env={"ENVIRONMENT_API_KEY": "", **(env or {})})


@pytest.fixture
def served_reference() -> Iterator[str]:
    """The reference app on real uvicorn on 127.0.0.1."""
    with ServerThread(create_app(build_config(environ={"ENVIRONMENT_API_KEY": KEY}))) as server:
        yield server.url


def _served_fault(name: str) -> ServerThread:
    fault = next(f for f in FAULTS if f.name == name)
    return ServerThread(fault.app())


def test_check_without_arguments_passes() -> None:
    """`check` with no target checks the embedded reference app and exits 0."""
    result = _run("check", "--quiet")
    assert result.exit_code == 0, result.output
    # Skipped, not applicable: DET-4 (nothing declared) and the other generations' checks.
    passed = sum(c.applies_to(LEGACY) for c in catalogue()) - 1
    skipped = len(catalogue()) - passed
    assert f"0 failed, {passed} passed, 0 warned, {skipped} skipped" in result.output
    assert "the target conforms" in result.output


def test_check_passes_against_reference_over_loopback(served_reference: str) -> None:
    """The reference app served by uvicorn on 127.0.0.1 conforms."""
    result = _run("check", served_reference, "--api-key", KEY, "--quiet")
    assert result.exit_code == 0, result.output


def test_cid_dropped_from_last_step_exits_1_and_names_the_step() -> None:
    """A variant whose last step loses the cid fails CID-2, naming that step."""
    with _served_fault("last_step_drops_cid") as server:
        result = _run("check", server.url, "--api-key", KEY, "--quiet")
    assert result.exit_code == 1
    assert (
        "CID-2 every_step_meta_url_carries_cid: trajectories[0].steps[1].info.meta.inference_url"
        in result.output
    )
    assert KEY not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "--select", "NOPE"], "no check matches NOPE; valid IDs: EP-1"),
        (["check", "--rollout-config", "{bad"], "--rollout-config = '{bad': not valid JSON"),
        (["check", "--rollout-config", "[1]"], "--rollout-config = '[1]': expected a JSON object"),
        (["check", "ftp://host", "--api-key", "k"], "not an http(s) URL: 'ftp://host'"),
        (
            ["check", "http://127.0.0.1:9", "--profile", "legacy-0.2"],
            "no API key for the target: pass --api-key or set ENVIRONMENT_API_KEY",
        ),
        (["check", "--profile", "newest"], "--profile = 'newest': expected one of legacy-0.2"),
        (
            ["check", "--app", "tests.faults.apps:reference", "--container-signing-key", "YWJj"],
            "--container-signing-key: an Ed25519 seed is 32 bytes, this is 3",
        ),
        (
            ["check", "http://h", "--app", "x:y", "--api-key", "k"],
            "give either a URL or --app, not both",
        ),
        (["check", "--app", "no_colon", "--api-key", "k"], "--app must look like module:attr"),
        (
            ["check", "--app", "no_such_module_xyz:app", "--api-key", "k"],
            "cannot import 'no_such_module_xyz'",
        ),
        (["check", "--app", "tests.faults.apps:reference"], "no API key for the target"),
        (
            ["check", "--app", "tests.cli.test_check_command:_raising_factory", "--api-key", "k"],
            "the factory tests.cli.test_check_command:_raising_factory raised KeyError: 'SETTING'",
        ),
        (["check", "http://127.0.0.1:99999", "--api-key", "k"], "not a valid URL"),
        (["check", "http://[::1", "--api-key", "k"], "not a valid URL"),
        (["check", "--config", "missing.toml"], "config file not found: missing.toml"),
        (["check", "--select", "EP", "--ignore", "EP"], "the selection is empty"),
    ],
    ids=[
        "unknown-select",
        "bad-json",
        "json-not-object",
        "bad-scheme",
        "no-key",
        "unknown-profile",
        "bad-signing-key",
        "url-and-app",
        "app-spec",
        "app-import",
        "app-without-key",
        "app-factory-raises",
        "port-out-of-range",
        "bad-ipv6",
        "missing-config",
        "empty-selection",
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(args: list[str], message: str) -> None:
    """User mistakes exit 2 with a specific message and no traceback."""
    result = _run(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def _raising_factory() -> object:
    """An app factory with a bug in it (used by a usage-error case)."""
    settings: dict[str, object] = {}
    return settings["SETTING"]


def test_config_select_accepts_a_string(tmp_path: Path) -> None:
    """`select = "EP"` in the config means the EP area, not the letters E and P."""
    config = tmp_path / "c.toml"
    config.write_text('[tool.taskapp-conformance]\nselect = "EP"\n')
    assert "4 passed" in _run("check", "--config", str(config), "--quiet").output


def test_hanging_in_process_app_times_out_with_exit_3(tmp_path: Path) -> None:
    """An in-process app that never answers gives exit 3 after --timeout, not a hang."""
    result = _run(
        "check",
        "--app",
        "tests.cli.test_check_command:hanging_app",
        "--api-key",
        "k",
        "--timeout",
        "1",
    )
    assert result.exit_code == 3
    assert "timed out after 1s" in result.output


async def hanging_app(scope: dict[str, object], receive: object, send: object) -> None:
    """An ASGI app that never answers."""
    import asyncio

    await asyncio.sleep(3600)


def test_unreachable_url_exits_3_with_one_line() -> None:
    """A URL nobody listens on gives exit 3 and one clear line."""
    result = _run("check", "http://127.0.0.1:9", "--api-key", "k", "--connect-timeout", "1")
    assert result.exit_code == 3
    assert "Error: cannot talk to the target: http://127.0.0.1:9: cannot connect" in result.output
    assert "Traceback" not in result.output


def test_non_json_answer_exits_3() -> None:
    """A URL that answers HTML (not a task app) gives exit 3 naming the problem."""

    async def page(_: Request) -> HTMLResponse:
        return HTMLResponse("<html>hello</html>")

    with ServerThread(Starlette(routes=[Route("/", page)])) as server:
        result = _run("check", server.url, "--api-key", "k")
    assert result.exit_code == 3
    assert (
        "non-JSON body (text/html; charset=utf-8); is this the base URL of a task app?"
        in result.output
    )


def test_reports_are_written_without_secrets(tmp_path: Path) -> None:
    """--json, --junit-xml, --markdown and --html write complete reports with no key inside."""
    paths = {name: tmp_path / "out" / name for name in ("r.json", "r.xml", "r.md", "r.html")}
    with _served_fault("rejection_leaks_allowed_first15") as server:
        result = _run(
            "check",
            server.url,
            "--api-key",
            KEY,
            "--quiet",
            "--json",
            str(paths["r.json"]),
            "--junit-xml",
            str(paths["r.xml"]),
            "--markdown",
            str(paths["r.md"]),
            "--html",
            str(paths["r.html"]),
        )
    assert result.exit_code == 1
    report = json.loads(paths["r.json"].read_text())
    sec1 = next(c for c in report["checks"] if c["id"] == "SEC-1")
    assert sec1["outcome"] == "fail"
    # The block says where the piece is and quotes nothing of it.
    assert sec1["detail"]["got"] == (
        "401; a piece of the key appears verbatim in the body, at allowed_first15[0] (not shown)"
    )
    assert len(ET.parse(paths["r.xml"]).getroot().iter("testcase").__next__().attrib) > 0
    for path in paths.values():
        assert KEY not in path.read_text()
        assert KEY[:6] not in path.read_text()


def test_config_table_is_used_and_flags_win(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """[tool.taskapp-conformance] in ./pyproject.toml selects checks; a flag overrides it."""
    (tmp_path / "pyproject.toml").write_text('[tool.taskapp-conformance]\nselect = ["EP"]\n')
    monkeypatch.chdir(tmp_path)
    assert "4 passed" in _run("check", "--quiet").output
    chosen = select_checks(catalogue(), ["AUTH", "EP-1", "EP-2"])  # the auth tag: CTR too
    selected = len([c for c in chosen if c.applies_to(LEGACY)])  # the rest is n/a here
    assert f"{selected} passed" in _run("check", "--quiet", "--select", "AUTH,EP-1,EP-2").output


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('api_key = "k"', "never store api_key in a file"),
        ("selcet = []", "unknown key(s) selcet"),
        ('timeout = "abc"', "timeout = 'abc'"),
        ("concurrency = 0", "concurrency = 0"),
    ],
    ids=["api-key", "typo", "not-a-number", "out-of-range"],
)
def test_bad_config_exits_2(tmp_path: Path, table: str, message: str) -> None:
    """A config with the key, an unknown key or a value of the wrong type exits 2 in one line."""
    config = tmp_path / "c.toml"
    config.write_text(f"[tool.taskapp-conformance]\n{table}\n")
    result = _run("check", "--config", str(config))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_baseline_accepts_known_failures_and_reports_stale_entries(tmp_path: Path) -> None:
    """A baselined failure does not fail the run; an entry that no longer fails is reported
    stale.
    """
    baseline = tmp_path / "baseline.txt"
    baseline.write_text("CID-2  # known, tracked in #12\nAUTH-3\n")
    with _served_fault("last_step_drops_cid") as server:
        result = _run(
            "check",
            server.url,
            "--api-key",
            KEY,
            "--quiet",
            "--baseline",
            str(baseline),
            "--accept-unproven",
            "CID-5",  # it depends on CID-2, so it cannot run
        )
    assert result.exit_code == 0, result.output
    assert "accepted unproven: CID-5" in result.output
    assert (
        "Stale baseline entries (these checks no longer fail; remove them): AUTH-3" in result.output
    )


def test_baseline_entries_outside_the_selection_are_not_stale(tmp_path: Path) -> None:
    """A baselined check that was not selected is neither stale nor a failure."""
    baseline = tmp_path / "baseline.txt"
    baseline.write_text("CID-2\nAUTH-3\n")
    result = _run("check", "--quiet", "--select", "EP", "--baseline", str(baseline))
    assert result.exit_code == 0, result.output
    assert "Stale baseline entries" not in result.output


def test_baseline_with_an_unknown_id_is_a_usage_error(tmp_path: Path) -> None:
    """A typo in the baseline file exits 2 naming the line, before anything is sent."""
    baseline = tmp_path / "baseline.txt"
    baseline.write_text("CID-2\n\nNOPE-1  # typo\n")
    result = _run("check", "--quiet", "--baseline", str(baseline))
    assert result.exit_code == 2
    assert f"baseline file {baseline} names unknown check IDs (line 3: NOPE-1)" in result.output


def test_strict_turns_warnings_into_failures() -> None:
    """A should-level violation warns by default and fails with --strict."""
    with _served_fault("rejects_with_400") as server:
        default = _run("check", server.url, "--api-key", KEY, "--quiet", "--select", "AUTH")
        strict = _run(
            "check", server.url, "--api-key", KEY, "--quiet", "--select", "AUTH", "--strict"
        )
    assert (default.exit_code, strict.exit_code) == (0, 1)


def test_list_checks_formats() -> None:
    """list-checks prints every check as a table, JSON and Markdown."""
    ids = [c.id for c in catalogue()]
    assert [c["id"] for c in json.loads(_run("list-checks", "--format", "json").output)] == ids
    assert all(i in _run("list-checks").output for i in ids)
    assert _run("list-checks", "--format", "markdown").output.strip() == catalogue_markdown(
        catalogue()
    )


def test_list_checks_shows_and_filters_by_profile() -> None:
    """Each check's generations are a table column (`all` for every one) and a JSON list;
    `--profile NAME` keeps that generation's checks, in every format.
    """
    doc = json.loads(_run("list-checks", "--format", "json").output)
    assert [c["profiles"] for c in doc] == [list(c.profiles) for c in catalogue()]
    table = {line.split()[0]: line.split()[2] for line in _run("list-checks").output.splitlines()}
    for c in catalogue():
        assert table[c.id] == ("all" if len(c.profiles) == 4 else ",".join(c.profiles))
    for profile in PROFILE_NAMES:
        own = [c.id for c in catalogue() if c.applies_to(profile)]
        shown = json.loads(_run("list-checks", "--format", "json", "--profile", profile).output)
        assert [c["id"] for c in shown] == own
        lines = _run("list-checks", "--profile", profile.upper()).output.splitlines()
        assert [line.split()[0] for line in lines] == own
    unknown = _run("list-checks", "--profile", "auto")
    assert unknown.exit_code == 2
    assert "'auto' is not one of 'legacy-0.2', 'localapi'" in unknown.output


def test_readme_profiles_match_the_catalogue() -> None:
    """The README's profiles table and per-profile catalogues are the generated ones
    (regenerate with `python -m conformance.catalogue_doc`), so they follow the checks.
    """
    readme = (ROOT / "README.md").read_text()
    block = readme[readme.index(PROFILES_BEGIN) + len(PROFILES_BEGIN) : readme.index(PROFILES_END)]
    assert block.strip() == profiles_markdown(catalogue())
    assert sync_readme(readme, catalogue()) == readme


def test_readme_table_matches_the_catalogue() -> None:
    """The README's check table is the generated one (regenerate with list-checks --format
    markdown).
    """
    readme = (ROOT / "README.md").read_text()
    table = readme[
        readme.index(README_BEGIN) + len(README_BEGIN) : readme.index(README_END)
    ].strip()
    assert table == catalogue_markdown(catalogue())


def test_readme_options_table_matches_the_run_config() -> None:
    """The README's options table is generated from RunConfig, so it lists every knob."""
    readme = (ROOT / "README.md").read_text()
    table = readme[
        readme.index(OPTIONS_BEGIN) + len(OPTIONS_BEGIN) : readme.index(OPTIONS_END)
    ].strip()
    assert table == options_markdown()


def test_serve_refuses_without_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """`serve` with no key configured exits 2 and says how to set one."""
    for name in (
        "ENVIRONMENT_API_KEY_ALIASES",
        "DEV_ENVIRONMENT_API_KEY",
        "dev_environment_api_key",
    ):
        monkeypatch.delenv(name, raising=False)
    result = _run("serve")
    assert result.exit_code == 2
    assert "export ENVIRONMENT_API_KEY=" in result.output


def test_help_documents_exit_codes() -> None:
    """`check --help` lists the exit codes."""
    output = _run("check", "--help").output
    assert "3  the harness could not reach or talk to the target" in output


def test_serve_says_where_capture_writes(tmp_path: Path) -> None:
    """`serve` with tracing and JSONL output on names the trace DB and the JSONL directory."""
    env = {
        **os.environ,
        "ENVIRONMENT_API_KEY": KEY,
        "TASKAPP_TRACING_ENABLED": "1",
        "SYNTH_TRACES_DB": str(tmp_path / "traces.db"),
        "TASKAPP_SFT_OUTPUT_DIR": str(tmp_path / "sft"),
    }
    command = [
        sys.executable,
        "-c",
        "from conformance.cli import main; main()",
        "serve",
        "--port",
        "0",
    ]
    with subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True) as server:
        assert server.stderr is not None
        deadline = threading.Timer(60, server.kill)  # a hung start ends the read loop below
        deadline.start()
        try:
            lines = []
            for line in server.stderr:  # ends when uvicorn is up (or the process died)
                lines.append(line)
                if "Uvicorn running on" in line:
                    break
        finally:
            deadline.cancel()
            server.terminate()
    text = "".join(lines)
    assert f"tracing rollouts to sqlite {tmp_path / 'traces.db'} (from SYNTH_TRACES_DB)" in text
    assert f"writing SFT JSONL batches to {tmp_path / 'sft'}" in text
    assert KEY not in text


def test_url_credentials_are_never_shown(served_reference: str, tmp_path: Path) -> None:
    """A password in the target URL and a token in --inference-url appear in no output."""
    target = served_reference.replace("http://", "http://bob:hunter2secret@")
    report = tmp_path / "r.json"
    result = _run(
        "check",
        target,
        "--api-key",
        KEY,
        "--select",
        "EP,RO-1",
        "--inference-url",
        "http://127.0.0.1:9/v1?api_key=sk-zzzz9999yyyy",
        "--json",
        str(report),
    )
    assert result.exit_code == 1, result.output  # RO-1: the inference URL is unreachable
    assert "http://bob:***@127.0.0.1" in result.output
    shown = result.output + report.read_text()
    assert "hunter2secret" not in shown
    assert "sk-zzzz9999yyyy" not in shown
    assert "api_key=***" in json.loads(report.read_text())["inference"]


def test_a_split_the_target_does_not_serve_is_a_usage_error() -> None:
    """--split that the target's own dataset.splits lacks exits 2, never blames the app."""
    result = _run("check", "--quiet", "--split", "nosuch")
    assert result.exit_code == 2
    assert "--split 'nosuch' is not one of the target's splits (train, val, test" in result.output


@pytest.fixture
def self_signed_server(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 with a self-signed certificate, answering JSON at `/`."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a self-signed certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b'{"status": "ok", "service": "tls"}'
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_tls_is_verified_unless_insecure(self_signed_server: str) -> None:
    """A self-signed certificate is refused by default (exit 3); --insecure talks to it."""
    refused = _run("check", self_signed_server, "--api-key", KEY, "--quiet", "--select", "EP-1")
    assert refused.exit_code == 3
    assert "CERTIFICATE_VERIFY_FAILED" in refused.output
    insecure = _run(
        "check", self_signed_server, "--api-key", KEY, "--quiet", "--select", "EP-1", "--insecure"
    )
    assert insecure.exit_code == 0, insecure.output


def test_a_key_the_app_refuses_in_every_form_is_a_usage_error() -> None:
    """A wrong key on the user's side exits 2 saying to fix the key, not 1 with fixes
    addressed to the app.
    """
    result = _run("check", "--app", "tests.faults.apps:reference", "--api-key", "not-the-key-42")
    assert result.exit_code == 2, result.output
    assert "refused the key in every form synth-ai sends it" in result.output
    assert "set it to the app's ENVIRONMENT_API_KEY and run again" in result.output
