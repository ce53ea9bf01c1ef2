"""`sft-submit`: upload -> create -> start, errors named, nothing retried, dry run sends nothing."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import respx
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from conformance.serving import ServerThread
from conformance.sft import BackendError, SubmitPlan, api_base, check_sft_config, plan_submission
from conformance.sft.cli import sft_submit_command
from conformance.sft.submit import submit

REPO = Path(__file__).resolve().parents[2]
SFT_TOML = REPO / "reference_app" / "configs" / "sft.toml"
BASE = "http://backend.test/api"
KEY = "sk-synth-test-0123456789abcdef"


@pytest.fixture
def plan() -> SubmitPlan:
    """A plan from the shipped sft.toml against http://backend.test."""
    report = check_sft_config(SFT_TOML, environ={}, base_dir=REPO)
    return plan_submission(report, "http://backend.test")


def _ok_routes(mock: respx.MockRouter) -> dict[str, respx.Route]:
    return {
        "upload": mock.post(f"{BASE}/learning/files").respond(200, json={"id": "file-1"}),
        "ready": mock.get(f"{BASE}/learning/files/file-1").respond(200, json={"status": "ready"}),
        "create": mock.post(f"{BASE}/learning/jobs").respond(201, json={"job_id": "job-9"}),
        "start": mock.post(f"{BASE}/learning/jobs/job-9/start").respond(200, json={"ok": True}),
    }


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://h", "http://h/api"),
        ("http://h/api/", "http://h/api"),
        ("https://h/x", "https://h/x/api"),
    ],
)
def test_api_base(given: str, expected: str) -> None:
    """The backend URL always ends in exactly one /api."""
    assert api_base(given) == expected


def test_happy_path_sends_the_three_requests(plan: SubmitPlan) -> None:
    """Upload (multipart, fine-tune), create (payload + file id), start, with the bearer key."""
    with respx.mock(assert_all_called=True) as mock:
        routes = _ok_routes(mock)
        result = submit(plan, api_key=KEY)
    assert (result.file_id, result.job_id) == ("file-1", "job-9")
    upload = routes["upload"].calls.last.request
    assert upload.headers["authorization"] == f"Bearer {KEY}"
    body = upload.content
    assert b'name="purpose"' in body
    assert b"fine-tune" in body
    assert b"application/jsonl" in body
    created = json.loads(routes["create"].calls.last.request.content)
    assert created["training_file_id"] == "file-1"
    assert created["model"] == "Qwen/Qwen3-0.6B"
    assert json.loads(routes["start"].calls.last.request.content) == {}


def test_upload_rejection_is_named_and_key_redacted(plan: SubmitPlan) -> None:
    """A 401 says which step failed, hints at the key, and never echoes it."""
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{BASE}/learning/files").respond(401, json={"detail": f"bad key {KEY}"})
        jobs = mock.post(f"{BASE}/learning/jobs")
        with pytest.raises(BackendError) as caught:
            submit(plan, api_key=KEY)
    message = str(caught.value)
    assert message.startswith("upload: POST http://backend.test/api/learning/files answered 401")
    assert "Check SYNTH_API_KEY" in message
    assert KEY not in message
    assert caught.value.exit_code == 1
    assert not jobs.called


def test_create_timeout_is_not_retried(plan: SubmitPlan) -> None:
    """A timeout creating the job is reported (exit 3) after exactly one attempt."""
    with respx.mock(assert_all_called=False) as mock:
        routes = _ok_routes(mock)
        routes["create"].side_effect = httpx.ReadTimeout("slow")
        with pytest.raises(BackendError, match="may have been created") as caught:
            submit(plan, api_key=KEY)
    assert routes["create"].call_count == 1
    assert not routes["start"].called
    assert caught.value.exit_code == 3


@pytest.mark.parametrize(
    ("status", "body"),
    [(502, {"error": "bad gateway"}), (504, {"error": "timeout"}), (202, {"queued": True})],
    ids=["502", "504", "202-without-id"],
)
def test_create_answer_of_unknown_outcome_is_tried_once_and_warned(
    plan: SubmitPlan, status: int, body: dict[str, object]
) -> None:
    """A 5xx or an unexpected 2xx creating the job: one attempt, and a warning it may exist."""
    with respx.mock(assert_all_called=False) as mock:
        routes = _ok_routes(mock)
        routes["create"].respond(status, json=body)
        with pytest.raises(BackendError, match="may have been created for file file-1"):
            submit(plan, api_key=KEY)
    assert routes["create"].call_count == 1
    assert not routes["start"].called


