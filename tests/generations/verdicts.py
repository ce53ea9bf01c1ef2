"""Our verdicts on an app built with a real package: `taskapp-conformance check --app ...`.

Each generation's verdict test (`test_verdicts_<profile>.py`) judges its package's smallest app
through the CLI, as a user would: the full default catalogue, `--profile auto`, the app
in-process (so the recording mock inference proves the model's side), the JSON report read
back. The helpers here run that and read the report; the pinned tables live in the modules.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from conformance.cli import main
from conformance.registry import catalogue


@dataclass(frozen=True)
class Judgement:
    """What the CLI printed, its exit code, and the JSON report it wrote."""

    output: str
    exit_code: int
    report: dict[str, Any]

    @property
    def outcomes(self) -> dict[str, str]:
        """Each check's outcome; a skip names its kind (`skip:not_applicable`)."""
        return {
            entry["id"]: entry["outcome"]
            + (f":{entry['skip_kind']}" if entry["outcome"] == "skip" else "")
            for entry in self.report["checks"]
        }

    def entry(self, check_id: str) -> dict[str, Any]:
        """The report's entry for one check."""
        (found,) = [c for c in self.report["checks"] if c["id"] == check_id]
        return found


def judge(factory: str, out_dir: Path, *args: str) -> Judgement:
    """`taskapp-conformance check --app FACTORY --json OUT ARGS...` on the app in-process."""
    out = out_dir / "report.json"
    command = ["check", "--app", factory, "--json", str(out), *args]
    result = CliRunner().invoke(main, command)
    if not out.exists():
        raise AssertionError(f"no report (exit {result.exit_code}): {result.output}")
    report: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return Judgement(result.output, result.exit_code, report)


def not_applicable(profile: str) -> dict[str, str]:
    """The catalogue's checks of other generations: not applicable to `profile`."""
    return {c.id: "skip:not_applicable" for c in catalogue() if not c.applies_to(profile)}


def expected(profile: str, non_passes: dict[str, str]) -> dict[str, str]:
    """Every check's outcome on a package's app: not applicable for the other generations'
    checks, `non_passes` (each with its reason where it is written), pass for the rest, so a
    check added to the generation is expected to pass until a reason says otherwise.
    """
    applicable = {c.id: "pass" for c in catalogue() if c.applies_to(profile)}
    stale = sorted(set(non_passes) - set(applicable))
    if stale:
        raise AssertionError(f"non-passes recorded for checks that are not {profile}'s: {stale}")
    return {**not_applicable(profile), **applicable, **non_passes}


def counts(outcomes: dict[str, str]) -> Counter[str]:
    """How many checks ended each way (`skip` counts every kind of skip)."""
    return Counter(outcome.split(":")[0] for outcome in outcomes.values())
