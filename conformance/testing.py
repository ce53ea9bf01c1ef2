"""Helpers for task-app authors' own tests: a key-carrying client and assertion helpers.

The pytest plugin exposes them as fixtures (`taskapp_client`, `rollout_request`, ...);
they also work without pytest. Failures read like the CLI's failure blocks.
"""

from __future__ import annotations

import os
from typing import Any

import httpx

from conformance.checks._support import validation_problem
from conformance.checks.cid import cid_mismatch
from conformance.checks.rollout import length_problem, metrics_problem
from conformance.contract import API_KEY_HEADER, RolloutResponse
from conformance.contract.spec import spec_link
from conformance.loop import LoopThread
from conformance.outcomes import FailureDetail
from conformance.redaction import Redactor
from conformance.target import Target


class ConformanceAssertionError(AssertionError):
    """An assertion helper's failure; its text is the failure block."""


class TaskAppClient:
    """A synchronous httpx-style client for any target (URL or in-process), sending the key.

    It wraps an `httpx.AsyncClient` on a private event loop, because in-process ASGI apps
    are only reachable asynchronously; the verbs and `headers` behave as httpx's do.
    """

    def __init__(self, target: Target) -> None:
        self.target = target
        self._loop = LoopThread()
        self._client = target.client()
        if target.api_key:
            self._client.headers[API_KEY_HEADER] = target.api_key

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("OPTIONS", url, **kwargs)

    @property
    def headers(self) -> httpx.Headers:
        """The headers sent with every request (the key included); mutable, as in httpx."""
        return self._client.headers

    def close(self) -> None:
        self._loop.run(self._client.aclose())
        self._loop.close()

    def __enter__(self) -> TaskAppClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fail(heading: str, *, sent: str, expected: str, got: str, fix: str, spec: str) -> None:
    detail = FailureDetail(
        summary=expected,
        sent=sent,
        expected=expected,
        got=got,
        fix=fix,
        spec=spec_link(spec),
    )
    raise ConformanceAssertionError(detail.render(heading))


def assert_conforming_rollout(
    response: httpx.Response | dict[str, Any],
    *,
    cid: str,
    run_id: str | None = None,
    secrets: tuple[str, ...] = (),
) -> None:
    """Assert a /rollout answer is a valid RolloutResponse carrying `cid` everywhere it must.

    Checks, in order: 200, the RolloutResponse model, `run_id` (when given), non-empty
    trajectories, `length`, metrics consistency, and the cid in every location (§4.6).
    """
    redact = Redactor(secrets).text
    if isinstance(response, httpx.Response):
        if response.status_code != 200:
            _fail(
                "assert_conforming_rollout",
                sent="POST /rollout",
                expected="200",
                got=redact(f"{response.status_code}, body={response.text[:200]!r}"),
                fix="Answer a valid rollout with 200.",
                spec="§1.6",
            )
        body: Any = response.json()
    else:
        body = response
    problem = validation_problem(RolloutResponse, body)
    if problem is None and run_id is not None and body.get("run_id") != run_id:
        problem = f"run_id {body.get('run_id')!r}, expected {run_id!r}"
    if problem is None and not body.get("trajectories"):
        problem = "no trajectories"
    problem = problem or length_problem(body) or metrics_problem(body)
    if problem is not None:
        _fail(
            "assert_conforming_rollout",
            sent="POST /rollout",
            expected="a consistent RolloutResponse",
            got=redact(problem),
            fix="Return RolloutResponse.model_dump() built from the episode.",
            spec="§3.3",
        )
    mismatch = cid_mismatch(body, cid)
    if mismatch is not None:
        where, value = mismatch
        _fail(
            "assert_conforming_rollout",
            sent=f"POST /rollout with cid {cid!r}",
            expected=f"{where} carrying exactly that cid",
            got=f"{where} carries {value!r}",
            fix="Write the request's cid into every URL and id you return.",
            spec="§4.6",
        )


def assert_valid_sft_jsonl(
    path: str | os.PathLike[str],
    *,
    level: str = "strict",
    min_messages: int = 2,
    max_errors: int = 20,
) -> None:
    """Assert every line of an SFT JSONL file passes the validator (see `validate-jsonl`)."""
    from conformance.jsonl import validate_file
    from conformance.jsonl.report import render_text

    report = validate_file(
        path,
        level=level,  # type: ignore[arg-type]
        min_messages=min_messages,
        max_errors=max_errors,
    )
    if not report.ok:
        raise ConformanceAssertionError(render_text([report], max_errors))