def test_start_failure_names_the_created_job(plan: SubmitPlan) -> None:
    """A failed start says the job exists and how to start it; it is not retried."""
    with respx.mock(assert_all_called=False) as mock:
        routes = _ok_routes(mock)
        routes["start"].respond(500, text="boom")
        with pytest.raises(BackendError, match="Job job-9 was created") as caught:
            submit(plan, api_key=KEY)
    assert routes["start"].call_count == 1
    assert "answered 500" in str(caught.value)


def test_upload_without_id_and_unreachable_backend(plan: SubmitPlan) -> None:
    """A response without id is an error; a refused connection exits 3."""
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{BASE}/learning/files").respond(200, json={"ok": True})
        with pytest.raises(BackendError, match="without a file id"):
            submit(plan, api_key=KEY)
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{BASE}/learning/files").side_effect = httpx.ConnectError("refused")
        with pytest.raises(BackendError, match="cannot reach the backend") as caught:
            submit(plan, api_key=KEY)
    assert caught.value.exit_code == 3


def test_readiness_polls_through_404_then_warns(plan: SubmitPlan) -> None:
    """404 keeps polling; still not ready at the deadline only warns."""
    with respx.mock(assert_all_called=False) as mock:
        routes = _ok_routes(mock)
        routes["ready"].respond(404)
        result = submit(plan, api_key=KEY, ready_timeout=0.05, poll_interval=0.01)
    assert routes["ready"].call_count >= 2
    assert result.warnings == ["file not reported ready after 0.05s; creating the job anyway"]


def test_dry_run_sends_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """--dry-run prints the requests, naming the file, and makes no HTTP call (D18)."""
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("SYNTH_API_KEY", KEY)
    with respx.mock(assert_all_mocked=True) as mock:
        result = CliRunner().invoke(
            sft_submit_command,
            ["--config", str(SFT_TOML), "--backend", "http://backend.test", "--dry-run"],
        )
    assert result.exit_code == 0, result.output
    assert not mock.calls
    plan = json.loads(result.stdout)
    assert plan["upload"]["file"].endswith("example_sft.jsonl")
    assert plan["create_job"]["url"] == f"{BASE}/learning/jobs"
    assert KEY not in result.output


def test_missing_key_and_invalid_config_exit_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No SYNTH_API_KEY exits 2; an invalid config exits 1 before anything is sent."""
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("SYNTH_API_KEY", raising=False)
    runner = CliRunner()
    args = ["--config", str(SFT_TOML), "--backend", "http://127.0.0.1:9"]
    result = runner.invoke(sft_submit_command, args)
    assert result.exit_code == 2
    assert "SYNTH_API_KEY is not set" in result.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(SFT_TOML.read_text().replace('variety = "lora"', 'variety = "qlora"'))
    monkeypatch.setenv("SYNTH_API_KEY", KEY)
    result = runner.invoke(
        sft_submit_command, ["--config", str(bad), "--backend", "http://127.0.0.1:9"]
    )
    assert result.exit_code == 1
    assert "qlora" in result.stderr


class _FakeBackend:
    """A minimal training backend recording what it receives."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, str]] = []
        self.app = Starlette(
            routes=[
                Route("/api/learning/files", self.upload, methods=["POST"]),
                Route("/api/learning/files/{fid}", self.file, methods=["GET"]),
                Route("/api/learning/jobs", self.create, methods=["POST"]),
                Route("/api/learning/jobs/{jid}/start", self.start, methods=["POST"]),
            ]
        )

    def _log(self, request: Request) -> None:
        self.requests.append(
            (request.method, request.url.path, request.headers.get("authorization", ""))
        )

    async def upload(self, request: Request) -> JSONResponse:
        self._log(request)
        body = await request.body()  # multipart; counting records needs no parser
        assert b'name="purpose"' in body
        records = body.count(b'{"messages"')
        return JSONResponse({"id": f"file-{records}"})

    async def file(self, request: Request) -> JSONResponse:
        self._log(request)
        return JSONResponse({"status": "uploaded"})

    async def create(self, request: Request) -> JSONResponse:
        self._log(request)
        body = await request.json()
        return JSONResponse({"id": f"job-for-{body['training_file_id']}"}, status_code=201)

    async def start(self, request: Request) -> JSONResponse:
        self._log(request)
        return JSONResponse({"status": "running"})


