"""`CheckContext`: everything a check may use to talk to the target and read evidence."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
import zlib
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import httpx

from conformance.contract import API_KEY_HEADER
from conformance.contract.profiles import (
    CONTAINER_AUTH_HEADER,
    CONTAINER_TRUSTED_KEYS_ENV,
    PROFILES,
    SCOPE_ROLLOUT,
    SCOPE_TASK_INFO,
    AuthScheme,
    ContractProfile,
)
from conformance.detect import ProfileChoice
from conformance.inference import RecordedCall, Recordings
from conformance.latency import LatencyTable
from conformance.loop import LoopThread
from conformance.options import DEFAULTS
from conformance.outcomes import CheckFailure, CheckSkipped, HarnessError
from conformance.profile import TargetProfile, new_cid
from conformance.redaction import Redactor
from conformance.target import Target

T = TypeVar("T")
_BODY_PREVIEW = 160
_IDEMPOTENT = ("GET", "HEAD", "OPTIONS")
_CONNECT_RETRIES = 2
_KEPT_PER_KIND = 3
_KEPT_KINDS = 256
"""Bounds of the record of responses: the first few per (method, path, status), so many
similar answers never crowd out a rare one.
"""
UNREACHABLE_INFERENCE_URL = "http://127.0.0.1:9/v1/chat/completions"
_WIRE_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


@dataclass(frozen=True)
class Settings:
    """Knobs of a run that checks read (defaults: `conformance.options.RunConfig`)."""

    min_seeds: int = DEFAULTS.min_seeds
    parallel_rollouts: int = DEFAULTS.parallel
    load_rollouts: int = DEFAULTS.load
    """Rollouts LOAD-1 sends at once."""
    request_timeout_s: float = DEFAULTS.timeout
    fuzz: bool | None = DEFAULTS.fuzz
    """None: on whenever the run records the model's calls (a local mock or a relay)."""
    fuzz_examples: int = DEFAULTS.fuzz_examples
    """Cases per operation and phase (positive, negative)."""
    fuzz_seed: int = DEFAULTS.fuzz_seed
    fuzz_budget_s: float | None = DEFAULTS.fuzz_budget
    """None: `conformance.fuzz.default_budget_s(fuzz_examples)`."""
    max_response_bytes: int = DEFAULTS.max_response_bytes


@dataclass(frozen=True)
class Rollout:
    """A rollout the harness sent: the request body, its cid and what came back.

    `route` is the private path prefix this rollout's inference URL carries on the
    recording mock, so its calls can be attributed even when the app mangles the cid.
    """

    cid: str
    route: str | None
    body: dict[str, Any]
    response: httpx.Response

    def json(self) -> Any:
        return parse_json(self.response.content)


