"""The smallest `containers-2026-05` apps, built only with synth-containers 0.4.6's own code.

`create_app()` is the package README's "Runnable local example" (an exact-match task on the
`Container` SDK, `synth_containers/sdk.py`), as a new user would write it: only a `rollout`
callback, a sync default, and the completed record the SDK requires (`rollout_id`, `status`,
`success_status`, `created_at`, `updated_at`). No auth: the SDK adds none.

`create_strict_app()` is the package's other server, `create_reference_app` over its own
`ReferenceManagedRuntime.counter_default()` (`synth_containers/http_adapter.py`): the surface
with the strict request model, replay and 409 conflicts, `/task_catalog` and `/compatibility`.
Importable only where synth-containers 0.4.6 is installed (`tox -e gen-containers`).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from synth_containers import Container, create_reference_app
from synth_containers.reference_runtime import ReferenceManagedRuntime

NAME = "local-exact-match"


def build_container() -> Container:
    """The README's container: reward 1.0 when `answer` equals `expected`."""
    container = Container(NAME, default_submission_mode="sync")

    @container.rollout
    def rollout(payload: dict[str, Any]) -> dict[str, Any]:
        now = datetime.now(UTC).isoformat()
        reward = float(payload["answer"] == payload["expected"])
        return {
            "rollout_id": payload["rollout_id"],
            "status": "completed",
            "success_status": "success",
            "created_at": now,
            "updated_at": now,
            "summary": {"reward": reward},
        }

    return container


def create_app() -> FastAPI:
    """The README container's FastAPI app, as `Container.fastapi()` builds it."""
    return build_container().fastapi()


def create_strict_app(storage_root: Path | None = None) -> FastAPI:
    """The package's reference HTTP adapter over its counter runtime (event logs on disk)."""
    root = storage_root or Path(tempfile.mkdtemp(prefix="gen-containers-"))
    return create_reference_app(ReferenceManagedRuntime.counter_default(), storage_root=root)
