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


class LoadWindow:
    """When LOAD-1 loads the app. An app that serialises rollouts makes any rollout sent
    meanwhile wait for the whole batch, so an MF deadline missed while LOAD-1 ran is tried
    again once it is done, never held against the app as a hang.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._active = 0
        self._epoch = 0

    @contextmanager
    def loading(self) -> Iterator[None]:
        """Mark the app as under load for the duration of the block."""
        with self._changed:
            self._active += 1
            self._epoch += 1
        try:
            yield
        finally:
            with self._changed:
                self._active -= 1
                self._epoch += 1
                self._changed.notify_all()

    def mark(self) -> tuple[int, int]:
        """Where the window stands now; `overlapped(mark)` says whether load came since."""
        with self._changed:
            return self._epoch, self._active

    def overlapped(self, mark: tuple[int, int]) -> bool:
        epoch, active = mark
        with self._changed:
            return bool(active or self._active or self._epoch != epoch)

    def wait_until_idle(self, timeout_s: float) -> None:
        with self._changed:
            self._changed.wait_for(lambda: not self._active, timeout_s)


def load_window(ctx: CheckContext) -> LoadWindow:
    """The run's one `LoadWindow`: LOAD-1 loads in it, MF checks look at it."""
    return ctx.memo("behaviour-load-window", LoadWindow)
