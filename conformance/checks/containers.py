"""The synth-containers contract (`containers-2026-05`): discovery, rollout records, the async
lifecycle, replay, dataset rows, route hints and compatibility reports (CS).

The rules come from synth-containers 0.4.6: its `Container` SDK (`synth_containers/sdk.py`),
its reference HTTP adapter (`http_adapter.py`), the lifecycle table (`wire.py`), the
compatibility evaluation (`compatibility.py`) and the route table of its README. Routes an
app need not serve (async submission, `/dataset`, `/compatibility`) make their checks "not
applicable" when the app does not offer them; nothing here sends a credential.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import httpx

from conformance.checks._support import is_finite_number, nested
from conformance.context import CheckContext, Rollout, json_body
from conformance.contract import HEALTH_PATH, INFO_PATH
from conformance.contract.containers import CONSUMER_REQUIREMENTS, unmet
from conformance.contract.profiles import (
    COMPATIBILITY_PATH,
    CONTAINERS,
    CONTAINERS_PROTOCOL_PREFIX,
    DATASET_PATH,
    DATASET_ROWS_PATH,
    LEGAL_TRANSITIONS,
    METADATA_PATH,
    ROLLOUT_IDENTITY_CONFLICT,
    ROLLOUT_STATES,
    ROLLOUTS_PATH,
    TERMINAL_STATES,
)
from conformance.outcomes import CheckFailure, CheckSkipped, SkipKind
from conformance.registry import Severity, check

PROFILES = (CONTAINERS,)
_RECORD_FIELDS = ("status", "success_status", "created_at", "updated_at")
_ROWS_SEEDS = (2, 0, 1)
_POST_ROUTES = frozenset({"/taskset/tasks", DATASET_ROWS_PATH, f"{ROLLOUTS_PATH}/prepare"})
"""Hinted routes that only take POST (synth_containers/sdk.py, http_adapter.py)."""
_UNKNOWN_TARGET = "conformance_no_such_consumer"


def _get_json(ctx: CheckContext, path: str, **params: str) -> tuple[httpx.Response, Any]:
    response = ctx.memo(f"containers GET {path} {params}", lambda: ctx.get(path, params=params))
    return response, json_body(response)


def _capabilities(ctx: CheckContext) -> dict[str, Any]:
    capabilities = nested(_get_json(ctx, METADATA_PATH)[1], "capabilities")
    return capabilities if isinstance(capabilities, dict) else {}


def _not_applicable(reason: str) -> CheckSkipped:
    return CheckSkipped(reason, kind=SkipKind.NOT_APPLICABLE)


@check(
    "CS-1",
    profiles=PROFILES,
    severity=Severity.MUST,
    spec="containers-health",
    tags=("endpoints", "quick"),
)
def health_names_the_contract_version(ctx: CheckContext) -> None:
    """`GET /health` without credentials answers 200 `{"status": "ok", "contract_version"}`."""
    response, body = _get_json(ctx, HEALTH_PATH)
    version = nested(body, "contract_version")
    if response.status_code != 200 or nested(body, "status") != "ok" or not version:
        raise CheckFailure(
            sent="GET /health without credentials",
            expected='200 {"status": "ok", "contract_version": "<date>"} (2026-05-28 in 0.4.x)',
            got=ctx.describe(response),
            fix="Serve /health to every caller with status 'ok' and the contract version you "
            "implement, as synth_containers' servers do: it is how clients tell the contract.",
            summary="GET /health does not name the contract version",
        )
    if not isinstance(version, str):
        raise CheckFailure(
            sent="GET /health without credentials",
            expected="contract_version as a non-empty string",
            got=ctx.describe(response),
            fix="Send contract_version as a string (synth_containers.ontology.CONTRACT_VERSION).",
        )


@check(
    "CS-2",
    profiles=PROFILES,
    severity=Severity.MUST,
    spec="containers-metadata",
    tags=("endpoints", "quick"),
    depends_on=("CS-1",),
)
def metadata_declares_the_same_contract(ctx: CheckContext) -> None:
    """`/metadata` (and `/info`, the same body) declares /health's contract and the protocol."""
    response, body = _get_json(ctx, METADATA_PATH)
    version = nested(_get_json(ctx, HEALTH_PATH)[1], "contract_version")
    problem = _metadata_problem(ctx, response, body, version)
    if problem is not None:
        raise CheckFailure(
            sent="GET /metadata, GET /info and GET /health",
            expected=f"200 with capabilities.contract_version {version!r}, a capabilities."
            f"protocol (if any) starting {CONTAINERS_PROTOCOL_PREFIX!r}; /info the same body",
            got=f"{problem}: {ctx.describe(response)}",
            fix="Build /metadata with synth_containers.metadata.compose_metadata_payload (or "
            "the same fields), and serve the same body on /info.",
            summary=f"/metadata does not declare the contract ({problem})",
        )


