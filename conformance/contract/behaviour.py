"""What a task app declares about its own behaviour, read by the behaviour checks.

Both declarations live in models synth-ai lets an app extend (`extra="allow"`, §3.4), so
an app built on synth-ai's `create_task_app` can make them too:

* `task.deterministic` (the TaskDescriptor: `/info` `service.task`, `/task_info` `task`):
  JSON `false` declares that an episode is not a function of its seed and the model's
  answers (an LLM judge, live data, real randomness). The replay checks DET-1 and DET-2
  then do not apply, and DET-4 reports the replay's differences for information. Absent,
  or anything but `false`, the app is held to replay.
* `limits.reward_range` (LimitsInfo: `/info` `limits`, `/task_info` `limits`): `[min, max]`,
  two finite numbers, min <= max. RWD-1 then wants every step reward, every episode return
  and the mean return inside it.

`/info` is read first; `/task_info?seed=0` fills what it lacks (synth-ai's own `/info`
mangles `limits` into a string, §1.4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Final

DETERMINISTIC_FIELD: Final = "deterministic"
REWARD_RANGE_FIELD: Final = "reward_range"


@dataclass(frozen=True)
class Declarations:
    """What `/info` and `/task_info?seed=0` declare about the app's behaviour."""

    nondeterministic_at: str | None = None
    """Where the app declares `deterministic: false` (`/info service.task.deterministic`);
    None when it does not.
    """
    reward_range: tuple[float, float] | None = None
    reward_range_at: str | None = None
    """Where the range (or the malformed value) was declared."""
    reward_range_problem: str | None = None
    """Why the declared range cannot be used (`[1, 0]`: min above max), or None."""

    @property
    def deterministic(self) -> bool:
        return self.nondeterministic_at is None


def read_declarations(info: Any, instance: Any) -> Declarations:
    """The declarations of an `/info` body and a `/task_info?seed=0` body (either may be junk)."""
    places = [
        ("/info service.task", _get(info, "service", "task")),
        ("/task_info?seed=0 task", _get(instance, "task")),
    ]
    nondeterministic = next(
        (f"{where}.{DETERMINISTIC_FIELD}" for where, task in places if _declares_false(task)),
        None,
    )
    for where, limits in (
        ("/info limits", _get(info, "limits")),
        ("/task_info?seed=0 limits", _get(instance, "limits")),
    ):
        if isinstance(limits, dict) and REWARD_RANGE_FIELD in limits:
            at = f"{where}.{REWARD_RANGE_FIELD}"
            value = limits[REWARD_RANGE_FIELD]
            bounds, problem = _range(value)
            return Declarations(nondeterministic, bounds, at, problem)
    return Declarations(nondeterministic)


def _declares_false(task: Any) -> bool:
    return isinstance(task, dict) and task.get(DETERMINISTIC_FIELD) is False


def _range(value: Any) -> tuple[tuple[float, float] | None, str | None]:
    numbers = (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )
    if not numbers:
        return None, f"{value!r} is not [min, max], two numbers"
    low, high = float(value[0]), float(value[1])
    if not (math.isfinite(low) and math.isfinite(high)):
        return None, f"{value!r} has a bound that is not finite"
    if low > high:
        return None, f"{value!r} has its minimum above its maximum"
    return (low, high), None


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value
