"""Conforming task apps that are not the reference app, written from scratch on FastAPI.

Each honours every MUST of the contract: the routes and bodies of §1, the key of §2
(`X-API-Key`, comma lists, 503 when none is configured), the models of §3 parsed by
pydantic exactly as synth-ai's own server parses them, and the correlation id of §4,
echoed in every location and sent to the model with the URL's other query parameters.
They differ from the reference app, and from each other, only where the contract
leaves the choice open:

* a validation error is FastAPI's default 422 list, or a 400 with a body of its own;
* a missing or wrong key gets 401, 403 or 400 (synth-ai's own status), never key material;
* any integer seed is served (negative and huge ones too), or only a range, the rest
  refused with a 404; lax coercion (`"seed": "3"`, `true` as 1) and extra fields are
  pydantic's defaults;
* unknown rollout fields ignored (pydantic's default) or refused with the validation status;
* one or several model calls per rollout, async or sync handlers, the full completions
  URL or the 0.2.24 checker's base-only form in trajectories, a cid minted when a
  request brings none.

`LEGAL_APPS` lists them; `tests/faults/test_false_accusations.py` proves that no MUST
check fails any of them and that FUZZ-1 finds nothing.
"""

from __future__ import annotations

import hmac
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import httpx
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

ErrorStyle = Literal["fastapi", "flat", "envelope"]


@dataclass(frozen=True)
class Choices:
    """What one legal app does where the contract lets it choose."""

    name: str
    validation_status: int = 422
    """Status of a request pydantic refuses: FastAPI's 422, or 400."""
    rejection_status: int = 401
    """Status of a missing or wrong key: 401, 403, or synth-ai's 400."""
    error_style: ErrorStyle = "fastapi"
    """Body of the app's own errors: `{"detail": "..."}`, `{"error", "message"}` or the envelope."""
    served_seeds: range | None = None
    """None: every integer is a task instance; else seeds outside the range get a 404."""
    turns: int = 1
    """Model calls per rollout."""
    sync_handlers: bool = False
    """Plain `def` handlers with a blocking client (FastAPI runs them in a thread pool)."""
    forbid_extra: bool = False
    """Refuse unknown top-level rollout fields (pydantic `extra="forbid"`) instead of ignoring."""
    bearer: bool = True
    """Whether `Authorization: Bearer <key>` is accepted (a SHOULD, AUTH-7)."""
    base_only_trajectory_url: bool = False
    """`trajectories[*].inference_url` as `scheme://host?cid=...` (synth-ai 0.2.24's checker)."""
    taskset_in_instances: bool = False
    """`/task_info?seed=N` also carries `taskset` (a SHOULD, TI-7)."""


# --- the wire models, as synth-ai's `synth_ai/task/contracts.py` defines them (§3.2) ---------


class EnvSpec(BaseModel):
    env_id: str | None = None
    env_name: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    seed: int | None = None


class PolicySpec(BaseModel):
    policy_id: str | None = None
    policy_name: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)


class RecordConfig(BaseModel):
    trajectories: bool = True
    logprobs: bool = False
    value: bool = False
    return_trace: bool = False
    trace_format: Literal["compact", "full", "structured"] = "compact"


class SafetyConfig(BaseModel):
    max_ops: int = 100000
    max_time_s: float = 3600.0


class RolloutRequest(BaseModel):
    run_id: str
    env: EnvSpec
    policy: PolicySpec
    ops: list[dict[str, Any]] | list[str]
    record: RecordConfig = Field(default_factory=RecordConfig)
    on_done: str = "reset"
    safety: SafetyConfig = Field(default_factory=SafetyConfig)
    training_session_id: str | None = None
    synth_base_url: str | None = None
    mode: Literal["rl", "eval"]


