"""The check catalogue: `@check` registers a function with its stable ID and metadata.

The catalogue is data: CLI choices, pytest parametrisation, the README table,
JUnit names and the fault matrix are all derived from it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

from conformance.contract.profiles import LEGACY, PROFILE_NAMES
from conformance.contract.spec import SPEC_DOCUMENT as SPEC_DOCUMENT  # re-exported
from conformance.contract.spec import spec_anchor, spec_link, spec_problem

if TYPE_CHECKING:
    from conformance.context import CheckContext


class Severity(StrEnum):
    """How much a violation matters: `must` fails the gate, `should` warns, `info` informs."""

    MUST = "must"
    SHOULD = "should"
    INFO = "info"


@dataclass(frozen=True)
class CheckSpec:
    """One requirement: a stable ID, its metadata and the function that verifies it."""

    id: str
    name: str
    title: str
    severity: Severity
    spec: str
    """The rule's anchor in `SPEC_DOCUMENT` (`auth-key-header`), or a section number mapped
    through `conformance.contract.spec.SPEC_SECTIONS` (`§2.2`), or a link of its own."""
    tags: tuple[str, ...]
    depends_on: tuple[str, ...]
    func: Callable[[CheckContext], None] = field(compare=False, repr=False)
    profiles: tuple[str, ...] = (LEGACY,)
    """The contract generations the rule belongs to (`conformance.contract.profiles`); a run
    judging another one reports the check "not applicable"."""

    def applies_to(self, profile: str) -> bool:
        return profile in self.profiles

    @property
    def area(self) -> str:
        """The ID prefix (`AUTH` for `AUTH-3`)."""
        return self.id.rsplit("-", 1)[0]

    @property
    def spec_anchor(self) -> str:
        """The anchor of the rule in `SPEC_DOCUMENT` (`auth-key-header`)."""
        return spec_anchor(self.spec)

    @property
    def spec_url(self) -> str:
        """The link users follow, relative to the repository root:
        `docs/contract.md#auth-key-header`.
        """
        return spec_link(self.spec)

    @property
    def spec_ref(self) -> str:
        """What the failure block's `Spec:` line and the reports show: `spec_url`."""
        return self.spec_url


_CATALOGUE: dict[str, CheckSpec] = {}


def check(
    check_id: str,
    *,
    severity: Severity,
    spec: str,
    tags: Iterable[str] = (),
    depends_on: Iterable[str] = (),
    profiles: Iterable[str] = (LEGACY,),
) -> Callable[[Callable[[CheckContext], None]], Callable[[CheckContext], None]]:
    """Register the decorated function as check `check_id`; its docstring's first line is the
    title.
    """

    applies_to = tuple(profiles)

    def register(func: Callable[[CheckContext], None]) -> Callable[[CheckContext], None]:
        if check_id in _CATALOGUE:
            raise ValueError(f"duplicate check id {check_id}")
        doc = (func.__doc__ or "").strip()
        if not doc:
            raise ValueError(f"check {check_id} needs a docstring: its first line is the title")
        problem = spec_problem(spec)
        if problem is not None:
            raise ValueError(f"check {check_id}: {problem}")
        unknown = [p for p in applies_to if p not in PROFILE_NAMES]
        if unknown or not applies_to:
            raise ValueError(f"check {check_id}: profiles {unknown or '()'} not in {PROFILE_NAMES}")
        _CATALOGUE[check_id] = CheckSpec(
            id=check_id,
            name=func.__name__,
            title=doc.splitlines()[0].strip(),
            severity=severity,
            spec=spec,
            tags=tuple(tags),
            depends_on=tuple(depends_on),
            func=func,
            profiles=applies_to,
        )
        return func

    return register


def catalogue() -> list[CheckSpec]:
    """Every registered check, in a stable order: area, then number.

    The areas come in the order `conformance.checks.AREAS` lists their modules; checks
    registered elsewhere (an author's own) follow, by area, then number.
    """
    from conformance.checks import AREAS  # importing the package registers its checks

    rank = {module.__name__: position for position, module in enumerate(AREAS)}

    def order(spec: CheckSpec) -> tuple[int, str, int]:
        number = spec.id.rpartition("-")[2]
        position = rank.get(spec.func.__module__, len(rank))
        return position, spec.area, int(number) if number.isdigit() else 0

    return sorted(_CATALOGUE.values(), key=order)


def select_checks(
    checks: list[CheckSpec], select: Iterable[str] = (), ignore: Iterable[str] = ()
) -> list[CheckSpec]:
    """Filter by exact ID, ID prefix (`AUTH`, `AUTH-`) or tag; `ignore` wins over `select`."""
    selected = list(select)
    ignored = list(ignore)

    def matches(spec: CheckSpec, pattern: str) -> bool:
        p = pattern.strip().upper()
        return spec.id == p or spec.area == p.rstrip("-") or pattern.strip().lower() in spec.tags

    return [
        c
        for c in checks
        if (not selected or any(matches(c, p) for p in selected))
        and not any(matches(c, p) for p in ignored)
    ]


def unknown_patterns(checks: list[CheckSpec], patterns: Iterable[str]) -> list[str]:
    """The patterns that match no check, to report as usage errors."""
    return [p for p in patterns if not select_checks(checks, [p])]