def _metadata_problem(
    ctx: CheckContext, response: httpx.Response, body: Any, version: Any
) -> str | None:
    capabilities = nested(body, "capabilities")
    if response.status_code != 200 or not isinstance(capabilities, dict):
        return "no capabilities object"
    if capabilities.get("contract_version") != version:
        return f"capabilities.contract_version is not /health's {version!r}"
    protocol = capabilities.get("protocol")  # absent before synth-containers 0.4.3
    if protocol is not None and not str(protocol).startswith(CONTAINERS_PROTOCOL_PREFIX):
        return f"capabilities.protocol does not start with {CONTAINERS_PROTOCOL_PREFIX!r}"
    if _get_json(ctx, INFO_PATH)[1] != body:
        return "GET /info is not the same body as GET /metadata"
    return None


def _record_problem(record: Any, rollout_id: str) -> str | None:
    """Why `record` is not a rollout record for `rollout_id` (sdk.py:69-87, wire.py:9-16)."""
    if not isinstance(record, dict):
        return "not a JSON object"
    if record.get("rollout_id") != rollout_id:
        return f"rollout_id {record.get('rollout_id')!r} is not the request's"
    empty = [f for f in _RECORD_FIELDS if not isinstance(record.get(f), str) or not record[f]]
    if empty:
        return f"{', '.join(empty)} missing or not a non-empty string"
    if record["status"] not in ROLLOUT_STATES:
        return f"status {record['status']!r} is not a rollout state"
    return None


def _rollout_sent(rollout: Rollout) -> str:
    mode = rollout.body.get("submission_mode", "sync")
    return f"POST {ROLLOUTS_PATH} ({mode}, rollout_id {rollout.body.get('rollout_id')!r})"


@check(
    "CS-3",
    profiles=PROFILES,
    severity=Severity.MUST,
    spec="containers-rollout-record",
    tags=("rollout", "quick"),
)
def sync_rollout_returns_its_record(ctx: CheckContext) -> None:
    """A sync `POST /rollouts` answers 200 with the rollout's record: its id, state, timestamps."""
    rollout = ctx.baseline_attempt()
    body = json_body(rollout.response)
    problem = (
        f"status {rollout.response.status_code}"
        if rollout.response.status_code != 200
        else _record_problem(body, rollout.body["rollout_id"])
    )
    if problem is not None:
        raise CheckFailure(
            sent=_rollout_sent(rollout),
            expected="200 with {rollout_id: <the request's>, status: <a rollout state>, "
            "success_status, created_at, updated_at} (non-empty strings)",
            got=f"{problem}: {ctx.describe(rollout.response)}",
            fix="Answer a sync submission with the finished rollout's record, keyed by the "
            "request's rollout_id, as synth_containers' CompletedRolloutPayload requires.",
            summary=f"the sync rollout's answer is not its record ({problem})",
        )