class StrictRolloutRequest(RolloutRequest):
    """The same request with unknown top-level fields refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


# --- the task: repeat a word drawn from the seed ---------------------------------------------

_WORDS = ("amber", "basalt", "cedar", "delta", "ember", "fjord", "garnet", "harbor")
_SYSTEM = "You are playing the echo task: answer with the word you are given, nothing else."
_DESCRIPTOR = {"id": "echo", "name": "Echo the word", "version": "1.0"}


def _word(seed: int) -> str:
    return random.Random(seed).choice(_WORDS)


def _instance(seed: int, choices: Choices) -> dict[str, Any]:
    instance: dict[str, Any] = {
        "task": _DESCRIPTOR,
        "environment": "echo",
        "dataset": {"id": "echo-words", "splits": ["train"], "default_split": "train"},
        "rubric": {"outcome": {"name": "exact", "criteria": []}},
        "inference": {"model": "any-chat-model"},
        "limits": {"max_turns": choices.turns},
        "task_metadata": {"seed": seed, "word": _word(seed)},
    }
    if choices.taskset_in_instances:
        instance["taskset"] = _taskset()
    return instance


def _taskset() -> dict[str, Any]:
    return {"id": "echo-words", "words": len(_WORDS), "splits": ["train"]}


# --- small helpers ---------------------------------------------------------------------------


class _Refused(Exception):
    """An error the app answers itself, in its chosen style."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _error_body(style: ErrorStyle, code: str, message: str) -> Any:
    if style == "fastapi":
        return {"detail": message}
    if style == "flat":
        return {"error": code, "message": message}
    return {"detail": {"error": {"code": code, "message": message}}}


def _presented_keys(request: Request, bearer: bool) -> list[str]:
    found = []
    for header in ("x-api-key", "x-api-keys"):
        found += [k.strip() for k in request.headers.get(header, "").split(",")]
    authorization = request.headers.get("authorization", "")
    if bearer and authorization[:7].lower() == "bearer ":
        found += [k.strip() for k in authorization[7:].split(",")]
    return [k for k in found if k]


def _with_cid(url: str, cid: str) -> str:
    """`url` with `cid=<cid>` first and every other query parameter kept byte for byte."""
    parts = urlsplit(url)
    others = [p for p in parts.query.split("&") if p and p.split("=", 1)[0] != "cid"]
    query = "&".join([f"cid={quote(cid, safe='')}", *others])
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))


def _completions_url(url: str) -> str:
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if not path.endswith("/chat/completions"):
        path += "/v1/chat/completions"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _inference_url(config: dict[str, Any]) -> str:
    url = config.get("inference_url")
    try:
        parts = urlsplit(url) if isinstance(url, str) else None
        usable = parts is not None and parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port if parts is not None else None  # ValueError when out of range
    except ValueError:
        usable = False
    if not usable:
        raise _Refused(422, "invalid_inference_url", "policy.config.inference_url: an http(s) URL")
    assert isinstance(url, str)
    return url


def _cid(config: dict[str, Any], url: str) -> str:
    """The cid the request carries (config first, then `?cid=`), or a fresh one."""
    given = config.get("trace_correlation_id")
    if isinstance(given, str) and given.strip():
        return given.strip()
    for name, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if name == "cid" and value.strip():
            return value.strip()
    return f"trace_{uuid.uuid4().hex}"


def _reply(payload: Any) -> dict[str, Any]:
    """The assistant message of a chat-completions answer; anything else is the model's fault."""
    try:
        message = payload["choices"][0]["message"]
    except (KeyError, IndexError, TypeError):
        message = None
    if not isinstance(message, dict):
        raise _Refused(502, "bad_model_answer", "the model's answer has no choices[0].message")
    return message


