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


class CheckSkipped(Exception):
    """The check does not apply to this target; the reason is shown to the user."""

    def __init__(self, reason: str, *, needs_configuration: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.needs_configuration = needs_configuration
        """True when the user could make it run (e.g. with --inference-url)."""


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
