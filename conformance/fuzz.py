"""Schema-driven fuzzing of a task app with Schemathesis and its generation's canonical document.

`run_fuzz(target, ...)` is the only entry point, and the check FUZZ-1
(`conformance.checks.fuzzing`) its only caller in the package: the CLI's `check` and the
pytest plugin run FUZZ-1 like any check, and it turns the `FuzzReport` into its failure
block (`bench/bench_fuzz.py` and the tests call `run_fuzz` directly). Schemathesis stays
behind this module.

What runs: for every operation of `conformance.openapi.openapi_document(profile)`, a positive
phase (data the document describes) and a negative phase (data outside it), each with up
to `examples` cases drawn by Hypothesis from `seed`, sent with the generation's credential
(the API key, a container token, or none: `conformance.fuzz_contract`). Negative phases run
only for operations that take input. The same seed sends the same cases in the same order.
A case fails only on what the contract requires (`CHECKS`):

* `not_a_server_error`: any 5xx, except a 502 or 504 where the document lists it (the
  model failed, or the request's own `safety.max_time_s` ran out);
* `status_code_conformance`: a status the document does not list for the operation;
* `response_schema_conformance`: a 2xx whose body does not match the document (error
  bodies are a SHOULD, RO-9 and PROP-3, and are never judged here);
* `invalid_input_rejected`: a 2xx for input the contract says must be refused
  (`must_refuse`); a negative case the generation's own server would accept (`"3"` or
  `true` for an integer) is open, so a 2xx for it is no failure;
* `api_key_accepted` (`token_accepted` for a container token): the credential was refused
  on every valid case of an operation.

A 4xx is never a failure: an app may refuse values the contract leaves open (negative
or huge seeds, extra fields) as long as the status is documented.

Positive rollout cases need an inference endpoint the target can reach: the fuzzer
puts `inference_url` (or, for a local target, the URL of a recording mock it starts)
with a per-case `?cid=` where the generation carries it (`policy.config`, or `policy`).
Without one (a remote target and no `inference_url`), positive rollout cases are skipped
and the report says why.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import jsonschema_rs
import requests
import requests.adapters
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from pydantic import TypeAdapter, ValidationError
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.core.result import Ok
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from conformance.contract import (
    API_KEY_HEADER,
    ENVIRONMENT_API_KEY_ENV,
    ROOT_PATH,
    TASK_INFO_PATH,
    url_with_cid_first,
)
from conformance.contract.profiles import LEGACY
from conformance.fuzz_contract import TOKEN_HEADER, FuzzContract, fuzz_contract
from conformance.hypothesis_lock import HYPOTHESIS_LOCK
from conformance.inference import MockInferenceServer
from conformance.openapi import documented_statuses, openapi_document
from conformance.options import DEFAULTS
from conformance.redaction import SECRET_HEADERS, Redactor, redact_url
from conformance.target import Target

__all__ = [
    "CHECKS",
    "KEY_PLACEHOLDER",
    "FuzzFailure",
    "FuzzReport",
    "default_budget_s",
    "must_refuse",
    "response_problems",
    "run_fuzz",
]

KEY_PLACEHOLDER: Final = f"${ENVIRONMENT_API_KEY_ENV}"
"""What reproductions show instead of the API key."""
CHECKS: Final = (
    "not_a_server_error",
    "status_code_conformance",
    "response_schema_conformance",
    "invalid_input_rejected",
    "api_key_accepted",
    "token_accepted",
    "response_within_limit",
)
"""What a failure's `check` can be: three Schemathesis checks, and the harness's own."""
_CHECK_FUNCTIONS: Final = {
    "not_a_server_error": not_a_server_error,
    "status_code_conformance": status_code_conformance,
    "response_schema_conformance": response_schema_conformance,
}
_SUCCESS_ONLY: Final = frozenset({"response_schema_conformance"})
"""Checks of the body: only a 2xx body is the contract's; error bodies are a SHOULD."""
_GATEWAY: Final = frozenset({502, 504})
"""Where an operation documents them (POST /rollout), the model failed or the request's own
`safety.max_time_s` ran out: an honest answer, not a crash."""
_FIXES: Final = {
    "not_a_server_error": "Validate the input and answer 4xx with the error envelope; never 5xx.",
    "status_code_conformance": "Answer only the statuses the contract documents for this route.",
    "response_schema_conformance": "Return bodies that match the contract models field for field.",
    "invalid_input_rejected": "Validate the request as the contract models do (FastAPI and "
    "pydantic do it for you) and answer 4xx when it does not parse.",
    "api_key_accepted": "Accept the key given with --api-key (X-API-Key); otherwise the "
    "fuzzer only tests the auth wall.",
    "token_accepted": "Trust the public half of --container-signing-key "
    "(SYNTH_CONTAINER_TRUSTED_PUBKEYS) and accept its tokens; otherwise the fuzzer only tests "
    "the auth wall.",
    "response_within_limit": "Answer with a bounded body; raise --max-response-bytes if this "
    "size is intended.",
}
_TRUNCATED_HEADER: Final = "x-taskapp-conformance-truncated"
"""Set on an answer the harness stopped reading at the byte cap (the rest was never read)."""


