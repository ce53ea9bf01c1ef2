"""Which contract generation a target speaks, decided from its own answers, with the evidence.

The order (docs/generations.md "How auto-detection could decide"): `/health` without
credentials, whose two newer shapes are unambiguous; then `capabilities.protocol` in
`/metadata`; then the rollout request's required fields, read from `/openapi.json` or from
the 422 of an empty rollout request (refused before any executor runs). No rollout is run to
decide. When nothing separates the API-key generations, `legacy-0.2` is assumed and the
evidence says so; `--profile` overrides the choice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from conformance.contract.constants import (
    API_KEY_HEADER,
    ERROR_MISSING_KEY_CONFIG,
    ERROR_UNAUTHORISED,
    HEALTH_PATH,
    ROLLOUT_PATH,
)
from conformance.contract.profiles import (
    AUTO,
    CONTAINER,
    CONTAINER_AUTH_HEADER,
    CONTAINERS,
    CONTAINERS_PROTOCOL_PREFIX,
    LEGACY,
    LOCALAPI,
    METADATA_PATH,
)
from conformance.outcomes import CheckFailure, HarnessError

OPENAPI_PATH = "/openapi.json"

SIGNS: dict[str, str] = {
    LEGACY: "the rollout request requires `run_id` and `mode` or `ops` (`/openapi.json`, or "
    "the 422 for `POST /rollout {}`); also the choice when nothing separates the "
    "generations (the evidence then says so)",
    LOCALAPI: "the rollout request requires `trace_correlation_id` and not `run_id` "
    "(`/openapi.json`, or the 422 for `POST /rollout {}`)",
    CONTAINER: "`GET /health` without credentials names `auth.required_header` "
    "`x-synth-container-authorization`",
    CONTAINERS: "`GET /health` without credentials answers `status: ok` with a "
    "`contract_version`, or `GET /metadata` has a `capabilities.protocol` starting "
    "`synth.container.`",
}
"""What `detect` takes as each generation's sign (the README's profiles table says it)."""

Get = Callable[..., httpx.Response]
"""`ctx.get`-like: `get(path, auth=..., ...)` (auth False or a header mapping)."""
Post = Callable[..., httpx.Response]


@dataclass(frozen=True)
class Detection:
    """The profile a target's answers point to, and the answers that said so."""

    profile: str
    evidence: tuple[str, ...]
    certain: bool
    """False when nothing separated the generations and `profile` is the assumed default."""

    def describe(self) -> str:
        return "; ".join(self.evidence)


def detect(get: Get, post: Post, api_key: str | None) -> Detection:
    """Ask the target, cheapest and most specific question first (see the module doc)."""
    evidence: list[str] = []
    health = _json(_ask(get, HEALTH_PATH, auth=False))
    status = health.get("status") if isinstance(health, dict) else None
    if (
        isinstance(health, dict)
        and status == "ok"
        and isinstance(health.get("contract_version"), str)
    ):
        version = health["contract_version"]
        seen = f"GET /health without credentials names contract_version {version!r}"
        return Detection(CONTAINERS, (seen,), True)
    header = _nested(health, "auth", "required_header")
    if isinstance(header, str) and header.lower() == CONTAINER_AUTH_HEADER.lower():
        return Detection(
            CONTAINER,
            (f"GET /health without credentials names required_header {header!r} (PASETO tokens)",),
            True,
        )
    if _error_code(health) in (ERROR_UNAUTHORISED, ERROR_MISSING_KEY_CONFIG):
        evidence.append("GET /health wants an API key (the ENVIRONMENT_API_KEY generations)")
    protocol = _nested(_json(_ask(get, METADATA_PATH, auth=False)), "capabilities", "protocol")
    if isinstance(protocol, str) and protocol.startswith(CONTAINERS_PROTOCOL_PREFIX):
        return Detection(
            CONTAINERS, (*evidence, f"GET /metadata names capabilities.protocol {protocol!r}"), True
        )
    key_headers = {API_KEY_HEADER: api_key} if api_key else {}
    required, source = required_rollout_fields(get, post, key_headers)
    if required is not None:
        fields = ", ".join(sorted(required)) or "nothing"
        seen = f"{source} says the rollout request requires {fields}"
        if "trace_correlation_id" in required and "run_id" not in required:
            return Detection(LOCALAPI, (*evidence, seen), True)
        if "run_id" in required and ("mode" in required or "ops" in required):
            return Detection(LEGACY, (*evidence, seen), True)
        if "run_id" in required:
            evidence.append(
                f"{seen}: synth-ai 0.4.3-0.4.11's transitional request, which no profile "
                "describes; judged as legacy-0.2, its nearest"
            )
            return Detection(LEGACY, tuple(evidence), False)
        evidence.append(seen)
    evidence.append(
        "nothing separated the generations (no /health of a newer shape, no "
        "capabilities.protocol, no required rollout fields readable); assumed legacy-0.2"
    )
    return Detection(LEGACY, tuple(evidence), False)


