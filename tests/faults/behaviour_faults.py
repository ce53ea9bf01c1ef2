"""Faults of behaviour (DET, RWD, LOAD, MF): apps that pass every shape check and still
cannot be trained against.

Each misbehaves for the whole class it models: every rollout draws its random reward term,
every model call goes through the blocking client, every failed model call crashes the
handler, whatever the route, cid or seed; none recognises the harness's scripted routes.
Faults on the model side change the app's own calls through the reference app's outbound
`transport`, as the contract faults do.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
import random
from collections.abc import Callable
from typing import Any

import httpx

from conformance.contract import MAX_SEED
from conformance.contract.behaviour import DETERMINISTIC_FIELD, REWARD_RANGE_FIELD
from reference_app import create_app
from reference_app.task import DEFAULT_SPLIT, generate_problem
from tests.faults import Fault
from tests.faults.asgi import Exchange, FaultyApp

# --- the model side: the app's own calls, changed ---------------------------------------


class _Outbound(httpx.AsyncBaseTransport):
    """Sends every model call of the app over the network, then hands the answer to `read`,
    which may raise as an app's own unguarded code would.
    """

    def __init__(self, read: Callable[[httpx.Request, httpx.Response], None]) -> None:
        self._read = read

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        async with httpx.AsyncClient(timeout=60.0) as network:
            response = await network.send(request)
        return _unread(response, self._read, request)


class _BlockingOutbound(httpx.AsyncBaseTransport):
    """A synchronous client inside the async handler: the event loop waits for the model."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with httpx.Client(timeout=1.0) as blocking:  # the classic bug, on purpose
            response = blocking.send(_copy(request))
        return _unread(response, lambda *_: None, request)


def _copy(request: httpx.Request) -> httpx.Request:
    headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
    return httpx.Request(request.method, request.url, headers=headers, content=request.content)


def _unread(
    response: httpx.Response,
    read: Callable[[httpx.Request, httpx.Response], None],
    request: httpx.Request,
) -> httpx.Response:
    """The answer as an unread stream, as the network's would be, after `read` saw it."""
    read(request, response)
    dropped = ("content-encoding", "content-length", "transfer-encoding")
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in dropped]
    return httpx.Response(
        response.status_code, headers=headers, stream=httpx.ByteStream(response.content)
    )


def _model_calls(transport: httpx.AsyncBaseTransport, **config: Any) -> Callable[[Any], Any]:
    """The reference app whose model calls go through `transport` (its config changed too)."""

    def make(app: Any) -> Any:
        built = app.state.config
        rollout = dataclasses.replace(built.rollout, transport=transport, **config)
        return create_app(dataclasses.replace(built, rollout=rollout))

    return make


def _crash_on_error_status(_: httpx.Request, response: httpx.Response) -> None:
    """`response.json()["choices"]` without looking at the status: an error is a crash."""
    if response.status_code >= 400:
        raise RuntimeError(f"the model answered {response.status_code}")


def _unchecked_answer(_: httpx.Request, response: httpx.Response) -> None:
    """`json.loads(body)["choices"][0]["message"]`, unguarded: garbage is a crash."""
    if response.status_code < 400:
        json.loads(response.content)["choices"][0]["message"]


def _messages(response: httpx.Response) -> list[dict[str, Any]]:
    if response.status_code >= 400:
        return []
    try:
        choices = json.loads(response.content).get("choices") or []
    except (ValueError, AttributeError):
        return []
    return [
        c["message"] for c in choices if isinstance(c, dict) and isinstance(c.get("message"), dict)
    ]


def _tool_calls(response: httpx.Response) -> list[dict[str, Any]]:
    return [
        call.get("function") or {}
        for message in _messages(response)
        for call in message.get("tool_calls") or []
        if isinstance(call, dict)
    ]