@check(
    "CS-4",
    profiles=PROFILES,
    severity=Severity.SHOULD,
    spec="containers-reward",
    tags=("rollout", "rewards"),
    depends_on=("CS-3",),
)
def completed_record_carries_a_reward(ctx: CheckContext) -> None:
    """A completed rollout's record carries a finite `reward_info.outcome_reward`."""
    rollout = ctx.baseline_rollout()
    record = rollout.json()
    if record.get("status") != "completed":
        raise CheckSkipped(f"the baseline rollout ended {record.get('status')!r}, not completed")
    value = nested(record, "reward_info", "outcome_reward")
    if not is_finite_number(value):
        raise CheckFailure(
            sent=_rollout_sent(rollout),
            expected="reward_info.outcome_reward as a finite number in the completed record",
            got=f"reward_info = {ctx.short_json(record.get('reward_info'))}",
            fix="Return the score as reward_info.outcome_reward (synth_containers' "
            "RolloutResult.to_dict does), not only in a free-form summary: optimizers read it "
            "there.",
            summary="the completed rollout's record carries no outcome_reward",
        )


@dataclass(frozen=True)
class _AsyncRun:
    """An async submission and what polling its record saw."""

    rollout: Rollout
    seen: tuple[str, ...]
    problem: str | None
    final: Any


def _reachable(state: str) -> frozenset[str]:
    """Every state `state` may become through legal transitions (a poll may miss some)."""
    found: set[str] = set()
    todo = [state]
    while todo:
        for nxt in LEGAL_TRANSITIONS.get(todo.pop(), frozenset()) - found:
            found.add(nxt)
            todo.append(nxt)
    return frozenset(found)


def _poll(ctx: CheckContext, rollout_id: str, first: str) -> tuple[list[str], str | None, Any]:
    """(states seen, the first problem, the last record) polling until a terminal state."""
    seen, record, wait = [first], None, 0.05
    deadline = time.monotonic() + ctx.settings.request_timeout_s
    while seen[-1] not in TERMINAL_STATES:
        if time.monotonic() > deadline:
            return seen, f"no terminal state within {ctx.settings.request_timeout_s:g}s", record
        time.sleep(wait)
        wait = min(wait * 2, 0.5)
        response = ctx.get(f"{ROLLOUTS_PATH}/{rollout_id}")
        record = json_body(response)
        problem = _record_problem(record, rollout_id)
        if response.status_code != 200 or problem is not None:
            return (
                seen,
                f"GET {ROLLOUTS_PATH}/{rollout_id}: {problem or ctx.describe(response)}",
                record,
            )
        state = record["status"]
        if state != seen[-1] and state not in _reachable(seen[-1]):
            return [*seen, state], f"{seen[-1]} -> {state}: no legal transitions lead there", record
        seen.append(state)
    return seen, None, record


def _async_run(ctx: CheckContext) -> _AsyncRun:
    """One async submission polled to its end, once per run; n/a when async is not offered."""
    modes = _capabilities(ctx).get("rollout_modes")
    if not isinstance(modes, list) or "async" not in modes:
        raise _not_applicable(f"/metadata's capabilities.rollout_modes is {modes!r}: no async")

    def run() -> _AsyncRun:
        rollout = ctx.rollout(edit=lambda body: body.update(submission_mode="async"))
        record = json_body(rollout.response)
        problem = _record_problem(record, rollout.body["rollout_id"])
        if rollout.response.status_code not in (200, 202) or problem is not None:
            return _AsyncRun(rollout, (), problem or "not 200 or 202", record)
        if record["status"] not in ("queued", "running"):
            return _AsyncRun(rollout, (record["status"],), "not queued or running", record)
        seen, problem, final = _poll(ctx, rollout.body["rollout_id"], record["status"])
        return _AsyncRun(rollout, tuple(seen), problem, final)

    return ctx.memo("containers async rollout", run)