def test_cli_against_a_local_fake_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole flow over real HTTP on 127.0.0.1: four requests, each with the bearer key."""
    backend = _FakeBackend()
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("SYNTH_API_KEY", KEY)
    with ServerThread(backend.app) as server:
        result = CliRunner().invoke(
            sft_submit_command, ["--config", str(SFT_TOML), "--backend", server.url]
        )
    assert result.exit_code == 0, result.output
    assert "Created and started SFT job job-for-file-4" in result.stdout
    assert [(m, p) for m, p, _ in backend.requests] == [
        ("POST", "/api/learning/files"),
        ("GET", "/api/learning/files/file-4"),
        ("POST", "/api/learning/jobs"),
        ("POST", "/api/learning/jobs/job-for-file-4/start"),
    ]
    assert {auth for _, _, auth in backend.requests} == {f"Bearer {KEY}"}
    assert KEY not in result.output


def test_help_teaches_examples_and_exit_codes() -> None:
    """--help shows examples, the steps and the exit codes."""
    result = CliRunner().invoke(sft_submit_command, ["--help"])
    assert result.exit_code == 0
    for needle in ("Examples:", "--dry-run", "Exit codes:", "/api/learning/jobs"):
        assert needle in result.output


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        ("http://[::1", "--backend is not a valid URL (Invalid port: ':1'), got 'http://[::1'"),
        ("http://h:99999", "--backend has an invalid port 99999, got 'http://h:99999'"),
        ("http:///api", "--backend has no host, got 'http:///api'"),
        (
            "https://user:PASSWORD99@h.example",
            "--backend must not contain a user name or password (httpx would send them as "
            "Basic auth instead of SYNTH_API_KEY); remove them, got 'https://user:***@h.example'",
        ),
        (
            "https://h.example/x?key=SECRET77&a=1",
            "--backend must not have a query string or fragment (the API paths are appended "
            "to it), got 'https://h.example/x?***'",
        ),
    ],
    ids=["bad-ipv6", "port", "no-host", "userinfo", "query"],
)
def test_unusable_backend_is_a_usage_error(backend: str, message: str) -> None:
    """A backend URL httpx cannot use is exit 2 with one redacted line."""
    with pytest.raises(BackendError) as caught:
        api_base(backend)
    assert str(caught.value) == message
    assert caught.value.exit_code == 2


def test_cli_invalid_backend_exits_2_without_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--backend 'http://[::1'` is one line and exit 2, not an httpx.InvalidURL traceback."""
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("SYNTH_API_KEY", KEY)
    result = CliRunner().invoke(
        sft_submit_command, ["--config", str(SFT_TOML), "--backend", "http://[::1"]
    )
    assert result.exit_code == 2
    assert (
        result.stderr
        == "Error: --backend is not a valid URL (Invalid port: ':1'), got 'http://[::1'\n"
    )


def test_non_ascii_api_key_is_refused_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    """A non-ASCII SYNTH_API_KEY exits 2 without sending anything or printing the key."""
    monkeypatch.chdir(REPO)
    key = "sk-ключ-0123456789"
    monkeypatch.setenv("SYNTH_API_KEY", key)
    with respx.mock(assert_all_mocked=True) as mock:
        result = CliRunner().invoke(
            sft_submit_command, ["--config", str(SFT_TOML), "--backend", "http://backend.test"]
        )
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: SYNTH_API_KEY contains non-ASCII or control characters, which an HTTP header "
        "cannot carry; copy the key again (its value is not shown)\n"
    )
    assert not mock.calls
    assert "ключ" not in result.output


def test_transport_error_redacts_the_url_password(plan: SubmitPlan) -> None:
    """Messages show a URL's password as *** even for a plan built without api_base."""
    secret_plan = SubmitPlan("http://u:PASSWORD99@backend.test/api", plan.data_path, plan.payload)
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{BASE}/learning/files").side_effect = httpx.ConnectError("refused")
        with pytest.raises(BackendError) as caught:
            submit(secret_plan, api_key=KEY)
    assert str(caught.value) == (
        "upload: cannot reach the backend at http://u:***@backend.test/api/learning/files "
        "(ConnectError)."
    )


@pytest.fixture
def validation_plan(tmp_path: Path) -> SubmitPlan:
    """A plan whose TOML sets [data].validation_path to the example data."""
    config = tmp_path / "sft.toml"
    data = REPO / "reference_app" / "configs" / "example_sft.jsonl"
    config.write_text(SFT_TOML.read_text() + f'\n[data]\nvalidation_path = "{data}"\n')
    report = check_sft_config(config, environ={}, base_dir=REPO)
    return plan_submission(report, "http://backend.test")


