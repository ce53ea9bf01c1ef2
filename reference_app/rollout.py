"""The rollout executor of the arithmetic task: the policy loop and the response it returns."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from conformance.contract import (
    RolloutMetrics,
    RolloutMode,
    RolloutRequest,
    RolloutResponse,
    RolloutStep,
    RolloutTrajectory,
    base_url_with_cid,
    chat_completions_url,
    extract_cid,
    url_with_cid_first,
)
from conformance.contract.constants import MAX_SEED, MIN_SEED
from reference_app import task
from reference_app.errors import TaskAppError
from reference_app.inference import DEFAULT_MAX_INFERENCE_RESPONSE_BYTES, chat_completion
from reference_app.logsafe import shown
from reference_app.trace import TraceBuilder

logger = logging.getLogger("reference_app.rollout")

DEFAULT_MODEL = "mock-arith-1"
DEFAULT_MAX_TURNS = 4


@dataclass
class CompletedRollout:
    """What listeners (tracing, SFT capture) receive after a successful rollout."""

    request: RolloutRequest
    response: RolloutResponse
    problem: task.Problem
    model: str
    messages: list[dict[str, Any]]
    trace: TraceBuilder


RolloutListener = Callable[[CompletedRollout], Awaitable[None]]


@dataclass
class ArithmeticRollout:
    """Plays one episode of the arithmetic task against the policy's inference URL."""

    default_inference_url: str | None = None
    inference_timeout_s: float = 30.0
    """The longest one call to the model may take, its answer included."""
    max_inference_response_bytes: int = DEFAULT_MAX_INFERENCE_RESPONSE_BYTES
    """The largest answer read from the model, once decoded; more ends the rollout (502)."""
    max_turns: int = DEFAULT_MAX_TURNS
    listeners: Sequence[RolloutListener] = field(default_factory=tuple)
    transport: httpx.AsyncBaseTransport | None = None
    """How calls reach the model: the network by default (a proxy's or a test's transport)."""

    def check(self, request: RolloutRequest) -> None:
        """Refuse (`TaskAppError`, 4xx) a request this executor would refuse, without playing
        it: what an asynchronous submission must know before it is accepted.
        """
        self._plan(request)

    def _plan(self, request: RolloutRequest) -> tuple[task.Problem, str, str | None, int]:
        """(problem, inference URL, cid, max turns) of a valid request; 422 otherwise."""
        problem = _problem_for(request)
        policy_config = request.policy.config
        given_url = _inference_url(policy_config.get("inference_url") or self.default_inference_url)
        cid = extract_cid(policy_config, given_url)
        if cid is None and request.mode is RolloutMode.RL:
            raise TaskAppError(
                422,
                "missing_trace_correlation_id",
                "rl mode needs policy.config.trace_correlation_id or ?cid= in the inference URL",
            )
        if not request.safety.max_time_s > 0:  # `not >`: nan too; no time at all is bad input
            raise TaskAppError(
                422, "invalid_safety", "safety.max_time_s must be a positive number of seconds"
            )
        return problem, given_url, cid, _max_turns(policy_config, self.max_turns)

    async def __call__(self, request: RolloutRequest) -> RolloutResponse:
        problem, given_url, cid, max_turns = self._plan(request)
        policy_config = request.policy.config
        call_url = chat_completions_url(given_url)
        model = str(policy_config.get("model") or DEFAULT_MODEL)
        episode = _Episode(problem, model, max_turns)
        timeout = httpx.Timeout(self.inference_timeout_s, connect=5.0)
        deadline = time.monotonic() + request.safety.max_time_s
        async with httpx.AsyncClient(timeout=timeout, transport=self.transport) as client:

            async def call(payload: dict[str, Any]) -> dict[str, Any]:
                # The rollout's time budget (safety.max_time_s) bounds every call too: a
                # stalled model ends the rollout with a 504 in time, never a hang.
                left = max(0.0, deadline - time.monotonic())
                return await chat_completion(
                    client,
                    call_url,
                    payload,
                    max_bytes=self.max_inference_response_bytes,
                    total_timeout_s=min(self.inference_timeout_s, left),
                )

            await episode.play(call, policy_config)
        response = episode.response(request, call_url, cid)
        completed = CompletedRollout(
            request, response, problem, model, episode.messages, episode.trace
        )
        if request.record.return_trace:
            response.trace = episode.trace.as_dict(request.record.trace_format, response)
        failures = [f for f in [await _notify(x, completed) for x in self.listeners] if f]
        if failures:
            response.pipeline_metadata[CAPTURE_ERRORS_KEY] = failures
        return response


