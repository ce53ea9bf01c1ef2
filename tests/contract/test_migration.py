"""The migration data: every older -> newer pair of generations, each change stated whole and
traced to its chapter of docs/generations.md.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from conformance.contract.migration import (
    GENERATIONS_DOCUMENT,
    MIGRATIONS,
    Scope,
    is_older,
    migration,
)
from conformance.contract.profiles import CONTAINER, CONTAINERS, LEGACY, LOCALAPI, PROFILE_NAMES
from conformance.migration import EVIDENCE

ROOT = Path(__file__).resolve().parents[2]
GENERATIONS = (ROOT / GENERATIONS_DOCUMENT).read_text(encoding="utf-8")


def test_every_older_newer_pair_has_a_migration_and_no_other_pair_does() -> None:
    """The six (older, newer) pairs have a list; no pair backwards or to itself."""
    assert set(MIGRATIONS) == set(combinations(PROFILE_NAMES, 2))
    assert all(is_older(old, new) for old, new in MIGRATIONS)
    with pytest.raises(KeyError):
        migration(CONTAINERS, LEGACY)


@pytest.mark.parametrize("pair", sorted(MIGRATIONS), ids="->".join)
def test_each_change_is_stated_whole_once(pair: tuple[str, str]) -> None:
    """Every change names the old thing, its replacement and a note; no id twice in a list."""
    m = MIGRATIONS[pair]
    assert (m.old, m.new) == pair
    ids = [c.id for c in m.changes]
    assert len(ids) == len(set(ids))
    assert all(c.old and c.new and c.note.endswith(".") for c in m.changes)
    assert m.unchanged.endswith(".")


@pytest.mark.parametrize("pair", sorted(MIGRATIONS), ids="->".join)
def test_each_migration_cites_a_chapter_of_the_generations_document(
    pair: tuple[str, str],
) -> None:
    """The source is `docs/generations.md#<anchor>`, an anchor that page defines."""
    source = MIGRATIONS[pair].source
    document, _, anchor = source.partition("#")
    assert document == GENERATIONS_DOCUMENT
    assert f'<a id="{anchor}"></a>' in GENERATIONS


def test_evidence_is_read_only_for_changes_that_exist() -> None:
    """Each evidence reader belongs to a change id of some migration (no typo goes unseen)."""
    ids = {c.id for m in MIGRATIONS.values() for c in m.changes}
    assert set(EVIDENCE) - ids == set()


def test_optional_changes_are_additions() -> None:
    """An optional change adds something: the old generation had nothing in its place."""
    optional = [c for m in MIGRATIONS.values() for c in m.changes if c.scope is Scope.OPTIONAL]
    assert optional
    assert {c.old for c in optional} == {"none"}


@pytest.mark.parametrize(
    ("pair", "fact", "stated"),
    [
        ((LEGACY, LOCALAPI), "`trace_correlation_id` replaces `run_id`", "`run_id` (required)"),
        ((LEGACY, LOCALAPI), "`mode`,\n`ops`, `record` are gone", "`record` ("),
        ((LEGACY, LOCALAPI), "`trajectories`, `run_id`, `pipeline_metadata`", "`branches`"),
        ((LEGACY, LOCALAPI), "0.4.12: `metrics.outcome_reward`", "`metrics.outcome_reward`"),
        ((LOCALAPI, CONTAINER), "401 instead of 400", "400 `unauthorised`"),
        ((LOCALAPI, CONTAINER), "422 `invalid_rollout_response`", "`invalid_rollout_response`"),
        (
            (LOCALAPI, CONTAINER),
            "`metrics` accepted as an\ninput alias",
            "may still return `metrics`",
        ),
        (
            (CONTAINER, CONTAINERS),
            "`POST /rollouts` (+ hidden `/rollout`)",
            "hidden `POST /rollout`",
        ),
        (
            (CONTAINER, CONTAINERS),
            '`{"status": "ok", "contract_version": "2026-05-28"}`',
            "2026-05-28",
        ),
        ((CONTAINER, CONTAINERS), "`GET /metadata`, `/info`", "`GET /metadata` (alias `/info`"),
        ((LEGACY, CONTAINERS), "`POST /rollouts` keyed by `rollout_id`", "`rollout_id` identifies"),
    ],
    ids=[
        "cid",
        "request-gone",
        "response-gone",
        "reward-0.4.12",
        "refusal",
        "validated",
        "alias",
        "rollouts",
        "health",
        "metadata",
        "rollout-id",
    ],
)
def test_changes_restate_the_generations_document(
    pair: tuple[str, str], fact: str, stated: str
) -> None:
    """Each fact the lists restate is one docs/generations.md gives for that step."""
    assert fact in GENERATIONS
    text = " ".join(f"{c.old} {c.new} {c.note}" for c in MIGRATIONS[pair].changes)
    assert stated in text


def test_legacy_to_container_is_both_steps_without_the_metrics_alias() -> None:
    """Two steps joined: a legacy app's `metrics` lacks `outcome_reward`, so the container's
    alias for the name saves it nothing and is left out.
    """
    joined = [c.id for c in MIGRATIONS[(LEGACY, CONTAINER)].changes]
    first = [c.id for c in MIGRATIONS[(LEGACY, LOCALAPI)].changes]
    then = [c.id for c in MIGRATIONS[(LOCALAPI, CONTAINER)].changes]
    assert joined == first + [i for i in then if i != "response-metrics-alias"]


@pytest.mark.parametrize("old", [LEGACY, LOCALAPI])
def test_api_key_generations_move_to_containers_from_their_own_auth_and_health(old: str) -> None:
    """Into containers-2026-05 from an API-key generation, the old auth is the key and the
    old `/health` wants it: not the container generation's token and public `/health`.
    """
    changes = {c.id: c for c in MIGRATIONS[(old, CONTAINERS)].changes}
    assert "`X-API-Key`" in changes["auth"].old
    assert "needs the key" in changes["health"].old
    assert "validate-candidate" not in changes["route-dropped"].old