class _BoundedAdapter(requests.adapters.HTTPAdapter):
    """Reads at most `cap` bytes of a body, counted decoded (a gzip counts inflated).

    Schemathesis reads bodies whole; against a hostile target that is gigabytes. Past the
    cap the body is cut there and marked with `_TRUNCATED_HEADER`: the case fails
    `response_within_limit` instead of exhausting the harness.
    """

    def __init__(self, cap: int) -> None:
        super().__init__()
        self.cap = cap

    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs["stream"] = True
        response = super().send(request, **kwargs)
        chunks, size = [], 0
        # 8 KiB of wire at a time: even a gzip bomb inflates to at most ~8 MiB per read.
        for chunk in response.raw.stream(1 << 13, decode_content=True):
            chunks.append(chunk[: self.cap - size + 1])
            size += len(chunks[-1])
            if size > self.cap:  # Schemathesis copies the headers from `raw`
                response.raw.headers[_TRUNCATED_HEADER] = str(self.cap)
                break
        response.close()
        response._content = b"".join(chunks)[: self.cap]
        response._content_consumed = True
        return response


_REPLAY_MOCK: Final = "http://127.0.0.1:8002"
"""Where reproductions send inference: `taskapp-conformance mock-inference` listens there."""
_IN_PROCESS_URL: Final = "$TASKAPP_URL"
_NO_INPUT_EXAMPLES: Final = 3
_MIN_BUDGET_S: Final = 120.0
_BUDGET_S_PER_EXAMPLE: Final = 1.0
_TIMEOUT_S: Final = 60.0


@dataclass(frozen=True)
class FuzzFailure:
    """One distinct violation: the first case that showed it, and how to replay it."""

    check: str
    operation: str
    mode: str
    seed: int
    status: int | None
    message: str
    fix: str
    curl: str
    pytest_snippet: str
    occurrences: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "operation": self.operation,
            "mode": self.mode,
            "seed": self.seed,
            "status": self.status,
            "message": self.message,
            "fix": self.fix,
            "curl": self.curl,
            "pytest_snippet": self.pytest_snippet,
            "occurrences": self.occurrences,
        }

    def render(self) -> str:
        """The console block: what failed, the seed, and both reproductions."""
        snippet = "\n".join(f"    {line}" for line in self.pytest_snippet.splitlines())
        return (
            f"{self.check} on {self.operation} ({self.mode}, seed {self.seed}, "
            f"{self.occurrences} case(s)): {self.message}\n"
            f"  Fix:  {self.fix}\n"
            f"  Curl: {self.curl}\n"
            f"  Pytest:\n{snippet}"
        )


@dataclass
class FuzzReport:
    """What a fuzz run did and found; secrets already replaced."""

    target: str
    seed: int
    examples: int
    cases: int = 0
    duration_s: float = 0.0
    failures: list[FuzzFailure] = field(default_factory=list)
    cases_by_phase: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    budget_exhausted: bool = False
    inference: str = "none"
    fingerprint: str = ""
    """A digest of every case sent, in order: equal for equal seeds."""

    @property
    def cases_per_second(self) -> float:
        return self.cases / self.duration_s if self.duration_s > 0 else 0.0

    @property
    def passed(self) -> bool:
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "seed": self.seed,
            "examples": self.examples,
            "cases": self.cases,
            "duration_s": round(self.duration_s, 3),
            "cases_per_second": round(self.cases_per_second, 1),
            "passed": self.passed,
            "failures": [f.as_dict() for f in self.failures],
            "cases_by_phase": dict(self.cases_by_phase),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "skipped": list(self.skipped),
            "budget_exhausted": self.budget_exhausted,
            "inference": self.inference,
            "fingerprint": self.fingerprint,
        }

    def summary(self) -> str:
        """One line: cases, time, rate and verdict."""
        verdict = "no failures" if self.passed else f"{len(self.failures)} distinct failure(s)"
        budget = " (time budget ran out)" if self.budget_exhausted else ""
        return (
            f"fuzz seed {self.seed}: {self.cases} cases in {self.duration_s:.1f}s "
            f"({self.cases_per_second:.0f}/s), {verdict}{budget}"
        )