class _Episode:
    """One rollout: the conversation, the steps and the response built from them."""

    def __init__(self, request: RolloutRequest, choices: Choices) -> None:
        self.request, self.choices = request, choices
        config = request.policy.config
        seed = request.env.seed if request.env.seed is not None else 0
        if choices.served_seeds is not None and seed not in choices.served_seeds:
            raise _Refused(404, "unknown_seed", f"no task instance for seed {seed}")
        self.seed, self.word = seed, _word(seed)
        given = _inference_url(config)
        self.cid = _cid(config, given)
        self.url = _with_cid(given, self.cid)
        self.call_url = _completions_url(self.url)
        self.model = str(config.get("model") or "any-chat-model")
        self.messages: list[dict[str, Any]] = [
            {"role": "system", "content": _SYSTEM},
            {"role": "user", "content": f"The word is {self.word}."},
        ]
        self.steps: list[dict[str, Any]] = []
        self.started = datetime.now(UTC)

    def payload(self) -> dict[str, Any]:
        return {"model": self.model, "messages": list(self.messages)}

    def take(self, answer: Any, turn: int) -> None:
        message = _reply(answer)
        sent = list(self.messages)
        text = message.get("content")
        reward = 1.0 if isinstance(text, str) and self.word in text else 0.0
        last = turn == self.choices.turns - 1
        calls = message.get("tool_calls")
        self.messages.append(
            {"role": "assistant", "content": text if isinstance(text, str) else ""}
        )
        self.messages.append({"role": "user", "content": f"Once more: {self.word}."})
        self.steps.append(
            {
                "obs": {"prompt": sent[-1]["content"], "turn": turn},
                "tool_calls": [c for c in calls if isinstance(c, dict)]
                if isinstance(calls, list)
                else [],
                "reward": reward,
                "done": last,
                "truncated": False,
                "info": {
                    "messages": [*sent, self.messages[-2]],
                    "meta": {"inference_url": self.url},
                },
            }
        )

    def response(self) -> dict[str, Any]:
        total = sum(step["reward"] for step in self.steps)
        parts = urlsplit(self.url)
        trajectory_url = (
            urlunsplit((parts.scheme, parts.netloc, "", f"cid={quote(self.cid, safe='')}", ""))
            if self.choices.base_only_trajectory_url
            else self.url
        )
        policy = self.request.policy
        body: dict[str, Any] = {
            "run_id": self.request.run_id,
            "trajectories": [
                {
                    "env_id": f"echo:{self.seed}",
                    "policy_id": policy.policy_id or policy.policy_name or "policy",
                    "steps": self.steps,
                    "final": {"observation": {"completion": self.messages[-2]["content"]}},
                    "length": len(self.steps),
                    "inference_url": trajectory_url,
                }
            ],
            "metrics": {
                "episode_returns": [total],
                "mean_return": total,
                "num_steps": len(self.steps),
                "num_episodes": 1,
                "outcome_score": total / len(self.steps),
            },
            "aborted": False,
            "ops_executed": len(self.steps),
            "trace_correlation_id": self.cid,
            "pipeline_metadata": {"trace_correlation_id": self.cid, "inference_url": self.url},
        }
        if self.request.record.return_trace:
            body["trace"] = self.trace()
        return body

    def trace(self) -> dict[str, Any]:
        now = time.time()
        return {
            "session_id": f"echo-{uuid.uuid4().hex}",
            "created_at": self.started.isoformat(),
            "session_time_steps": [],
            "event_history": [],
            "markov_blanket_message_history": [
                {
                    "content": {"text": str(m["content"]), "json_payload": None},
                    "message_type": m["role"],
                    "time_record": {"event_time": now, "message_time": i},
                    "metadata": {},
                }
                for i, m in enumerate(self.messages)
            ],
            "metadata": {"seed": self.seed, "cid": self.cid},
            "session_metadata": None,
        }


def _model_error(exc: Exception) -> _Refused:
    if isinstance(exc, httpx.TimeoutException):
        return _Refused(504, "model_timeout", "the model did not answer in time")
    return _Refused(502, "model_unreachable", f"the model failed: {type(exc).__name__}")


async def _play_async(episode: _Episode) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=30.0) as client:
        for turn in range(episode.choices.turns):
            try:
                answer = await client.post(episode.call_url, json=episode.payload())
                answer.raise_for_status()
                episode.take(answer.json(), turn)
            except (httpx.HTTPError, ValueError) as exc:
                raise _model_error(exc) from None
    return episode.response()


def _play_sync(episode: _Episode) -> dict[str, Any]:
    with httpx.Client(timeout=30.0) as client:
        for turn in range(episode.choices.turns):
            try:
                answer = client.post(episode.call_url, json=episode.payload())
                answer.raise_for_status()
                episode.take(answer.json(), turn)
            except (httpx.HTTPError, ValueError) as exc:
                raise _model_error(exc) from None
    return episode.response()


# --- the app ---------------------------------------------------------------------------------


