"""Serve the reference task app on Modal as an ASGI function (spec §9.5).

    modal secret create taskapp-reference-env ENVIRONMENT_API_KEY=<your key>
    modal deploy reference_app/modal_app.py      # or: modal serve reference_app/modal_app.py

`ENVIRONMENT_API_KEY` comes only from the Modal secret named by `SECRET_NAME`; no key
literal exists in any file (synth-ai's generated wrappers embed one, D21). The app name
is a literal so `synth-ai deploy --runtime modal` can find it by AST. Inside Modal,
`MODAL_IS_REMOTE=1` sends tracing (if `TASKAPP_TRACING_ENABLED` is set in the secret) to
`/tmp/synth_traces.db`, which is ephemeral: point `SYNTH_TRACES_DB`/`LIBSQL_URL` at a
volume or a libSQL server to keep traces. Needs the optional `modal` extra.
"""

from __future__ import annotations

from typing import Any

import modal

SECRET_NAME = "taskapp-reference-env"
"""The Modal secret that must define `ENVIRONMENT_API_KEY`."""
RUNTIME_PACKAGES = (
    "pydantic>=2.6,<3",
    "httpx>=0.27,<1",
    "fastapi>=0.110",
    "uvicorn>=0.29",
    "click>=8.1",
    "rich>=13",
    "orjson>=3.9",
    "libsql>=0.1.11,<0.2",  # for LIBSQL_URL / TURSO_DATABASE_URL: the container's disk is ephemeral
)

image = (
    modal.Image.debian_slim(python_version="3.11")
    .pip_install(*RUNTIME_PACKAGES)
    .add_local_python_source("conformance", "reference_app")
)

app = modal.App("taskapp-conformance-reference")


@app.function(image=image, secrets=[modal.Secret.from_name(SECRET_NAME)], timeout=600)
@modal.asgi_app()
def web() -> Any:
    """The reference app, configured from the container's environment (the secret)."""
    # Imported in the container, where the image provides the packages.
    from reference_app import build_config, create_app

    return create_app(build_config())