class _BudgetExhausted(Exception):
    """Raised inside the Hypothesis loop to stop a phase when the time budget is spent."""


def default_budget_s(examples: int) -> float:
    """The time budget when none is given: 120 s, or 1 s per example when that is more.

    A safety net, not the bound: `examples` bounds the run (the same seed, the same cases).
    Four phases of `examples` cases each against an in-process app take about 0.05 s a
    case on 2 busy cores, so the net only catches an app that hangs or crawls; a run it
    stops is unproven, never green.
    """
    return max(_MIN_BUDGET_S, _BUDGET_S_PER_EXAMPLE * examples)


def run_fuzz(
    target: Target,
    *,
    examples: int = 100,
    seed: int = 0,
    budget_s: float | None = None,
    inference_url: str | None = None,
    api_key: str | None = None,
    operations: Sequence[str] | None = None,
    max_response_bytes: int = DEFAULTS.max_response_bytes,
    profile: str = LEGACY,
    auth_headers: Mapping[str, str] | None = None,
) -> FuzzReport:
    """Fuzz `target` (URL or in-process ASGI app) against `profile`'s canonical document.

    `examples` is the maximum number of cases per operation and phase; `seed` makes
    the run reproducible; `budget_s` bounds the wall time (default: `default_budget_s`);
    `api_key` defaults to the target's; `auth_headers` (what `CheckContext.auth_headers`
    gives) default to the key in X-API-Key for an API-key generation and to none otherwise;
    `operations` restricts the run (e.g. `["POST /rollout"]`); `max_response_bytes` caps
    what is read of each answer.
    """
    budget = budget_s if budget_s is not None else default_budget_s(examples)
    contract = fuzz_contract(profile)
    key = api_key if api_key is not None else target.api_key
    if auth_headers is None:
        has_key = contract.credential is not None and contract.credential.header == API_KEY_HEADER
        auth_headers = {API_KEY_HEADER: key} if key and has_key else {}
    # The bare token, without `Bearer ` and the `v4.public.` header: hiding those would blank
    # the words "Bearer" and "public" everywhere (the redactor hides every 6-character window).
    secrets = [key, *(v.split()[-1].removeprefix(TOKEN_HEADER) for v in auth_headers.values() if v)]
    redactor = Redactor(secrets, urls=[target.base_url, inference_url])
    run = _Run(
        target, contract, dict(auth_headers), key, examples, seed, redactor, max_response_bytes
    )
    with ExitStack() as stack:
        run.inference_url = inference_url
        if inference_url is None and target.is_local:
            mock = stack.enter_context(MockInferenceServer())
            run.inference_url = mock.url
            run.replays_need_a_mock = True
            run.report.inference = f"recording mock on {mock.url}"
        elif inference_url is not None:
            run.report.inference = f"user-given {redact_url(inference_url)}"
        with HYPOTHESIS_LOCK:  # the time budget starts once the lock is held
            run.execute(budget, operations)
    return run.report