class CheckContext:
    """Shared by all checks of one run; thread-safe."""

    def __init__(
        self,
        target: Target,
        loop: LoopThread,
        client: httpx.AsyncClient,
        *,
        profile: TargetProfile,
        recorder: Recordings | None,
        inference_url: str | None,
        settings: Settings,
        redactor: Redactor,
    ) -> None:
        self.target = target
        self.profile = profile
        self.recorder = recorder
        self.inference_url = inference_url
        self.settings = settings
        self.redactor = redactor
        self._loop = loop
        self._client = client
        self._lock = threading.Lock()
        self._memo: dict[str, Any] = {}
        self._memo_locks: dict[str, threading.Lock] = {}
        self._responses: dict[tuple[str, str, int], list[httpx.Response]] = {}
        self.requests_sent = 0
        self.latency_tables: list[LatencyTable] = []
        """What checks measured (LOAD-1), for the reports' latency table and chart."""
        self.profile_choice = ProfileChoice(profile.contract, ())
        """The generation judged and why (set by the preflight)."""

    @property
    def api_key(self) -> str | None:
        return self.target.api_key

    # --- requests -----------------------------------------------------------------

    @property
    def contract(self) -> ContractProfile:
        """The generation being judged (`--profile`, or what the target's answers showed)."""
        return PROFILES[self.profile.contract]

    def auth_headers(self) -> dict[str, str]:
        """The credential the judged generation wants on its protected routes, if the run has
        one: the key, a PASETO token scoped for every route, or nothing.
        """
        scheme = self.contract.auth
        if scheme is AuthScheme.API_KEY:
            return {API_KEY_HEADER: self.api_key} if self.api_key else {}
        if scheme is AuthScheme.CONTAINER_TOKEN and self.target.container_signing_key:
            token = self.memo(
                "container-token",  # one token for the run: it outlives any --budget
                lambda: self.container_token(
                    (SCOPE_ROLLOUT, SCOPE_TASK_INFO), ttl=timedelta(hours=6)
                ),
            )
            return {CONTAINER_AUTH_HEADER: token}
        return {}

    def container_token(self, scopes: Sequence[str] | None, **claims: Any) -> str:
        """`Bearer <PASETO token>` signed with the run's signing key (never reported)."""
        from conformance import paseto  # cryptography loads only for this generation

        seed = self.target.container_signing_key
        if not seed:
            raise CheckSkipped(
                "no container signing key: pass --container-signing-key (base64 of an Ed25519 "
                f"seed whose public half the app lists in {CONTAINER_TRUSTED_KEYS_ENV})"
            )
        token = paseto.bearer(
            paseto.load_private_key(seed), list(scopes) if scopes else None, **claims
        )
        # The `v4.public.` header is no secret: hiding it would blank the word "public".
        self.redactor.add(token.removeprefix("Bearer ").removeprefix(paseto.HEADER.decode()))
        return token

    def request(
        self,
        method: str,
        path: str,
        *,
        auth: bool | Mapping[str, str] = True,
        params: Any = None,
        json_body: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout_s: float | None = None,
    ) -> httpx.Response:
        """Send one request. `auth=True` adds X-API-Key, `False` sends none, a mapping is used
        as is. `timeout_s` (default `--timeout`) bounds the whole answer: past it,
        `RequestTimedOut`.
        """
        all_headers: dict[str, str] = {}
        if auth is True:
            all_headers.update(self.auth_headers())
        elif auth is not False:
            all_headers.update(auth)
        all_headers.update(headers or {})
        timeout = self.settings.request_timeout_s if timeout_s is None else timeout_s
        return self._loop.run(
            self._send(method, path, all_headers, params, json_body, content, timeout),
            timeout=timeout * (_CONNECT_RETRIES + 2),
        )

    async def _send(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        params: Any,
        json_body: Any,
        content: bytes | str | None,
        timeout_s: float,
    ) -> httpx.Response:
        connects_left = _CONNECT_RETRIES if method in _IDEMPOTENT else 0
        reconnect_left = 1
        while True:
            with self._lock:
                self.requests_sent += 1
            try:
                # wait_for also bounds in-process apps, which httpx's timeouts do not reach.
                request = self._client.build_request(
                    method, path, headers=headers, params=params, json=json_body, content=content
                )
                response = await asyncio.wait_for(self._read_bounded(request), timeout=timeout_s)
                self._keep(method, path, response)
                return response
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if not connects_left:
                    raise HarnessError(f"cannot connect to the target: {exc}") from exc
                connects_left -= 1
            except _StaleConnection as exc:
                # A kept-alive connection the server had closed (uvicorn closes it after a
                # 500) fails before any answer: send once more on a fresh one, POSTs too.
                if not reconnect_left:
                    cause = exc.__cause__
                    raise HarnessError(
                        f"{method} {path} failed: {type(cause).__name__}: {cause}"
                    ) from cause
                reconnect_left -= 1
            except (httpx.TimeoutException, TimeoutError) as exc:
                raise RequestTimedOut(f"{method} {path} timed out after {timeout_s:g}s") from exc
            except (httpx.HTTPError, OSError, ValueError) as exc:
                raise HarnessError(f"{method} {path} failed: {type(exc).__name__}: {exc}") from exc

    def _keep(self, method: str, path: str, response: httpx.Response) -> None:
        with self._lock:
            kind = (method, path, response.status_code)
            kept = self._responses.get(kind)
            if kept is None and len(self._responses) < _KEPT_KINDS:
                self._responses[kind] = [response]
            elif kept is not None and len(kept) < _KEPT_PER_KIND:
                kept.append(response)

    def responses_seen(self) -> list[tuple[str, httpx.Response]]:
        """(`METHOD /path`, response) for a bounded sample of every answer the run got so far."""
        with self._lock:
            return [(f"{m} {p}", r) for (m, p, _), kept in self._responses.items() for r in kept]

    async def _read_bounded(self, request: httpx.Request) -> httpx.Response:
        """Send `request` and read at most `max_response_bytes` of its decoded body.

        The body is streamed and counted after decompression, so neither a huge body nor a
        small gzip that inflates to gigabytes is ever held whole; going over the cap is a
        failure of the check that sent the request.
        """
        cap = self.settings.max_response_bytes
        try:
            response = await self._client.send(request, stream=True)
        except (httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError) as exc:
            raise _StaleConnection from exc  # no answer at all: nothing was lost
        try:
            chunks, size = [], 0
            async for chunk in _decoded(response, cap + 1):
                size += len(chunk)
                if size > cap:
                    raise ResponseTooLarge(request, response.status_code, cap)
                chunks.append(chunk)
        finally:
            await response.aclose()
        # The body is decoded now: drop the headers that described its wire form.
        headers = [
            (k, v) for k, v in response.headers.multi_items() if k.lower() not in _WIRE_HEADERS
        ]
        return httpx.Response(
            response.status_code, headers=headers, content=b"".join(chunks), request=request
        )

    def record_latency(self, table: LatencyTable) -> None:
        """Keep what a check measured for the reports (thread-safe)."""
        with self._lock:
            self.latency_tables.append(table)

    def count_requests(self, n: int) -> None:
        """Account for requests sent outside `request()` (the fuzzer's)."""
        with self._lock:
            self.requests_sent += n

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def gather_values(self, calls: Sequence[Callable[[], T]]) -> list[T]:
        """Run thunks concurrently, one thread each (each is a `lambda: ctx.rollout(...)`)."""
        results: list[T | BaseException] = [HarnessError("not run")] * len(calls)

        def worker(i: int) -> None:
            try:
                results[i] = calls[i]()
            except BaseException as exc:  # re-raised below, in the caller's thread
                results[i] = exc

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(calls))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        values: list[T] = []
        for r in results:
            if isinstance(r, BaseException):
                raise r
            values.append(r)
        return values

    # --- rollouts -----------------------------------------------------------------

    def require_inference_url(self) -> str:
        if self.inference_url is None:
            raise CheckSkipped(
                "no inference URL the target can reach: pass --inference-url "
                "(the target is not local, so the harness's mock is out of its reach)"
            )
        return self.inference_url

    def require_recorder(self) -> Recordings:
        if self.recorder is None:
            raise CheckSkipped(
                "needs the harness's recording mock inference server, which this target "
                "cannot reach; with --inference-url there is no recording to prove cids"
            )
        return self.recorder

    def rollout_body(
        self, *, cid: str | None = None, seed: int = 0, mode: str = "rl", route: str | None = None
    ) -> dict[str, Any]:
        """A valid rollout request for this target with a fresh (or the given) cid."""
        url = self.require_inference_url()
        if route is not None:
            # The full completions URL: apps that append a path and apps that use the
            # URL verbatim both reach the mock (the spec leaves base vs full open, D4).
            url = f"{url.rstrip('/')}{route}/v1/chat/completions"
        return self.profile.rollout_request(
            cid=cid or new_cid(), inference_url=url, seed=seed, mode=mode
        )

    def probe_body(self) -> dict[str, Any]:
        """A valid rollout request for probes that must be refused before any inference.

        Without a reachable inference URL it points at a closed loopback port: a request
        the app rightly rejects never calls it.
        """
        url = self.inference_url or UNREACHABLE_INFERENCE_URL
        return self.profile.rollout_request(cid=new_cid(), inference_url=url)

    def rollout(
        self,
        *,
        seed: int = 0,
        mode: str = "rl",
        cid: str | None = None,
        extra_query: str = "",
        edit: Callable[[dict[str, Any]], None] | None = None,
        script: str = "",
        timeout_s: float | None = None,
    ) -> Rollout:
        """POST a fresh valid rollout with its own cid (and its own mock route when recording);
        `edit` changes the body before it is sent (a request as a given tool sends it);
        `script` (`conformance.inference.script`) scripts the model of this rollout alone.
        """
        cid = cid or new_cid()
        route = f"/r/{uuid.uuid4().hex[:16]}{script}" if self.recorder is not None else None
        body = self.rollout_body(cid=cid, seed=seed, mode=mode, route=route)
        if extra_query:
            body["policy"]["config"]["inference_url"] += f"&{extra_query}"
        if edit is not None:
            edit(body)
        path = self.contract.rollout_path
        return Rollout(cid, route, body, self.post(path, json_body=body, timeout_s=timeout_s))

    def recorded_calls(self, rollout: Rollout) -> list[RecordedCall]:
        """The inference calls that reached the mock through this rollout's private route."""
        recorder = self.require_recorder()
        assert rollout.route is not None  # routes exist whenever the recorder does
        return recorder.calls(prefix=f"{rollout.route}/")

    def baseline_rollout(self) -> Rollout:
        """One successful rl rollout shared by every check that inspects a response.

        Skips (with the reason) when the target did not answer it with 200 JSON:
        RO-1 reports that failure itself, once.
        """
        rollout = self.baseline_attempt()
        if rollout.response.status_code != 200 or not isinstance(json_body(rollout.response), dict):
            raise CheckSkipped(
                "the baseline rollout did not succeed"
                f" ({self.describe(rollout.response)}); see RO-1, GEN-1 or CS-3"
            )
        return rollout

    def baseline_attempt(self) -> Rollout:
        """The shared baseline rollout, whatever the target answered (SKIP without an
        inference URL).
        """
        return self.memo("baseline_rollout", lambda: self.rollout(seed=0))

    def memo(self, key: str, factory: Callable[[], T]) -> T:
        """Compute `factory()` once per run, even when checks ask concurrently."""
        with self._lock:
            if key in self._memo:
                return self._memo[key]  # type: ignore[no-any-return]
            key_lock = self._memo_locks.setdefault(key, threading.Lock())
        with key_lock:
            with self._lock:
                if key in self._memo:
                    return self._memo[key]  # type: ignore[no-any-return]
            value = factory()
            with self._lock:
                self._memo[key] = value
            return value

    # --- rendering ----------------------------------------------------------------

    def describe(self, response: httpx.Response) -> str:
        """`401, body='{...}'`: status and a short, redacted body preview."""
        text = response.text
        preview = text if len(text) <= _BODY_PREVIEW else text[:_BODY_PREVIEW] + "..."
        return self.redactor.text(f"{response.status_code}, body={preview!r}")

    def short_json(self, value: Any) -> str:
        text = json.dumps(value, default=str)
        return self.redactor.text(
            text if len(text) <= _BODY_PREVIEW else text[:_BODY_PREVIEW] + "..."
        )


