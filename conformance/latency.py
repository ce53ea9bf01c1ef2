"""Latencies a check measured (LOAD-1), as every report shows them: a table and a chart.

A `LatencyTable` is data: the check that measured it, a title, one `LatencyRun` per way of
sending rollouts (one alone, K at once) and a one-line verdict. Checks hand them to
`CheckContext.record_latency`; the runner puts them in the report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LatencyRun:
    """Rollouts sent together: how long each took, how many failed, how long all took."""

    label: str
    """`1 rollout alone`, `8 rollouts at once`."""
    durations_s: tuple[float, ...]
    """Per rollout, from sending it to reading its whole answer, failed ones included."""
    errors: int
    """Rollouts that did not answer 200."""
    wall_s: float
    """From the first request sent to the last answer read."""

    @property
    def count(self) -> int:
        return len(self.durations_s)

    @property
    def p50_s(self) -> float:
        return percentile(self.durations_s, 50)

    @property
    def p95_s(self) -> float:
        return percentile(self.durations_s, 95)

    @property
    def throughput(self) -> float:
        """Rollouts answered per second of wall time."""
        return self.count / self.wall_s if self.wall_s > 0 else 0.0


@dataclass(frozen=True)
class LatencyTable:
    """What one check measured: its runs and what the figures mean."""

    check_id: str
    title: str
    runs: tuple[LatencyRun, ...]
    note: str = ""
    """One line: the ratio the check judged and its limit."""
    extra: dict[str, float] = field(default_factory=dict)
    """Named figures the check judged (`ratio`, `limit`, `model_latency_s`)."""


def percentile(values: tuple[float, ...] | list[float], pct: float) -> float:
    """The nearest-rank percentile of `values` (0.0 when there are none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]
