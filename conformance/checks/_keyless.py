"""The target's app built again with no key configured, and how it answers (AUTH-11).

Only an in-process target can be rebuilt: one that carries a `rebuild` callable (the
embedded reference app) is rebuilt here from an empty environment; an `--app` factory is
called again in a subprocess whose environment lacks every key variable, so no thread of
this run ever sees the process environment change. `python -m conformance.checks._keyless
ANSWERS` is that subprocess.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from conformance.contract import API_KEY_HEADER, HEALTH_PATH, PROTECTED_GET_PATHS, ROLLOUT_PATH
from conformance.contract.constants import (
    DEV_ENVIRONMENT_API_KEY_ENVS,
    ENVIRONMENT_API_KEY_ALIASES_ENV,
    ENVIRONMENT_API_KEY_ENV,
)
from conformance.outcomes import CheckSkipped, HarnessError, SkipKind
from conformance.target import IN_PROCESS_BASE_URL, Target

KEY_VARIABLES = (
    ENVIRONMENT_API_KEY_ENV,
    ENVIRONMENT_API_KEY_ALIASES_ENV,
    *DEV_ENVIRONMENT_API_KEY_ENVS,
)
"""Every variable a task app takes a key from (§2.1): none of them is set when rebuilt."""


@dataclass(frozen=True)
class KeylessRequest:
    label: str
    method: str
    path: str
    headers: dict[str, str]
    content: bytes = b""


STILL_KEYED = "GET /health with the key of this run"
SOME_KEY = "GET /health with a random key"


def keyless_requests(probe_body: dict[str, Any], key: str | None) -> list[KeylessRequest]:
    """Every protected route with some key (as every synth-ai tool sends one) and with none;
    last, with the run's own key, to tell an app keyed from elsewhere (only that key let in)
    from an app left open (every key let in).
    """
    requests = []
    for what, auth in (("a random key", {API_KEY_HEADER: secrets.token_hex(16)}), ("no key", {})):
        requests += [
            KeylessRequest(f"GET {p} with {what}", "GET", p, auth) for p in PROTECTED_GET_PATHS
        ]
        headers = {**auth, "content-type": "application/json"}
        body = json.dumps(probe_body).encode()
        requests.append(
            KeylessRequest(f"POST {ROLLOUT_PATH} with {what}", "POST", ROLLOUT_PATH, headers, body)
        )
    if key is not None:
        requests.append(KeylessRequest(STILL_KEYED, "GET", HEALTH_PATH, {API_KEY_HEADER: key}))
    return requests


def keyless_answers(
    target: Target, requests: Sequence[KeylessRequest], timeout_s: float
) -> list[httpx.Response] | str:
    """The rebuilt app's answers, or why it refused to be built without a key."""
    if target.rebuild is not None:
        try:
            app = target.rebuild({})
        except Exception as exc:  # the app's own code refused to start: that is its answer
            return f"{type(exc).__name__}: {exc}"
        return asyncio.run(asyncio.wait_for(_send_all(app, requests), timeout_s))
    if target.factory is not None:
        return _in_a_subprocess(target.factory, requests, timeout_s)
    raise CheckSkipped(
        "only an in-process app can be built again without a key (the embedded reference app, "
        "or --app pointing at a factory); this target is "
        + ("an app object, not a factory" if target.in_process else "a URL"),
        kind=SkipKind.NOT_APPLICABLE,
    )


async def _send_all(app: Any, requests: Sequence[KeylessRequest]) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url=IN_PROCESS_BASE_URL) as client:
        return [
            await client.request(r.method, r.path, headers=r.headers, content=r.content)
            for r in requests
        ]


def _in_a_subprocess(
    factory: str, requests: Sequence[KeylessRequest], timeout_s: float
) -> list[httpx.Response] | str:
    env = {k: v for k, v in os.environ.items() if k not in KEY_VARIABLES}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)  # import what we imported
    wire = [{**r.__dict__, "content": base64.b64encode(r.content).decode()} for r in requests]
    with tempfile.TemporaryDirectory(prefix="taskapp-keyless-") as tmp:
        taken = Path(tmp, "answers.json")
        try:  # the requests go through stdin: the key they may carry never touches a disk
            done = subprocess.run(
                [sys.executable, "-m", __name__, str(taken)],
                input=json.dumps({"factory": factory, "requests": wire}),
                env=env,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise HarnessError(
                f"building {factory} without a key took over {timeout_s:g}s"
            ) from exc
        if done.returncode != 0 or not taken.exists():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            raise HarnessError(f"could not build {factory} in a subprocess: {last}")
        result = json.loads(taken.read_text())
    if "refused" in result:
        return str(result["refused"])
    return [
        httpx.Response(a["status"], headers=a["headers"], content=base64.b64decode(a["content"]))
        for a in result["answers"]
    ]


def main(argv: Sequence[str]) -> int:
    """Build the factory named on stdin (the environment holds no key), send it the requests
    given there, and write its answers to the file `argv[0]`.
    """
    taken = Path(argv[0])
    spec = json.loads(sys.stdin.read())
    module_name, _, attr = spec["factory"].partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    requests = [
        KeylessRequest(**{**r, "content": base64.b64decode(r["content"])}) for r in spec["requests"]
    ]
    try:
        app = factory()
    except Exception as exc:  # the app's own code refused to start: that is its answer
        taken.write_text(json.dumps({"refused": f"{type(exc).__name__}: {exc}"}))
        return 0
    answers = asyncio.run(_send_all(app, requests))
    wire = [
        {
            "status": r.status_code,
            "headers": list(r.headers.multi_items()),
            "content": base64.b64encode(r.content).decode(),
        }
        for r in answers
    ]
    taken.write_text(json.dumps({"answers": wire}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
