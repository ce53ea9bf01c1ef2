"""The rollouts a `containers-2026-05` app has accepted: their records, states and identities.

States move only along synth-containers' legal transitions (`synth_containers/wire.py:9-37`;
`conformance.contract.profiles.LEGAL_TRANSITIONS`), and `success_status` always follows the
state (`wire.py:39-46`). A terminal rollout never moves again: terminating a completed one
leaves it completed and says so. A rollout id names one request body for as long as its
record is kept: the same body again is a replay of the same record, another body a conflict.

Records live in memory; at most `capacity` are kept, the oldest finished ones forgotten first
(a forgotten id may then be used again). Everything here runs on the app's event loop, with
no `await` between a lookup and the change it decides, so no lock is needed.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from conformance.contract.profiles import LEGAL_TRANSITIONS, TERMINAL_STATES
from reference_app.errors import TaskAppError
from reference_app.logsafe import shown
from reference_app.profiles.episode import Episode

logger = logging.getLogger("reference_app.lifecycle")

SUCCESS_STATUS_BY_STATE = {
    "queued": "pending",
    "running": "running",
    "paused": "paused",
    "completed": "success",
    "failed": "failed",
    "cancelled": "cancelled",
}
DEFAULT_CAPACITY = 1000


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class IdentityConflict(Exception):
    """The rollout id is already taken by a different request body."""


@dataclass
class Rollout:
    """One accepted rollout and what became of it."""

    rollout_id: str
    cid: str
    identity: dict[str, Any]
    """The normalised request it was created from (replays must send the same)."""
    submission_mode: str
    seed: int
    split: str
    status: str = "queued"
    status_detail: str = "queued"
    created_at: str = field(default_factory=_now)
    updated_at: str = ""
    episode: Episode | None = None
    termination: dict[str, Any] = field(default_factory=dict)
    done: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.updated_at = self.updated_at or self.created_at

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL_STATES

    def move(self, state: str, detail: str) -> None:
        """Go to `state` if the lifecycle allows it from here; AssertionError otherwise."""
        assert state in LEGAL_TRANSITIONS.get(self.status, ()), f"{self.status} -> {state}"
        self.status, self.status_detail, self.updated_at = state, detail, _now()

    def record(self) -> dict[str, Any]:
        """The rollout record (`POST /rollouts`, `GET /rollouts/{id}`)."""
        episode = self.episode
        completed = episode is not None and self.status == "completed"
        return {
            "rollout_id": self.rollout_id,
            "trace_correlation_id": self.cid,
            "status": self.status,
            "success_status": SUCCESS_STATUS_BY_STATE[self.status],
            "status_detail": self.status_detail,
            "submission_mode": self.submission_mode,
            "seed": self.seed,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "reward_info": _reward_info(episode) if completed and episode else None,
            "summary": _summary(self, episode) if completed and episode else {},
            "inference_url": episode.inference_url if episode else None,
            "trace": episode.trace if completed and episode else None,
            "artifacts": [],
            "usage": {},
            "metadata": dict(self.identity.get("metadata") or {}),
        }

    def state(self) -> dict[str, Any]:
        """The state view (`GET /rollouts/{id}/state`, the terminate answer)."""
        episode = self.episode if self.status == "completed" else None
        return {
            "rollout_id": self.rollout_id,
            "trace_correlation_id": self.cid,
            "status": self.status,
            "success_status": SUCCESS_STATUS_BY_STATE[self.status],
            "status_detail": self.status_detail,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "termination": dict(self.termination),
            "control": {
                "pause_supported": False,
                "terminate_supported": True,
                "resume_supported": False,
                "checkpoint_supported": False,
            },
            "progress": {"reward": episode.outcome_reward if episode else None},
        }


def _reward_info(episode: Episode) -> dict[str, Any]:
    """`reward_info` as the package's reference adapter sends it (`formats.py:146-158`)."""
    return {
        "outcome_reward": episode.outcome_reward,
        "event_rewards": episode.event_rewards,
        "details": episode.details,
    }


def _summary(rollout: Rollout, episode: Episode) -> dict[str, Any]:
    return {
        "outcome_reward": episode.outcome_reward,
        "task_id": episode.details.get("task_id"),
        "dataset_split": rollout.split,
        "seed": rollout.seed,
        "answer": episode.answer.get("completion"),
    }


class RolloutStore:
    """The accepted rollouts by id, oldest first."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._rollouts: dict[str, Rollout] = {}

    def get(self, rollout_id: str) -> Rollout | None:
        return self._rollouts.get(rollout_id)

    def existing(self, rollout_id: str, identity: dict[str, Any]) -> Rollout | None:
        """The rollout this id+body replays, None for a new id; IdentityConflict otherwise."""
        found = self._rollouts.get(rollout_id)
        if found is not None and found.identity != identity:
            raise IdentityConflict(rollout_id)
        return found

    def add(self, rollout: Rollout) -> None:
        """Keep `rollout`, forgetting the oldest finished ones beyond capacity (503 when every
        kept rollout is still running).
        """
        while len(self._rollouts) >= self.capacity:
            oldest = next((r for r in self._rollouts.values() if r.finished), None)
            if oldest is None:
                raise TaskAppError(
                    503, "too_many_rollouts", f"{self.capacity} rollouts are still running"
                )
            del self._rollouts[oldest.rollout_id]
        self._rollouts[rollout.rollout_id] = rollout

    def start(self, rollout: Rollout, play: Callable[[], Awaitable[Episode]]) -> None:
        """Run `play` in the background: running now, then completed or failed."""
        rollout.move("running", "running")
        rollout.task = asyncio.create_task(_run(rollout, play))

    def terminate(self, rollout: Rollout, reason: str | None) -> None:
        """Cancel a rollout still in flight; a finished one stays as it is, and says so."""
        if rollout.finished:
            rollout.termination = {
                "requested": True,
                "applied": False,
                "reason": reason,
                "detail": f"the rollout had already {_ended(rollout.status)}",
            }
            return
        rollout.move("cancelled", "terminated" + (f": {reason}" if reason else ""))
        rollout.termination = {"requested": True, "applied": True, "reason": reason}
        if rollout.task is not None:
            rollout.task.cancel()
        rollout.done.set()


def _ended(status: str) -> str:
    return {"completed": "completed", "failed": "failed", "cancelled": "been cancelled"}[status]


async def _run(rollout: Rollout, play: Callable[[], Awaitable[Episode]]) -> None:
    """Play one rollout; whatever happens, it ends in a terminal state and `done` is set."""
    try:
        episode = await play()
    except asyncio.CancelledError:
        return  # terminated: `terminate` already moved it to cancelled
    except TaskAppError as exc:
        _finish(rollout, "failed", f"{exc.code}: {exc.message}")
    except Exception as exc:  # a bug in the executor: the record says failed, the log says why
        logger.error(
            "rollout %s failed: %s: %s\n%s",
            shown(rollout.rollout_id),
            type(exc).__name__,
            shown(exc),
            "".join(traceback.format_tb(exc.__traceback__)).rstrip(),
        )
        _finish(rollout, "failed", "internal_error: the container's log has the details")
    else:
        rollout.episode = episode
        _finish(rollout, "completed", "completed")
    finally:
        rollout.done.set()


def _finish(rollout: Rollout, state: str, detail: str) -> None:
    if rollout.status == "running":  # not if terminated meanwhile
        rollout.move(state, detail)