def test_validation_file_is_uploaded_and_referenced(validation_plan: SubmitPlan) -> None:
    """[data].validation_path is uploaded too; its id goes to effective_config.data."""
    with respx.mock(assert_all_called=True) as mock:
        routes = _ok_routes(mock)
        routes["upload"].side_effect = [
            httpx.Response(200, json={"id": "file-1"}),
            httpx.Response(200, json={"id": "file-val"}),
        ]
        result = submit(validation_plan, api_key=KEY)
    assert routes["upload"].call_count == 2
    assert result.validation_file_id == "file-val"
    created = json.loads(routes["create"].calls.last.request.content)
    assert created["training_file_id"] == "file-1"
    assert created["metadata"]["effective_config"]["data"] == {
        "topology": {},
        "validation_files": ["file-val"],
    }
    assert "validation_files" not in json.dumps(validation_plan.payload)


def test_refused_validation_upload_only_warns(validation_plan: SubmitPlan) -> None:
    """A refused validation upload warns (as synth-ai does) and the job is still created."""
    with respx.mock(assert_all_called=True) as mock:
        routes = _ok_routes(mock)
        routes["upload"].side_effect = [
            httpx.Response(200, json={"id": "file-1"}),
            httpx.Response(413, json={"detail": "too large"}),
        ]
        result = submit(validation_plan, api_key=KEY)
    assert result.warnings == [
        f"validation upload: POST {BASE}/learning/files answered 413: "
        '\'{"detail":"too large"}\'; creating the job without validation_files'
    ]
    created = json.loads(routes["create"].calls.last.request.content)
    assert "validation_files" not in created["metadata"]["effective_config"]["data"]


def test_dry_run_shows_the_validation_upload(validation_plan: SubmitPlan) -> None:
    """--dry-run lists the validation upload and the validation_files it will fill in."""
    described = validation_plan.describe()
    assert described["upload_validation"]["file"].endswith("example_sft.jsonl")
    data = described["create_job"]["json"]["metadata"]["effective_config"]["data"]
    assert data["validation_files"] == ["<id of the validation upload>"]


def _endless() -> Iterator[bytes]:
    while True:
        yield b" " * 4096


def _dribble() -> Iterator[bytes]:
    while True:
        time.sleep(0.02)
        yield b" "


UPLOAD = f"{BASE}/learning/files"
TOO_BIG = (
    f"upload: POST {UPLOAD} answered 200 with more than 1024 bytes; a synth-ai backend "
    "answers small JSON, so check --backend (or raise --max-response-bytes)."
)


@pytest.mark.parametrize(
    "answer",
    [
        lambda: httpx.Response(200, json={"id": "file-1", "pad": "x" * 2000}),
        lambda: httpx.Response(200, content=iter([b'{"id": "file-1", "x": "', *[b"x" * 512] * 8])),
        lambda: httpx.Response(200, content=_endless()),
    ],
    ids=["declared-length", "chunked", "endless"],
)
def test_oversized_backend_answer_is_refused(
    plan: SubmitPlan, answer: Callable[[], httpx.Response]
) -> None:
    """An answer over --max-response-bytes stops the flow with exit 3, read no further."""
    with respx.mock(assert_all_called=False) as mock:
        routes = _ok_routes(mock)
        routes["upload"].side_effect = lambda _: answer()
        with pytest.raises(BackendError) as caught:
            submit(plan, api_key=KEY, max_response_bytes=1024)
    assert (str(caught.value), caught.value.exit_code) == (TOO_BIG, 3)
    assert not routes["create"].called


def test_oversized_create_answer_says_the_job_may_exist(plan: SubmitPlan) -> None:
    """An oversized answer to create-job warns that the job may exist (not retried)."""
    with respx.mock(assert_all_called=False) as mock:
        routes = _ok_routes(mock)
        routes["create"].side_effect = lambda _: httpx.Response(201, content=_endless())
        with pytest.raises(BackendError) as caught:
            submit(plan, api_key=KEY, max_response_bytes=1024)
    assert str(caught.value).endswith(
        "with more than 1024 bytes; a synth-ai backend answers small JSON, so check --backend "
        "(or raise --max-response-bytes). The job may have been created for file file-1: check "
        "the backend before re-running (not retried, to avoid a second job)."
    )
    assert routes["create"].call_count == 1


