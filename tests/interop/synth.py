"""The guard every interop module calls first: synth-ai 0.2.19 importable, else skip (or fail).

`tox -e interop` installs synth-ai (`pip install --no-deps synth-ai==0.2.19` plus
`requirements-interop.txt`) and sets TASKAPP_REQUIRE_SYNTH_AI=1, which turns the skip
into a collection error, so the interop job can never go green by skipping everything.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import warnings
from functools import cache
from importlib.metadata import version

import pytest

SYNTH_VERSION = "0.2.19"
REQUIRE_ENV = "TASKAPP_REQUIRE_SYNTH_AI"
SYNTH_MODULES = (
    "synth_ai.task.contracts",
    "synth_ai.task.validators",
    "synth_ai.task.server",
    "synth_ai.task.client",
    "synth_ai.task.trace_correlation_helpers",
    "synth_ai.learning.sft.data",
    "synth_ai.learning.validators",
    "synth_ai.api.train.builders",
    "synth_ai.cli.commands.filter.core",
    "synth_ai.cli.commands.eval.core",
)
"""Every synth-ai module the interop tests use (`task`, `learning`, `tracing_v3`, filter, eval)."""


@cache
def synth_problem() -> str | None:
    """Why synth-ai cannot be used here, or None when every module above imports."""
    if importlib.util.find_spec("synth_ai") is None:
        return "synth-ai is not installed (run `tox -e interop`)"
    installed = version("synth-ai")
    if installed != SYNTH_VERSION:
        return f"synth-ai {installed} is installed; the interop suite pins {SYNTH_VERSION}"
    for name in SYNTH_MODULES:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SQLAlchemy 2.0 deprecations inside synth-ai
                importlib.import_module(name)
        except Exception as exc:  # any import failure means a missing interop dependency
            return f"cannot import {name}: {type(exc).__name__}: {exc}"
    return None


def require_synth_ai() -> None:
    """Skip the calling test module without synth-ai; fail instead when the env demands it."""
    problem = synth_problem()
    if problem is None:
        return
    if os.environ.get(REQUIRE_ENV) == "1":
        raise RuntimeError(
            f"{REQUIRE_ENV}=1 but {problem}: install requirements-interop.txt and "
            f"`pip install --no-deps synth-ai=={SYNTH_VERSION}`"
        )
    pytest.skip(f"needs synth-ai=={SYNTH_VERSION}: {problem}", allow_module_level=True)
