"""The lightweight constants of `conformance.contract.profiles` (loaded at every start-up,
without pydantic) say what the pydantic models of the same wire say."""

from __future__ import annotations

from conformance.contract.generation_models import RolloutState, SuccessStatus
from conformance.contract.profiles import (
    LEGAL_TRANSITIONS,
    ROLLOUT_STATES,
    SUCCESS_STATUSES,
    TERMINAL_STATES,
)


def test_success_statuses_are_the_models_enum() -> None:
    assert {s.value for s in SuccessStatus} == SUCCESS_STATUSES


def test_rollout_states_are_the_models_enum_in_order() -> None:
    assert tuple(s.value for s in RolloutState) == ROLLOUT_STATES


def test_every_non_terminal_state_has_its_transitions_and_only_known_states() -> None:
    assert set(LEGAL_TRANSITIONS) == set(ROLLOUT_STATES) - TERMINAL_STATES
    assert all(nxt <= set(ROLLOUT_STATES) for nxt in LEGAL_TRANSITIONS.values())