def _arguments_parsed_unguarded(_: httpx.Request, response: httpx.Response) -> None:
    """`json.loads(call["function"]["arguments"])` with no try: bad arguments are a crash."""
    for function in _tool_calls(response):
        json.loads(function.get("arguments") or "{}")


def _dispatch_table(request: httpx.Request, response: httpx.Response) -> None:
    """`TOOLS[name](**arguments)`: a tool the app never offered is a KeyError."""
    offered = {t["function"]["name"] for t in json.loads(request.content).get("tools") or []}
    for function in _tool_calls(response):
        if function.get("name") not in offered:
            raise KeyError(function.get("name"))


_TRACE_COLUMN_BYTES = 1024 * 1024


def _large_answer_crashes(_: httpx.Request, response: httpx.Response) -> None:
    """The answer goes into a 1 MiB column first: a larger one is a crash."""
    if len(response.content) > _TRACE_COLUMN_BYTES:
        raise RuntimeError("value too long for the trace column")


def _without_time_budget(ex: Exchange) -> None:
    """`safety.max_time_s` is never read: every rollout runs as long as its model does."""
    body = ex.request_json() if ex.path == "/rollout" else None
    if isinstance(body, dict) and isinstance(body.get("safety"), dict):
        body["safety"].pop("max_time_s", None)
        ex.set_request_json(body)


def _unbounded_model_calls(app: Any) -> Any:
    return FaultyApp(
        _model_calls(_Outbound(lambda *_: None), inference_timeout_s=3600.0)(app),
        before=_without_time_budget,
    )


# --- the response: rewards and observations -----------------------------------------------


def _rescale_rewards(body: Any, factor: Callable[[], float]) -> None:
    """Every step reward times `factor()`; returns, mean, score and final reward follow."""
    total = 0.0
    for trajectory in body["trajectories"]:
        for step in trajectory["steps"]:
            step["reward"] = step["reward"] * factor()
            total += step["reward"]
        trajectory["final"]["reward"] = total
    body["metrics"].update(episode_returns=[total], mean_return=total, outcome_score=total)


def _random_reward_term(ex: Exchange) -> None:
    """Every reward carries a random factor in [0.5, 1]: no two episodes pay the same."""
    if ex.path == "/rollout" and ex.status == 200:
        body = ex.json()
        _rescale_rewards(body, lambda: random.uniform(0.5, 1.0))
        ex.set_json(body)


def _random_draw_in_observations(ex: Exchange) -> None:
    """Every observation carries a fresh random draw (`noise`), a nondeterministic env."""
    if ex.path == "/rollout" and ex.status == 200:
        body = ex.json()
        for trajectory in body["trajectories"]:
            for step in trajectory["steps"]:
                step["obs"]["noise"] = random.random()
        ex.set_json(body)


def _declare(path: str, where: tuple[str, ...], key: str, value: Any) -> Callable[[Exchange], None]:
    """Every `path` answer (each instance of a list) declares `key = value` at `where`."""

    def hook(ex: Exchange) -> None:
        body = ex.json()
        if ex.path != path or ex.status != 200:
            return
        for item in body if isinstance(body, list) else [body]:
            target = item
            for part in where:
                target = target.get(part) if isinstance(target, dict) else None
            if isinstance(target, dict):
                target[key] = value
        ex.set_json(body)

    return hook


def _both(*hooks: Callable[[Exchange], None]) -> Callable[[Exchange], None]:
    def hook(ex: Exchange) -> None:
        for each in hooks:
            each(ex)

    return hook


def _declared_nondeterministic(ex: Exchange) -> None:
    _declare("/info", ("service", "task"), DETERMINISTIC_FIELD, False)(ex)
    _declare("/task_info", ("task",), DETERMINISTIC_FIELD, False)(ex)


def _declares_rewards_up_to_half(ex: Exchange) -> None:
    """The app declares rewards in [0, 0.5] and pays 1.0 for a right answer."""
    _declare("/info", ("limits",), REWARD_RANGE_FIELD, [0.0, 0.5])(ex)
    _declare("/task_info", ("limits",), REWARD_RANGE_FIELD, [0.0, 0.5])(ex)


