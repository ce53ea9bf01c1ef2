"""How a check ends: the exceptions checks raise and the outcomes the runner records."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Outcome(StrEnum):
    """PASS / FAIL / WARN / SKIP / ERROR; ERROR means the harness broke, not the target."""

    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"
    ERROR = "error"


class CheckFailure(AssertionError):
    """The target violates the requirement; carries the structured failure block."""

    def __init__(self, *, sent: str, expected: str, got: str, fix: str, summary: str = "") -> None:
        super().__init__(summary or expected)
        self.summary = summary
        self.sent = sent
        self.expected = expected
        self.got = got
        self.fix = fix


class SkipKind(StrEnum):
    """Why a check did not pass or fail, which decides whether the verdict can be green."""

    UNPROVEN = "unproven"
    """It could not run or could not prove its claim: a MUST one makes the run incomplete."""
    NOT_APPLICABLE = "not_applicable"
    """The requirement does not apply to this target: never affects the verdict."""
    NOT_SELECTED = "not_selected"
    """An opt-in check that this run did not turn on (fuzzing against a paid model)."""


class CheckSkipped(Exception):
    """The check did not reach a verdict; the reason is shown to the user.

    The default kind is `UNPROVEN`: a skip is missing evidence unless the check says
    the requirement does not apply, so no gate goes green on a check it did not prove.
    """

    def __init__(self, reason: str, *, kind: SkipKind = SkipKind.UNPROVEN) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


class HarnessError(Exception):
    """The harness could not talk to the target (connection, TLS, timeout): outcome ERROR."""


@dataclass(frozen=True)
class FailureDetail:
    """The failure block, already redacted: what every report renders."""

    summary: str
    sent: str
    expected: str
    got: str
    fix: str
    spec: str

    def render(self, heading: str) -> str:
        """The block of STYLE.md: `heading: summary`, then aligned Sent/Expected/Got/Fix/Spec."""
        lines = [f"{heading}: {' '.join(self.summary.splitlines())}"]
        for label, value in (
            ("Sent", self.sent),
            ("Expected", self.expected),
            ("Got", self.got),
            ("Fix", self.fix),
            ("Spec", self.spec),
        ):
            head = f"  {label + ':':<10}"
            first, *rest = (value or "-").splitlines() or ["-"]
            lines.append(head + first)
            lines.extend(" " * len(head) + line for line in rest)
        return "\n".join(lines)
