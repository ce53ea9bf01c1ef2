"""Helpers of the behaviour checks (DET, LOAD, MF, RWD): the scripted model they all need,
the app's own declarations, and how a rollout answered.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from conformance.checks._support import validation_problem
from conformance.context import CheckContext, Rollout, json_body
from conformance.contract import INFO_PATH, SEED_PARAM, TASK_INFO_PATH, RolloutResponse
from conformance.contract.behaviour import Declarations, read_declarations
from conformance.outcomes import CheckSkipped

SCRIPTED_MODEL = (
    "it scripts the model of each rollout (latency, replay, faults) on the harness's recording "
    "mock or a recording relay, and this run has neither: check a local or in-process target, "
    "or pass --recorder"
)


def require_scripted_model(ctx: CheckContext) -> None:
    """SKIP (unproven) unless rollouts reach a model the harness scripts."""
    if ctx.recorder is None:
        raise CheckSkipped(f"unproven: {SCRIPTED_MODEL}")


def declarations(ctx: CheckContext) -> Declarations:
    """What `/info` and `/task_info?seed=0` declare (read once per run)."""

    def read() -> Declarations:
        info = json_body(ctx.get(INFO_PATH))
        instance = json_body(ctx.get(TASK_INFO_PATH, params={SEED_PARAM: 0}))
        return read_declarations(info, instance)

    return ctx.memo("behaviour-declarations", read)


def succeeded(rollout: Rollout) -> dict[str, Any] | None:
    """The body of a 200 answer that validates as a RolloutResponse, else None."""
    body = json_body(rollout.response)
    if rollout.response.status_code != 200 or not isinstance(body, dict):
        return None
    return body if validation_problem(RolloutResponse, body) is None else None


def seed_of(rollout: Rollout) -> Any:
    return rollout.body.get("env", {}).get("seed")


class _Phase:
    """LOAD-1 measures with no MF rollout in flight, and no MF deadline runs while LOAD-1
    loads the app: a serialising app would otherwise make a model fault look like a hang.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._sharing = 0
        self._exclusive = False

    @contextmanager
    def shared(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._exclusive)
            self._sharing += 1
        try:
            yield
        finally:
            with self._changed:
                self._sharing -= 1
                self._changed.notify_all()

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._changed:
            self._changed.wait_for(lambda: not self._exclusive and not self._sharing)
            self._exclusive = True
        try:
            yield
        finally:
            with self._changed:
                self._exclusive = False
                self._changed.notify_all()


def phase(ctx: CheckContext) -> _Phase:
    """The run's one `_Phase`: `with phase(ctx).exclusive():` in LOAD-1, `.shared()` in MF."""
    return ctx.memo("behaviour-phase", _Phase)