@check(
    "CS-5",
    profiles=PROFILES,
    severity=Severity.MUST,
    spec="containers-lifecycle",
    tags=("rollout", "async"),
    depends_on=("CS-2",),
)
def async_rollout_follows_the_lifecycle(ctx: CheckContext) -> None:
    """An async submission answers 200/202 queued or running, then moves only by legal steps to
    a terminal state in time.
    """
    run = _async_run(ctx)
    if run.problem is not None:
        raise CheckFailure(
            sent=f"{_rollout_sent(run.rollout)}, then GET {ROLLOUTS_PATH}/{{id}} until it ends",
            expected="200 or 202 with status queued or running, then only the transitions of "
            "synth_containers/wire.py up to completed, failed or cancelled",
            got=f"{run.problem}; states seen: {' -> '.join(run.seen) or '-'}; first answer "
            f"{ctx.describe(run.rollout.response)}",
            fix="Record an async rollout as queued or running at once, then move it only along "
            "queued -> running -> completed|failed|cancelled (paused in between), and finish.",
            summary=f"the async rollout broke the lifecycle ({run.problem})",
        )


def _completed_rollout_id(ctx: CheckContext) -> str:
    """A rollout the app keeps and reports completed: the baseline, or the async one."""
    rollout_id = ctx.baseline_rollout().body["rollout_id"]
    response, record = _get_json(ctx, f"{ROLLOUTS_PATH}/{rollout_id}")
    if response.status_code == 200 and nested(record, "status") == "completed":
        return str(rollout_id)
    try:
        run = _async_run(ctx)
    except CheckSkipped:
        raise _not_applicable(
            f"the app keeps no rollout to terminate: GET {ROLLOUTS_PATH}/<sync rollout> answered "
            f"{response.status_code} and it offers no async submission"
        ) from None
    if run.problem is not None or nested(run.final, "status") != "completed":
        raise CheckSkipped("no completed rollout to terminate (the async one did not complete)")
    return str(run.rollout.body["rollout_id"])


def _state(ctx: CheckContext, rollout_id: str) -> tuple[str, httpx.Response]:
    for path in (f"{ROLLOUTS_PATH}/{rollout_id}/state", f"{ROLLOUTS_PATH}/{rollout_id}"):
        response = ctx.get(path)
        if response.status_code not in (404, 405):
            return f"GET {path}", response
    return f"GET {path}", response


def _terminate_problem(answer: httpx.Response, asked: str, now: Any) -> str | None:
    """What went wrong terminating a completed rollout: the answer, then the state after."""
    if answer.status_code >= 500:
        return f"terminate answered {answer.status_code}"
    said = nested(json_body(answer), "status") if answer.is_success else None
    if said is not None and now != said:
        return f"the terminate answer says {said!r} but {asked} says {now!r} afterwards"
    if now != "completed":
        return f"terminate moved it to {now!r}: wire.py allows no transition out of completed"
    return None


@check(
    "CS-6",
    profiles=PROFILES,
    severity=Severity.SHOULD,
    spec="containers-terminate",
    tags=("rollout",),
    depends_on=("CS-3",),
)
def terminating_a_completed_rollout_keeps_it_completed(ctx: CheckContext) -> None:
    """Terminating a completed rollout leaves it completed, and its state agrees with the answer."""
    if _capabilities(ctx).get("terminate_support") is False:
        raise _not_applicable("/metadata declares terminate_support: false")
    rollout_id = _completed_rollout_id(ctx)
    path = f"{ROLLOUTS_PATH}/{rollout_id}/terminate"
    answer = ctx.post(path, json_body={})
    if answer.status_code in (404, 405):
        raise _not_applicable(f"POST {path} is not served ({answer.status_code})")
    asked, after = _state(ctx, rollout_id)
    problem = _terminate_problem(answer, asked, nested(json_body(after), "status"))
    if problem is not None:
        raise CheckFailure(
            sent=f"POST {path} (the rollout is completed), then {asked}",
            expected="the completed record back (or a 4xx such as 409), and completed afterwards",
            got=f"{problem}; terminate answered {ctx.describe(answer)}",
            fix="Treat terminate on a finished rollout as a no-op (answer its record, or 409) "
            "and keep /state and the answer the same story.",
            summary=problem,
        )