CAPTURE_ERRORS_KEY = "capture_errors"
"""`pipeline_metadata` key listing the captures that failed for this rollout (absent if none)."""


async def _notify(listener: RolloutListener, completed: CompletedRollout) -> dict[str, str] | None:
    """Run one capture listener; on failure log an ERROR line and describe it for the caller.

    Capture never fails a finished rollout (the policy's work is done and the caller
    gets its answer), but a lost trace is never silent: the log names the rollout, and
    the response says which capture failed (the details stay in the log).
    """
    try:
        await listener(completed)
    except Exception as exc:
        capture = str(getattr(listener, "capture_name", type(listener).__name__))
        logger.error(
            "rollout %s: capture %s FAILED, this rollout is not stored there: %s: %s",
            shown(completed.request.run_id),
            capture,
            type(exc).__name__,
            shown(exc, limit=500),
        )
        return {
            "capture": capture,
            "error": type(exc).__name__,
            "message": "this rollout was not stored; the task app's log has the details",
        }
    return None


def _inference_url(value: Any) -> str:
    """The policy's inference URL; 422 unless it is an absolute http(s) URL."""
    if not isinstance(value, str) or not value.strip():
        raise TaskAppError(422, "missing_inference_url", "policy.config.inference_url is required")
    try:
        parts = urlsplit(value.strip())
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 (raises ValueError for a port out of range)
    except ValueError:
        valid = False
    if not valid:
        raise TaskAppError(
            422,
            "invalid_inference_url",
            "policy.config.inference_url must be an absolute http(s) URL",
        )
    return value


