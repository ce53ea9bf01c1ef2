"""`taskapp-conformance sft-submit`: upload the data, create the SFT job, start it (spec §8.5).

The flow is synth-ai's `FtClient` one, against `{backend}/api`:

1. validate the config and the data (`validate-sft-config` rules); nothing is sent if
   that fails;
2. `POST /api/learning/files` (multipart `file` as `application/jsonl`, `purpose=fine-tune`)
   -> `{"id": ...}`; this path works with every synth-ai version (D19);
3. poll `GET /api/learning/files/{id}` until `ready`/`uploaded`/`stored`/`complete`
   (404 keeps polling, a timeout only warns, 401/403 abort);
4. `POST /api/learning/jobs` with the payload of `build_sft_payload` and the file id
   -> `job_id` or `id`;
5. `POST /api/learning/jobs/{id}/start` with `{}`.

Every request carries `Authorization: Bearer $SYNTH_API_KEY`; the key is never printed.
No POST is ever retried: a timeout after creating a job would otherwise create a second
one (D30), so the error says what may exist and how to check. `--dry-run` sends nothing
and prints the three requests (synth-ai's `--dry-run` uploads and starts a real job, D18).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from conformance.exitcodes import ExitCode
from conformance.redaction import Redactor
from conformance.sft.errors import BackendError
from conformance.sft.sft_config import SftConfigReport, require_valid

UPLOAD_PATH = "/learning/files"
JOBS_PATH = "/learning/jobs"
READY_STATES = frozenset({"ready", "uploaded", "stored", "complete"})
UPLOAD_TIMEOUT_S = 300.0
REQUEST_TIMEOUT_S = 30.0


def api_base(backend: str) -> str:
    """The backend URL ending in `/api` (synth-ai's `ensure_api_base`)."""
    base = backend.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise BackendError(
            f"--backend must be an http(s) URL, got {backend!r}", exit_code=ExitCode.USAGE
        )
    return base if base.endswith("/api") else f"{base}/api"


@dataclass(frozen=True)
class SubmitPlan:
    """What `sft-submit` would send."""

    base: str
    data_path: Path
    payload: dict[str, Any]

    @property
    def upload_url(self) -> str:
        return f"{self.base}{UPLOAD_PATH}"

    @property
    def jobs_url(self) -> str:
        return f"{self.base}{JOBS_PATH}"

    def describe(self) -> dict[str, Any]:
        """The requests as data (the `--dry-run` output); no credentials in it."""
        job = dict(self.payload, training_file_id="<id returned by the upload>")
        return {
            "dry_run": True,
            "upload": {
                "method": "POST",
                "url": self.upload_url,
                "file": str(self.data_path),
                "bytes": self.data_path.stat().st_size,
                "content_type": "application/jsonl",
                "form": {"purpose": "fine-tune"},
            },
            "create_job": {"method": "POST", "url": self.jobs_url, "json": job},
            "start_job": {
                "method": "POST",
                "url": f"{self.jobs_url}/<job id>/start",
                "json": {},
            },
            "headers": {"Authorization": "Bearer ***"},
        }


def plan_submission(report: SftConfigReport, backend: str) -> SubmitPlan:
    """A plan from a checked config; raises when the config or data is invalid."""
    payload = require_valid(report)
    assert report.data_path is not None  # a valid report always has its data path
    return SubmitPlan(api_base(backend), report.data_path, payload)


@dataclass
class SubmitResult:
    """What the backend created."""

    file_id: str
    job_id: str
    job: dict[str, Any]
    warnings: list[str] = field(default_factory=list)


class _Session:
    """One backend conversation: sends, classifies failures, redacts the key."""

    def __init__(self, client: httpx.Client, api_key: str) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self.redactor = Redactor([api_key])

    def send(self, step: str, method: str, url: str, *, after: str = "", **kwargs: Any) -> Any:
        try:
            response = self.client.request(method, url, headers=self.headers, **kwargs)
        except httpx.TimeoutException as exc:
            raise BackendError(
                f"{step}: {method} {url} timed out ({type(exc).__name__}). {after}".strip(),
                exit_code=ExitCode.UNREACHABLE,
            ) from None
        except httpx.TransportError as exc:
            raise BackendError(
                f"{step}: cannot reach the backend at {url} "
                f"({type(exc).__name__}). {after}".strip(),
                exit_code=ExitCode.UNREACHABLE,
            ) from None
        return response

    def json_body(self, step: str, method: str, url: str, response: httpx.Response) -> Any:
        snippet = self.redactor.text(response.text[:300])
        if response.status_code >= 400:
            hint = " Check SYNTH_API_KEY." if response.status_code in (401, 403) else ""
            raise BackendError(
                f"{step}: {method} {url} answered {response.status_code}: {snippet!r}.{hint}"
            )
        try:
            return response.json()
        except ValueError:
            raise BackendError(
                f"{step}: {method} {url} answered {response.status_code} with non-JSON {snippet!r}"
            ) from None


def _poll_ready(
    session: _Session,
    url: str,
    *,
    timeout: float,
    interval: float,
    sleep: Callable[[float], None],
) -> str | None:
    """Wait for the uploaded file; returns a warning when it is not ready in time."""
    deadline = time.monotonic() + timeout
    while True:
        response = session.send("file readiness", "GET", url, timeout=REQUEST_TIMEOUT_S)
        if response.status_code in (401, 403):
            session.json_body("file readiness", "GET", url, response)
        if response.status_code == 200:
            try:
                body = response.json()
            except ValueError:
                body = {}
            status = "ready"
            if isinstance(body, dict):
                status = str(
                    body.get("status") or body.get("state") or body.get("storage_state") or "ready"
                )
            if status.lower() in READY_STATES:
                return None
        if time.monotonic() >= deadline:
            return f"file not reported ready after {timeout:g}s; creating the job anyway"
        sleep(interval)


def submit(
    plan: SubmitPlan,
    *,
    api_key: str,
    client: httpx.Client | None = None,
    ready_timeout: float = 10.0,
    poll_interval: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
) -> SubmitResult:
    """Upload, create and start; raises :class:`BackendError` with the failing step."""
    own = client is None
    http = client if client is not None else httpx.Client(follow_redirects=False)
    session = _Session(http, api_key)
    try:
        with plan.data_path.open("rb") as handle:
            files = {"file": (plan.data_path.name, handle, "application/jsonl")}
            response = session.send(
                "upload",
                "POST",
                plan.upload_url,
                files=files,
                data={"purpose": "fine-tune"},
                timeout=UPLOAD_TIMEOUT_S,
            )
        body = session.json_body("upload", "POST", plan.upload_url, response)
        file_id = body.get("id") if isinstance(body, Mapping) else None
        if not file_id:
            raise BackendError(f"upload: the backend answered without a file id: {body!r:.200}")
        file_id = str(file_id)
        warnings: list[str] = []
        file_url = f"{plan.upload_url}/{file_id}"
        note = _poll_ready(
            session, file_url, timeout=ready_timeout, interval=poll_interval, sleep=sleep
        )
        if note:
            warnings.append(note)
        job_payload = dict(plan.payload, training_file_id=file_id)
        maybe = (
            f"The job may have been created for file {file_id}: check the backend before "
            "re-running (not retried, to avoid a second job)."
        )
        response = session.send(
            "create job",
            "POST",
            plan.jobs_url,
            json=job_payload,
            timeout=REQUEST_TIMEOUT_S,
            after=maybe,
        )
        job = session.json_body("create job", "POST", plan.jobs_url, response)
        job_id = (job.get("job_id") or job.get("id")) if isinstance(job, Mapping) else None
        if response.status_code not in (200, 201) or not job_id:
            raise BackendError(
                f"create job: expected 200/201 with job_id or id, got {response.status_code}: "
                f"{session.redactor.text(json.dumps(job)[:200])}"
            )
        job_id = str(job_id)
        start_url = f"{plan.jobs_url}/{job_id}/start"
        created = f"Job {job_id} was created; start it with POST {start_url} (not retried)."
        response = session.send(
            "start job", "POST", start_url, json={}, timeout=REQUEST_TIMEOUT_S, after=created
        )
        if response.status_code >= 400:
            try:
                session.json_body("start job", "POST", start_url, response)
            except BackendError as exc:
                raise BackendError(f"{exc} {created}") from None
        return SubmitResult(file_id, job_id, dict(job), warnings)
    finally:
        if own:
            http.close()