@check(
    "CS-7",
    profiles=PROFILES,
    severity=Severity.SHOULD,
    spec="containers-replay",
    tags=("rollout", "idempotency"),
    depends_on=("CS-3",),
)
def rollout_id_is_an_idempotency_key(ctx: CheckContext) -> None:
    """The same `rollout_id` and body is replayed (`replayed: true`); another body gets 409."""
    first = ctx.rollout(seed=1)
    record = json_body(first.response)
    if first.response.status_code != 200:
        raise CheckSkipped(f"a second sync rollout failed ({ctx.describe(first.response)})")
    again = ctx.post(ROLLOUTS_PATH, json_body=first.body)
    replay = json_body(again)
    other = {**first.body, "seed": 2, "env": {**first.body.get("env", {}), "seed": 2}}
    conflict = ctx.post(ROLLOUTS_PATH, json_body=other)
    error = nested(json_body(conflict), "detail", "error")
    code = error.get("code") if isinstance(error, dict) else error
    problem = (
        f"the same body again answered {ctx.describe(again)}, not the first record with "
        "replayed: true"
        if again.status_code != 200
        or not isinstance(replay, dict)
        or replay.get("replayed") is not True
        or {k: v for k, v in replay.items() if k != "replayed"} != record
        else f"another body under the same id answered {ctx.describe(conflict)}"
        if conflict.status_code != 409 or code != ROLLOUT_IDENTITY_CONFLICT
        else None
    )
    if problem is not None:
        raise CheckFailure(
            sent=f"{_rollout_sent(first)} three times: the same body twice, then seed 2",
            expected="the first record again with replayed: true, then 409 "
            f'{{"detail": {{"error": "{ROLLOUT_IDENTITY_CONFLICT}", ...}}}}',
            got=problem,
            fix="Keep each rollout_id's request and answer: replay the answer for the same "
            "body, refuse another body with 409, so a retried submission never runs twice.",
            summary="a reused rollout_id is not handled as an idempotency key",
        )


def _rows_match(rows: Any) -> bool:
    """One row object per seed asked; when rows name their seed, the seeds asked, in order."""
    if not isinstance(rows, list) or len(rows) != len(_ROWS_SEEDS):
        return False
    if not all(isinstance(row, dict) for row in rows):
        return False
    seeds = [row.get("seed") for row in rows]
    return all(s is None for s in seeds) or seeds == list(_ROWS_SEEDS)


def _split(dataset: Any) -> str | None:
    splits = nested(dataset, "splits")
    default = nested(dataset, "default_split")
    if isinstance(default, str):
        return default
    names = list(splits) if isinstance(splits, dict | list) else []
    return "train" if "train" in names else (str(names[0]) if names else None)


@check(
    "CS-8",
    profiles=PROFILES,
    severity=Severity.MUST,
    spec="containers-dataset-rows",
    tags=("dataset",),
)
def dataset_rows_answer_every_seed_in_order(ctx: CheckContext) -> None:
    """`POST /dataset/rows` for N seeds answers N rows, one per seed, in the order asked."""
    listing, dataset = _get_json(ctx, DATASET_PATH)
    if listing.status_code == 404:
        raise _not_applicable("GET /dataset answers 404: the app serves no dataset")
    split = _split(dataset)
    request: dict[str, Any] = {"seeds": list(_ROWS_SEEDS)}
    if split is not None:
        request["split"] = split
    response = ctx.post(DATASET_ROWS_PATH, json_body=request)
    rows = nested(json_body(response), "rows") if response.status_code == 200 else None
    if not _rows_match(rows):
        raise CheckFailure(
            sent=f"POST {DATASET_ROWS_PATH} {ctx.short_json(request)}",
            expected=f'200 {{"rows": [...]}} with {len(_ROWS_SEEDS)} row objects, one per seed '
            "in the order asked (a row's seed, when it has one, is that seed)",
            got=ctx.describe(response),
            fix="Answer /dataset/rows with one row per requested seed, in request order: the "
            "optimizer pairs rows with seeds by position and sends each back as dataset_row.",
            summary="/dataset/rows does not answer one row per seed, in order",
        )