class _Run:
    """The state of one fuzz run."""

    def __init__(
        self,
        target: Target,
        contract: FuzzContract,
        auth_headers: dict[str, str],
        key: str | None,
        examples: int,
        seed: int,
        redactor: Redactor,
        max_response_bytes: int,
    ) -> None:
        self.target = target
        self.contract = contract
        self.auth_headers = auth_headers
        self.placeholders = _placeholders(contract, auth_headers, key)
        """(secret, what reproductions show instead), longest first."""
        self.examples = max(1, examples)
        self.seed = seed
        self.redactor = redactor
        self.inference_url: str | None = None
        self.replays_need_a_mock = False
        """The inference URL is the harness's own mock, gone by the time anyone replays."""
        self.report = FuzzReport(target=redactor.text(target.label), seed=seed, examples=examples)
        self._digest = hashlib.sha256()
        self._found: dict[tuple[str, str, str], FuzzFailure] = {}
        self._counts: Counter[tuple[str, str, str]] = Counter()
        self._statuses: Counter[int] = Counter()
        self._refused: dict[str, tuple[Any, GenerationMode, Any]] = {}
        """The first valid case of each protected operation that got 401/403."""
        self._accepted: set[str] = set()
        """Protected operations with a valid case that got past auth."""
        self._statuses_of: dict[str, frozenset[int]] = {}
        self.max_response_bytes = max_response_bytes
        self.session = requests.Session()
        adapter = _BoundedAdapter(max_response_bytes)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def execute(self, budget_s: float, only: Sequence[str] | None) -> None:
        config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
        document = openapi_document(self.contract.profile)
        schema = schemathesis.openapi.from_dict(document, config=config)
        started = time.monotonic()
        deadline = started + budget_s
        try:
            for result in schema.get_all_operations():
                if not isinstance(result, Ok):
                    continue  # the canonical document has no invalid operations
                operation = result.ok()
                if only is not None and operation.label not in only:
                    continue
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                    self._phase(operation, mode, deadline)
        except _BudgetExhausted:
            self.report.budget_exhausted = True
        self.report.duration_s = time.monotonic() - started
        refused_check = self._refused_check()
        for label, (operation, mode, response) in self._refused.items():
            if label not in self._accepted:
                refused = _Finding(refused_check, "every valid case was refused as unauthorised")
                self._record(refused_check, operation, mode, response, [refused])
        self.report.failures = [
            _with_count(failure, self._counts[k]) for k, failure in self._found.items()
        ]
        self.report.statuses = dict(sorted(self._statuses.items()))
        self.report.fingerprint = self._digest.hexdigest()

    def _phase(self, operation: Any, mode: GenerationMode, deadline: float) -> None:
        label = f"{operation.label} {mode.value}"
        has_input = bool(operation.body) or any(
            p.name.lower() not in SECRET_HEADERS for p in operation.iter_parameters()
        )
        if mode.is_negative and not has_input:
            return
        rollout = operation.path == self.contract.rollout_path
        if rollout and mode.is_positive and self.inference_url is None:
            self.report.skipped.append(
                f"{label}: no inference URL the target can reach (pass inference_url); "
                "every positive rollout would end in 502"
            )
            return
        limit = self.examples if has_input else min(self.examples, _NO_INPUT_EXAMPLES)
        counter = [0]

        def one_case(case: Any) -> None:
            if time.monotonic() > deadline:
                raise _BudgetExhausted
            counter[0] += 1
            self._run_case(case, operation, mode, counter[0])

        cases: SearchStrategy[Any] = operation.as_strategy(generation_mode=mode)
        test: Callable[[], None] = given(cases)(one_case)
        test = settings(
            max_examples=limit,
            database=None,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            report_multiple_bugs=False,
        )(test)
        test = hypothesis_seed(self.seed)(test)
        try:
            test()
        except Unsatisfiable:
            # A negative phase with nothing to break (a path's string parameter: any string
            # is one) has no case to run; a positive one that cannot draw is unproven.
            if mode.is_positive:
                self.report.skipped.append(f"{label}: the document allows no such data")
        finally:
            self.report.cases += counter[0]
            self.report.cases_by_phase[label] = counter[0]

    def _run_case(self, case: Any, operation: Any, mode: GenerationMode, number: int) -> None:
        if operation.path == self.contract.rollout_path:
            self._point_at_inference(case, f"fuzz-{self.seed}-{number}")
        headers = dict(self.auth_headers)
        kwargs: dict[str, Any] = {"headers": headers, "timeout": _TIMEOUT_S}
        if self.target.app is not None:
            kwargs["app"] = _as_served(self.target.app)
        else:
            kwargs.update(
                base_url=self.target.base_url, verify=self.target.verify_tls, session=self.session
            )
        self._fingerprint(case)
        response = case.call(**kwargs)
        self._statuses[response.status_code] += 1
        if _TRUNCATED_HEADER in response.headers:  # Schemathesis keeps header value lists
            cap = self.max_response_bytes
            finding = _Finding("Response too large", f"a body of more than {cap:,} bytes")
            self._record("response_within_limit", operation, mode, response, [finding])
            return
        if mode.is_positive and operation.path != ROOT_PATH:
            if response.status_code in (401, 403):
                self._refused.setdefault(operation.label, (operation, mode, response))
            else:
                self._accepted.add(operation.label)
        success = 200 <= response.status_code < 300
        if mode.is_negative and success:
            self._judge_accepted(operation, mode, response)
        for name, check in _CHECK_FUNCTIONS.items():
            if not self._judges(name, operation, response.status_code):
                continue
            try:
                case.validate_response(response, checks=[check], headers=headers)
            except (FailureGroup, Failure) as exc:
                failures = exc.exceptions if isinstance(exc, FailureGroup) else (exc,)
                self._record(name, operation, mode, response, failures)

    def _judges(self, check: str, operation: Any, status: int) -> bool:
        """Whether `check` applies: bodies only of a 2xx, 5xx but the documented gateway ones."""
        if check in _SUCCESS_ONLY:
            return 200 <= status < 300
        if check == "not_a_server_error":
            return not (status in _GATEWAY and status in self._documented(operation))
        return True

    def _documented(self, operation: Any) -> frozenset[int]:
        if operation.label not in self._statuses_of:
            statuses = documented_statuses(operation.path, operation.method, self.contract.profile)
            self._statuses_of[operation.label] = frozenset(statuses)
        return self._statuses_of[operation.label]

    def _judge_accepted(self, operation: Any, mode: GenerationMode, response: Any) -> None:
        """A 2xx for a negative case fails only when the contract requires a refusal."""
        request = response.request
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else bytes(body)
        query = urlsplit(str(request.url)).query
        reason = must_refuse(operation.method, operation.path, query, raw, self.contract.profile)
        if reason is not None:
            finding = _Finding("Invalid input accepted", f"{reason}, yet it was accepted")
            self._record("invalid_input_rejected", operation, mode, response, [finding])

    def _point_at_inference(self, case: Any, cid: str) -> None:
        """Give rollout bodies a live inference URL with a deterministic per-case cid."""
        body = case.body
        if self.inference_url is None or not isinstance(body, dict):
            return
        self.contract.point_at_inference(body, url_with_cid_first(self.inference_url, cid))

    def _refused_check(self) -> str:
        """The check a credential refused on every valid case fails."""
        credential = self.contract.credential
        return credential.refused_check if credential is not None else "api_key_accepted"

    def _fingerprint(self, case: Any) -> None:
        body = json.dumps(case.body, sort_keys=True, default=repr)
        if self.inference_url:
            body = body.replace(self.inference_url, "<inference>")
        parts = (case.method, case.path, repr(sorted((case.query or {}).items())), body)
        self._digest.update("\x1f".join(parts).encode() + b"\x1e")

    def _record(
        self,
        check: str,
        operation: Any,
        mode: GenerationMode,
        response: Any,
        failures: Sequence[Any],
    ) -> None:
        title = str(getattr(failures[0], "title", check)) if failures else check
        key = (check, operation.label, title)
        self._counts[key] += 1
        if key in self._found:
            return
        message = "; ".join(_failure_text(f) for f in failures) or title
        request = response.request
        self._found[key] = FuzzFailure(
            check=check,
            operation=operation.label,
            mode=mode.value,
            seed=self.seed,
            status=response.status_code,
            message=self.redactor.text(f"{message} (got {response.status_code})"),
            fix=_FIXES[check],
            curl=self._curl(request),
            pytest_snippet=self._snippet(check, operation, request),
        )

    def _replay_base(self) -> str:
        """The base URL reproductions use: `$TASKAPP_URL` in-process, else the URL, redacted."""
        return _IN_PROCESS_URL if self.target.app is not None else redact_url(self.target.base_url)

    def _replay_parts(self, request: Any) -> tuple[str, str, dict[str, str], bytes]:
        """(method, URL with the base replaced, headers without secrets, body) of a request.

        When the inference URL was the harness's own mock (gone by the time anyone
        replays), the body points at `_REPLAY_MOCK` instead; a user's URL is kept.
        """
        parts = urlsplit(str(request.url))
        path_query = urlunsplit(("", "", parts.path, parts.query, ""))
        base = self._replay_base()
        keep = {"content-type"}
        headers = {
            k: str(v)
            for k, v in request.headers.items()
            if k.lower() in keep and k.lower() not in SECRET_HEADERS
        }
        body = request.body or b""
        raw = body.encode() if isinstance(body, str) else bytes(body)
        if self.replays_need_a_mock and self.inference_url:
            raw = raw.replace(self.inference_url.encode(), _REPLAY_MOCK.encode())
        return str(request.method), base.rstrip("/") + path_query, headers, raw

    def _curl(self, request: Any) -> str:
        method, url, headers, body = self._replay_parts(request)
        quoted_url = f'"{url}"' if url.startswith("$") else shlex.quote(url)
        pieces = ["curl", "-sS", "-X", method, quoted_url]
        credential = self.contract.credential
        if credential is not None:
            pieces += ["-H", f'"{credential.header}: {credential.placeholder}"']
        for name, value in headers.items():
            pieces += ["-H", shlex.quote(f"{name}: {value}")]
        if body:
            pieces += ["--data-binary", shlex.quote(body.decode("utf-8", "replace"))]
        command = " ".join(pieces)
        if _REPLAY_MOCK.encode() in body:
            command = f"taskapp-conformance mock-inference --port 8002 &  # the model\n{command}"
        return self._hide_key(command)

    def _snippet(self, check: str, operation: Any, request: Any) -> str:
        method, url, headers, body = self._replay_parts(request)
        base = self._replay_base()
        path_query = url[len(base.rstrip("/")) :]
        default = "http://127.0.0.1:8000" if self.target.app is not None else base
        name = f"test_fuzz_{check}_{operation.method.lower()}_{operation.path.strip('/') or 'root'}"
        needs_model = _REPLAY_MOCK.encode() in body
        content = (
            f"{body!r}.replace({_REPLAY_MOCK.encode()!r}, mock.url.encode())"
            if needs_model
            else repr(body)
        )
        call = [
            "response = httpx.request(",
            f"    {method!r},",
            f'    os.environ.get("TASKAPP_URL", {default!r}) + {path_query!r},',
            f"    headers={self._snippet_headers(headers)},",
            f"    content={content},",
            f"    timeout={_TIMEOUT_S!r},",
            ")",
        ]
        if needs_model:  # the rollout calls a model: a recording mock on a free port
            call = ["with MockInferenceServer() as mock:", *(f"    {line}" for line in call)]
        lines = [
            "import os",
            "",
            "import httpx",
            *(["", "from conformance.inference import MockInferenceServer"] if needs_model else []),
            "",
            "",
            f"def {name}() -> None:",
            f'    """Fuzz regression (seed {self.seed}): {check} on {operation.label}."""',
            *(f"    {line}" for line in call),
            *_assertion(check, operation, self.contract.profile),
        ]
        return self._hide_key("\n".join(lines))

    def _snippet_headers(self, headers: dict[str, str]) -> str:
        credential = self.contract.credential
        if credential is None:
            return repr(headers)
        return f'{{"{credential.header}": {credential.python}, **{headers!r}}}'

    def _hide_key(self, text: str) -> str:
        """The credential's value replaced by what reproductions show instead."""
        for secret, placeholder in self.placeholders:
            text = text.replace(secret, placeholder)
        return text