def create_legal_app(choices: Choices, key: str | None) -> FastAPI:
    """A conforming task app making `choices`; `key` is the accepted key (None: 503 everywhere)."""
    app = FastAPI(title=f"legal {choices.name}")

    def require_key(request: Request) -> None:
        if not key:
            raise _Refused(503, "missing_environment_api_key", "no API key is configured")
        presented = _presented_keys(request, choices.bearer)
        if not any(hmac.compare_digest(k.encode(), key.encode()) for k in presented):
            raise _Refused(choices.rejection_status, "unauthorised", "API key missing or invalid")

    @app.exception_handler(_Refused)
    async def on_refused(_: Request, exc: _Refused) -> JSONResponse:
        body = _error_body(choices.error_style, exc.code, exc.message)
        if exc.status == 503:  # the one status whose envelope the contract fixes (§1.2)
            body = _error_body("envelope", exc.code, exc.message)
        return JSONResponse(body, exc.status)

    if choices.validation_status != 422:

        @app.exception_handler(RequestValidationError)
        async def on_invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
            where = "; ".join(".".join(map(str, e["loc"])) for e in exc.errors()[:3])
            body = _error_body(choices.error_style, "invalid_request", f"invalid: {where}")
            return JSONResponse(body, choices.validation_status)

    @app.get("/")
    def root() -> dict[str, Any]:
        return {"status": "ok", "service": f"legal-{choices.name}"}

    @app.head("/")
    def root_head() -> dict[str, Any]:
        return root()

    @app.get("/health", dependencies=[Depends(require_key)])
    def health() -> dict[str, Any]:
        return {"healthy": True, "auth": {"required": True, "expected_prefix": "<hidden>"}}

    @app.get("/info", dependencies=[Depends(require_key)])
    def info() -> dict[str, Any]:
        instance = _instance(0, choices)
        return {
            "service": {"task": _DESCRIPTOR, "version": _DESCRIPTOR["version"]},
            "dataset": instance["dataset"],
            "rubrics": None,
            "inference": instance["inference"],
            "limits": instance["limits"],
        }

    @app.get("/task_info", dependencies=[Depends(require_key)])
    def task_info(
        seed: list[int] = Query(default=[]),  # noqa: B008 (FastAPI idiom)
        seeds: list[int] = Query(default=[]),  # noqa: B008 (FastAPI idiom)
    ) -> Any:
        wanted = [*seed, *seeds]
        if not wanted:
            return {"taskset": _taskset()}
        served = choices.served_seeds
        unserved = [s for s in wanted if served is not None and s not in served]
        if unserved:
            raise _Refused(404, "unknown_seed", f"no task instance for seed {unserved[0]}")
        instances = [_instance(s, choices) for s in wanted]
        return instances[0] if len(instances) == 1 else instances

    def rollout_sync(rollout_request: RolloutRequest) -> dict[str, Any]:
        return _play_sync(_Episode(rollout_request, choices))

    async def rollout(rollout_request: RolloutRequest) -> dict[str, Any]:
        return await _play_async(_Episode(rollout_request, choices))

    handler = rollout_sync if choices.sync_handlers else rollout
    model = StrictRolloutRequest if choices.forbid_extra else RolloutRequest
    handler.__annotations__["rollout_request"] = model  # what FastAPI validates the body as
    app.post("/rollout", dependencies=[Depends(require_key)])(handler)
    return app


LEGAL_APPS: tuple[Choices, ...] = (
    Choices("fastapi_defaults"),
    Choices(
        "lenient_choices",
        validation_status=400,
        rejection_status=403,
        error_style="flat",
        served_seeds=range(1000),
        turns=2,
        sync_handlers=True,
        forbid_extra=True,
        bearer=False,
    ),
    Choices(
        "synth_style",
        rejection_status=400,
        error_style="envelope",
        base_only_trajectory_url=True,
        taskset_in_instances=True,
    ),
)
"""The legal apps, each by the choices it makes."""


def __getattr__(name: str) -> Callable[[], FastAPI]:
    """`--app tests.faults.legal:<name>`: a factory of that legal app, accepting `faults.KEY`."""
    from tests.faults import KEY

    for choices in LEGAL_APPS:
        if choices.name == name:
            return lambda: create_legal_app(choices, KEY)
    raise AttributeError(name)
