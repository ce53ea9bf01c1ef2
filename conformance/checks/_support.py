"""Small helpers shared by check modules: body access, validation messages, evidence from
the model side, bodies that are not a JSON object.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from conformance.context import CheckContext, Rollout, json_body
from conformance.contract import (
    API_KEY_HEADER,
    ENVIRONMENT_API_KEY_ENV,
    PROTECTED_GET_PATHS,
    ROLLOUT_PATH,
    ErrorEnvelope,
)
from conformance.contract.profiles import CONTAINER_AUTH_HEADER, AuthScheme
from conformance.inference import RecordedCall
from conformance.outcomes import CheckFailure, CheckSkipped


def validation_problem(model: type[BaseModel], data: Any, *, strict: bool = False) -> str | None:
    """None when `data` validates as `model`, else the first error as `loc: message`."""
    try:
        model.model_validate(data, strict=strict)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "(root)"
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        return f"{where}: {first['msg']}{more}"
    return None


def require_api_key(ctx: CheckContext) -> str:
    """The key the run uses; checks that need one skip, saying how to give it."""
    if not ctx.api_key:
        raise CheckSkipped(f"no API key: pass --api-key or set {ENVIRONMENT_API_KEY_ENV}")
    return ctx.api_key


CREDENTIAL = ("AUTH-1", "CTR-2")
"""`depends_on` of a check that needs the run's credential accepted, whatever the generation:
the runner holds a check only to the dependencies that are rules of the generation judged
(AUTH-1 under an API key, CTR-2 under a container token, neither without a credential).
"""


def credential_name(ctx: CheckContext) -> str:
    """The judged generation's credential as a `Sent:` line names it: `X-API-Key`,
    `X-Synth-Container-Authorization`, or `credentials` for a generation with none.
    """
    scheme = ctx.contract.auth
    if scheme is AuthScheme.API_KEY:
        return API_KEY_HEADER
    if scheme is AuthScheme.CONTAINER_TOKEN:
        return CONTAINER_AUTH_HEADER
    return "credentials"


def require_json(ctx: CheckContext, response: httpx.Response, sent: str, fix: str) -> Any:
    """The JSON body of a 200 response, or a failure naming what came back."""
    body = json_body(response)
    if response.status_code != 200 or body is None:
        raise CheckFailure(
            sent=sent, expected="200 with a JSON body", got=ctx.describe(response), fix=fix
        )
    return body


def has_error_envelope(response: httpx.Response) -> bool:
    return validation_problem(ErrorEnvelope, json_body(response)) is None


def steps(body: dict[str, Any]) -> list[tuple[int, int, dict[str, Any]]]:
    """(trajectory index, step index, step) for every dict step of a rollout response."""
    found = []
    for t, trajectory in enumerate(body.get("trajectories") or []):
        if isinstance(trajectory, dict):
            for s, step in enumerate(trajectory.get("steps") or []):
                if isinstance(step, dict):
                    found.append((t, s, step))
    return found


def is_finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def nested(value: Any, *keys: str) -> Any:
    """`value[k1][k2]...`, or None as soon as a level is not a dict."""
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


NO_RECORDER = (
    "nothing records the model's calls (an --inference-url of your own records nothing): "
    "point --recorder at a recording relay, or check a local target"
)


def unproven_at_the_model(what_held: str, missing: str) -> CheckSkipped:
    """The SKIP (unproven, never a PASS) of a model-side claim that lacks its evidence."""
    held = f"{what_held}, but " if what_held else ""
    return CheckSkipped(f"{held}what reached the model is unproven: {missing}")


def no_calls_recorded(rollout: Rollout) -> str:
    return (
        f"no model call of the rollout with cid {rollout.cid!r} reached the recorder through "
        f"its own inference URL (route {rollout.route}/): the app called another URL, or none"
    )


def model_calls(ctx: CheckContext, rollout: Rollout, what_held: str = "") -> list[RecordedCall]:
    """The model calls `rollout` made, at least one; SKIP (unproven) naming what is missing."""
    if ctx.recorder is None:
        raise unproven_at_the_model(what_held, NO_RECORDER)
    calls = ctx.recorded_calls(rollout)
    if not calls:
        raise unproven_at_the_model(what_held, no_calls_recorded(rollout))
    return calls


NON_OBJECT_BODIES: tuple[tuple[str, bytes, str | None], ...] = (
    ("a JSON array", b"[]", "application/json"),
    ("a JSON string", b'"rollout"', "application/json"),
    ("a JSON number", b"42", "application/json"),
    ("a JSON float", b"1.5", "application/json"),
    ("JSON true", b"true", "application/json"),
    ("JSON false", b"false", "application/json"),
    ("JSON null", b"null", "application/json"),
    ("an empty body", b"", "application/json"),
    ("an empty body and no content type", b"", None),
    ("invalid UTF-8", b'{"run_id": "\xff\xfe", "mode": "rl"}', "application/json"),
    ("a form-encoded body", b"run_id=r1&mode=rl", "application/x-www-form-urlencoded"),
    ("plain text", b"run a rollout please", "text/plain"),
)
"""(what, bytes, content type) of `POST /rollout` bodies that are not a JSON object."""


def post_raw_rollout(ctx: CheckContext, content: bytes, content_type: str | None) -> httpx.Response:
    """POST /rollout with exactly these bytes, once per run (RO-12 and SEC-7 send the same)."""
    headers = {"content-type": content_type} if content_type else {}
    key = f"raw-rollout {content_type} {content!r}"
    return ctx.memo(key, lambda: ctx.post(ROLLOUT_PATH, content=content, headers=headers))


def protected_requests(
    ctx: CheckContext, auth: dict[str, str]
) -> Iterator[tuple[str, httpx.Response]]:
    """(route, response) for every protected route sent with exactly the headers `auth`."""
    for path in PROTECTED_GET_PATHS:
        yield f"GET {path}", ctx.get(path, auth=auth)
    yield f"POST {ROLLOUT_PATH}", ctx.post(ROLLOUT_PATH, auth=auth, json_body=ctx.probe_body())