def test_answer_that_keeps_coming_times_out(plan: SubmitPlan) -> None:
    """A body dribbled a byte at a time, each within the read timeout, ends at --timeout."""
    with respx.mock(assert_all_called=False) as mock:
        _ok_routes(mock)["upload"].side_effect = lambda _: httpx.Response(200, content=_dribble())
        started = time.monotonic()
        with pytest.raises(BackendError) as caught:
            submit(plan, api_key=KEY, timeout=0.3)
    assert time.monotonic() - started < 3
    assert (str(caught.value), caught.value.exit_code) == (
        f"upload: POST {UPLOAD} timed out after 0.3 s (the answer kept coming); "
        "raise --timeout if the backend is just slow.",
        3,
    )


def test_small_requests_wait_at_most_30_seconds(plan: SubmitPlan) -> None:
    """Create and start wait at most 30 s whatever --timeout says; the message says so."""
    with respx.mock(assert_all_called=False) as mock:
        routes = _ok_routes(mock)
        routes["create"].side_effect = httpx.ReadTimeout("slow")
        with pytest.raises(BackendError) as caught:
            submit(plan, api_key=KEY)
    assert str(caught.value).startswith(
        f"create job: POST {BASE}/learning/jobs timed out after 30 s (ReadTimeout); "
        "the job requests wait at most 30 s. The job may have been created"
    )
    assert routes["create"].calls.last.request.extensions["timeout"]["read"] == 30
    assert routes["upload"].calls.last.request.extensions["timeout"]["read"] == 300


def test_cli_timeout_against_a_hanging_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    """--timeout bounds a backend that never answers: a progress line, one error line, exit 3."""

    async def hang(_: Request) -> JSONResponse:
        await asyncio.sleep(2)
        return JSONResponse({"id": "too-late"})

    monkeypatch.chdir(REPO)
    monkeypatch.setenv("SYNTH_API_KEY", KEY)
    hanging = Starlette(routes=[Route("/api/learning/files", hang, methods=["POST"])])
    with ServerThread(hanging) as server:
        started = time.monotonic()
        result = CliRunner().invoke(
            sft_submit_command,
            ["--config", str(SFT_TOML), "--backend", server.url, "--timeout", "0.5"],
        )
        elapsed = time.monotonic() - started
    size = (REPO / "reference_app/configs/example_sft.jsonl").stat().st_size
    upload = f"{server.url}/api/learning/files"
    assert result.exit_code == 3, result.output
    assert elapsed < 5
    assert result.stderr.splitlines() == [
        f"upload: POST {upload} ({size} bytes of example_sft.jsonl), "
        "waiting up to 0.5 s for the backend",
        f"Error: upload: POST {upload} timed out after 0.5 s (ReadTimeout); "
        "raise --timeout if the backend is just slow.",
    ]


def test_cli_prints_one_progress_line_per_step(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each step says on stderr what it waits for and how long; the poll says it once."""
    backend = _FakeBackend()
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("SYNTH_API_KEY", KEY)
    with ServerThread(backend.app) as server:
        result = CliRunner().invoke(
            sft_submit_command, ["--config", str(SFT_TOML), "--backend", server.url]
        )
    api = f"{server.url}/api/learning"
    assert result.exit_code == 0, result.output
    size = (REPO / "reference_app/configs/example_sft.jsonl").stat().st_size
    assert result.stderr.splitlines() == [
        f"upload: POST {api}/files ({size} bytes of example_sft.jsonl), "
        "waiting up to 300 s for the backend",
        f"file readiness: GET {api}/files/file-4 until it is ready (for up to 10 s, "
        "--ready-timeout), waiting up to 30 s for the backend",
        f"create job: POST {api}/jobs, waiting up to 30 s for the backend",
        f"start job: POST {api}/jobs/job-for-file-4/start, waiting up to 30 s for the backend",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--timeout", "0"], "Invalid value for '--timeout'"),
        (["--max-response-bytes", "10"], "Invalid value for '--max-response-bytes'"),
    ],
    ids=["timeout-zero", "tiny-cap"],
)
def test_bound_options_are_checked(args: list[str], message: str) -> None:
    """A zero timeout or a cap below 1 KiB is a usage error (exit 2)."""
    result = CliRunner().invoke(sft_submit_command, ["--config", str(SFT_TOML), *args])
    assert result.exit_code == 2
    assert message in result.output
