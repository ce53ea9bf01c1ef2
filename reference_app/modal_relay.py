"""Serve the recording relay on Modal, so a deployed task app can prove its cids (spec §4.6).

    modal secret create taskapp-recorder-token \
        TASKAPP_RECORDER_TOKEN="$(python -c 'import secrets; print(secrets.token_urlsafe(24))')"
    modal deploy reference_app/modal_relay.py     # or: modal serve reference_app/modal_relay.py

Then `taskapp-conformance check https://<your app> --recorder https://<the relay's URL>`
with the same token in `TASKAPP_RECORDER_TOKEN`. The token comes only from the Modal
secret named by `SECRET_NAME`; no token literal exists in any file. The secret may also set
`TASKAPP_RECORDER_MAX_CALLS`, `_MAX_BYTES`, `_MAX_AGE` and `_MAX_BODY`.

Recordings live in the container's memory, so the relay runs as exactly one container that
serves requests concurrently and stays up between a rollout and the harness's read of it:
a second container would hold calls the harness cannot see. Needs the optional `modal` extra.
"""

from __future__ import annotations

from typing import Any

import modal

SECRET_NAME = "taskapp-recorder-token"
"""The Modal secret that must define `TASKAPP_RECORDER_TOKEN`."""
RUNTIME_PACKAGES = (
    "pydantic>=2.6,<3",
    "httpx>=0.27,<1",
    "fastapi>=0.110",  # brings starlette, which serves the relay
    "uvicorn>=0.29",
)

image = (
    modal.Image.debian_slim(python_version="3.11")
    .pip_install(*RUNTIME_PACKAGES)
    .add_local_python_source("conformance")
)

app = modal.App("taskapp-conformance-relay")


@app.function(
    image=image,
    secrets=[modal.Secret.from_name(SECRET_NAME)],
    min_containers=0,
    max_containers=1,  # one store of recordings: every request reaches the same memory
    scaledown_window=900,  # keep the recordings for a run's duration after the last call
    timeout=600,
)
@modal.concurrent(max_inputs=200)
@modal.asgi_app()
def web() -> Any:
    """The relay, configured from the container's environment (the secret); no token, no start."""
    # Imported in the container, where the image provides the packages.
    from conformance.inference.relay import deployment_app

    return deployment_app()
