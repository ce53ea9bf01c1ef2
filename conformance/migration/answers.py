"""What the app answers to the migration report's questions, asked after the run.

The questions: `/`, `/health` and `/info` without credentials, `/info` and
`/task_info?seed=0` with the run's credential, the newer generation's `/metadata`, the
required fields of the rollout request (as detection reads them), the rollout the run
already sent, and one rollout request of the newer generation at its route. An answer that
does not come is no evidence, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.context import UNREACHABLE_INFERENCE_URL, CheckContext, json_body
from conformance.contract.constants import (
    HEALTH_PATH,
    INFO_PATH,
    ROOT_PATH,
    SEED_PARAM,
    TASK_INFO_PATH,
)
from conformance.contract.profiles import CONTAINERS, METADATA_PATH, PROFILES, RolloutInputs
from conformance.detect import required_rollout_fields
from conformance.outcomes import CheckFailure, CheckSkipped, HarnessError
from conformance.profile import new_cid


@dataclass(frozen=True)
class Reply:
    """One answer of the app: its status and its JSON body (None when it is not JSON)."""

    status: int
    body: Any


@dataclass(frozen=True)
class Answers:
    """What the app answered to the report's questions (None: no answer)."""

    new: str
    """The generation the report migrates to."""
    old_route: str
    new_route: str
    root: Reply | None = None
    health_open: Reply | None = None
    """`GET /health` without credentials."""
    info: Reply | None = None
    info_open: Reply | None = None
    """`GET /info` without credentials."""
    metadata: Reply | None = None
    task_info: Reply | None = None
    """`GET /task_info?seed=0`."""
    rollout: Reply | None = None
    """The run's baseline rollout, in the judged generation's form."""
    probe: Reply | None = None
    """The newer generation's rollout request, sent to its route."""
    required: frozenset[str] | None = None
    """The rollout request's required fields, as the app's OpenAPI or 422 names them."""
    required_source: str = ""


def observe(ctx: CheckContext, new: str) -> Answers:
    """Ask the app the report's questions; an answer that does not come is no evidence."""
    required, source = required_rollout_fields(ctx.get, ctx.post, ctx.auth_headers())
    return Answers(
        new=new,
        old_route=ctx.contract.rollout_path,
        new_route=PROFILES[new].rollout_path,
        root=_ask(ctx, "GET", ROOT_PATH, auth=False),
        health_open=_ask(ctx, "GET", HEALTH_PATH, auth=False),
        info=_ask(ctx, "GET", INFO_PATH),
        info_open=_ask(ctx, "GET", INFO_PATH, auth=False),
        metadata=_ask(ctx, "GET", METADATA_PATH) if new == CONTAINERS else None,
        task_info=_ask(ctx, "GET", TASK_INFO_PATH, params={SEED_PARAM: 0}),
        rollout=_baseline(ctx),
        probe=_probe(ctx, new),
        required=None if required is None else frozenset(required),
        required_source=source,
    )


def _ask(ctx: CheckContext, method: str, path: str, **kwargs: Any) -> Reply | None:
    try:
        response = ctx.request(method, path, **kwargs)
    except (HarnessError, CheckFailure):
        return None
    return Reply(response.status_code, json_body(response))


def _baseline(ctx: CheckContext) -> Reply | None:
    """The rollout the run already sent (sent now when the selection had none)."""
    try:
        rollout = ctx.baseline_attempt()
    except (CheckSkipped, HarnessError, CheckFailure):
        return None
    return Reply(rollout.response.status_code, json_body(rollout.response))


def _probe(ctx: CheckContext, new: str) -> Reply | None:
    """The newer generation's rollout request at its route, with the run's credential."""
    profile = PROFILES[new]
    inputs = RolloutInputs(
        cid=new_cid(),
        inference_url=ctx.inference_url or UNREACHABLE_INFERENCE_URL,
        env_name=ctx.profile.env_name,
        split=ctx.profile.split,
        model=ctx.profile.model,
    )
    return _ask(ctx, "POST", profile.rollout_path, json_body=profile.rollout_request(inputs))
