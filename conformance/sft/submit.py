"""`taskapp-conformance sft-submit`: upload the data, create the SFT job, start it (spec §8.5).

The flow is synth-ai's `FtClient` one, against `{backend}/api`:

1. validate the config and the data (`validate-sft-config` rules); nothing is sent if
   that fails;
2. `POST /api/learning/files` (multipart `file` as `application/jsonl`, `purpose=fine-tune`)
   -> `{"id": ...}`; this path works with every synth-ai version (D19); then the same for
   `[data].validation_path` when set, whose id goes to
   `metadata.effective_config.data.validation_files` (a refused validation upload only
   warns, as in synth-ai);
3. poll `GET /api/learning/files/{id}` until `ready`/`uploaded`/`stored`/`complete`
   (404 keeps polling, a timeout only warns, 401/403 abort);
4. `POST /api/learning/jobs` with the payload of `build_sft_payload` and the file id
   -> `job_id` or `id`;
5. `POST /api/learning/jobs/{id}/start` with `{}`.

Every request carries `Authorization: Bearer $SYNTH_API_KEY`; the key is never printed,
and URLs are shown with any password or token replaced by `***`. A `--backend` with a
user name or password is refused: httpx would send it as Basic auth instead of the key.
No POST is ever retried: a timeout after creating a job would otherwise create a second
one (D30), so the error says what may exist and how to check. `--dry-run` sends nothing
and prints the three requests (synth-ai's `--dry-run` uploads and starts a real job, D18).

The backend is a peer we do not control, so every request is bounded: `--timeout`
seconds at most (300 by default, synth-ai's upload timeout; the small job requests wait
at most 30 s), the answer streamed and read up to `--max-response-bytes` (16 MiB by
default, counted once decoded). Before each request one line on stderr says what it
waits for and for how long; a timeout ends with exit 3, an oversized answer with exit 3.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from conformance.exitcodes import ExitCode
from conformance.redaction import Redactor, redact_url
from conformance.sft.errors import BackendError
from conformance.sft.sft_config import SftConfigReport, require_valid

UPLOAD_PATH = "/learning/files"
JOBS_PATH = "/learning/jobs"
READY_STATES = frozenset({"ready", "uploaded", "stored", "complete"})
DEFAULT_TIMEOUT_S = 300.0
"""`--timeout`: the longest one request may take (synth-ai's upload timeout)."""
REQUEST_TIMEOUT_S = 30.0
"""The small JSON requests (readiness, create, start) wait at most this, or `--timeout`."""
DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
"""`--max-response-bytes`: the backend's answers are small JSON; 16 MiB is far above them."""
API_KEY_ENV = "SYNTH_API_KEY"


def _backend_problem(base: str) -> str | None:
    if not base.startswith(("http://", "https://")):
        return "must be an http(s) URL"
    try:
        url = httpx.URL(base)
    except httpx.InvalidURL as exc:
        return f"is not a valid URL ({Redactor(urls=[base]).text(str(exc))})"
    if not url.host:
        return "has no host"
    if url.port is not None and not 0 < url.port < 65536:
        return f"has an invalid port {url.port}"
    if url.userinfo:
        return (
            "must not contain a user name or password (httpx would send them as Basic auth "
            f"instead of {API_KEY_ENV}); remove them"
        )
    if url.query or url.fragment:
        return "must not have a query string or fragment (the API paths are appended to it)"
    return None


def api_base(backend: str) -> str:
    """The backend URL ending in `/api` (synth-ai's `ensure_api_base`), validated.

    Raises :class:`BackendError` (exit 2) naming the problem; the URL is shown redacted.
    """
    text = backend.strip()
    problem = _backend_problem(text)
    if problem is not None:
        address, has_query, _ = text.partition("#")[0].partition("?")
        shown = redact_url(address) + ("?***" if has_query else "")
        raise BackendError(f"--backend {problem}, got {shown!r}", exit_code=ExitCode.USAGE)
    base = text.rstrip("/")
    return base if base.endswith("/api") else f"{base}/api"


def check_api_key(api_key: str) -> None:
    """Raise :class:`BackendError` (exit 2) unless the key can go in an HTTP header."""
    if not (api_key.isascii() and api_key.isprintable()):
        raise BackendError(
            f"{API_KEY_ENV} contains non-ASCII or control characters, which an HTTP header "
            "cannot carry; copy the key again (its value is not shown)",
            exit_code=ExitCode.USAGE,
        )


@dataclass(frozen=True)
class SubmitPlan:
    """What `sft-submit` would send."""

    base: str
    data_path: Path
    payload: dict[str, Any]
    validation_path: Path | None = None
    """`[data].validation_path`, uploaded after the training file when set."""

    @property
    def upload_url(self) -> str:
        return f"{self.base}{UPLOAD_PATH}"

    @property
    def jobs_url(self) -> str:
        return f"{self.base}{JOBS_PATH}"

    def job_payload(self, file_id: str, validation_id: str | None) -> dict[str, Any]:
        """The create-job body: the payload, the file id and any validation file id."""
        job = copy.deepcopy(self.payload)
        job["training_file_id"] = file_id
        if validation_id is not None:
            effective = job.setdefault("metadata", {}).setdefault("effective_config", {})
            effective.setdefault("data", {})["validation_files"] = [validation_id]
        return job

    def _upload(self, path: Path) -> dict[str, Any]:
        return {
            "method": "POST",
            "url": redact_url(self.upload_url),
            "file": str(path),
            "bytes": path.stat().st_size,
            "content_type": "application/jsonl",
            "form": {"purpose": "fine-tune"},
        }

    def describe(self) -> dict[str, Any]:
        """The requests as data (the `--dry-run` output); no credentials in it."""
        validation_id = None if self.validation_path is None else "<id of the validation upload>"
        job = self.job_payload("<id returned by the upload>", validation_id)
        plan: dict[str, Any] = {"dry_run": True, "upload": self._upload(self.data_path)}
        if self.validation_path is not None:
            plan["upload_validation"] = self._upload(self.validation_path)
        plan["create_job"] = {"method": "POST", "url": redact_url(self.jobs_url), "json": job}
        plan["start_job"] = {
            "method": "POST",
            "url": f"{redact_url(self.jobs_url)}/<job id>/start",
            "json": {},
        }
        plan["headers"] = {"Authorization": "Bearer ***"}
        return plan


def plan_submission(report: SftConfigReport, backend: str) -> SubmitPlan:
    """A plan from a checked config; raises when the config or data is invalid."""
    payload = require_valid(report)
    assert report.data_path is not None  # a valid report always has its data path
    return SubmitPlan(api_base(backend), report.data_path, payload, report.validation_path)


@dataclass
class SubmitResult:
    """What the backend created."""

    file_id: str
    job_id: str
    job: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    validation_file_id: str | None = None


@dataclass(frozen=True)
class _Answer:
    """A backend answer read within the bounds: its status and its decoded body."""

    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The parsed body; `ValueError` when it is not JSON (or too deep to parse)."""
        try:
            return json.loads(self.content)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


@dataclass
class _Call:
    """One request in flight: what to say about it, and when it must be over."""

    step: str
    method: str
    shown: str
    limit: float
    small: bool
    after: str
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.limit

    def timed_out(self, cause: str) -> BackendError:
        """The exit-3 error of a request that took longer than its limit."""
        hint = (
            "raise --timeout if the backend is just slow"
            if not self.small or self.limit < REQUEST_TIMEOUT_S
            else f"the job requests wait at most {REQUEST_TIMEOUT_S:g} s"
        )
        return BackendError(
            f"{self.step}: {self.method} {self.shown} timed out after {self.limit:g} s "
            f"({cause}); {hint}. {self.after}".strip(),
            exit_code=ExitCode.UNREACHABLE,
        )


def _no_progress(_: str) -> None:
    return None


class _Session:
    """One backend conversation: sends within the bounds, classifies failures, redacts the key."""

    def __init__(
        self,
        client: httpx.Client,
        api_key: str,
        base: str,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        progress: Callable[[str], None] = _no_progress,
    ) -> None:
        self.client = client
        self.headers = {"Authorization": f"Bearer {api_key}", "Accept": "application/json"}
        self.redactor = Redactor([api_key], urls=[base])
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.progress = progress

    def shown(self, url: str) -> str:
        """`url` as it may be printed: password and token-like query values as `***`."""
        return self.redactor.text(redact_url(url))

    def send(
        self,
        step: str,
        method: str,
        url: str,
        *,
        after: str = "",
        small: bool = False,
        announce: str | None = "",
        **kwargs: Any,
    ) -> _Answer:
        """Send one request and read its answer, within `--timeout` and the byte cap.

        `small` requests wait at most :data:`REQUEST_TIMEOUT_S`; `announce` is added to
        the progress line (None: no line).
        """
        limit = min(REQUEST_TIMEOUT_S, self.timeout) if small else self.timeout
        call = _Call(step, method, self.shown(url), limit, small, after)
        if announce is not None:
            self.progress(
                f"{step}: {method} {call.shown}{announce}, "
                f"waiting up to {limit:g} s for the backend"
            )
        try:
            request = self.client.build_request(
                method, url, headers=self.headers, timeout=limit, **kwargs
            )
            response = self.client.send(request, stream=True)
            try:
                return _Answer(response.status_code, self._read(call, response))
            finally:
                response.close()
        except httpx.TimeoutException as exc:
            raise call.timed_out(type(exc).__name__) from None
        except httpx.TransportError as exc:
            raise BackendError(
                f"{step}: cannot reach the backend at {call.shown} "
                f"({type(exc).__name__}). {after}".strip(),
                exit_code=ExitCode.UNREACHABLE,
            ) from None

    def _read(self, call: _Call, response: httpx.Response) -> bytes:
        """The decoded body, refused past `max_bytes` or past the call's deadline."""
        declared = response.headers.get("content-length", "")
        body = bytearray()
        if not (declared.isdigit() and int(declared) > self.max_bytes):
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    break
                if time.monotonic() > call.deadline:
                    raise call.timed_out("the answer kept coming")
            else:
                return bytes(body)
        raise BackendError(
            f"{call.step}: {call.method} {call.shown} answered {response.status_code} with "
            f"more than {self.max_bytes} bytes; a synth-ai backend answers small JSON, so "
            f"check --backend (or raise --max-response-bytes). {call.after}".strip(),
            exit_code=ExitCode.UNREACHABLE,
        )

    def json_body(
        self, step: str, method: str, url: str, response: _Answer, *, after: str = ""
    ) -> Any:
        """The JSON body of a 2xx/3xx answer; `after` is said when the outcome is unknown
        (a 5xx or a non-JSON answer may still have done the work).
        """
        snippet = self.redactor.text(response.text[:300])
        shown = self.shown(url)
        if response.status_code >= 400:
            hint = f" Check {API_KEY_ENV}." if response.status_code in (401, 403) else ""
            if response.status_code >= 500 and after:
                hint += f" {after}"
            raise BackendError(
                f"{step}: {method} {shown} answered {response.status_code}: {snippet!r}.{hint}"
            )
        try:
            return response.json()
        except ValueError:
            raise BackendError(
                f"{step}: {method} {shown} answered {response.status_code} "
                f"with non-JSON {snippet!r}. {after}".strip()
            ) from None

    def upload(self, step: str, url: str, path: Path, *, after: str = "") -> _Answer:
        """POST `path` as a multipart `file` with `purpose=fine-tune`."""
        with path.open("rb") as handle:
            files = {"file": (path.name, handle, "application/jsonl")}
            return self.send(
                step,
                "POST",
                url,
                files=files,
                data={"purpose": "fine-tune"},
                after=after,
                announce=f" ({path.stat().st_size} bytes of {path.name})",
            )


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
    announce: str | None = f" until it is ready (for up to {timeout:g} s, --ready-timeout)"
    while True:
        response = session.send("file readiness", "GET", url, small=True, announce=announce)
        announce = None  # one line for the whole poll
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


def _upload_validation(
    session: _Session, plan: SubmitPlan, file_id: str, warnings: list[str]
) -> str | None:
    """Upload `[data].validation_path`; a refusal only warns (synth-ai's behaviour)."""
    if plan.validation_path is None:
        return None
    after = f"The training file was uploaded as {file_id}; no job was created."
    response = session.upload(
        "validation upload", plan.upload_url, plan.validation_path, after=after
    )
    try:
        body = session.json_body("validation upload", "POST", plan.upload_url, response)
    except BackendError as exc:
        warnings.append(f"{str(exc).rstrip('.')}; creating the job without validation_files")
        return None
    validation_id = body.get("id") if isinstance(body, Mapping) else None
    if not validation_id:
        warnings.append(
            "validation upload: the backend answered without a file id; "
            "creating the job without validation_files"
        )
        return None
    return str(validation_id)


def submit(
    plan: SubmitPlan,
    *,
    api_key: str,
    client: httpx.Client | None = None,
    ready_timeout: float = 10.0,
    poll_interval: float = 0.5,
    sleep: Callable[[float], None] = time.sleep,
    timeout: float = DEFAULT_TIMEOUT_S,
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
    progress: Callable[[str], None] = _no_progress,
) -> SubmitResult:
    """Upload, create and start; raises :class:`BackendError` with the failing step.

    Each request takes at most `timeout` seconds (the small ones at most
    :data:`REQUEST_TIMEOUT_S`) and its answer is read up to `max_response_bytes`;
    `progress` receives one line before each step says what it waits for.
    """
    check_api_key(api_key)
    own = client is None
    http = client if client is not None else httpx.Client(follow_redirects=False)
    session = _Session(
        http, api_key, plan.base, timeout=timeout, max_bytes=max_response_bytes, progress=progress
    )
    try:
        response = session.upload("upload", plan.upload_url, plan.data_path)
        body = session.json_body("upload", "POST", plan.upload_url, response)
        file_id = body.get("id") if isinstance(body, Mapping) else None
        if not file_id:
            raise BackendError(
                f"upload: the backend answered without a file id: "
                f"{session.redactor.text(repr(body))[:200]}"
            )
        file_id = str(file_id)
        warnings: list[str] = []
        validation_id = _upload_validation(session, plan, file_id, warnings)
        file_url = f"{plan.upload_url}/{file_id}"
        note = _poll_ready(
            session, file_url, timeout=ready_timeout, interval=poll_interval, sleep=sleep
        )
        if note:
            warnings.append(note)
        job_payload = plan.job_payload(file_id, validation_id)
        maybe = (
            f"The job may have been created for file {file_id}: check the backend before "
            "re-running (not retried, to avoid a second job)."
        )
        response = session.send(
            "create job",
            "POST",
            plan.jobs_url,
            json=job_payload,
            small=True,
            after=maybe,
        )
        job = session.json_body("create job", "POST", plan.jobs_url, response, after=maybe)
        job_id = (job.get("job_id") or job.get("id")) if isinstance(job, Mapping) else None
        if response.status_code not in (200, 201) or not job_id:
            raise BackendError(
                f"create job: expected 200/201 with job_id or id, got {response.status_code}: "
                f"{session.redactor.text(json.dumps(job)[:200])}. {maybe}"
            )
        job_id = str(job_id)
        start_url = f"{plan.jobs_url}/{job_id}/start"
        created = (
            f"Job {job_id} was created; start it with POST {session.shown(start_url)} "
            "(not retried)."
        )
        response = session.send("start job", "POST", start_url, json={}, small=True, after=created)
        if response.status_code >= 400:
            try:
                session.json_body("start job", "POST", start_url, response)
            except BackendError as exc:
                raise BackendError(f"{exc} {created}") from None
        return SubmitResult(file_id, job_id, dict(job), warnings, validation_id)
    finally:
        if own:
            http.close()
