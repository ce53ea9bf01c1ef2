"""TASKAPP_TRACING_ENABLED: our parser gives synth-ai's `tracing_env_enabled` verdict."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_app.tracing import tracing_enabled
from tests.interop.synth import require_synth_ai

require_synth_ai()

from synth_ai.task.tracing_utils import tracing_env_enabled  # noqa: E402

NAMED = ["1", "true", " TRUE ", "t", "Yes", "y", "on", "0", "false", "F", "no", "n", "OFF"]
ODD = ["", " ", "2", "enabled", "tru", "yes!", "nope", "\ton\n"]


def _both(value: str, default: bool, monkeypatch: pytest.MonkeyPatch) -> tuple[bool, bool]:
    monkeypatch.setenv("TASKAPP_TRACING_ENABLED", value)
    ours = tracing_enabled({"TASKAPP_TRACING_ENABLED": value}, default=default)
    return ours, tracing_env_enabled(default=default)


@pytest.mark.parametrize("default", [False, True])
@pytest.mark.parametrize("value", NAMED + ODD)
def test_named_and_odd_values_agree(
    value: str, default: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every spelling synth-ai names, and odd ones, get synth-ai's verdict for both defaults."""
    ours, theirs = _both(value, default, monkeypatch)
    assert ours == theirs


@settings(max_examples=60, deadline=None, derandomize=True, database=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=8))
def test_drawn_values_agree(value: str) -> None:
    """Any drawn value gets synth-ai's verdict (a NUL cannot be an environment value)."""
    value = value.replace("\x00", "")
    with pytest.MonkeyPatch.context() as monkeypatch:
        ours, theirs = _both(value, False, monkeypatch)
    assert ours == theirs


def test_unset_gives_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset means the default in both, whichever default is asked for."""
    monkeypatch.delenv("TASKAPP_TRACING_ENABLED", raising=False)
    for default in (False, True):
        assert tracing_enabled({}, default=default) == tracing_env_enabled(default=default)