# --- instances and concurrency -------------------------------------------------------------


def _seeds_with_distinct_answers() -> list[int]:
    """Seeds whose problems all have different answers: a replay of one never solves another."""
    seen: set[float] = set()
    seeds = []
    for seed in range(10_000, 20_000):
        answer = generate_problem(DEFAULT_SPLIT, seed).answer
        if answer not in seen:
            seen.add(answer)
            seeds.append(seed)
    return seeds


def _next_instance_of_the_dataset(app: Any) -> FaultyApp:
    """Each rollout plays the next instance of a dataset iterator, whatever its seed asks."""
    pool = itertools.cycle(_seeds_with_distinct_answers())

    def before(ex: Exchange) -> None:
        body = ex.request_json() if ex.path == "/rollout" else None
        env = body.get("env") if isinstance(body, dict) else None
        seed = env.get("seed") if isinstance(env, dict) else None
        if type(seed) is int and 0 <= seed <= MAX_SEED:  # a valid seed, whichever
            env["seed"] = next(pool)  # type: ignore[index]
            ex.set_request_json(body)

    return FaultyApp(app, before=before)


def _global_rollout_lock(app: Any) -> FaultyApp:
    """One lock around every rollout (a shared simulator, a non-thread-safe client)."""
    lock: list[asyncio.Lock] = []

    async def before(ex: Exchange) -> None:
        if ex.path == "/rollout":
            if not lock:
                lock.append(asyncio.Lock())
            await lock[0].acquire()
            ex.notes["locked"] = True

    def after(ex: Exchange) -> None:
        if ex.notes.get("locked"):
            lock[0].release()

    return FaultyApp(app, before=before, after=after)


BEHAVIOUR_FAULTS: tuple[Fault, ...] = (
    Fault(
        "random_reward_term",
        frozenset({"DET-1"}),
        lambda app: FaultyApp(app, after=_random_reward_term),
    ),
    Fault(
        "random_draw_in_observations",
        frozenset({"DET-2"}),
        lambda app: FaultyApp(app, after=_random_draw_in_observations),
    ),
    Fault(
        "instance_chosen_without_the_seed",
        frozenset({"DET-1", "DET-2", "DET-3"}),
        _next_instance_of_the_dataset,
    ),
    Fault(
        "declared_nondeterministic_random_reward",
        frozenset({"DET-4"}),
        lambda app: FaultyApp(app, after=_both(_declared_nondeterministic, _random_reward_term)),
    ),
    Fault(
        "rewards_above_the_declared_range",
        frozenset({"RWD-1"}),
        lambda app: FaultyApp(app, after=_declares_rewards_up_to_half),
    ),
    Fault("synchronous_model_client", frozenset({"LOAD-1"}), _model_calls(_BlockingOutbound())),
    Fault("global_rollout_lock", frozenset({"LOAD-1"}), _global_rollout_lock),
    Fault(
        "crash_on_model_error_status",
        frozenset({"MF-1", "MF-2"}),
        _model_calls(_Outbound(_crash_on_error_status)),
    ),
    Fault("hang_on_a_stalled_model", frozenset({"MF-3"}), _unbounded_model_calls),
    Fault(
        "unchecked_model_answer",
        frozenset({"MF-4", "MF-5"}),
        _model_calls(_Outbound(_unchecked_answer)),
    ),
    Fault(
        "tool_arguments_parsed_unguarded",
        frozenset({"MF-6"}),
        _model_calls(_Outbound(_arguments_parsed_unguarded)),
    ),
    Fault("unknown_tool_crashes", frozenset({"MF-7"}), _model_calls(_Outbound(_dispatch_table))),
    Fault(
        "crash_on_a_large_answer",
        frozenset({"MF-8"}),
        _model_calls(_Outbound(_large_answer_crashes)),
    ),
)