def _hinted_routes(metadata: Any) -> list[str]:
    """Every concrete route /metadata points clients at: route hints and optimizer contracts."""
    routes: list[str] = []
    for name, paths in (nested(metadata, "capabilities", "route_hints") or {}).items():
        if name != "rollout_routes" and isinstance(paths, list):
            routes += [p for p in paths if isinstance(p, str)]
    for holder in (nested(metadata, "metadata"), nested(metadata, "capabilities")):
        for contract in (nested(holder, "optimizer_contracts") or {}).values():
            if isinstance(contract, dict):
                routes += [
                    v
                    for k, v in contract.items()
                    if k.endswith("_route") and k != "rollout_route" and isinstance(v, str)
                ]
    return list(dict.fromkeys(r for r in routes if r.startswith("/") and "{" not in r))


@check(
    "CS-9",
    profiles=PROFILES,
    severity=Severity.SHOULD,
    spec="containers-route-hints",
    tags=("endpoints",),
    depends_on=("CS-2",),
)
def hinted_routes_are_served(ctx: CheckContext) -> None:
    """Every concrete route `/metadata` hints (route hints, optimizer contracts) is served."""
    for route in _hinted_routes(_get_json(ctx, METADATA_PATH)[1]):
        method = "POST" if route in _POST_ROUTES else "GET"
        response = ctx.request(method, route, json_body={} if method == "POST" else None)
        if response.status_code in (404, 405):
            raise CheckFailure(
                sent=f"{method} {route} (hinted by GET /metadata)",
                expected="an answer other than 404 or 405: a hinted route is served",
                got=ctx.describe(response),
                fix="Hint only the routes you serve: drop the others from route_hints and "
                "optimizer_contracts, or serve them.",
                summary=f"/metadata hints {route}, which is not served",
            )


def _compatibility_problem(ctx: CheckContext, matrix: dict[str, Any]) -> str | None:
    capabilities = _capabilities(ctx)
    for target, report in matrix.items():
        single = _get_json(ctx, COMPATIBILITY_PATH, target=target)[1]
        if single != report:
            return f"?target={target} answers {ctx.short_json(single)}, not the map's entry"
        if nested(report, "supported") is not True or target not in CONSUMER_REQUIREMENTS:
            continue
        missing = unmet(CONSUMER_REQUIREMENTS[target], capabilities)
        if missing:
            return f"{target} is reported supported, but /metadata shows {'; '.join(missing)}"
    unknown = _get_json(ctx, COMPATIBILITY_PATH, target=_UNKNOWN_TARGET)[0]
    if not 400 <= unknown.status_code < 500:
        return f"?target={_UNKNOWN_TARGET} answered {ctx.describe(unknown)}, not a 4xx"
    return None


@check(
    "CS-10",
    profiles=PROFILES,
    severity=Severity.MUST,
    spec="containers-compatibility",
    tags=("endpoints",),
    depends_on=("CS-2",),
)
def compatibility_reports_agree_with_the_metadata(ctx: CheckContext) -> None:
    """`/compatibility` reports agree with `?target=` and with what `/metadata` declares."""
    response, matrix = _get_json(ctx, COMPATIBILITY_PATH)
    if response.status_code == 404:
        raise _not_applicable("GET /compatibility answers 404: the app publishes no reports")
    problem = (
        f"GET /compatibility answered {ctx.describe(response)}, not a map of reports"
        if response.status_code != 200 or not isinstance(matrix, dict)
        else _compatibility_problem(ctx, matrix)
    )
    if problem is not None:
        raise CheckFailure(
            sent="GET /compatibility, with ?target= for each target and an unknown one; GET "
            "/metadata",
            expected="each ?target= report equal to the map's; an unknown target a 4xx; every "
            "supported: true borne out by /metadata's capabilities",
            got=problem,
            fix="Compute reports from the capabilities /metadata declares (synth_containers."
            "compatibility.evaluate_consumer_support) rather than writing them by hand.",
            summary=f"/compatibility misreports ({problem})",
        )
