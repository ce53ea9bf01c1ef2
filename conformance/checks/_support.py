"""Small helpers shared by check modules: body access and validation messages."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import httpx
from pydantic import BaseModel, ValidationError

from conformance.context import CheckContext, json_body
from conformance.contract import PROTECTED_GET_PATHS, ROLLOUT_PATH, ErrorEnvelope
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
        raise CheckSkipped("no API key: pass --api-key or set ENVIRONMENT_API_KEY")
    return ctx.api_key


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


def unproven_at_the_model(ctx: CheckContext, what_passed: str) -> None:
    """SKIP, not PASS, when the response half held but nothing recorded the model's half."""
    if ctx.recorder is None:
        raise CheckSkipped(
            f"{what_passed}, but what reached the model is unproven: with --inference-url "
            "nothing records the calls (check a local target to prove it)"
        )


def protected_requests(
    ctx: CheckContext, auth: dict[str, str]
) -> Iterator[tuple[str, httpx.Response]]:
    """(route, response) for every protected route sent with exactly the headers `auth`."""
    for path in PROTECTED_GET_PATHS:
        yield f"GET {path}", ctx.get(path, auth=auth)
    yield f"POST {ROLLOUT_PATH}", ctx.post(ROLLOUT_PATH, auth=auth, json_body=ctx.probe_body())