_SERVED: dict[int, tuple[Any, Any]] = {}
"""Each in-process app and its served form, made once: Schemathesis starts the lifespan of every
app object it is given and keeps it for the process."""


def _as_served(app: Any) -> Any:
    """`app` as a server runs it: an exception it raises is the 500 it answered.

    Starlette sends its 500 and then re-raises, and Schemathesis's in-process client passes
    the exception on; uvicorn (and the harness's own client, `raise_app_exceptions=False`)
    logs it and keeps the 500. Without this a crashing app would stop the fuzzer instead of
    failing `not_a_server_error`.
    """
    if id(app) in _SERVED:
        return _SERVED[id(app)][1]

    async def served(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        sent = {"start": False, "end": False}

        async def tracking(message: Any) -> None:
            if message["type"] == "http.response.start":
                sent["start"] = True
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                sent["end"] = True
            await send(message)

        try:
            await app(scope, receive, tracking)
        except Exception:  # any crash of the app under test is the 500 it answered
            if not sent["start"]:
                headers = [(b"content-type", b"text/plain; charset=utf-8")]
                await send({"type": "http.response.start", "status": 500, "headers": headers})
            if not sent["end"]:
                await send({"type": "http.response.body", "body": b"Internal Server Error"})

    _SERVED[id(app)] = (app, served)
    return served


def _placeholders(
    contract: FuzzContract, auth_headers: dict[str, str], key: str | None
) -> list[tuple[str, str]]:
    """Each secret of the run and its stand-in: the key, the credential header's value, and
    the bare token inside a `Bearer` value.
    """
    pairs = [(key, KEY_PLACEHOLDER)] if key else []
    credential = contract.credential
    value = auth_headers.get(credential.header) if credential is not None else None
    if credential is not None and value:
        pairs.append((value, credential.placeholder))
        token = value.split()[-1]
        pairs.append((token, credential.placeholder.split()[-1]))
    return sorted(set(pairs), key=lambda pair: -len(pair[0]))


def _assertion(check: str, operation: Any, profile: str) -> list[str]:
    if check == "status_code_conformance":
        allowed = set(documented_statuses(operation.path, operation.method, profile))
        return [f"    assert response.status_code in {allowed!r}, response.text"]
    if check == "invalid_input_rejected":
        return ["    assert 400 <= response.status_code < 500, response.text"]
    if check in ("api_key_accepted", "token_accepted"):
        return ["    assert response.status_code not in (401, 403), response.text"]
    if check == "response_schema_conformance":
        which = "" if profile == LEGACY else f", profile={profile!r}"
        return [
            "    from conformance.fuzz import response_problems",
            "",
            f"    assert not response_problems({operation.method.upper()!r}, "
            f"{operation.path!r}, response.status_code, response.json(){which})",
        ]
    return ["    assert response.status_code < 500, response.text"]


@dataclass(frozen=True)
class _Finding:
    """A violation the harness itself detects, shaped like a Schemathesis failure."""

    title: str
    message: str


def _failure_text(failure: Any) -> str:
    title = str(getattr(failure, "title", "") or "")
    message = str(getattr(failure, "message", "") or "").strip()
    first = message.splitlines()[0] if message else ""
    return f"{title}: {first}" if first and first != title else title


def _with_count(failure: FuzzFailure, count: int) -> FuzzFailure:
    return FuzzFailure(**{**failure.as_dict(), "occurrences": count})


_VALIDATORS: dict[tuple[str, str, str, int], Any] = {}


def _validator(profile: str, method: str, path: str, status: int) -> Any:
    key = (profile, method.lower(), path, status)
    if key not in _VALIDATORS:
        doc = openapi_document(profile)
        responses = doc["paths"][path][method.lower()]["responses"]
        entry = responses.get(str(status))
        if entry is None:
            _VALIDATORS[key] = None
        else:
            schema = {
                **entry["content"]["application/json"]["schema"],
                "components": doc["components"],
            }
            _VALIDATORS[key] = jsonschema_rs.Draft202012Validator(schema)
    return _VALIDATORS[key]


_LAX_INT: Final = TypeAdapter(int)


def must_refuse(
    method: str, path: str, query: str, body: bytes, profile: str = LEGACY
) -> str | None:
    """Why generation `profile` requires a 4xx for this request, or None when it leaves it open.

    The judge is the generation's own server, FastAPI with its models parsing laxly
    (`conformance.fuzz_contract`): what it refuses (`seed=abc`, a 0.2 body without `mode`, a
    localapi body without `trace_correlation_id`) MUST be refused; what it accepts
    (`seed=-1`, `"seed": "3"`, extra fields) may be accepted or refused with a 4xx.
    """
    contract = fuzz_contract(profile)
    if method.upper() == "GET" and path == TASK_INFO_PATH:
        for name, value in parse_qsl(query, keep_blank_values=True):
            if name in contract.seed_params:
                try:
                    _LAX_INT.validate_python(value)
                except ValidationError:
                    return f"{name}={value[:40]!r} does not parse as an integer"
    if method.upper() == "POST" and path == contract.rollout_path:
        try:
            data = json.loads(body)
        except ValueError:
            return "the body does not parse as JSON"
        model = contract.request_model()
        try:
            model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"]) or "the body"
            return f"{model.__name__} refuses the body ({where}: {first['msg']})"
    return None


def response_problems(
    method: str, path: str, status: int, body: Any, profile: str = LEGACY
) -> list[str]:
    """What is wrong with a response per `profile`'s canonical document ([] when it conforms)."""
    if path not in openapi_document(profile)["paths"]:
        return [f"{path} is not a contract route"]
    validator = _validator(profile, method, path, status)
    if validator is None:
        allowed = documented_statuses(path, method, profile)
        return [f"status {status} is not documented for {method.upper()} {path} ({allowed})"]
    return [
        f"/{'/'.join(str(p) for p in error.instance_path)}: {error.message}"
        for error in validator.iter_errors(body)
    ]
