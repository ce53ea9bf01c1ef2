"""The per-check tests cover the whole catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conformance.contract.profiles import (
    CONTAINER,
    CONTAINERS,
    LEGACY,
    LOCALAPI,
    PROFILE_NAMES,
    PROFILES,
    AuthScheme,
)
from conformance.registry import catalogue

_PINNED = re.compile(r'failure\(\s*"([A-Z]+-\d+)"')


def test_every_check_has_a_pinned_failure_block() -> None:
    """Every check in the catalogue is run against a fault by a test in tests/checks."""
    sources = "".join(p.read_text() for p in Path(__file__).parent.glob("test_*.py"))
    assert {c.id for c in catalogue()} - set(_PINNED.findall(sources)) == set()


_RULE_GROUPS = {
    LEGACY: {"endpoints", "task_info", "auth", "security", "rollout", "cid"},
    LOCALAPI: {"endpoints", "task_info", "auth", "security", "rollout", "cid"},
    CONTAINER: {"endpoints", "task_info", "auth", "security", "rollout", "cid"},
    CONTAINERS: {"endpoints", "security", "rollout", "async", "dataset"},
}
"""The groups of rules each generation has (docs/contract.md, its profile's chapter), as tags."""


def test_dependencies_hold_in_every_generation_of_the_dependent() -> None:
    """A check's dependencies are rules of all its generations, or alternatives (one per
    generation, as AUTH-1 | CTR-2 or RO-1 | GEN-1): then, in each generation of the check
    that has a credential, one of them applies. A dependency of no generation of the check
    would make it not applicable where it holds.
    """
    by_id = {c.id: c for c in catalogue()}
    problems = []
    for spec in catalogue():
        deps = [by_id[d] for d in spec.depends_on]
        for dep in deps:
            if not set(dep.profiles) & set(spec.profiles):
                problems.append(f"{spec.id} -> {dep.id}: no generation in common")
        partial = [d for d in deps if not set(spec.profiles) <= set(d.profiles)]
        for profile in spec.profiles if partial else ():
            keyless = PROFILES[profile].auth is AuthScheme.NONE
            if not any(d.applies_to(profile) for d in deps) and not keyless:
                problems.append(f"{spec.id} under {profile}: none of {spec.depends_on}")
    assert problems == []


@pytest.mark.parametrize("profile", PROFILE_NAMES)
def test_every_generation_has_a_check_per_rule_group(profile: str) -> None:
    """Each generation's catalogue covers every group of rules its chapter states."""
    tags = {tag for c in catalogue() if c.applies_to(profile) for tag in c.tags}
    assert _RULE_GROUPS[profile] - tags == set()