def _problem_for(request: RolloutRequest) -> task.Problem:
    split = request.env.config.get("split", task.DEFAULT_SPLIT)
    if split not in task.SPLITS:
        raise TaskAppError(
            422, "unknown_split", f"env.config.split must be one of {', '.join(task.SPLITS)}"
        )
    seed = request.env.seed if request.env.seed is not None else request.env.config.get("index", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not MIN_SEED <= seed <= MAX_SEED:
        raise TaskAppError(
            422, "invalid_seed", f"env.seed must be an integer from {MIN_SEED} to {MAX_SEED}"
        )
    return task.generate_problem(split, seed)


def _max_turns(policy_config: Mapping[str, Any], default: int) -> int:
    value = policy_config.get("max_llm_calls", default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 32:
        raise TaskAppError(
            422, "invalid_max_llm_calls", "policy.config.max_llm_calls must be 1..32"
        )
    return value


class _Episode:
    """The mutable state of one episode."""

    def __init__(self, problem: task.Problem, model: str, max_turns: int) -> None:
        self.problem = problem
        self.model = model
        self.max_turns = max_turns
        self.messages: list[dict[str, Any]] = [
            {"role": "system", "content": task.SYSTEM_PROMPT},
            {"role": "user", "content": problem.prompt},
        ]
        self.steps: list[RolloutStep] = []
        self.total_reward = 0.0
        self.completion = ""
        # Time orders sessions; the random part keeps two same-seed rollouts apart.
        session_id = f"arith-{problem.split}-{problem.seed}-{time.time_ns()}-{uuid.uuid4().hex[:8]}"
        self.trace = TraceBuilder(session_id=session_id)

    async def play(
        self,
        call: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
        policy_config: Mapping[str, Any],
    ) -> None:
        for turn in range(self.max_turns):
            sent = list(self.messages)
            payload = _payload(self.model, sent, policy_config)
            started = time.time()
            reply = await call(payload)
            self.trace.record_llm_call(turn, self.model, sent, reply, started)
            reward, done, observation = self._apply(reply)
            self.total_reward += reward
            truncated = not done and turn == self.max_turns - 1
            self.trace.record_env_step(turn, reward, done, truncated, observation)
            self.steps.append(
                RolloutStep(
                    obs=self._observation(turn, observation),
                    tool_calls=list(reply.get("tool_calls") or []),
                    reward=reward,
                    done=done,
                    truncated=truncated,
                    info={"messages": [*sent, _assistant_message(reply)]},
                )
            )
            if done:
                return

    def _observation(self, turn: int, observation: str) -> dict[str, Any]:
        return {
            "prompt_index": self.problem.seed,
            "prompt": self.problem.prompt,
            "task_id": self.problem.task_id,
            "task_split": self.problem.split,
            "turn": turn,
            "observation": observation,
        }

    def _apply(self, reply: dict[str, Any]) -> tuple[float, bool, str]:
        """Run the assistant's tool calls; return (reward, done, observation text)."""
        self.messages.append(_assistant_message(reply))
        tool_calls = reply.get("tool_calls") or []
        if not isinstance(tool_calls, list) or not tool_calls:
            self.completion = str(reply.get("content") or "")
            nudge = "Call `calculate` or `submit_answer`."
            self.messages.append({"role": "user", "content": nudge})
            return 0.0, False, nudge
        reward, done, observation = 0.0, False, ""
        for call in tool_calls:
            name, arguments, call_id = _parse_tool_call(call)
            if name == "submit_answer":
                answer = arguments.get("answer")
                reward, done = task.score_answer(self.problem, answer), True
                self.completion = str(answer)
                observation = "correct" if reward == 1.0 else "incorrect"
            elif name == "calculate":
                observation = _calculate(arguments.get("expression"))
            else:
                observation = f"error: unknown tool {name!r}"
            self.messages.append({"role": "tool", "tool_call_id": call_id, "content": observation})
            if done:
                break
        return reward, done, observation

    def response(self, request: RolloutRequest, call_url: str, cid: str | None) -> RolloutResponse:
        full_url = url_with_cid_first(call_url, cid) if cid is not None else call_url
        base_url = base_url_with_cid(call_url, cid) if cid is not None else call_url
        for step in self.steps:
            assert step.info is not None  # set for every step in play()
            step.info["meta"] = {"inference_url": full_url}
        trajectory = RolloutTrajectory(
            env_id=f"arith:{self.problem.split}:{self.problem.seed}",
            policy_id=request.policy.policy_id or request.policy.policy_name or "policy",
            steps=self.steps,
            final={
                "observation": {
                    "completion": self.completion,
                    "task_id": self.problem.task_id,
                    "task_split": self.problem.split,
                },
                "info": {"task_id": self.problem.task_id, "task_split": self.problem.split},
                "reward": self.total_reward,
            },
            length=len(self.steps),
            inference_url=base_url,
        )
        return RolloutResponse(
            run_id=request.run_id,
            trajectories=[trajectory],
            metrics=RolloutMetrics(
                episode_returns=[self.total_reward],
                mean_return=self.total_reward,
                num_steps=len(self.steps),
                num_episodes=1,
                outcome_score=self.total_reward,
            ),
            ops_executed=len(self.steps),
            trace_correlation_id=cid,
            pipeline_metadata={
                "trace_correlation_id": cid,
                "inference_url": full_url,
                "task_id": self.problem.task_id,
                "task_split": self.problem.split,
                "seed": self.problem.seed,
                "model": self.model,
            },
        )


def _payload(
    model: str, messages: list[dict[str, Any]], config: Mapping[str, Any]
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "tools": task.TOOLS,
        "tool_choice": "auto",
    }
    for key in ("temperature", "max_tokens", "top_p"):
        if key in config:
            payload[key] = config[key]
    return payload


def _assistant_message(reply: dict[str, Any]) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.get("content")}
    if reply.get("tool_calls"):
        message["tool_calls"] = reply["tool_calls"]
    return message


def _parse_tool_call(call: Any) -> tuple[str, dict[str, Any], str]:
    """(name, arguments, id) of an OpenAI tool call; malformed parts become empty values."""
    if not isinstance(call, dict):
        return "", {}, ""
    raw_function = call.get("function")
    function: dict[Any, Any] = raw_function if isinstance(raw_function, dict) else {}
    raw_arguments = function.get("arguments", {})
    if isinstance(raw_arguments, str):
        try:
            raw_arguments = json.loads(raw_arguments)
        except ValueError:
            raw_arguments = {}
    arguments = raw_arguments if isinstance(raw_arguments, dict) else {}
    return str(function.get("name", "")), arguments, str(call.get("id", ""))


def _calculate(expression: Any) -> str:
    if not isinstance(expression, str):
        return "error: expression must be a string"
    try:
        return task.format_number(task.evaluate(expression))
    except task.ExpressionError as exc:
        return f"error: {exc}"