def _ask(get: Get, path: str, **kwargs: Any) -> httpx.Response | None:
    try:
        return get(path, **kwargs)
    except (HarnessError, CheckFailure):  # no answer is no evidence
        return None


def _json(response: httpx.Response | None) -> Any:
    if response is None:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def _nested(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _error_code(body: Any) -> Any:
    code = _nested(body, "detail", "error", "code")
    return code if code is not None else _nested(body, "error", "code")


def required_rollout_fields(
    get: Get, post: Post, key_headers: dict[str, str]
) -> tuple[set[str] | None, str]:
    """The top-level fields `POST /rollout` requires, and where that was read: the app's
    OpenAPI document, else the 422 for an empty body (None when neither says).
    """
    required, source = _required_from_openapi(get, key_headers)
    if required is None:
        required, source = _required_from_422(post, key_headers)
    return required, source


def _required_from_openapi(get: Get, key_headers: dict[str, str]) -> tuple[set[str] | None, str]:
    """The required top-level fields of `POST /rollout`'s body in the app's OpenAPI document."""
    for auth in (False, key_headers):
        document = _json(_ask(get, OPENAPI_PATH, auth=auth))
        schema = _nested(
            document,
            "paths",
            ROLLOUT_PATH,
            "post",
            "requestBody",
            "content",
            "application/json",
            "schema",
        )
        schema = _resolve(document, schema)
        required = _nested({"s": schema}, "s", "required")
        if isinstance(required, list) and all(isinstance(r, str) for r in required):
            return set(required), f"GET {OPENAPI_PATH}"
    return None, ""


def _resolve(document: Any, schema: Any) -> Any:
    ref = _nested({"s": schema}, "s", "$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        return _nested(document, *ref[2:].split("/"))
    return schema


def _required_from_422(post: Post, key_headers: dict[str, str]) -> tuple[set[str] | None, str]:
    """The fields FastAPI's 422 for `POST /rollout {}` names as missing (no executor runs)."""
    try:
        response = post(ROLLOUT_PATH, auth=key_headers or False, json_body={})
    except (HarnessError, CheckFailure):
        return None, ""
    detail = _nested(_json(response), "detail")
    if response.status_code != 422 or not isinstance(detail, list):
        return None, ""
    missing = {
        str(item["loc"][-1])
        for item in detail
        if isinstance(item, dict)
        and item.get("type") == "missing"
        and isinstance(item.get("loc"), list)
        and len(item["loc"]) == 2  # ["body", field]: top-level fields only
    }
    return (missing or None), f"the 422 for POST {ROLLOUT_PATH} {{}}"


@dataclass(frozen=True)
class ProfileChoice:
    """The generation a run judges, why, and a warning when the user's choice contradicts
    what the target showed.
    """

    profile: str
    evidence: tuple[str, ...]
    warning: str | None = None


def choose(requested: str, detection: Detection, served: str | None) -> ProfileChoice:
    """`--profile` against the evidence: auto takes the detection (or what the embedded
    reference app was built to serve); a name wins, with a warning when the target's answers
    say otherwise for certain.
    """
    if requested == AUTO:
        if served is not None:
            return ProfileChoice(served, (f"the embedded reference app serves {served}",))
        return ProfileChoice(detection.profile, ("detected: " + detection.describe(),))
    evidence = (f"--profile {requested}",)
    if detection.certain and detection.profile != requested:
        warning = (
            f"--profile {requested}, but the target's answers point to {detection.profile} "
            f"({detection.describe()}): checks of {requested} may fail for the generation, "
            "not the app"
        )
        return ProfileChoice(requested, evidence, warning)
    return ProfileChoice(requested, evidence)
