"""What the app's answers show about each change: one reader per change id.

A reader returns a short sentence about what the app answered (`answered POST /rollout with
trajectories`), or None when its answers show nothing. It quotes key names and statuses, not
values; the report is redacted as a whole anyway.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from conformance.contract.profiles import SUCCESS_STATUSES
from conformance.migration.answers import Answers, Reply

_SHOWN_KEYS = 8
_SHOWN_TEXT = 120


def _name(key: object) -> str:
    """A JSON key as the report shows it: word characters only, bounded."""
    return re.sub(r"[^\w.:-]", "?", str(key))[:40]


def _shape(value: Any, depth: int = 1) -> str:
    """`{healthy, auth{required, expected_prefix}}`: the keys of a body, never its values."""
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if not isinstance(value, dict):
        return "a JSON " + ("null" if value is None else type(value).__name__)
    parts = [
        _name(k) + (_shape(v, depth - 1) if depth and isinstance(v, dict) and v else "")
        for k, v in list(value.items())[:_SHOWN_KEYS]
    ]
    more = ", ..." if len(value) > _SHOWN_KEYS else ""
    return "{" + ", ".join(parts) + more + "}"


def _nested(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _said(reply: Reply, *, depth: int = 1) -> str:
    """`401 auth_missing`, `200 {status, service}`: the status and what the body was."""
    body = reply.body
    code = _nested(body, "detail", "error", "code") or _nested(body, "error", "code")
    if reply.status >= 400 and isinstance(code, str):
        message = _nested(body, "detail", "error", "message") or _nested(body, "error", "message")
        tail = f" ({str(message)[:_SHOWN_TEXT]})" if isinstance(message, str) else ""
        return f"{reply.status} `{_name(code)}`{tail}"
    if reply.status >= 400 or body is None:
        return str(reply.status)
    return f"{reply.status} `{_shape(body, depth)}`"


def _body(reply: Reply | None) -> dict[str, Any] | None:
    if reply is None or reply.status != 200 or not isinstance(reply.body, dict):
        return None
    return reply.body


def _health(a: Answers) -> str | None:
    if a.health_open is None:
        return None
    return f"`GET /health` without credentials: {_said(a.health_open)}"


def _auth(a: Answers) -> str | None:
    if a.info is None or a.info_open is None:
        return None
    with_it, without = a.info.status, a.info_open.status
    return f"`GET /info` answered {with_it} with the run's credential, {without} without"


def _auth_refusal(a: Answers) -> str | None:
    if a.info_open is None or a.info_open.status < 400:
        return None
    listed = ", listing `allowed_first15`" if "allowed_first15" in str(a.info_open.body) else ""
    return f"`GET /info` without credentials: {_said(a.info_open)}{listed}"


def _requires(field: str) -> Callable[[Answers], str | None]:
    def shown(a: Answers) -> str | None:
        if a.required is None or field not in a.required:
            return None
        return f"requires `{field}` ({a.required_source})"

    return shown


def _identity(a: Answers) -> str | None:
    required = _requires("run_id")(a)
    if required is not None or a.probe is None or a.new_route != a.old_route:
        return required
    return f"answered a {a.new} rollout request with {_said(a.probe)}"


def _trajectories(a: Answers) -> str | None:
    body = _body(a.rollout)
    if body is None or "trajectories" not in body:
        return None
    return f"answered `POST {a.old_route}` with `trajectories` ({_shape(body['trajectories'])})"


def _trace(a: Answers) -> str | None:
    body = _body(a.rollout)
    if body is None:
        return None
    trace = body.get("trace")
    events = _nested(trace, "event_history")
    if events is None:
        events = _nested(trace, "session_trace", "event_history")
    if trace is None:
        return "answered no `trace`"
    if not isinstance(events, list):
        return "answered a `trace` without `event_history`"
    if not events:
        return "answered an empty `trace.event_history`"
    return f"already answers a `trace.event_history` of {len(events)} events"


def _reward(a: Answers) -> str | None:
    body = _body(a.rollout)
    if body is None:
        return None
    if isinstance(_nested(body, "reward_info", "outcome_reward"), int | float):
        return "already answers `reward_info.outcome_reward`"
    metrics = body.get("metrics")
    if isinstance(metrics, dict):
        missing = "" if "reward_info" in body else " and no `reward_info`"
        return f"answered `metrics{_shape(metrics, 0)}`{missing}"
    return "answered no `reward_info.outcome_reward`"


def _cid(a: Answers) -> str | None:
    body = _body(a.rollout)
    if body is None:
        return None
    cid = body.get("trace_correlation_id")
    if isinstance(cid, str) and cid:
        return "already answers a top-level `trace_correlation_id`"
    return "answered no top-level `trace_correlation_id`"


def _answered(field: str) -> Callable[[Answers], str | None]:
    def shown(a: Answers) -> str | None:
        body = _body(a.rollout)
        if body is None or field not in body:
            return None
        value = body[field]
        return f"answered `{field}{_shape(value) if isinstance(value, dict) else ''}`"

    return shown


def _status(a: Answers) -> str | None:
    body = _body(a.rollout)
    if body is None:
        return None
    if "aborted" in body:
        return "answered `aborted`"
    if body.get("success_status") is not None:
        value = body["success_status"]
        known = isinstance(value, str) and value in SUCCESS_STATUSES
        return "answered `success_status` " + (f"`{value}`" if known else "off the enum")
    return None


def _validated(a: Answers) -> str | None:
    body = _body(a.rollout)
    if body is None:
        return None
    if not isinstance(_nested(body, "reward_info", "outcome_reward"), int | float):
        return "answered no `reward_info.outcome_reward`: the Container server would answer 422"
    status = body.get("success_status")
    if status is not None and status not in SUCCESS_STATUSES:
        return "answered a `success_status` off the enum: the Container server would answer 422"
    return None


def _metrics_alias(a: Answers) -> str | None:
    if _nested(_body(a.rollout), "metrics", "outcome_reward") is None:
        return None
    return "answered `metrics.outcome_reward` (synth-ai 0.4.12's name)"


def _record(a: Answers) -> str | None:
    body = _body(a.rollout)
    if body is None:
        return None
    fields = ("rollout_id", "status", "success_status", "created_at", "updated_at")
    missing = [f"`{f}`" for f in fields if not (isinstance(body.get(f), str) and body[f])]
    if not missing:
        return "already answers a rollout record"
    return f"answered `POST {a.old_route}` without {', '.join(missing)}"


def _route_rollout(a: Answers) -> str | None:
    if a.probe is None or a.new_route == a.old_route:
        return None
    return f"`POST {a.new_route}` answered {_said(a.probe)}"


def _info(a: Answers) -> str | None:
    said = [f"`GET /info`: {_said(a.info)}"] if a.info is not None else []
    if a.metadata is not None:
        said.append(f"`GET /metadata`: {_said(a.metadata)}")
    return "; ".join(said) or None


def _task_info(a: Answers) -> str | None:
    if a.task_info is None:
        return None
    return f"`GET /task_info?seed=0`: {_said(a.task_info, depth=0)}"


def _root(a: Answers) -> str | None:
    return None if a.root is None else f"`GET /`: {_said(a.root)}"


EVIDENCE: dict[str, Callable[[Answers], str | None]] = {
    "health": _health,
    "auth": _auth,
    "auth-refusal": _auth_refusal,
    "request-identity": _identity,
    "request-mode": _requires("mode"),
    "request-ops": _requires("ops"),
    "request-record": _requires("record"),
    "response-trajectories": _trajectories,
    "response-trace": _trace,
    "response-reward": _reward,
    "response-cid": _cid,
    "response-run-id": _answered("run_id"),
    "response-pipeline-metadata": _answered("pipeline_metadata"),
    "response-branches": _answered("branches"),
    "response-status": _status,
    "response-validated": _validated,
    "response-metrics-alias": _metrics_alias,
    "response-record": _record,
    "route-rollout": _route_rollout,
    "route-info": _info,
    "route-task-info": _task_info,
    "route-root": _root,
}
"""Change id -> what the app's answers show about it (None: they show nothing)."""