class RequestTimedOut(HarnessError):
    """The target did not answer within the request's timeout (a check may hold it against
    the target, as MF-3 does for a stalled model).
    """


_ZLIB_WBITS = {
    "gzip": 16 + zlib.MAX_WBITS,
    "x-gzip": 16 + zlib.MAX_WBITS,
    "deflate": zlib.MAX_WBITS,
}
_INFLATE_STEP = 1 << 20


async def _decoded(response: httpx.Response, limit: int) -> AsyncIterator[bytes]:
    """The body's bytes decoded, at most `limit` of them; gzip and deflate inflate in 1 MiB
    steps, so a tiny compressed chunk never becomes a gigabyte in one call (httpx's own
    decoder inflates each network chunk whole). Other encodings go through httpx.
    """
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in _ZLIB_WBITS:
        async for chunk in response.aiter_bytes():
            yield chunk
        return
    inflater = zlib.decompressobj(_ZLIB_WBITS[encoding])
    given = 0
    try:
        async for raw in response.aiter_raw():
            data = raw
            while data and given < limit:
                chunk = inflater.decompress(data, min(_INFLATE_STEP, limit - given))
                given += len(chunk)
                yield chunk
                data = inflater.unconsumed_tail
            if given >= limit:
                return
    except zlib.error as exc:
        raise httpx.DecodingError(f"the {encoding} body does not decode: {exc}") from exc


class _StaleConnection(Exception):
    """The connection broke before any answer came back (see `CheckContext._send`)."""


class ResponseTooLarge(CheckFailure):
    """The target's answer went over `--max-response-bytes` (decoded): a failure, not a crash."""

    def __init__(self, request: httpx.Request, status: int, cap: int) -> None:
        super().__init__(
            sent=f"{request.method} {request.url.path}",
            expected=f"a response body of at most {cap:,} bytes once decoded",
            got=f"{status} with a body longer than {cap:,} bytes (reading stopped there)",
            fix="Answer with a bounded body; page or truncate large results. "
            "Raise --max-response-bytes if this size is intended.",
            summary=f"{request.method} {request.url.path} answered with an oversized body",
        )


def parse_json(content: bytes | str) -> Any:
    """`json.loads`, with nesting too deep for the parser reported as a ValueError."""
    try:
        return json.loads(content)
    except RecursionError:
        raise ValueError("JSON nested too deeply to parse") from None


def json_body(response: httpx.Response) -> Any:
    """The JSON body, or None when the body is not JSON (or nested too deeply to parse)."""
    try:
        return parse_json(response.content)
    except ValueError:
        return None
